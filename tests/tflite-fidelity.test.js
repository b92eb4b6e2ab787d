'use strict';
// Fidelity of the TFLite importer: a model converted by convertTflite() and run by imprint's
// extractor (XNNPACK in wasm) computes what TensorFlow Lite itself computes (the pinned
// @tensorflow/tfjs-tflite wasm runtime, run in a child process by support/tflite-reference.js) on
// the same float input, in this run:
// 1. the SSD MobileNetV2 from @mediapipe/objectron on real photos, intermediate tensors read by
//    patching the subgraph's outputs, at its own 300x300 and converted for 224x224 (the input shape
//    patched for TFLite too); imprint exposes pooled layers only (features() is the global average
//    pool of a layer), so the comparison is on pooled features;
// 2. small generated models that exercise every supported operator; each ends in a flatten, so
//    features() of that layer is the whole tensor and is compared element by element. (A fused
//    activation on TRANSPOSE_CONV is newer than the pinned runtime, which ignores it; for that one
//    layer the reference's output is clamped as the schema defines.)
// Both runtimes see the same model input: imprint gets raw pixels at the model's input size, which
// its preprocessing maps through the identity resize (align-corners bilinear with equal sizes takes
// each pixel with weight 0 for its neighbours) to pixel * scale + bias in float32; the reference
// gets those float32 values computed here.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const jpeg = require('jpeg-js');

const { createExtractor } = require('..');
const { convertTflite } = require('../models/convert.js');
const { readTflite, primaryName } = require('../models/tflite.js');
const { objectronSsdBytes } = require('../models/sources.js');
const { runTflite } = require('./support/tflite-reference');
const { testModels, random, TfliteBuilder } = require('./support/make-tflite');
const testdata = require('./support/testdata');
const { cosine, maxRelativeError, modelInput } = require('./support/compare');

// Element-wise bounds: the largest absolute difference relative to the largest reference magnitude.
// Measured here (x86-64, Node 20): 2.0e-7 on the SSD's pooled layers, at most 1.6e-7 on the
// generated models (0 on most: both runtimes run XNNPACK's wasm SIMD kernels). The margin covers
// other kernel choices (XNNPACK picks its wasm kernels by the host CPU) and float16 weights, which
// both runtimes dequantize exactly.
const SSD_BOUND = 1e-4;
const SMALL_BOUND = 1e-5;

/** Global average pool of an NHWC tensor [1, h, w, c]. */
function pool(data, shape) {
  const c = shape[shape.length - 1];
  const n = data.length / c;
  const out = new Float64Array(c);
  for (let i = 0; i < data.length; i++) out[i % c] += data[i];
  return Float32Array.from(out, (v) => v / n);
}

/** Bilinear (half-pixel) resize of RGBA to RGB at w x h: the test's own, once, for both runtimes. */
function resizeRgb(rgba, inW, inH, w, h) {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max(((y + 0.5) * inH) / h - 0.5, 0), inH - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, inH - 1);
    const fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.max(((x + 0.5) * inW) / w - 0.5, 0), inW - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, inW - 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (xx, yy) => rgba[(yy * inW + xx) * 4 + c];
        const top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * fx;
        const bottom = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * fx;
        out[(y * w + x) * 3 + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return out;
}

// ---- 1. the SSD MobileNetV2 on a real photo ----------------------------------------------------

const SSD = 'FeatureExtractor/MobilenetV2/';
const SSD_LAYERS = [`${SSD}expanded_conv_16/depthwise/Relu6`, `${SSD}Conv_1/Relu6`];

/**
 * The .tflite patched in place, so TFLite returns the tensors `names`: the subgraph's outputs vector
 * gets their indices (same length, no rebuild). With `size`, the input tensor's shape says
 * [1, size, size, 3] (TFLite infers the other shapes when it prepares) and the operators vector is
 * cut after the last one the outputs need, dropping the detection head, whose fixed anchor count
 * only fits the file's own 300x300.
 */
