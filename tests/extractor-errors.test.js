'use strict';
// Bad input gets a documented ImprintError code, and the extractor keeps working afterwards.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const { createExtractor, ImprintError } = require('..');
const testdata = require('./support/testdata');
const { crc32, encodePng } = require('./support/png-writer');

const DEFAULT_MODEL = path.join(__dirname, '..', 'dist', 'models', 'default.imprint');
// nsfwjs's Keras MobileNetV2, whose batch norms the loader folds (models/build-default.js).
const NSFWJS_MODEL = path.join(__dirname, '..', 'dist', 'models', 'mobilenet_v2.imprint');

let extractor;
let dogBytes;
let dogEmbedding;
test.before(async () => {
  extractor = await createExtractor();
  dogBytes = fs.readFileSync(testdata.photo('dog'));
  dogEmbedding = await extractor.embed(dogBytes);
});
test.after(() => extractor.dispose());

async function expectCode(promise, code, messagePattern) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ImprintError, `expected an ImprintError, got ${error && error.stack}`);
    assert.equal(error.code, code, `code (message: ${error.message})`);
    if (messagePattern) assert.match(error.message, messagePattern);
    return true;
  });
  // The extractor still works, and gives the same answer as before the failure.
  assert.deepEqual(await extractor.embed(dogBytes), dogEmbedding);
}

