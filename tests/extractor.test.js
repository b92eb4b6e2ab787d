'use strict';
// The extractor's contract: info, stable embeddings, batch = single, memory released and bounded.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { createExtractor, cosineSimilarity, ImprintError } = require('..');
const testdata = require('./support/testdata');

let extractor;
test.before(async () => {
  extractor = await createExtractor();
});
test.after(() => extractor.dispose());

test('info describes the default model, its layers and its preprocessing', () => {
  const { info } = extractor;
  assert.deepEqual(info.inputSize, [224, 224]);
  assert.match(info.modelHash, /^[0-9a-f]{16}$/);
  assert.ok(info.dim > 0);
  assert.ok(info.layers.length > 50);
  const byName = new Map(info.layers.map((l) => [l.name, l.shape]));
  // The SSD detector's MobileNetV2 (models/build-default.js), cut after its embedding layer.
  assert.equal(info.name, 'ssd-mobilenet_v2-224');
  assert.deepEqual(
    byName.get('FeatureExtractor/MobilenetV2/expanded_conv_10/project/BatchNorm/FusedBatchNormV3'),
    [14, 14, 96],
  );
  assert.deepEqual(info.embeddingLayers, [
    'FeatureExtractor/MobilenetV2/expanded_conv_16/depthwise/Relu6',
    'FeatureExtractor/MobilenetV2/expanded_conv_14/expand/Relu6',
  ]);
  assert.deepEqual(byName.get(info.embeddingLayers[0]), [7, 7, 960]);
  assert.ok(info.unknownThreshold > 0.9 && info.unknownThreshold < 1, `suggested threshold ${info.unknownThreshold}`);
  assert.equal(info.preprocessing.bias[0], -1);
  const pooledDims = info.embeddingLayers.reduce((sum, name) => sum + byName.get(name)[2], 0);
  assert.equal(info.dim, pooledDims);
  assert.equal(info.preprocessing.scale.length, 3);
  assert.equal(typeof info.preprocessing.resize, 'string');
  assert.equal(info.preprocessing.colourOrder, 'RGB');
});

