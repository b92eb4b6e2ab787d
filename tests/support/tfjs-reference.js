'use strict';
// The reference runtime: nsfwjs's bundled Keras models run by TF.js (wasm backend) in Node.
//
// Fidelity tests and benchmarks compare imprint against this. It loads the model through the fast
// path (topology + weights as one ArrayBuffer handed to tf.io.fromMemory), not through nsfwjs's own
// loader, which copies the base64 weights character by character (6.7 s, 664 MB peak).
//
//   const { loadReference } = require('./tfjs-reference');
//   const ref = await loadReference('mobilenet_v2');
//   const pixels = ref.preprocess(rgba, width, height);          // Uint8Array 224*224*3, as nsfwjs
//   const f = ref.features(pixels, ['block_10_project_BN', 'out_relu'], { scale: '0_1' });
//   f.block_10_project_BN  // Float32Array(96): global-average-pooled activations
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasmBackend = require('@tensorflow/tfjs-backend-wasm');

const NODE_MODULES = path.resolve(__dirname, '..', '..', 'node_modules');
const MODELS_DIR = path.join(NODE_MODULES, 'nsfwjs', 'dist', 'models');

/** Input side (pixels) of each bundled model. */
const INPUT_SIZE = { mobilenet_v2: 224, mobilenet_v2_mid: 224, inception_v3: 299 };

let backendReady = null;