/** A PNG whose header claims width x height, followed by a tiny (wrong) IDAT. */
function pngClaiming(width, height) {
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('an empty buffer is DECODE_FAILED', () => expectCode(extractor.embed(Buffer.alloc(0)), 'DECODE_FAILED', /empty/));

test('random bytes are DECODE_FAILED', () => {
  let seed = 12345;
  const random = Buffer.alloc(4096).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  return expectCode(extractor.embed(random), 'DECODE_FAILED');
});

test('a truncated JPEG is DECODE_FAILED, at several cut points', async () => {
  for (const fraction of [0.1, 0.5, 0.9, 0.999]) {
    await expectCode(
      extractor.embed(dogBytes.subarray(0, Math.floor(dogBytes.length * fraction))),
      'DECODE_FAILED',
      /truncated|damaged/,
    );
  }
});

test('a PNG header claiming 100000x100000 is IMAGE_TOO_LARGE, refused before allocating', () =>
  expectCode(extractor.embed(pngClaiming(100000, 100000)), 'IMAGE_TOO_LARGE', /100000x100000/));

test('configured limits apply to encoded and raw images', async () => {
  const small = await createExtractor({ limits: { maxWidth: 500, maxHeight: 500 } });
  try {
    await assert.rejects(small.embed(dogBytes), { code: 'IMAGE_TOO_LARGE' });
    await assert.rejects(small.embed({ data: new Uint8Array(600 * 10 * 3), width: 600, height: 10, channels: 3 }), {
      code: 'IMAGE_TOO_LARGE',
    });
    assert.equal(
      (await small.embed({ data: new Uint8Array(50 * 50 * 3), width: 50, height: 50, channels: 3 })).length,
      small.info.dim,
    );
  } finally {
    small.dispose();
  }
});

test('zero-size raw pixels are INVALID_ARGUMENT', () =>
  expectCode(extractor.embed({ data: new Uint8Array(0), width: 0, height: 0, channels: 3 }), 'INVALID_ARGUMENT'));

test('a wrong channel count is INVALID_ARGUMENT', async () => {
  await expectCode(
    extractor.embed({ data: new Uint8Array(10 * 10 * 5), width: 10, height: 10, channels: 5 }),
    'INVALID_ARGUMENT',
    /channels/,
  );
  await expectCode(
    extractor.embed({ data: new Uint8Array(10 * 10 * 2), width: 10, height: 10, channels: 3 }),
    'INVALID_ARGUMENT',
    /bytes/,
  );
});

test('raw pixels are exactly what is documented: 8-bit data of width x height x channels bytes, or INVALID_ARGUMENT naming the problem', async () => {
  const [width, height] = [10, 8];
  const bytes = width * height * 3;
  const refused = [
    [{ data: new Float32Array(bytes).fill(0.5), width, height, channels: 3 }, /8-bit 'data'.*Float32Array.*\* 255/],
    [{ data: new Float32Array(bytes).fill(NaN), width, height, channels: 3 }, /Float32Array/],
    [{ data: new Uint16Array(bytes), width, height, channels: 3 }, /8-bit 'data'.*Uint16Array/],
    [{ data: new Uint8Array(bytes + 1), width, height, channels: 3 }, /are 240 bytes; 'data' has 241/],
    [{ data: new Uint8Array(bytes + 7), width, height }, /without 'channels': 'data' has 247 bytes/],
    [
      { data: new Uint8Array(bytes), width: '10', height, channels: 3 },
      /width as a positive integer; got the string "10"/,
    ],
    [{ data: new Uint8Array(bytes), width, height, channels: '3' }, /channels; got the string "3"/],
  ];
  for (const [input, message] of refused) await expectCode(extractor.embed(input), 'INVALID_ARGUMENT', message);
  // What is documented still works: Uint8Array, Uint8ClampedArray and Buffer, channels given or implied.
  const gray = new Uint8Array(width * height).fill(128);
  const expected = await extractor.embed({ data: gray, width, height, channels: 1 });
  for (const data of [Uint8ClampedArray.from(gray), Buffer.from(gray)]) {
    assert.deepEqual(await extractor.embed({ data, width, height }), expected);
  }
  await expectCode(extractor.embed(undefined), 'INVALID_ARGUMENT', /cannot use undefined as an image/);
});

test('inputs of the wrong type are INVALID_ARGUMENT; a missing file is FILE_NOT_FOUND', async () => {
  await expectCode(extractor.embed(42), 'INVALID_ARGUMENT');
  await expectCode(extractor.embed({ width: 3 }), 'INVALID_ARGUMENT');
  await expectCode(extractor.embed('/nonexistent/photo.jpg'), 'FILE_NOT_FOUND', /photo\.jpg/);
});

test('WebP bytes are UNSUPPORTED_FORMAT with advice', () => {
  const webp = Buffer.concat([
    Buffer.from('RIFF'),
    Buffer.from([0x20, 0, 0, 0]),
    Buffer.from('WEBPVP8 '),
    Buffer.alloc(24),
  ]);
  return expectCode(extractor.embed(webp), 'UNSUPPORTED_FORMAT', /WebP/);
});

test('an unknown layer name is UNKNOWN_LAYER; a folded convolution says what to read instead', async () => {
  await expectCode(extractor.features(dogBytes, 'no_such_layer'), 'UNKNOWN_LAYER', /no_such_layer/);
  const keras = await createExtractor({ model: NSFWJS_MODEL });
  try {
    await expectCode(keras.features(dogBytes, 'block_1_project'), 'UNKNOWN_LAYER', /block_1_project_BN/);
  } finally {
    keras.dispose();
  }
});

test('a corrupted or truncated model file is MODEL_CORRUPT, and other extractors are unaffected', async () => {
  const model = fs.readFileSync(DEFAULT_MODEL);
  for (const position of [0, 9, 100, 5000, Math.floor(model.length / 2), model.length - 1]) {
    const damaged = Buffer.from(model);
    damaged[position] ^= 0x40;
    await expectCode(createExtractor({ model: damaged }), 'MODEL_CORRUPT');
  }
  for (const length of [0, 7, 127, 4096, model.length - 8, model.length - 1]) {
    await expectCode(createExtractor({ model: model.subarray(0, length) }), 'MODEL_CORRUPT');
  }
  await expectCode(createExtractor({ model: '/nonexistent/model.imprint' }), 'FILE_NOT_FOUND');
});

test('a disposed extractor says DISPOSED; dispose() twice is safe', async () => {
  const other = await createExtractor();
  other.dispose();
  other.dispose();
  await assert.rejects(other.embed(dogBytes), { code: 'DISPOSED' });
});

test('a PNG with empty IDAT chunks before its data decodes as the same PNG without them', async () => {
  // stb_image would form NULL + 0 on the first, empty one (a fuzzer finding, UBSan); the decoder
  // drops such chunks first. Empty IDATs are valid PNG: the pixels must not change.
  const width = 5,
    height = 3;
  const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 256);
  const png = encodePng({ width, height, colorType: 2, data });
  const emptyIdat = Buffer.alloc(12);
  emptyIdat.write('IDAT', 4, 'latin1');
  emptyIdat.writeUInt32BE(crc32(Buffer.from('IDAT', 'latin1')), 8);
  const ihdrEnd = 8 + 12 + 13;
  const withEmpty = Buffer.concat([png.subarray(0, ihdrEnd), emptyIdat, emptyIdat, png.subarray(ihdrEnd)]);
  const plain = await extractor.decode(png);
  const decoded = await extractor.decode(withEmpty);
  assert.deepEqual([decoded.width, decoded.height, decoded.channels], [width, height, 3]);
  assert.deepEqual(Buffer.from(decoded.data), Buffer.from(plain.data));
  assert.deepEqual(Buffer.from(plain.data), Buffer.from(data));
  await extractor.embed(withEmpty);
});