test('the embedding is L2-normalised and identical across calls, inputs and embedBatch', async () => {
  const paths = testdata.PHOTO_NAMES.map((n) => testdata.photo(n));
  const single = [];
  for (const p of paths) single.push(await extractor.embed(p));
  for (const e of single) {
    assert.equal(e.length, extractor.info.dim);
    const norm = Math.sqrt(e.reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
  }
  const progress = [];
  const batch = await extractor.embedBatch(
    paths.map((p) => fs.readFileSync(p)),
    { onProgress: (e) => progress.push(e.done) },
  );
  assert.deepEqual(batch, single);
  assert.deepEqual(
    progress,
    paths.map((_, i) => i + 1),
  );
  assert.deepEqual(await extractor.embed(paths[0]), single[0]);
  const bytes = fs.readFileSync(paths[0]);
  assert.deepEqual(
    await extractor.embed(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
    single[0],
  );
  // Different photos give different embeddings.
  assert.notDeepEqual(single[0], single[1]);
});

test('embedBatch on worker threads gives the same embeddings in the same order, and names a failing input', async () => {
  const paths = testdata.PHOTO_NAMES.map((n) => testdata.photo(n));
  const single = [];
  for (const p of paths) single.push(await extractor.embed(p));
  const progress = [];
  const threaded = await extractor.embedBatch(paths, { threads: 2, onProgress: (e) => progress.push(e.done) });
  assert.deepEqual(threaded, single);
  assert.deepEqual(
    progress,
    paths.map((_, i) => i + 1),
  );
  await assert.rejects(
    extractor.embedBatch([paths[0], Buffer.from('not an image'), paths[1]], { threads: 2 }),
    (error) => {
      assert.equal(error.code, 'DECODE_FAILED');
      assert.equal(error.index, 1);
      return true;
    },
  );
});

test('a batch thread reads file paths itself: each file whole whatever came before, and an unreadable one is FILE_NOT_FOUND naming it', async () => {
  const { createBatchEmbedder } = require('..');
  const { pathToFileURL } = require('node:url');
  // One thread reads every file, largest first, into the buffer it reuses: later files are shorter
  // than the buffer. A truncated JPEG after them must still read as truncated, not as its start
  // followed by the rest of an earlier photo.
  const paths = testdata.PHOTO_NAMES.map((n) => testdata.photo(n)).sort(
    (a, b) => fs.statSync(b).size - fs.statSync(a).size,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-batch-files-'));
  const truncated = path.join(dir, 'truncated.jpg');
  const whole = fs.readFileSync(paths[0]);
  fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
  const unreadable = ['/nonexistent/photo.jpg', dir];
  const inputs = [...paths, pathToFileURL(paths[paths.length - 1]), ...unreadable, truncated, paths[0]];
  const embedder = createBatchEmbedder({ threads: 1 });
  try {
    const results = [];
    for await (const result of embedder.embed(inputs)) results.push(result);
    assert.deepEqual(
      results.map((r) => r.index),
      inputs.map((_, i) => i),
    );
    for (const [i, input] of inputs.entries()) {
      const { vector, error } = results[i];
      if (unreadable.includes(input)) {
        assert.equal(error.code, 'FILE_NOT_FOUND', String(input));
        assert.ok(error.message.includes(String(input)), error.message);
      } else if (input === truncated) {
        assert.equal(error.code, 'DECODE_FAILED');
        assert.match(error.message, /truncated/);
        await assert.rejects(extractor.embed(truncated), (alone) => alone.message === error.message);
      } else {
        assert.deepEqual(vector, await extractor.embed(input), String(input));
      }
    }
  } finally {
    await embedder.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrent embeds from several async tasks give the same results as sequential ones', async () => {
  const paths = testdata.PHOTO_NAMES.map((n) => testdata.photo(n));
  const sequential = [];
  for (const p of paths) sequential.push(await extractor.embed(p));
  const concurrent = await Promise.all(paths.map((p) => extractor.embed(p)));
  assert.deepEqual(concurrent, sequential);
});

test('raw pixels in 1, 3 and 4 channels embed like the same image', async () => {
  const w = 64,
    h = 48;
  const rgb = new Uint8Array(w * h * 3).map((_, i) => (i * 37) & 255);
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255], 4 * i);
  const a = await extractor.embed({ data: rgb, width: w, height: h, channels: 3 });
  const b = await extractor.embed({ data: rgba, width: w, height: h, channels: 4 });
  assert.deepEqual(a, b);
  const gray = new Uint8Array(w * h).map((_, i) => i & 255);
  const gray3 = new Uint8Array(w * h * 3);
  gray.forEach((v, i) => gray3.set([v, v, v], 3 * i));
  assert.deepEqual(
    await extractor.embed({ data: gray, width: w, height: h, channels: 1 }),
    await extractor.embed({ data: gray3, width: w, height: h, channels: 3 }),
  );
});

test('500 embeds in a row do not grow the wasm heap after the first; dispose() frees the model', async () => {
  const other = await createExtractor();
  const { core } = other._handles;
  const bytes = fs.readFileSync(testdata.photo('person'));
  await other.embed(bytes);
  const heapAfterFirst = core.HEAPU8.buffer.byteLength;
  const inUseAfterFirst = core._imprint_memory_in_use();
  for (let i = 0; i < 500; i++) await other.embed(bytes);
  assert.equal(core.HEAPU8.buffer.byteLength, heapAfterFirst, 'the wasm heap grew');
  assert.equal(core._imprint_memory_in_use(), inUseAfterFirst, 'allocated bytes changed');
  assert.ok(inUseAfterFirst > 1e6, `the loaded model should hold megabytes, holds ${inUseAfterFirst}`);
  other.dispose();
  const inUseAfterDispose = core._imprint_memory_in_use();
  assert.ok(inUseAfterDispose < 64 * 1024, `after dispose ${inUseAfterDispose} bytes are still allocated`);
});

test('extractors leave the host process alone: no process listeners added, none left after dispose', async () => {
  const events = ['uncaughtException', 'unhandledRejection', 'exit', 'warning'];
  const before = events.map((e) => process.listenerCount(e));
  const many = [];
  for (let i = 0; i < 12; i++) many.push(await createExtractor());
  assert.deepEqual(
    events.map((e) => process.listenerCount(e)),
    before,
    'an extractor added process listeners',
  );
  for (const ex of many) ex.dispose();
  assert.deepEqual(
    events.map((e) => process.listenerCount(e)),
    before,
  );
});

test('cosineSimilarity is the same helper in Node as in the browser build: 1 for the same photo, INVALID_ARGUMENT for vectors of different lengths', async () => {
  const [dog, eagle] = await extractor.embedBatch([testdata.photo('dog'), testdata.photo('eagle')]);
  assert.ok(Math.abs(cosineSimilarity(dog, dog) - 1) < 1e-6);
  const across = cosineSimilarity(dog, eagle);
  assert.ok(across > -1 && across < 1 - 1e-6, `dog vs eagle: ${across}`);
  assert.equal(cosineSimilarity(new Float32Array(3), new Float32Array(3)), 0);
  assert.throws(
    () => cosineSimilarity(dog, [1, 2, 3]),
    (error) => error instanceof ImprintError && error.code === 'INVALID_ARGUMENT',
  );
});

test("the 'accurate' preset holds both backbones in one graph: its nsfwjs part computes what nsfwjs's model alone does", async () => {
  const accurate = await createExtractor({ model: 'accurate' });
  const keras = await createExtractor({
    model: path.join(__dirname, '..', 'dist', 'models', 'mobilenet_v2.imprint'),
  });
  try {
    assert.equal(accurate.info.name, 'ssd+nsfwjs-mobilenet_v2-224');
    assert.deepEqual(accurate.info.embeddingLayers, [
      'FeatureExtractor/MobilenetV2/expanded_conv_16/depthwise/Relu6',
      'block_13_depthwise_relu',
    ]);
    assert.equal(accurate.info.dim, 960 + 576);
    assert.notEqual(accurate.info.modelHash, extractor.info.modelHash);
    // 224x224 pixels need no resize: both parts see exactly the pixels, each with its own scaling.
    const pixels = await extractor.decode(testdata.photo('dog'));
    const crop = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, channels: 3 };
    for (let y = 0; y < 224; y++)
      crop.data.set(pixels.data.subarray(y * pixels.width * 3, (y * pixels.width + 224) * 3), y * 224 * 3);
    const mine = await accurate.features(crop, 'block_13_depthwise_relu');
    const alone = await keras.features(crop, 'block_13_depthwise_relu');
    assert.ok(cosineSimilarity(mine, alone) > 0.99999, `cosine ${cosineSimilarity(mine, alone)}`);
    const ssd = 'FeatureExtractor/MobilenetV2/expanded_conv_16/depthwise/Relu6';
    assert.deepEqual(await accurate.features(crop, ssd), await extractor.features(crop, ssd));
  } finally {
    accurate.dispose();
    keras.dispose();
  }
});

test('a preset name that does not exist is read as a file path', async () => {
  await assert.rejects(createExtractor({ model: 'precise' }), (error) => {
    assert.ok(error instanceof ImprintError);
    assert.equal(error.code, 'FILE_NOT_FOUND');
    return true;
  });
});
