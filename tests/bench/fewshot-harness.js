'use strict';
// Few-shot benchmark harness: protocols A (photo stamps) and B (Fashion-MNIST) of
// BENCHMARKS.md, "Few-shot protocols", independent of where the features and the classifier come from.
//
//   const h = require('./fewshot-harness');
//   const data = h.loadProtocolA();                      // { classes, pool, test: null, ks, draws }
//   const vectors = await embedOnce(data.pool);          // your feature provider, one Float32Array per item
//   const res = await h.runFewShot(data, vectors, h.softmaxRegressionHead());
//   // res: [{ k, mean, std, accuracies: [...] }]   (accuracy in %, std over draws, n-1 denominator)
//
// A feature provider is any (async) function items → Float32Array[]; each item has .id and .image()
// → { data, width, height, channels } (raw pixels, what imprint's API takes). A head is any (async)
// function (trainX, trainY, nClasses, { seed }) → { predict(testX) → Int32Array of class indices }.
// Draws are generated from fixed seeds, so every provider and head sees exactly the same shots.
const fs = require('fs');
const zlib = require('zlib');
const { PNG } = require('pngjs');
const testdata = require('../support/testdata');

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a small, fast 32-bit PRNG; returns () → float in [0, 1). */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of a copy. */
function shuffled(array, random) {
  const a = array.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Images

/** Decodes a PNG file to 8-bit RGBA with pngjs. */
function decodePng(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  return {
    data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length),
    width: png.width,
    height: png.height,
  };
}

/** Composites RGBA over an opaque background (white by default) → RGB, rounding to nearest. */
function compositeOver(rgba, width, height, background = [255, 255, 255]) {
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3];
    for (let c = 0; c < 3; c++) {
      rgb[3 * i + c] = Math.round((rgba[4 * i + c] * a + background[c] * (255 - a)) / 255);
    }
  }
  return rgb;
}

// ---------------------------------------------------------------------------------------------
// Protocol A: Tux Paint photo stamps, 7 categories, 220 images, k in {1,3,5}, 30 draws

/**
 * Items of protocol A. item.image() decodes the PNG and composites it over white (done here, not by
 * the library under test) → { data: RGB Uint8Array, width, height, channels: 3 }; the library resizes.
 */
function loadProtocolA({ ks = [1, 3, 5], draws = 30, seed = 1 } = {}) {
  const categories = testdata.stampCategories();
  const pool = [];
  categories.forEach(({ category, files }, label) => {
    for (const file of files) {
      pool.push({
        id: `stamps:${file.slice(testdata.stampsDir().length + 1)}`,
        label,
        file,
        image() {
          const { data, width, height } = decodePng(file);
          return { data: compositeOver(data, width, height), width, height, channels: 3 };
        },
      });
    }
  });
  return { name: 'A (photo stamps)', classes: categories.map((c) => c.category), pool, test: null, ks, draws, seed };
}

// ---------------------------------------------------------------------------------------------
// Protocol B: Fashion-MNIST, pool = first 200 per class of train, test = first 100 per class of t10k

const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Reads a gzipped idx file (LeCun's MNIST format: big-endian magic, dims, then uint8 data). */
function readIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const magic = buf.readUInt32BE(0);
  const rank = magic & 0xff;
  if (magic >>> 8 !== 0x08) throw new Error(`${file}: not a uint8 idx file (magic ${magic.toString(16)})`);
  const dims = [];
  for (let i = 0; i < rank; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, buf.length - offset) };
}

function firstPerClass(images, labels, perClass, prefix) {
  const [, rows, cols] = images.dims;
  const size = rows * cols;
  const counts = new Array(10).fill(0);
  const items = [];
  for (let i = 0; i < labels.data.length && items.length < perClass * 10; i++) {
    const label = labels.data[i];
    if (counts[label] >= perClass) continue;
    counts[label]++;
    const data = images.data.slice(i * size, (i + 1) * size);
    items.push({
      id: `${prefix}:${i}`,
      label,
      index: i,
      image: () => ({ data, width: cols, height: rows, channels: 1 }),
    });
  }
  return items;
}