function patchSsd(bytes, names, size = null) {
  const model = readTflite(bytes);
  const r = model.reader;
  const root = r.table(r.deref(0, 'root'), 'Model');
  const graph = r.tables(root, 2, 'SubGraph')[0];
  const outputs = r.vector(graph, 2, 4);
  assert.equal(outputs.length, names.length, 'the patched outputs vector keeps its length');
  const patched = new Uint8Array(bytes);
  const dv = new DataView(patched.buffer);
  let last = 0;
  names.forEach((name, k) => {
    const t = model.tensors.find((x) => primaryName(x.name) === name);
    assert.ok(t, `tensor ${name} is in the file`);
    dv.setInt32(outputs.at + 4 * k, t.index, true);
    last = Math.max(
      last,
      model.operators.findIndex((op) => op.outputs.includes(t.index)),
    );
  });
  if (size) {
    const shape = r.vector(r.tables(graph, 0, 'Tensor')[model.inputs[0]], 0, 4);
    dv.setInt32(shape.at + 4, size, true);
    dv.setInt32(shape.at + 8, size, true);
    dv.setUint32(r.vector(graph, 3, 4).at - 4, last + 1, true); // operators 0..last (execution order)
  }
  return patched;
}

/** Runs the SSD at `size` on the photos in imprint and in TFLite; returns the worst figures. */
async function compareSsd(size, photos) {
  const bytes = objectronSsdBytes();
  const options = { scale: '[-1,1]', embed: SSD_LAYERS, name: `ssd-${size}` };
  if (size !== 300) options.inputSize = [size, size];
  const { bytes: model, info } = convertTflite(bytes, options);
  assert.deepEqual(info.embedNodes, SSD_LAYERS);
  const ex = await createExtractor({ model });
  const worst = { cos: 1, rel: 0 };
  try {
    assert.deepEqual(ex.info.inputSize, [size, size]);
    const inputs = photos.map((name) => {
      const img = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
      return resizeRgb(img.data, img.width, img.height, size, size);
    });
    const patched = patchSsd(bytes, SSD_LAYERS, size === 300 ? null : size);
    const reference = await runTflite(
      inputs.map((p) => ({ model: patched, input: modelInput(p, ex.info.preprocessing) })),
    );
    const side = Math.ceil(size / 32);
    for (let k = 0; k < photos.length; k++) {
      for (let l = 0; l < SSD_LAYERS.length; l++) {
        const ref = reference[k][l];
        assert.equal(primaryName(ref.name), SSD_LAYERS[l]);
        assert.deepEqual(ref.shape, [1, side, side, l === 0 ? 960 : 1280]);
        const expected = pool(ref.data, ref.shape);
        const actual = await ex.features({ data: inputs[k], width: size, height: size, channels: 3 }, SSD_LAYERS[l]);
        assert.equal(actual.length, expected.length);
        const what = `${size}x${size} ${photos[k]} ${SSD_LAYERS[l]}`;
        const cos = cosine(actual, expected);
        const rel = maxRelativeError(actual, expected);
        assert.ok(cos >= 0.9999, `${what}: cosine ${cos} < 0.9999`);
        assert.ok(rel <= SSD_BOUND, `${what}: max relative error ${rel} > ${SSD_BOUND}`);
        worst.cos = Math.min(worst.cos, cos);
        worst.rel = Math.max(worst.rel, rel);
      }
    }
  } finally {
    ex.dispose();
  }
  return worst;
}

const report = (w) => `worst cosine ${w.cos.toFixed(8)}, worst max relative error ${w.rel.toExponential(2)}`;

test('SSD MobileNetV2 (objectron, fp16) at 300x300: pooled expanded_conv_16/depthwise and Conv_1 match TensorFlow Lite on photos', async (t) => {
  t.diagnostic(`SSD 300x300 pooled: ${report(await compareSsd(300, ['dog', 'person']))}`);
});

test('SSD MobileNetV2 converted at another input size (224x224, as the backbone study uses it) matches TensorFlow Lite resized the same way', async (t) => {
  t.diagnostic(`SSD 224x224 pooled: ${report(await compareSsd(224, ['eagle']))}`);
});

