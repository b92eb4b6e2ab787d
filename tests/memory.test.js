'use strict';
// When wasm memory cannot grow any more (Emscripten's default maximum, 2 GiB), calls fail with
// ImprintError OUT_OF_MEMORY and a message that says so, and the same extractor and classifier
// keep working afterwards with the same results. The memory really runs out: a genuine
// 16384 x 16384 RGBA PNG (1 MB on disk, 1 GiB of pixels, which stb_image holds twice while
// decoding), raw pixels larger than the heap can hold, and a heap filled to the last bytes.
// Peak RSS of the process stays near 1.2 GB: untouched wasm pages cost nothing.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const { createExtractor, createClassifier, loadClassifier, ImprintError } = require('..');
const testdata = require('./support/testdata');
const { transparentPng } = require('./support/png-writer');

const GiB = 1024 * 1024 * 1024;

/** Allocates from the core's C heap until not even 8 bytes are left; returns the blocks. */
function fillHeap(core) {
  const blocks = [];
  for (let size = 256 * 1024 * 1024; size >= 8; size = Math.floor(size / 2)) {
    for (;;) {
      const ptr = core._malloc(size);
      if (!ptr) break;
      blocks.push(ptr);
    }
  }
  return blocks;
}

async function expectOutOfMemory(promiseOrFn, messagePattern) {
  const run = typeof promiseOrFn === 'function' ? async () => promiseOrFn() : () => promiseOrFn;
  await assert.rejects(run, (error) => {
    assert.ok(error instanceof ImprintError, `expected an ImprintError, got ${error && error.stack}`);
    assert.equal(error.code, 'OUT_OF_MEMORY', `code (message: ${error.message})`);
    assert.match(error.message, messagePattern);
    return true;
  });
}

const big = { maxWidth: 1 << 20, maxHeight: 1 << 20, maxPixels: 2 ** 40 };
let extractor;
let dogBytes;
let dogEmbedding;
const examples = [];

test.before(async () => {
  extractor = await createExtractor({ limits: big });
  dogBytes = fs.readFileSync(testdata.photo('dog'));
  dogEmbedding = await extractor.embed(dogBytes);
  for (const { category, files } of testdata.stampCategories().slice(0, 3)) {
    for (const file of files.slice(0, 4))
      examples.push({ label: category, vector: await extractor.embed(fs.readFileSync(file)) });
  }
});
test.after(() => extractor && extractor.dispose());

test('a PNG whose pixels need more than the 2 GiB of wasm memory: OUT_OF_MEMORY, then the extractor embeds as before', async () => {
  const png = transparentPng(16384, 16384); // 1 GiB of RGBA pixels
  assert.ok(png.length < 2 * 1024 * 1024, `the PNG is ${png.length} bytes`);
  // The same file at a size that fits decodes, so the file itself is sound.
  const small = await extractor.decode(transparentPng(300, 200));
  assert.deepEqual([small.width, small.height, small.channels], [300, 200, 4]);
  assert.ok(small.data.every((v) => v === 0));

  await expectOutOfMemory(extractor.embed(png), /out of memory while decoding the image/);
  const { heapSize } = extractor.memory();
  assert.ok(heapSize >= GiB, `the wasm memory grew to ${heapSize} bytes before running out`);
  assert.deepEqual(await extractor.embed(dogBytes), dogEmbedding);
  assert.equal(extractor.memory().inUse < 64 * 1024 * 1024, true, 'the failed decode freed what it allocated');
  // decode() reports it the same way.
  await expectOutOfMemory(extractor.decode(png), /out of memory/);
  assert.deepEqual(await extractor.embed(dogBytes), dogEmbedding);
});

test("a PNG over the decoder's 1 GiB of pixel data is IMAGE_TOO_LARGE (a real image, not a damaged one)", async () => {
  await assert.rejects(extractor.embed(transparentPng(16384, 16385)), (error) => {
    assert.ok(error instanceof ImprintError);
    assert.equal(error.code, 'IMAGE_TOO_LARGE', error.message);
    assert.match(error.message, /more than 1 GiB of pixel data/);
    return true;
  });
  assert.deepEqual(await extractor.embed(dogBytes), dogEmbedding);
});

test('raw pixels larger than the wasm heap can hold: OUT_OF_MEMORY naming the size, then the extractor embeds as before', async () => {
  const width = 40000;
  const height = 20000;
  const data = new Uint8Array(width * height * 3); // 2.4 GB of zero pages, never touched
  await expectOutOfMemory(extractor.embed({ data, width, height, channels: 3 }), /could not allocate 2400000000 bytes/);
  assert.deepEqual(await extractor.embed(dogBytes), dogEmbedding);
});

test('with the wasm heap full, every allocating call is OUT_OF_MEMORY; once memory is freed the same extractor and classifier work as before', async () => {
  const classifier = createClassifier(extractor);
  for (const e of examples) classifier.addEmbedding(e.vector, e.label);
  await classifier.train({ seed: 1 });
  const expected = classifier.predictEmbedding(dogEmbedding);
  const saved = classifier.save();

  const { core } = extractor._handles;
  const blocks = fillHeap(core);
  assert.ok(blocks.length > 0);
  assert.equal(core._malloc(8), 0, 'the heap is full');
  try {
    await expectOutOfMemory(extractor.embed(dogBytes), /out of memory|could not allocate/);
    await expectOutOfMemory(() => createClassifier(extractor), /could not allocate|out of memory/);
    await expectOutOfMemory(loadClassifier(extractor, saved), /could not allocate|out of memory/);
    await expectOutOfMemory(
      () => classifier.addEmbedding(examples[0].vector, 'new class'),
      /could not allocate|out of memory/,
    );
    await expectOutOfMemory(classifier.train({ seed: 1 }), /could not allocate|out of memory/);
    await expectOutOfMemory(() => classifier.predictEmbedding(dogEmbedding), /could not allocate|out of memory/);
    await expectOutOfMemory(() => classifier.save(), /could not allocate|out of memory/);
    await expectOutOfMemory(() => classifier.labels, /could not allocate|out of memory/);
  } finally {
    for (const ptr of blocks) core._free(ptr);
  }

  // Nothing changed: same labels, same prediction, same saved bytes, and training still works.
  assert.deepEqual(classifier.labels, [...new Set(examples.map((e) => e.label))]);
  assert.deepEqual(classifier.predictEmbedding(dogEmbedding), expected);
  assert.deepEqual(classifier.save(), saved);
  await classifier.train({ seed: 1 });
  assert.deepEqual(classifier.predictEmbedding(dogEmbedding), expected);
  const again = await loadClassifier(extractor, saved);
  assert.deepEqual(again.predictEmbedding(dogEmbedding), expected);
  again.dispose();
  classifier.dispose();
  assert.deepEqual(await extractor.embed(dogBytes), dogEmbedding);
});

test('peak RSS of this process stays under 3 GB', (t) => {
  const peak = process.resourceUsage().maxRSS * 1024;
  assert.ok(peak < 3e9, `peak RSS ${(peak / 1e9).toFixed(2)} GB`);
  t.diagnostic(`peak RSS ${(peak / 1e9).toFixed(2)} GB`);
});
