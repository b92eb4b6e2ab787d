'use strict';
// Model-file op codes 15-20 (MUL, SUB, HARD_SWISH, SIGMOID, RESIZE_BILINEAR, TRANSPOSE_CONV2D) and
// the broadcast and constant forms of ADD, MUL and SUB, run by the real runtime (the C graph
// builder on XNNPACK in wasm) on a small generated model (tests/support/make-ops-model.js), against
// the spec's own definitions evaluated in plain JavaScript (tests/support/model-file-eval.js).
// Every checked node is followed by a FLATTEN, so features() of that layer is the whole tensor and is
// compared element by element.
const test = require('node:test');
const assert = require('node:assert/strict');

const { createExtractor } = require('..');
const { makeOpsModel } = require('./support/make-ops-model.js');
const { evaluateModelFile } = require('./support/model-file-eval.js');
const { cosine, maxRelativeError, modelInput } = require('./support/compare');

// Element-wise bound: the largest absolute difference relative to the largest reference value.
// Measured (x86-64, Node 20): ≤ 1e-6 on every layer except the two after the 102x41 → 9x7 resize
// (1.6e-5 and 1e-5): XNNPACK computes a source coordinate as y × scale + (scale/2 − 1/2) and
// TensorFlow as (y + 1/2) × scale − 1/2, both in float32; at coordinates near 100 one float32 ulp is
// 7.6e-6, times a neighbour difference of up to ~2 here. The evaluator accumulates in double.
const BOUND = 5e-5;

function pixelsFor(seed, n) {
  let s = seed;
  return Uint8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 24;
  });
}

test('ops 15-20 and the binary broadcast/constant forms: the wasm runtime computes what the spec defines', async (t) => {
  const model = makeOpsModel();
  const wrong = makeOpsModel({ swapCrops: true });
  const ex = await createExtractor({ model: model.bytes });
  const worst = {};
  try {
    assert.deepEqual(ex.info.inputSize, [model.height, model.width]);
    const readable = ex.info.layers.map((l) => l.name);
    for (const layer of model.layers) assert.ok(readable.includes(layer), `${layer} is readable`);
    for (const seed of [1, 2]) {
      const pixels = pixelsFor(seed, model.height * model.width * 3);
      const input = modelInput(pixels, ex.info.preprocessing);
      const expected = evaluateModelFile(model.bytes, input);
      const misplaced = evaluateModelFile(wrong.bytes, input);
      const image = { data: pixels, width: model.width, height: model.height, channels: 3 };
      for (const layer of model.layers) {
        const actual = await ex.features(image, layer);
        const ref = expected.get(layer);
        assert.equal(actual.length, ref.length, `${layer}: length`);
        const cos = cosine(actual, ref);
        const rel = maxRelativeError(actual, ref);
        assert.ok(cos >= 0.9999, `${layer}: cosine ${cos} < 0.9999`);
        assert.ok(rel <= BOUND, `${layer}: max relative error ${rel} > ${BOUND}`);
        worst[layer] = Math.max(worst[layer] || 0, rel);
      }
      // The comparison is sharp enough to see a transpose convolution's crops on the wrong sides.
      const t1 = model.layers[16];
      const off = maxRelativeError(await ex.features(image, t1), misplaced.get(t1));
      assert.ok(off > 100 * BOUND, `swapped crops differ by only ${off}`);
    }
    // The embedding (three layers, one of each new kind of output) is finite and unit length.
    const embedding = await ex.embed({
      data: pixelsFor(3, model.height * model.width * 3),
      width: model.width,
      height: model.height,
      channels: 3,
    });
    assert.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-5, 'embedding is L2-normalised');
  } finally {
    ex.dispose();
  }
  t.diagnostic(
    `max relative error: ${Object.entries(worst)
      .map(([k, v]) => `${k} ${v.toExponential(1)}`)
      .join(', ')}`,
  );
});

// ---- random shapes: transposed convolutions and resizes, one op per model -------------------------

const { OP, DTYPE, makeNode, serialise } = require('../models/model-format.js');

function oneOpModel(inShape, op, outShape, fields, weights) {
  const tensors = weights.map(({ shape, values }) => ({
    dtype: DTYPE.F32,
    shape,
    data: new Uint8Array(Float32Array.from(values).buffer),
    qMin: 0,
    qScale: 0,
  }));
  const size = outShape[0] * outShape[1] * outShape[2];
  const nodes = [
    makeNode(OP.INPUT, 'image', [], inShape),
    makeNode(op, 'op', [0], outShape, fields),
    makeNode(OP.FLATTEN, 'flat', [1], [1, 1, size]),
  ];
  const meta = {
    name: 'one-op',
    scale: [1 / 127.5, 1 / 127.5, 1 / 127.5],
    bias: [-1, -1, -1],
    resize: 0,
    colourOrder: 0,
  };
  return serialise({ ...meta, embedNodes: [2] }, nodes, tensors).bytes;
}

