'use strict';
// The ONNX export used by the speed benchmarks (tests/bench/onnx-export.js): run by ONNX Runtime
// Web (pinned; wasm backend, its own .wasm files from node_modules) it must compute what imprint
// computes, so the benchmark compares runtimes on the same network and weights.
//   - a small model using every exportable op (asymmetric pads, dilation, depthwise multiplier,
//     folded and unfolded batch norm, pooling with pads, clamps of each kind, BGR input, f32, f16
//     and u8 weights) against the independent evaluator written from MODEL_FORMAT.md
//     (tests/support/model-file-eval.js), element-wise;
//   - the shipped default model (embedding), mobilenet_v2.imprint (pooled layers, the classifier
//     head included) and the 'accurate' model against imprint itself on real photos;
//   - an export with one convolution's pads on the wrong side fails both comparisons.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const ort = require('onnxruntime-web');
const jpeg = require('jpeg-js');
const { exportOnnx, decodeModel, encodeModel } = require('./bench/onnx-export.js');
const { OP, DTYPE, COLOUR, RESIZE, FORMAT, makeNode, serialise, floatToHalf } = require('../models/model-format.js');
const { evaluateModelFile } = require('./support/model-file-eval.js');
const { resizeRgba } = require('./support/resize-rgba.js');
const testdata = require('./support/testdata.js');
const { cosine } = require('./support/compare');

const ROOT = path.join(__dirname, '..');
const MODELS = path.join(ROOT, 'dist', 'models');

// Local wasm only: point ONNX Runtime at its own package's dist/ (no network), one thread.
ort.env.wasm.wasmPaths = `${path.join(path.dirname(require.resolve('onnxruntime-web')), path.sep)}`;
ort.env.wasm.numThreads = 1;

// Fixed tolerances. Pooled features and embeddings: cosine and element-wise bound relative to the
// vector's largest value (float32 in both runtimes, different summation orders; the worst measured
// on these photos, over the three models: cosine 1 - 3e-12, 2.6e-6 of the largest value).
const MIN_COSINE = 0.9999;
const MAX_RELATIVE = 1e-4;

/** { cosine, relative }: relative = max |a - b| / max |b|. */
function compare(actual, expected) {
  let worst = 0;
  let magnitude = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    magnitude = Math.max(magnitude, Math.abs(expected[i]));
  }
  return { cosine: cosine(actual, expected), relative: worst / magnitude };
}

const agrees = (r) => r.cosine >= MIN_COSINE && r.relative <= MAX_RELATIVE;

async function session(onnxBytes) {
  return ort.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

async function runOnnx(s, rgb, height, width) {
  const result = await s.run({ pixels: new ort.Tensor('uint8', rgb, [1, height, width, 3]) });
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data]));
}

/** Each photo decoded by jpeg-js and resized to 224x224 RGB once: the identical input for both runtimes. */
function photos224() {
  return testdata.PHOTO_NAMES.map((name) => {
    const d = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
    const r = resizeRgba({ data: d.data, width: d.width, height: d.height }, 224, 224);
    const rgb = new Uint8Array(224 * 224 * 3);
    for (let i = 0, j = 0; i < r.data.length; i += 4, j += 3) rgb.set(r.data.subarray(i, i + 3), j);
    return { name, rgb };
  });
}

/** Swaps top<->bottom and left<->right pads of the first Conv whose pads are asymmetric. */
function swapPadsOfOneConv(onnxBytes) {
  const model = decodeModel(onnxBytes);
  const conv = model.graph.node.find((n) => {
    const pads = n.opType === 'Conv' && n.attribute.find((a) => a.name === 'pads');
    return pads && (pads.ints[0] !== pads.ints[2] || pads.ints[1] !== pads.ints[3]);
  });
  assert.ok(conv, 'the model has a convolution with asymmetric pads');
  const pads = conv.attribute.find((a) => a.name === 'pads');
  pads.ints = [pads.ints[2], pads.ints[3], pads.ints[0], pads.ints[1]];
  return { bytes: encodeModel(model), conv: conv.name };
}