/** Items of protocol B: raw 28x28 grayscale pixels, { data, width: 28, height: 28, channels: 1 }. */
function loadProtocolB({ ks = [1, 5, 10, 20, 50], draws = 20, seed = 1 } = {}) {
  const f = testdata.fashionMnist();
  const pool = firstPerClass(readIdx(f.trainImages), readIdx(f.trainLabels), 200, 'fashion-train');
  const test = firstPerClass(readIdx(f.testImages), readIdx(f.testLabels), 100, 'fashion-test');
  return { name: 'B (Fashion-MNIST)', classes: FASHION_CLASSES, pool, test, ks, draws, seed };
}

// ---------------------------------------------------------------------------------------------
// Draws and evaluation

/** Seed of draw d at k shots: fixed, so reruns and different providers see the same shots. */
function drawSeed(baseSeed, k, d) {
  return (baseSeed * 1000003 + k * 10007 + d * 101) >>> 0;
}

/**
 * One draw: k pool indices per class for training; the test set is the protocol's fixed test set or,
 * without one, every pool item not drawn. Returns { train: [pool indices], test: [indices], testFrom }.
 */
function draw(data, k, d) {
  const random = seededRandom(drawSeed(data.seed, k, d));
  const byClass = data.classes.map(() => []);
  data.pool.forEach((item, i) => byClass[item.label].push(i));
  const train = [];
  const drawn = new Set();
  for (const members of byClass) {
    if (members.length <= k && !data.test)
      throw new Error(`class has ${members.length} items, cannot draw ${k} and test on the rest`);
    for (const i of shuffled(members, random).slice(0, k)) {
      train.push(i);
      drawn.add(i);
    }
  }
  if (data.test) return { train, test: data.test.map((_, i) => i), testFrom: 'test' };
  return { train, test: data.pool.map((_, i) => i).filter((i) => !drawn.has(i)), testFrom: 'pool' };
}