/** Selects TF.js's wasm backend, loading the .wasm files from node_modules (a path prefix works in Node). */
function ensureBackend(backend = 'wasm') {
  if (!backendReady) {
    backendReady = (async () => {
      if (backend === 'wasm') {
        wasmBackend.setWasmPaths(path.join(NODE_MODULES, '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep);
      }
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to initialise`);
      await tf.ready();
      return tf.getBackend();
    })();
  }
  return backendReady;
}

/**
 * Reads one of nsfwjs's UMD model modules (model.min.js + group1-shardNofM.min.js) into the pieces
 * tf.io.fromMemory wants. The shard modules export their bytes as one base64 string each.
 */
function readBundledModel(name) {
  const dir = path.join(MODELS_DIR, name);
  if (!fs.existsSync(path.join(dir, 'model.min.js'))) {
    throw new Error(`no bundled model ${name} in ${MODELS_DIR} (is nsfwjs installed? run npm ci)`);
  }
  const { modelTopology, weightsManifest } = require(path.join(dir, 'model.min.js'));
  const weightSpecs = [];
  const shards = [];
  for (const group of weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) {
      const base64 = require(path.join(dir, `${shard}.min.js`));
      if (typeof base64 !== 'string') throw new Error(`${name}/${shard}.min.js did not export a base64 string`);
      shards.push(Buffer.from(base64, 'base64'));
    }
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return { modelTopology, weightSpecs, weightData };
}

/** Converts an image's channels to RGB (drops alpha as tf.browser.fromPixels with 3 channels does). */
function toRGB(data, width, height, channels) {
  const n = width * height;
  if (data.length !== n * channels) {
    throw new Error(`pixel buffer has ${data.length} values, expected ${width}x${height}x${channels}`);
  }
  if (channels === 3) return data;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (channels === 1) {
      rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = data[i];
    } else {
      rgb[3 * i] = data[channels * i];
      rgb[3 * i + 1] = data[channels * i + 1];
      rgb[3 * i + 2] = data[channels * i + 2];
    }
  }
  return rgb;
}

/**
 * Loads a bundled nsfwjs model ('mobilenet_v2', 'mobilenet_v2_mid' or 'inception_v3') into TF.js.
 * Options: { backend: 'wasm' | 'cpu' } (default wasm).
 */
async function loadReference(name = 'mobilenet_v2', { backend = 'wasm' } = {}) {
  await ensureBackend(backend);
  const size = INPUT_SIZE[name];
  if (!size) throw new Error(`unknown model ${name}; one of ${Object.keys(INPUT_SIZE).join(', ')}`);
  const model = await tf.loadLayersModel(tf.io.fromMemory(readBundledModel(name)));
  const layerIndex = new Map(model.layers.map((l, i) => [l.name, i]));
  const truncated = new Map(); // key: layer names joined → multi-output tf.LayersModel

  function outputsModel(layerNames) {
    const key = layerNames.join('|');
    let m = truncated.get(key);
    if (!m) {
      for (const l of layerNames) {
        if (!layerIndex.has(l)) throw new Error(`${name} has no layer ${l}`);
      }
      // Only the sub-graph the outputs need is executed, so this is the backbone cut at the deepest layer.
      m = tf.model({ inputs: model.inputs, outputs: layerNames.map((l) => model.getLayer(l).output) });
      truncated.set(key, m);
    }
    return m;
  }

  function inputTensor(images, scale) {
    const list = Array.isArray(images) ? images : [images];
    const batch = new Float32Array(list.length * size * size * 3);
    list.forEach((px, i) => {
      if (px.length !== size * size * 3) throw new Error(`expected ${size}x${size}x3 pixels, got ${px.length} values`);
      batch.set(px, i * size * size * 3);
    });
    return tf.tidy(() => {
      const x = tf.tensor4d(batch, [list.length, size, size, 3]);
      if (scale === '0_1') return x.div(255);
      if (scale === '-1_1') return x.div(127.5).sub(1);
      throw new Error(`scale must be '0_1' or '-1_1', got ${scale}`);
    });
  }

  /**
   * Global-average-pooled activations of the given layers for one 224x224x3 image (Uint8Array or
   * Float32Array, values 0..255) or an array of them (then returns an array of results).
   * scale '0_1' is x/255 (what nsfwjs feeds), '-1_1' is x/127.5-1 (Keras MobileNetV2's ImageNet scaling).
   */
  function features(pixels, layerNames, { scale = '0_1' } = {}) {
    const batched = Array.isArray(pixels);
    const m = outputsModel(layerNames);
    const pooled = tf.tidy(() => {
      const x = inputTensor(pixels, scale);
      let outs = m.predict(x);
      if (!Array.isArray(outs)) outs = [outs];
      return outs.map((o) => (o.rank === 4 ? o.mean([1, 2]) : o));
    });
    const n = batched ? pixels.length : 1;
    const results = Array.from({ length: n }, () => ({}));
    pooled.forEach((t, j) => {
      const data = t.dataSync();
      const dim = data.length / n;
      for (let i = 0; i < n; i++) results[i][layerNames[j]] = data.slice(i * dim, (i + 1) * dim);
      t.dispose();
    });
    return batched ? results : results[0];
  }

  /** The full nsfwjs classifier's 5 probabilities (Drawing, Hentai, Neutral, Porn, Sexy) with x/255 input. */
  function classify(pixels) {
    return tf.tidy(() => model.predict(inputTensor(pixels, '0_1')).dataSync().slice());
  }

  /**
   * What nsfwjs does before the network: drop alpha, bilinear resize to the model's input with
   * alignCorners=true (halfPixelCenters=false). Returns the resized pixels rounded to Uint8Array so both
   * runtimes can be fed identical bytes; { round: false } returns TF.js's exact Float32Array instead.
   * channels defaults to 4 (RGBA, as decoders give); 3 and 1 also work.
   */
  function preprocess(data, width, height, { channels = 4, round = true } = {}) {
    const rgb = toRGB(data, width, height, channels);
    return tf.tidy(() => {
      const img = tf.tensor3d(Int32Array.from(rgb), [height, width, 3], 'int32');
      const resized = tf.image.resizeBilinear(img, [size, size], true, false);
      if (!round) return resized.dataSync().slice();
      return Uint8Array.from(resized.round().clipByValue(0, 255).dataSync());
    });
  }

  /**
   * Median (and min) wall time in ms of one batch-1 forward pass up to the given layers (plus pooling),
   * after warm-up: the cost of the backbone truncated at the deepest of them.
   */
  function timeFeatures(layerNames, { runs = 20, warmup = 3, scale = '0_1' } = {}) {
    const px = new Uint8Array(size * size * 3).fill(128);
    for (let i = 0; i < warmup; i++) features(px, layerNames, { scale });
    const ms = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      features(px, layerNames, { scale });
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    return { median: ms[Math.floor(ms.length / 2)], min: ms[0] };
  }

  /**
   * Multiply-accumulates of one image through every layer up to and including `layer` (convolutions,
   * depthwise convolutions, dense layers; batch-norm, activations and adds not counted). A cost figure
   * that does not depend on how busy the machine is. Counts all layers before it in topological order,
   * which for MobileNetV2's chain of blocks is exactly the sub-graph the layer needs.
   */
  function macsUpTo(layer) {
    let macs = 0;
    for (const l of model.layers.slice(0, depthOf(layer) + 1)) {
      const cls = l.getClassName();
      if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D' && cls !== 'Dense') continue;
      const inShape = l.input.shape;
      const outShape = l.output.shape;
      const cin = inShape[inShape.length - 1];
      const cout = outShape[outShape.length - 1];
      if (cls === 'Dense') {
        macs += cin * cout;
        continue;
      }
      const [kh, kw] = l.kernelSize;
      const positions = outShape[1] * outShape[2];
      macs += cls === 'Conv2D' ? positions * kh * kw * cin * cout : positions * kh * kw * cout;
    }
    return macs;
  }

  /**
   * Like timeFeatures for several layer sets at once, interleaved round by round so that a machine
   * whose load changes over time slows every set alike. Returns [{ median, min }] in input order.
   */
  function timeFeaturesInterleaved(sets, { rounds = 15, perRound = 2, warmup = 3, scale = '0_1' } = {}) {
    const px = new Uint8Array(size * size * 3).fill(128);
    for (const set of sets) for (let i = 0; i < warmup; i++) features(px, set, { scale });
    const ms = sets.map(() => []);
    for (let r = 0; r < rounds; r++) {
      sets.forEach((set, j) => {
        for (let i = 0; i < perRound; i++) {
          const t0 = process.hrtime.bigint();
          features(px, set, { scale });
          ms[j].push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      });
    }
    return ms.map((m) => {
      m.sort((a, b) => a - b);
      return { median: m[Math.floor(m.length / 2)], min: m[0] };
    });
  }

  /** Names of the model's layers, in topological order. */
  function layerNames() {
    return model.layers.map((l) => l.name);
  }

  /** Position of a layer in topological order (deeper layers have larger indices). */
  function depthOf(layer) {
    if (!layerIndex.has(layer)) throw new Error(`${name} has no layer ${layer}`);
    return layerIndex.get(layer);
  }

  function dispose() {
    for (const m of truncated.values()) m.dispose?.();
    truncated.clear();
    model.dispose();
  }

  return {
    name,
    inputSize: [size, size],
    backend: tf.getBackend(),
    tf,
    model,
    features,
    classify,
    preprocess,
    timeFeatures,
    timeFeaturesInterleaved,
    macsUpTo,
    layerNames,
    depthOf,
    dispose,
  };
}

module.exports = { loadReference, ensureBackend, readBundledModel, INPUT_SIZE, tf };