// ---- 2. small generated models, every supported operator ---------------------------------------

const rnd = random(20261202);

test('small generated TFLite models: every supported operator matches TensorFlow Lite element by element', async (t) => {
  const models = testModels();
  const jobs = [];
  const runs = [];
  for (const [label, spec] of Object.entries(models)) {
    const { bytes: model, info } = convertTflite(spec.bytes, {
      scale: '[-1,1]',
      embed: spec.embed || spec.layers,
      name: label,
    });
    assert.deepEqual(info.embedNodes, spec.embed || spec.layers, `${label}: the embedding layers`);
    const ex = await createExtractor({ model });
    for (let k = 0; k < 2; k++) {
      const pixels = Uint8Array.from({ length: spec.size * spec.size * 3 }, () => Math.floor(rnd(0, 256)));
      jobs.push({ model: spec.bytes, input: modelInput(pixels, ex.info.preprocessing) });
      runs.push({ label, spec, ex, pixels });
    }
  }
  const reference = await runTflite(jobs);
  const worst = {};
  try {
    for (let j = 0; j < runs.length; j++) {
      const { label, spec, ex, pixels } = runs[j];
      for (let l = 0; l < spec.layers.length; l++) {
        const ref = reference[j][l];
        assert.equal(ref.name, spec.layers[l]);
        const clamp = spec.referenceClamp && spec.referenceClamp[spec.layers[l]];
        if (clamp) ref.data = ref.data.map((v) => Math.min(Math.max(v, clamp[0]), clamp[1]));
        const actual = await ex.features(
          { data: pixels, width: spec.size, height: spec.size, channels: 3 },
          spec.layers[l],
        );
        assert.equal(actual.length, ref.data.length, `${label} ${spec.layers[l]}: length`);
        const cos = cosine(actual, ref.data);
        const rel = maxRelativeError(actual, ref.data);
        const key = `${label}/${spec.layers[l]}`;
        assert.ok(cos >= 0.9999, `${key}: cosine ${cos} < 0.9999`);
        assert.ok(rel <= SMALL_BOUND, `${key}: max relative error ${rel} > ${SMALL_BOUND}`);
        worst[key] = Math.max(worst[key] || 0, rel);
      }
    }
  } finally {
    for (const r of new Set(runs.map((x) => x.ex))) r.dispose();
  }
  t.diagnostic(
    `max relative error per layer: ${Object.entries(worst)
      .map(([k, v]) => `${k} ${v.toExponential(1)}`)
      .join(', ')}`,
  );
});

test('without --embed, a squeeze-and-excite model embeds what its classifier pools, not an SE block', () => {
  const m = new TfliteBuilder();
  const values = (n) => Array.from({ length: n }, () => rnd(-0.5, 0.5));
  const x = m.input([1, 8, 8, 3]);
  const c = m.conv2d(x, m.constant([8, 3, 3, 3], values(216)), m.constant([8], values(8)), { name: 'stem' });
  const hs = m.unary('HARD_SWISH', c, { name: 'stem/hard_swish' });
  const pooled = m.mean(hs, { keepDims: true, name: 'se/pool' });
  const up = m.conv2d(pooled, m.constant([8, 1, 1, 8], values(64)), m.constant([8], values(8)), { name: 'se/conv' });
  const gated = m.mul(hs, m.unary('LOGISTIC', up, { name: 'se/gate' }), { name: 'se/mul' });
  const wide = m.conv2d(gated, m.constant([16, 1, 1, 8], values(128)), m.constant([16], values(16)), {
    activation: 'RELU6',
    name: 'features',
  });
  const logits = m.dense(m.mean(wide, { name: 'pool' }), m.constant([5, 16], values(80)), m.constant([5], values(5)), {
    name: 'logits',
  });
  const { info } = convertTflite(m.finish([logits]), { scale: '[-1,1]' });
  assert.deepEqual(info.embedNodes, ['features']);
});
