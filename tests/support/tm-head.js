'use strict';
// The classifier head Teachable Machine (image projects) trains on top of MobileNet features, in TF.js:
// Dense(100, ReLU) → Dense(nClasses, softmax, no bias), variance-scaling initialisation, Adam(1e-3),
// categorical cross-entropy, 50 epochs, batch 16. Benchmarks train it on the same shots as imprint's
// head to compare against the tool users already know. Deterministic: seeded initialisers and a seeded
// shuffle per epoch (TF.js's own fit() shuffles with Math.random). TM's 15% validation hold-out is not
// reproduced: at one shot per class it would leave nothing to train on.
//
//   const { teachableMachineHead } = require('./tm-head');
//   const head = await teachableMachineHead(trainX, trainY, nClasses, { seed: 1 });
//   head.predict(testX)        // Int32Array of class indices
//   head.probabilities(testX)  // Float32Array[] per test vector
//   head.dispose()
const { ensureBackend, tf } = require('./tfjs-reference');

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

function stack(vectors) {
  const dim = vectors[0].length;
  const flat = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => flat.set(v, i * dim));
  return tf.tensor2d(flat, [vectors.length, dim]);
}

/**
 * Trains the head. trainX: Float32Array[] (features as the feature provider gives them), trainY: class
 * indices, nClasses. Options: seed (default 1), epochs 50, batchSize 16, learningRate 1e-3, denseUnits 100.
 */
async function teachableMachineHead(
  trainX,
  trainY,
  nClasses,
  { seed = 1, epochs = 50, batchSize = 16, learningRate = 1e-3, denseUnits = 100 } = {},
) {
  await ensureBackend();
  const started = Date.now();
  const dim = trainX[0].length;
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [dim],
        units: denseUnits,
        activation: 'relu',
        useBias: true,
        kernelInitializer: tf.initializers.varianceScaling({ seed }),
      }),
      tf.layers.dense({
        units: nClasses,
        activation: 'softmax',
        useBias: false,
        kernelInitializer: tf.initializers.varianceScaling({ seed: seed + 1 }),
      }),
    ],
  });
  const optimizer = tf.train.adam(learningRate);
  const x = stack(trainX);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(trainY), 'int32'), nClasses).toFloat();
  const random = seededRandom(seed ^ 0x9e3779b9);
  const n = trainX.length;
  let lastLoss = NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < n; start += batchSize) {
      const idx = tf.tensor1d(order.slice(start, start + batchSize), 'int32');
      const loss = optimizer.minimize(() => {
        const xb = x.gather(idx);
        const yb = y.gather(idx);
        // Categorical cross-entropy on the softmax output, clipped as Keras does.
        const p = model.apply(xb).clipByValue(1e-7, 1 - 1e-7);
        return yb.mul(p.log()).sum(1).neg().mean();
      }, true);
      lastLoss = loss.dataSync()[0];
      loss.dispose();
      idx.dispose();
    }
  }
  x.dispose();
  y.dispose();

  function probabilities(testX) {
    return tf.tidy(() => {
      const p = model.predict(stack(testX));
      const data = p.dataSync();
      return testX.map((_, i) => data.slice(i * nClasses, (i + 1) * nClasses));
    });
  }

  return {
    loss: lastLoss,
    ms: Date.now() - started,
    probabilities,
    predict(testX) {
      return Int32Array.from(probabilities(testX), (p) => {
        let best = 0;
        for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
        return best;
      });
    },
    dispose() {
      model.dispose();
      optimizer.dispose();
    },
  };
}

module.exports = { teachableMachineHead };
