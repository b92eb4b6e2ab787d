'use strict';
// The int8 compute precision (model file header `precision` = 1, models/MODEL_FORMAT.md): the same
// model file with only that field changed runs its full convolutions on int8 (activations quantized
// per image at run time, weights per output channel) and must give embeddings close to float32's.
// Tolerances are fixed: measured minimum embedding cosine on these photos 0.9992 (dog .. scream).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { createExtractor } = require('..');
const { withPrecision, readModelFile, PRECISION } = require('../models/model-format.js');
const testdata = require('./support/testdata');

const DEFAULT_MODEL = path.join(__dirname, '..', 'dist', 'models', 'default.imprint');
const MIN_COSINE = 0.998; // int8 vs float32 embedding of the same photo
const MIN_FEATURE_COSINE = 0.998; // one pooled layer (measured 0.9996 at the embedding layer on dog)

const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
const cosine = (a, b) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));

test('the int8 copy of the default model differs from it only in the header field and the checksum', () => {
  const bytes = fs.readFileSync(DEFAULT_MODEL);
  const int8 = withPrecision(bytes, PRECISION.INT8);
  const a = readModelFile(bytes);
  const b = readModelFile(int8);
  assert.equal(a.header.precision, PRECISION.F32);
  assert.equal(b.header.precision, PRECISION.INT8);
  assert.ok(b.checksumOk);
  assert.deepEqual(Buffer.from(int8.subarray(116, int8.length - 8)), bytes.subarray(116, bytes.length - 8));
  assert.throws(() => withPrecision(bytes, 2), /unknown precision/);
});

test('build-default.js --precision int8 writes the same file as withPrecision()', () => {
  const { buildDefault } = require('../models/build-default.js');
  const out = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'imprint-int8-')), 'int8.imprint');
  try {
    buildDefault({ model: 'default', precision: 'int8', out, force: true });
    const expected = withPrecision(fs.readFileSync(DEFAULT_MODEL), PRECISION.INT8);
    assert.ok(Buffer.from(expected).equals(fs.readFileSync(out)));
    assert.throws(() => buildDefault({ model: 'default', precision: 'int4', out }), /unknown precision 'int4'/);
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
});

test('int8 embeddings and features match float32 on real photos within fixed tolerances', async () => {
  const bytes = fs.readFileSync(DEFAULT_MODEL);
  const f32 = await createExtractor({ model: bytes });
  const int8 = await createExtractor({ model: withPrecision(bytes, PRECISION.INT8) });
  try {
    assert.notEqual(int8.info.modelHash, f32.info.modelHash, 'heads trained on one must not load on the other');
    assert.deepEqual(int8.info.embeddingLayers, f32.info.embeddingLayers);
    let worst = 1;
    let identical = 0;
    for (const name of testdata.PHOTO_NAMES) {
      const image = fs.readFileSync(testdata.photo(name));
      const a = await f32.embed(image);
      const b = await int8.embed(image);
      if (a.every((x, i) => x === b[i])) identical++;
      worst = Math.min(worst, cosine(a, b));
    }
    assert.ok(worst >= MIN_COSINE, `worst embedding cosine ${worst.toFixed(5)} < ${MIN_COSINE}`);
    assert.equal(identical, 0, 'int8 must actually compute differently from float32');

    // A layer before the embedding (the first expand convolution's output) and the embedding's own.
    const image = fs.readFileSync(testdata.photo('dog'));
    for (const layer of [f32.info.embeddingLayers[1], 'FeatureExtractor/MobilenetV2/expanded_conv_1/expand/Relu6']) {
      const c = cosine(await f32.features(image, layer), await int8.features(image, layer));
      assert.ok(c >= MIN_FEATURE_COSINE, `${layer}: cosine ${c.toFixed(5)} < ${MIN_FEATURE_COSINE}`);
    }
  } finally {
    f32.dispose();
    int8.dispose();
  }
});

test('an unknown precision is MODEL_CORRUPT and names the field', async () => {
  const bytes = new Uint8Array(fs.readFileSync(DEFAULT_MODEL));
  const bad = withPrecision(bytes, PRECISION.INT8);
  new DataView(bad.buffer).setUint32(112, 7, true);
  // Re-checksum so that the precision field, not the trailer, is what is refused.
  const { fnv1a64 } = require('../models/model-format.js');
  new DataView(bad.buffer).setBigUint64(bad.length - 8, fnv1a64(bad.subarray(0, bad.length - 8)), true);
  await assert.rejects(createExtractor({ model: bad }), (error) => {
    assert.equal(error.code, 'MODEL_CORRUPT');
    assert.match(error.message, /precision/);
    return true;
  });
  const ok = await createExtractor({ model: withPrecision(bytes, PRECISION.INT8) });
  assert.equal((await ok.embed(fs.readFileSync(testdata.photo('dog')))).length, ok.info.dim);
  ok.dispose();
});