// ------------------------------------------------------------------------------------------------
// A small model with every op the exporter writes.

function tensorOf(dtype, shape, values) {
  if (dtype === DTYPE.F32)
    return { dtype, shape, data: new Uint8Array(Float32Array.from(values).buffer), qMin: 0, qScale: 0 };
  if (dtype === DTYPE.F16) {
    const h = Uint16Array.from(values, floatToHalf);
    return { dtype, shape, data: new Uint8Array(h.buffer), qMin: 0, qScale: 0 };
  }
  // u8 affine over the values' range.
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const qScale = Math.fround((hi - lo) / 255 || 1);
  const qMin = Math.fround(lo);
  return { dtype, shape, data: Uint8Array.from(values, (v) => Math.round((v - qMin) / qScale)), qMin, qScale };
}

function everyOpModel() {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const tensors = [];
  const add = (dtype, shape, fn = random) => {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.push(tensorOf(dtype, shape, Array.from({ length: n }, fn)));
    return tensors.length - 1;
  };
  const positive = () => 0.5 + Math.abs(random());
  const N = [];
  const node = (op, inputs, shape, fields) =>
    N.push(makeNode(op, `n${N.length}_${Object.keys(OP)[op]}`, inputs, shape, fields)) - 1;
  const input = node(OP.INPUT, [], [9, 11, 3]);
  // 3x3 stride 2, pads top 0 left 1 bottom 1 right 0, ReLU6: → [4, 5, 8]
  const c1 = node(OP.CONV2D, [input], [4, 5, 8], {
    iparams: [3, 3, 2, 2, 1, 1, 0, 1, 1, 0],
    tensors: [add(DTYPE.F32, [3, 3, 3, 8]), add(DTYPE.F32, [8])],
    outMin: 0,
    outMax: 6,
  });
  // Batch norm after a clamped conv: not folded, a BatchNormalization node.
  const bn1 = node(OP.BATCH_NORM, [c1], [4, 5, 8], {
    tensors: [add(DTYPE.F16, [8]), add(DTYPE.F16, [8]), add(DTYPE.F16, [8]), add(DTYPE.F16, [8], positive)],
    epsilon: 1e-3,
  });
  // Depthwise 3x3, multiplier 2, dilation 2, pads 2 (no bias): → [4, 5, 16]; then a foldable BN (no gamma).
  const dw = node(OP.DEPTHWISE_CONV2D, [bn1], [4, 5, 16], {
    iparams: [3, 3, 1, 1, 2, 2, 2, 2, 2, 2],
    tensors: [add(DTYPE.F16, [3, 3, 8, 2])],
  });
  const bn2 = node(OP.BATCH_NORM, [dw], [4, 5, 16], {
    tensors: [FORMAT.NONE, add(DTYPE.U8_AFFINE, [16]), add(DTYPE.F32, [16]), add(DTYPE.U8_AFFINE, [16], positive)],
    epsilon: 1e-3,
  });
  const clamp = node(OP.CLAMP, [bn2], [4, 5, 16], { outMin: -1, outMax: 1 });
  // ZERO_PAD then MAX_POOL (pads kept: a Pad node), with the pool's own pads.
  const zp1 = node(OP.ZERO_PAD, [clamp], [5, 6, 16], { iparams: [0, 0, 0, 0, 0, 0, 1, 0, 0, 1] });
  const maxPool = node(OP.MAX_POOL, [zp1], [4, 3, 16], { iparams: [2, 3, 1, 2, 1, 1, 0, 1, 0, 1] });
  // ZERO_PAD read only by a convolution (merged into its pads), u8 kernel.
  const zp2 = node(OP.ZERO_PAD, [clamp], [5, 6, 16], { iparams: [0, 0, 0, 0, 0, 0, 0, 1, 1, 0] });
  const c2 = node(OP.CONV2D, [zp2], [4, 5, 16], {
    iparams: [2, 2, 1, 1, 1, 1, 0, 0, 0, 0],
    tensors: [add(DTYPE.U8_AFFINE, [2, 2, 16, 16]), add(DTYPE.F32, [16])],
  });
  // ZERO_PAD read by nothing but the graph's output: a Pad node.
  const zp3 = node(OP.ZERO_PAD, [clamp], [6, 6, 16], { iparams: [0, 0, 0, 0, 0, 0, 2, 0, 0, 1] });
  const sum = node(OP.ADD, [c2, clamp], [4, 5, 16]);
  const avgPool = node(OP.AVG_POOL, [sum], [2, 3, 16], { iparams: [3, 3, 2, 2, 1, 1, 1, 1, 1, 1] });
  const c3 = node(OP.CONV2D, [avgPool], [2, 3, 4], {
    iparams: [1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
    tensors: [add(DTYPE.F32, [1, 1, 16, 4])],
    outMax: 0.25,
  });
  const concat = node(OP.CONCAT, [avgPool, c3], [2, 3, 20]);
  const gap = node(OP.GLOBAL_AVG_POOL, [concat], [1, 1, 20]);
  const flat = node(OP.FLATTEN, [avgPool], [1, 1, 96]);
  const d1 = node(OP.DENSE, [flat], [1, 1, 10], {
    tensors: [add(DTYPE.F16, [96, 10]), add(DTYPE.F16, [10])],
    outMin: 0,
  });
  const id = node(OP.IDENTITY, [d1], [1, 1, 10]);
  const d2 = node(OP.DENSE, [gap], [1, 1, 10], { tensors: [add(DTYPE.F32, [20, 10])] });
  const bn3 = node(OP.BATCH_NORM, [d2], [1, 1, 10], {
    tensors: [add(DTYPE.F32, [10]), add(DTYPE.F32, [10]), add(DTYPE.F32, [10]), add(DTYPE.F32, [10], positive)],
    epsilon: 1e-3,
  });
  const both = node(OP.ADD, [id, bn3], [1, 1, 10]);
  const softmax = node(OP.SOFTMAX, [both], [1, 1, 10]);
  const meta = {
    name: 'every-op',
    scale: [1 / 64, 1 / 128, 1 / 32],
    bias: [-2, -1, -4],
    resize: RESIZE.BILINEAR_ALIGN_CORNERS,
    colourOrder: COLOUR.BGR,
    embedNodes: [gap, maxPool],
  };
  const layers = [
    c1,
    bn1,
    dw,
    bn2,
    clamp,
    zp1,
    maxPool,
    zp3,
    c2,
    sum,
    avgPool,
    c3,
    concat,
    gap,
    flat,
    d1,
    id,
    bn3,
    softmax,
  ];
  return { bytes: serialise(meta, N, tensors).bytes, meta, nodes: N, layers: layers.map((i) => N[i].name) };
}

test('every exportable op, run by ONNX Runtime Web, matches the model-file evaluator element-wise', async () => {
  const { bytes, meta, nodes, layers } = everyOpModel();
  const [h, w] = [9, 11];
  let seed = 11;
  const rgb = Uint8Array.from({ length: h * w * 3 }, () => (seed = (seed * 75 + 74) % 65537) & 255);
  // The evaluator takes the model input: BGR order, pixel * scale + bias.
  const image = new Float32Array(h * w * 3);
  for (let p = 0; p < h * w; p++)
    for (let c = 0; c < 3; c++) image[p * 3 + c] = Math.fround(rgb[p * 3 + (2 - c)] * meta.scale[c]) + meta.bias[c];
  const expected = evaluateModelFile(bytes, image);

  const s = await session(exportOnnx(bytes, { layers, pool: false }));
  const ours = await runOnnx(s, rgb, h, w);
  for (const name of layers) {
    const want = expected.get(name);
    const got = ours[name];
    assert.equal(got.length, want.length, name);
    let worst = 0;
    for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k] - want[k]) / (1 + Math.abs(want[k])));
    assert.ok(worst < 1e-5, `${name}: max relative difference ${worst}`);
  }

  // The embedding output: GAP of each embedding node, L2-normalised, concatenated, normalised.
  const embedding = (await runOnnx(await session(exportOnnx(bytes)), rgb, h, w)).embedding;
  const parts = meta.embedNodes.map((i) => {
    const v = expected.get(nodes[i].name);
    const c = nodes[i].shape[2];
    const pooled = new Float64Array(c);
    for (let k = 0; k < v.length; k++) pooled[k % c] += v[k] / (v.length / c);
    const norm = Math.hypot(...pooled);
    return Array.from(pooled, (x) => x / norm);
  });
  const joined = parts.flat();
  const norm = Math.hypot(...joined);
  const want = joined.map((x) => x / norm);
  assert.equal(embedding.length, want.length);
  for (let k = 0; k < want.length; k++) assert.ok(Math.abs(embedding[k] - want[k]) < 1e-5, `embedding[${k}]`);

  // The same export with the first convolution's pads on the other side disagrees.
  const wrong = swapPadsOfOneConv(exportOnnx(bytes, { layers: [layers[0]], pool: false }));
  const bad = (await runOnnx(await session(wrong.bytes), rgb, h, w))[layers[0]];
  const good = expected.get(layers[0]);
  let worst = 0;
  for (let k = 0; k < good.length; k++) worst = Math.max(worst, Math.abs(bad[k] - good[k]) / (1 + Math.abs(good[k])));
  assert.ok(worst > 1e-2, `swapped pads of ${wrong.conv} went unnoticed (${worst})`);
});