async function compareOneOp(bytes, [h, w], seed) {
  const ex = await createExtractor({ model: bytes });
  try {
    const pixels = pixelsFor(seed, h * w * 3);
    const expected = evaluateModelFile(bytes, modelInput(pixels, ex.info.preprocessing)).get('flat');
    const actual = await ex.features({ data: pixels, width: w, height: h, channels: 3 }, 'flat');
    assert.equal(actual.length, expected.length);
    return { cos: cosine(actual, expected), rel: maxRelativeError(actual, expected) };
  } finally {
    ex.dispose();
  }
}

test('TRANSPOSE_CONV2D on random kernels, strides and crops (crops past the kernel, kernels below the stride) matches the spec', async (t) => {
  let s = 11;
  const int = (lo, hi) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + ((s >>> 16) % (hi - lo + 1));
  };
  let worst = 0;
  for (let trial = 0; trial < 40; trial++) {
    const [h, w, kh, kw, sh, sw, cout] = [int(1, 6), int(1, 6), int(1, 6), int(1, 6), int(1, 5), int(1, 5), int(1, 4)];
    const [fh, fw] = [(h - 1) * sh + kh, (w - 1) * sw + kw];
    if (fh < sh || fw < sw) continue; // the loader refuses an output smaller than the stride
    const top = int(0, fh - sh);
    const bottom = int(0, fh - sh - top);
    const left = int(0, fw - sw);
    const right = int(0, fw - sw - left);
    const outShape = [fh - top - bottom, fw - left - right, cout];
    const kernel = Array.from({ length: kh * kw * 3 * cout }, () => int(-1000, 1000) / 1000);
    const bias = Array.from({ length: cout }, () => int(-500, 500) / 1000);
    const bytes = oneOpModel(
      [h, w, 3],
      OP.TRANSPOSE_CONV2D,
      outShape,
      {
        iparams: [kh, kw, sh, sw, 1, 1, top, left, bottom, right],
        tensors: [0, 1],
      },
      [
        { shape: [kh, kw, 3, cout], values: kernel },
        { shape: [cout], values: bias },
      ],
    );
    const { cos, rel } = await compareOneOp(bytes, [h, w], trial);
    const label = JSON.stringify({ h, w, kh, kw, sh, sw, top, bottom, left, right });
    assert.ok(cos >= 0.9999, `${label}: cosine ${cos}`);
    assert.ok(rel <= 1e-5, `${label}: max relative error ${rel}`);
    worst = Math.max(worst, rel);
  }
  t.diagnostic(`max relative error ${worst.toExponential(1)}`);
});

test('a TRANSPOSE_CONV2D output smaller than its stride is refused as a corrupt model, not run', async () => {
  // 4x3 input, 5x4 kernel, stride 4: crops 10 + 6 and 10 + 1 leave a 1x1 output (XNNPACK's strided
  // deconvolution read out of bounds on it before the loader refused it).
  const bytes = oneOpModel(
    [4, 3, 3],
    OP.TRANSPOSE_CONV2D,
    [1, 1, 2],
    { iparams: [5, 4, 4, 4, 1, 1, 10, 10, 6, 1], tensors: [0] },
    [{ shape: [5, 4, 3, 2], values: Array.from({ length: 120 }, (_, i) => (i % 7) / 7 - 0.5) }],
  );
  await assert.rejects(createExtractor({ model: bytes }), (err) => {
    assert.equal(err.code, 'MODEL_CORRUPT');
    assert.match(err.message, /smaller than its stride/);
    return true;
  });
});

test('RESIZE_BILINEAR on random sizes (up, down, to and from 1) in its three modes matches the spec', async (t) => {
  let s = 5;
  const int = (lo, hi) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + ((s >>> 16) % (hi - lo + 1));
  };
  let worst = 0;
  for (let trial = 0; trial < 40; trial++) {
    const [h, w, oh, ow, mode] = [int(1, 9), int(1, 9), int(1, 20), int(1, 20), trial % 3];
    const bytes = oneOpModel(
      [h, w, 3],
      OP.RESIZE_BILINEAR,
      [oh, ow, 3],
      {
        iparams: [oh, ow, mode === 1 ? 1 : 0, mode === 2 ? 1 : 0],
      },
      [],
    );
    const { cos, rel } = await compareOneOp(bytes, [h, w], trial);
    const label = JSON.stringify({ h, w, oh, ow, mode: ['legacy', 'align_corners', 'half_pixel'][mode] });
    assert.ok(cos >= 0.9999, `${label}: cosine ${cos}`);
    assert.ok(rel <= 1e-5, `${label}: max relative error ${rel}`);
    worst = Math.max(worst, rel);
  }
  t.diagnostic(`max relative error ${worst.toExponential(1)}`);
});