function meanStd(values) {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Runs the protocol. poolVectors[i] is the feature vector of data.pool[i]; testVectors likewise for
 * data.test (protocol B). head: (trainX, trainY, nClasses, { seed }) → { predict(X) → labels }.
 * Returns [{ k, mean, std, accuracies }] with accuracies in percent.
 */
async function runFewShot(
  data,
  poolVectors,
  head,
  { testVectors = null, ks = data.ks, draws = data.draws, onDraw } = {},
) {
  if (data.test && !testVectors) throw new Error(`${data.name} has a fixed test set: pass testVectors`);
  const results = [];
  for (const k of ks) {
    const accuracies = [];
    for (let d = 0; d < draws; d++) {
      const { train, test, testFrom } = draw(data, k, d);
      const trainX = train.map((i) => poolVectors[i]);
      const trainY = Int32Array.from(train, (i) => data.pool[i].label);
      const model = await head(trainX, trainY, data.classes.length, { seed: drawSeed(data.seed, k, d) });
      const testItems = testFrom === 'test' ? data.test : data.pool;
      const testX = test.map((i) => (testFrom === 'test' ? testVectors : poolVectors)[i]);
      const predicted = await model.predict(testX);
      let correct = 0;
      test.forEach((i, j) => {
        if (predicted[j] === testItems[i].label) correct++;
      });
      model.dispose?.();
      accuracies.push((100 * correct) / test.length);
      onDraw?.({ k, d, accuracy: accuracies[accuracies.length - 1] });
    }
    results.push({ k, ...meanStd(accuracies), accuracies });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Feature helpers

function l2normalize(v) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

/** Each part L2-normalised, then concatenated (so each layer weighs the same). */
function concatNormalized(parts) {
  const normalized = parts.map(l2normalize);
  const out = new Float32Array(normalized.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of normalized) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Heads

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Multinomial logistic regression (softmax regression) on L2-normalised features ({ center: true }: then
 * centred on the training shots' mean and L2-normalised again).
 * Objective: mean cross-entropy + lambda/2 * ||W||^2 (bias not penalised). Hyper-parameters are fixed up
 * front for every k and data set (no tuning on test images): lambda 1e-3, Nesterov-accelerated gradient
 * descent with step 1/L for L = 1 + lambda (the softmax Hessian is at most 1/2 per unit-norm input plus
 * the bias), at most 3000 iterations, stopping when the gradient norm falls below 1e-6.
 * Since W starts at 0, every gradient step stays in the span of the training vectors (the representer
 * theorem), so it runs in that n-dimensional dual form: W = A X, logits = A (X x) + b. With few shots
 * that is n^2 C work per iteration instead of n D C; the iterates are the same as primal descent.
 */
function softmaxRegressionHead({ lambda = 1e-3, maxIterations = 3000, tolerance = 1e-6, center = false } = {}) {
  return function train(trainX, trainY, nClasses) {
    const n = trainX.length;
    const C = nClasses;
    // Optional centring on the mean of the (L2-normalised) training shots, nothing from the test set,
    // then L2-normalising again.
    // Pooled ReLU features of one network all point into the same orthant: after L2 normalisation the
    // classes differ by a small part of each vector, and a fixed L2 penalty then underfits (Fashion-MNIST
    // k=20 on GAP(block_13_depthwise_relu): 50% uncentred vs 75% centred). Centring removes the shared part.
    let transform = l2normalize;
    if (center) {
      const normalized = trainX.map(l2normalize);
      const mean = new Float32Array(normalized[0].length);
      for (const x of normalized) for (let d = 0; d < x.length; d++) mean[d] += x[d] / n;
      // Normalised again after centring: with an unpenalised bias, a shift alone changes nothing; it is
      // the rescaling of what differs between images that lets the fixed penalty fit.
      transform = (v) => {
        const x = l2normalize(v);
        for (let d = 0; d < x.length; d++) x[d] -= mean[d];
        return l2normalize(x);
      };
    }
    const X = trainX.map(transform);
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) K[i * n + j] = K[j * n + i] = dot(X[i], X[j]);
    }
    const L = 1 + lambda;
    const step = 1 / L;
    const momentum = (Math.sqrt(L) - Math.sqrt(lambda)) / (Math.sqrt(L) + Math.sqrt(lambda));
    let A = new Float64Array(C * n); // dual coefficients: W = A X
    let b = new Float64Array(C);
    let Aprev = A.slice();
    let bprev = b.slice();
    const YA = new Float64Array(C * n); // look-ahead point
    const Yb = new Float64Array(C);
    const logits = new Float64Array(n * C);
    const M = new Float64Array(C * n); // gradient w.r.t. W, expressed in the dual: grad_W = M X
    const gb = new Float64Array(C);
    let iterations = 0;
    for (; iterations < maxIterations; iterations++) {
      for (let i = 0; i < C * n; i++) YA[i] = A[i] + momentum * (A[i] - Aprev[i]);
      for (let c = 0; c < C; c++) Yb[c] = b[c] + momentum * (b[c] - bprev[c]);
      // logits[i][c] = sum_j YA[c][j] K[j][i] + Yb[c]
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let c = 0; c < C; c++) {
          let s = Yb[c];
          for (let j = 0; j < n; j++) s += YA[c * n + j] * K[j * n + i];
          logits[i * C + c] = s;
          if (s > max) max = s;
        }
        let z = 0;
        for (let c = 0; c < C; c++) z += logits[i * C + c] = Math.exp(logits[i * C + c] - max);
        for (let c = 0; c < C; c++) logits[i * C + c] /= z; // now probabilities
      }
      gb.fill(0);
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < n; i++) {
          const g = (logits[i * C + c] - (trainY[i] === c ? 1 : 0)) / n;
          M[c * n + i] = g + lambda * YA[c * n + i];
          gb[c] += g;
        }
      }
      // ||grad||^2 = trace(M K M^T) + ||gb||^2
      let gradNorm2 = 0;
      for (let c = 0; c < C; c++) {
        gradNorm2 += gb[c] * gb[c];
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += K[i * n + j] * M[c * n + j];
          gradNorm2 += M[c * n + i] * s;
        }
      }
      Aprev = A;
      bprev = b;
      A = new Float64Array(C * n);
      b = new Float64Array(C);
      for (let i = 0; i < C * n; i++) A[i] = YA[i] - step * M[i];
      for (let c = 0; c < C; c++) b[c] = Yb[c] - step * gb[c];
      if (gradNorm2 < tolerance * tolerance) break;
    }
    // Primal weights for prediction.
    const D = X[0].length;
    const W = Array.from({ length: C }, () => new Float64Array(D));
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < n; i++) {
        const a = A[c * n + i];
        if (a === 0) continue;
        const x = X[i];
        for (let d = 0; d < D; d++) W[c][d] += a * x[d];
      }
    }
    return {
      iterations,
      weights: W,
      bias: b,
      predict(testX) {
        return Int32Array.from(testX, (v) => {
          const x = transform(v);
          let best = 0;
          let bestScore = -Infinity;
          for (let c = 0; c < C; c++) {
            const s = dot(W[c], x) + b[c];
            if (s > bestScore) {
              bestScore = s;
              best = c;
            }
          }
          return best;
        });
      },
    };
  };
}