test('exported shipped models, run by ONNX Runtime Web, give imprint’s embeddings and features on real photos', async (t) => {
  if (!testdata.available()) return t.skip('test data missing: run scripts/fetch-testdata.sh');
  const { createExtractor } = require('..');
  const images = photos224();
  const raw = (rgb) => ({ data: rgb, width: 224, height: 224, channels: 3 });
  const cases = [
    { file: 'default.imprint' },
    { file: 'accurate.imprint' },
    // The classifier head too (average pool, flatten, dense, softmax): features() of the last layer.
    { file: 'mobilenet_v2.imprint', layers: ['block_13_depthwise_relu', 'out_relu', null] },
  ];
  for (const c of cases) {
    const file = path.join(MODELS, c.file);
    const ex = await createExtractor({ model: file });
    try {
      const layers = c.layers && c.layers.map((l) => l ?? ex.info.layers[ex.info.layers.length - 1].name);
      const s = await session(exportOnnx(fs.readFileSync(file), layers ? { layers } : {}));
      for (const { name, rgb } of images) {
        const ours = await runOnnx(s, rgb, 224, 224);
        const outputs = layers || ['embedding'];
        for (const out of outputs) {
          const want = out === 'embedding' ? await ex.embed(raw(rgb)) : await ex.features(raw(rgb), out);
          const r = compare(ours[out], want);
          assert.ok(
            agrees(r),
            `${c.file} ${out} on ${name}: cosine ${r.cosine}, max difference ${r.relative} of the largest value`,
          );
        }
      }
    } finally {
      ex.dispose();
    }
  }
});

test('an export with a convolution padded on the wrong side fails the comparison with imprint', async (t) => {
  if (!testdata.available()) return t.skip('test data missing: run scripts/fetch-testdata.sh');
  const { createExtractor } = require('..');
  const file = path.join(MODELS, 'default.imprint');
  const ex = await createExtractor({ model: file });
  try {
    const wrong = swapPadsOfOneConv(exportOnnx(fs.readFileSync(file)));
    const s = await session(wrong.bytes);
    const { rgb } = photos224()[0];
    const ours = await runOnnx(s, rgb, 224, 224);
    const r = compare(ours.embedding, await ex.embed({ data: rgb, width: 224, height: 224, channels: 3 }));
    assert.ok(!agrees(r), `swapped pads of ${wrong.conv} went unnoticed: cosine ${r.cosine}, ${r.relative}`);
  } finally {
    ex.dispose();
  }
});