test('inputs that once crashed the fuzzers are refused cleanly (tests/fuzz/regressions)', async () => {
  const dir = path.join(__dirname, 'fuzz', 'regressions', 'image_decode');
  // A JPEG whose Huffman table claims more than 256 symbols: stb_image would write past its table.
  await expectCode(
    extractor.embed(fs.readFileSync(path.join(dir, 'jpeg-dht-more-than-256-symbols.jpg'))),
    'DECODE_FAILED',
    /damaged/,
  );
  for (const name of fs.readdirSync(dir)) {
    await assert.rejects(
      extractor.embed(fs.readFileSync(path.join(dir, name))),
      (error) => error instanceof ImprintError,
    );
  }
});

test('callbacks that are not functions are INVALID_ARGUMENT naming the option, before any work starts', async () => {
  await expectCode(createExtractor({ onProgress: 5 }), 'INVALID_ARGUMENT', /options\.onProgress must be a function/);
  await expectCode(extractor.embedBatch([dogBytes], { onProgress: 'yes' }), 'INVALID_ARGUMENT', /onProgress/);
});

test('images, models and classifier files can be Blobs, read by the platform like files', async () => {
  assert.deepEqual(await extractor.embed(new Blob([dogBytes])), dogEmbedding);
  const fromBlob = await createExtractor({ model: new Blob([fs.readFileSync(DEFAULT_MODEL)]) });
  try {
    assert.equal(fromBlob.info.modelHash, extractor.info.modelHash);
  } finally {
    fromBlob.dispose();
  }
});

test('options are checked, not ignored: a misspelt option or a mirror that is not a boolean is INVALID_ARGUMENT naming it', async () => {
  await expectCode(extractor.embed(dogBytes, { mirror: 'yes' }), 'INVALID_ARGUMENT', /mirror must be true or false/);
  await expectCode(
    extractor.embed(dogBytes, { maxwidth: 10 }),
    'INVALID_ARGUMENT',
    /unknown option "maxwidth" \(known: mirror\)/,
  );
  await expectCode(extractor.embed(dogBytes, 5), 'INVALID_ARGUMENT', /must be an object/);
  await expectCode(
    createExtractor({ limits: { maxwidth: 10 } }),
    'INVALID_ARGUMENT',
    /unknown option "maxwidth" \(known: maxWidth/,
  );
  assert.deepEqual(await extractor.embed(dogBytes, {}), dogEmbedding);
});

test('Node runs the default build on one thread: info says so; build: threads and bad threads/build values are INVALID_ARGUMENT', async () => {
  assert.equal(extractor.info.build, 'default');
  assert.equal(extractor.info.threads, 1);
  await expectCode(createExtractor({ build: 'threads' }), 'INVALID_ARGUMENT', /embedBatch\(list, \{ threads \}\)/);
  for (const options of [{ threads: 0 }, { threads: 65 }, { threads: 2.5 }, { threads: '2' }, { build: 'fast' }])
    await expectCode(createExtractor(options), 'INVALID_ARGUMENT', /options\.(threads|build)/);
  // Any valid count is accepted (the most threads to use) and runs on one thread here.
  const four = await createExtractor({ threads: 4, build: 'auto' });
  try {
    assert.deepEqual([four.info.build, four.info.threads], ['default', 1]);
    assert.deepEqual(Array.from(await four.embed(dogBytes)), Array.from(dogEmbedding));
  } finally {
    four.dispose();
  }
});