/** Nearest class mean by cosine similarity on L2-normalised features: no hyper-parameters at all. */
function nearestClassMeanHead() {
  return function train(trainX, trainY, nClasses) {
    const D = trainX[0].length;
    const means = Array.from({ length: nClasses }, () => new Float64Array(D));
    trainX.forEach((v, i) => {
      const x = l2normalize(v);
      for (let d = 0; d < D; d++) means[trainY[i]][d] += x[d];
    });
    const normalizedMeans = means.map((m) => l2normalize(m));
    return {
      predict(testX) {
        return Int32Array.from(testX, (v) => {
          const x = l2normalize(v);
          let best = 0;
          let bestScore = -Infinity;
          normalizedMeans.forEach((m, c) => {
            const s = dot(m, x);
            if (s > bestScore) {
              bestScore = s;
              best = c;
            }
          });
          return best;
        });
      },
    };
  };
}

/**
 * imprint's own head through its public API (createClassifier → addEmbedding → train → predictEmbedding),
 * as a head for runFewShot. `extractor` is an imprint extractor whose embeddings fed the vectors.
 */
function imprintHead(imprint, extractor, options) {
  return async function train(trainX, trainY) {
    const clf = imprint.createClassifier(extractor, options);
    trainX.forEach((v, i) => clf.addEmbedding(v, String(trainY[i])));
    await clf.train();
    return {
      predict(testX) {
        return Int32Array.from(testX, (v) => Number(clf.predictEmbedding(v).label));
      },
      dispose() {
        clf.dispose();
      },
    };
  };
}

/** "mean ± std" with one decimal. */
function formatMeanStd(r) {
  return `${r.mean.toFixed(1)} ± ${r.std.toFixed(1)}`;
}

module.exports = {
  seededRandom,
  shuffled,
  decodePng,
  compositeOver,
  loadProtocolA,
  loadProtocolB,
  readIdx,
  FASHION_CLASSES,
  draw,
  drawSeed,
  runFewShot,
  meanStd,
  l2normalize,
  concatNormalized,
  softmaxRegressionHead,
  nearestClassMeanHead,
  imprintHead,
  formatMeanStd,
};
