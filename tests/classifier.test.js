'use strict';
// The few-shot classifier on real photos: imprinting before training, deterministic training,
// head files that round-trip exactly and refuse damage or another backbone, labels in any script,
// and a documented ImprintError for every misuse, after which the classifier keeps working.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { createExtractor, createClassifier, loadClassifier, ImprintError } = require('..');
const testdata = require('./support/testdata');
const { decodePng, compositeOver } = require('./bench/fewshot-harness');
const { constants: Constants } = require('../dist/imprint-abi.cjs');

const INCEPTION = path.join(__dirname, '..', 'dist', 'models', 'inception_v3.imprint');
const PHOTOS = ['dog', 'eagle', 'giraffe', 'horses'];

let extractor;
const photoEmbedding = {};
const cropEmbedding = {};
let stamps; // { [category]: [Float32Array] } in file order

/** The centre 70% of a decoded photo, as raw pixels: the same scene, not the same image. */
function centreCrop({ data, width, height, channels }) {
  const w = Math.round(width * 0.7);
  const h = Math.round(height * 0.7);
  const x0 = Math.floor((width - w) / 2);
  const y0 = Math.floor((height - h) / 2);
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * width + x0) * channels;
    out.set(data.subarray(from, from + w * channels), y * w * channels);
  }
  return { data: out, width: w, height: h, channels };
}

function stampImage(file) {
  const { data, width, height } = decodePng(file);
  return { data: compositeOver(data, width, height), width, height, channels: 3 };
}

test.before(async () => {
  extractor = await createExtractor();
  for (const name of PHOTOS) {
    photoEmbedding[name] = await extractor.embed(testdata.photo(name));
    cropEmbedding[name] = await extractor.embed(centreCrop(await extractor.decode(testdata.photo(name))));
  }
  stamps = {};
  for (const { category, files } of testdata.stampCategories()) {
    if (!['plants/flowers', 'food/fruit', 'animals/birds'].includes(category)) continue;
    stamps[category] = [];
    for (const file of files.slice(0, 12)) stamps[category].push(await extractor.embed(stampImage(file)));
  }
});
test.after(() => extractor.dispose());

function expectCode(fn, code, messagePattern) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof ImprintError, `expected an ImprintError, got ${error && error.stack}`);
    assert.equal(error.code, code, `code (message: ${error.message})`);
    if (messagePattern) assert.match(error.message, messagePattern);
    return true;
  });
}

async function expectCodeAsync(promise, code, messagePattern) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ImprintError, `expected an ImprintError, got ${error && error.stack}`);
    assert.equal(error.code, code, `code (message: ${error.message})`);
    if (messagePattern) assert.match(error.message, messagePattern);
    return true;
  });
}

/** A classifier with the first `k` stamps of each category (labels = category names). */
function stampClassifier(k = 3, options) {
  const clf = createClassifier(extractor, options);
  for (const [category, vectors] of Object.entries(stamps)) {
    for (const v of vectors.slice(0, k)) clf.addEmbedding(v, category);
  }
  return clf;
}

test("any label is a key of scores and perClass, '__proto__', 'constructor' and 'toString' included", async () => {
  const names = ['__proto__', 'constructor', 'toString'];
  const clf = createClassifier(extractor);
  const categories = Object.keys(stamps);
  names.forEach((label, i) => stamps[categories[i]].slice(0, 3).forEach((v) => clf.addEmbedding(v, label)));
  await clf.train();
  const query = stamps[categories[0]][5];
  const { label, confidence, scores } = clf.predictEmbedding(query);
  assert.ok(names.includes(label), label);
  assert.equal(scores[label], confidence);
  assert.equal(Object.getPrototypeOf(scores), null);
  assert.deepEqual(Object.keys(scores), names);
  for (const name of names) assert.equal(typeof scores[name], 'number', name);
  assert.ok(Math.abs(names.reduce((sum, name) => sum + scores[name], 0) - 1) < 1e-5);
  const report = await clf.evaluate(names.map((name, i) => ({ label: name, embedding: stamps[categories[i]][6] })));
  assert.equal(Object.getPrototypeOf(report.perClass), null);
  assert.deepEqual(Object.keys(report.perClass), names);
  for (const name of names) assert.equal(report.perClass[name].count, 1, name);
  clf.dispose();
});

test('imprinting recognises cropped photos right after addExample, before any train()', async () => {
  const clf = createClassifier(extractor);
  for (const name of PHOTOS) await clf.addExample(testdata.photo(name), name);
  assert.deepEqual(clf.labels, PHOTOS);
  assert.equal(clf.trained, false);
  // Flowers and fruit were never shown: each is less similar to the taught photos than any crop.
  const untaught = [...stamps['plants/flowers'], ...stamps['food/fruit']].map((v) => clf.predictEmbedding(v));
  const mostSimilarUntaught = Math.max(...untaught.map((p) => p.similarity));
  for (const name of PHOTOS) {
    const p = clf.predictEmbedding(cropEmbedding[name]);
    assert.equal(p.label, name, `crop of ${name}: ${JSON.stringify(p.scores)}`);
    assert.equal(p.confidence, p.scores[name]);
    assert.equal(p.unknown, p.similarity < clf.unknownThreshold);
    assert.ok(
      p.similarity > mostSimilarUntaught,
      `crop of ${name}: ${p.similarity} vs untaught ${mostSimilarUntaught}`,
    );
  }
  assert.ok(
    untaught.filter((p) => p.unknown).length >= untaught.length / 2,
    `most photos of untaught categories are unknown (${untaught.filter((p) => p.unknown).length} of ${untaught.length})`,
  );
  const viaImage = await clf.predict(centreCrop(await extractor.decode(testdata.photo('giraffe'))));
  assert.equal(viaImage.label, 'giraffe');
  clf.dispose();
});

test('imprinting tells Tux Paint flowers from fruit photos well above chance before any train()', () => {
  const clf = createClassifier(extractor);
  for (const v of stamps['plants/flowers'].slice(0, 3)) clf.addEmbedding(v, 'flower');
  for (const v of stamps['food/fruit'].slice(0, 3)) clf.addEmbedding(v, 'fruit');
  let right = 0;
  let total = 0;
  for (const [category, label] of [
    ['plants/flowers', 'flower'],
    ['food/fruit', 'fruit'],
  ]) {
    for (const v of stamps[category].slice(3)) {
      right += clf.predictEmbedding(v).label === label;
      total++;
    }
  }
  assert.ok(right / total >= 0.75, `imprinting accuracy ${right}/${total} (chance: 50%)`);
  clf.dispose();
});

test('train() fits, reports progress, and is deterministic for a fixed seed', async () => {
  const results = [];
  const files = [];
  for (let run = 0; run < 2; run++) {
    const clf = stampClassifier(4);
    const events = [];
    const result = await clf.train({ seed: 11, onProgress: (e) => events.push(e) });
    assert.ok(events.length >= 1, 'onProgress called');
    for (const e of events) {
      assert.ok(Number.isInteger(e.step) && e.step >= 0, `step ${e.step}`);
      assert.ok(Number.isFinite(e.loss) && e.loss > 0, `loss ${e.loss}`);
    }
    assert.ok(Number.isFinite(result.loss) && result.loss > 0);
    assert.ok(result.trainAccuracy > 0.9 && result.trainAccuracy <= 1, `train accuracy ${result.trainAccuracy}`);
    assert.ok(result.ms >= 0 && result.ms < 10000, `ms ${result.ms}`);
    assert.equal(clf.trained, true);
    results.push(clf.predictEmbedding(stamps['animals/birds'][8]).scores);
    files.push(clf.save());
    clf.dispose();
  }
  assert.deepEqual(results[0], results[1]);
  assert.deepEqual(files[0], files[1], 'same seed, same examples: byte-identical heads');
});

test('training improves on imprinting for held-out stamps', async () => {
  const clf = stampClassifier(6);
  const held = Object.entries(stamps).flatMap(([label, vectors]) =>
    vectors.slice(6).map((embedding) => ({ label, embedding })),
  );
  const before = await clf.evaluate(held);
  await clf.train();
  const after = await clf.evaluate(held);
  assert.ok(after.accuracy >= 0.6, `accuracy after training ${after.accuracy} (before ${before.accuracy})`);
  clf.dispose();
});

test('save → load → predict gives identical scores, with and without examples', async () => {
  const clf = stampClassifier(3);
  await clf.train({ seed: 3 });
  const query = stamps['plants/flowers'][10];
  const expected = clf.predictEmbedding(query);
  for (const examples of [true, false]) {
    const bytes = clf.save({ examples });
    assert.ok(bytes instanceof Uint8Array);
    const loaded = await loadClassifier(extractor, bytes);
    assert.deepEqual(loaded.labels, clf.labels);
    assert.deepEqual(loaded.predictEmbedding(query), expected);
    assert.equal(loaded.exampleCount('food/fruit'), examples ? 3 : 0);
    assert.equal(loaded.trained, true);
    if (examples) {
      // Training can continue after loading.
      loaded.addEmbedding(stamps['food/fruit'][5], 'food/fruit');
      await loaded.train();
      assert.equal(loaded.predictEmbedding(stamps['food/fruit'][11]).scores['food/fruit'] > 0, true);
    }
    loaded.dispose();
  }
  // An untrained (imprinted) head round-trips too.
  const fresh = stampClassifier(2);
  const freshExpected = fresh.predictEmbedding(query);
  const reloaded = await loadClassifier(extractor, fresh.save());
  assert.deepEqual(reloaded.predictEmbedding(query), freshExpected);
  assert.equal(reloaded.trained, false);
  fresh.dispose();
  reloaded.dispose();
  clf.dispose();
});

test('a head saved without examples predicts as saved and refuses to learn with SAVED_WITHOUT_EXAMPLES', async () => {
  // Learning from class means alone replaced the trained weights by imprinting and predicted much
  // worse (82.9% -> 62.9% on held-out images) without a word; now it is refused, and nothing changes.
  const clf = stampClassifier(6);
  await clf.train();
  const loaded = await loadClassifier(extractor, clf.save({ examples: false }));
  const heldOut = Object.entries(stamps).flatMap(([label, vectors]) =>
    vectors.slice(6).map((embedding) => ({ label, embedding })),
  );
  const before = await loaded.evaluate(heldOut);
  assert.equal(before.accuracy, (await clf.evaluate(heldOut)).accuracy);
  const advice = /saved without its examples.*save it with its examples, or clear\(\)/;
  expectCode(() => loaded.addEmbedding(stamps['food/fruit'][7], 'food/fruit'), 'SAVED_WITHOUT_EXAMPLES', advice);
  expectCode(() => loaded.addEmbedding(stamps['food/fruit'][7], 'new label'), 'SAVED_WITHOUT_EXAMPLES', advice);
  await expectCodeAsync(loaded.addExample(testdata.photo('dog'), 'dog'), 'SAVED_WITHOUT_EXAMPLES', advice);
  expectCode(() => loaded.removeClass('food/fruit'), 'SAVED_WITHOUT_EXAMPLES', advice);
  await expectCodeAsync(loaded.train(), 'SAVED_WITHOUT_EXAMPLES', advice);
  assert.deepEqual(loaded.labels, clf.labels);
  assert.equal(loaded.trained, true);
  assert.deepEqual(await loaded.evaluate(heldOut), before, 'it predicts exactly as before');
  // clear() starts again; a head saved with its examples keeps learning.
  loaded.clear();
  loaded.addEmbedding(stamps['food/fruit'][7], 'food/fruit');
  assert.deepEqual(loaded.labels, ['food/fruit']);
  const withExamples = await loadClassifier(extractor, clf.save());
  withExamples.addEmbedding(stamps['food/fruit'][7], 'food/fruit');
  await withExamples.train();
  withExamples.dispose();
  loaded.dispose();
  clf.dispose();
});

test('a flipped byte anywhere in a head file is HEAD_CORRUPT', async () => {
  const clf = stampClassifier(1);
  await clf.train();
  const small = clf.save({ examples: false });
  const query = stamps['animals/birds'][5];
  const expected = clf.predictEmbedding(query);
  let undetected = 0;
  for (let i = 0; i < small.length; i++) {
    const copy = small.slice();
    copy[i] ^= 0x01 << (i % 8);
    try {
      (await loadClassifier(extractor, copy)).dispose();
      undetected++;
    } catch (error) {
      if (!(error instanceof ImprintError) || error.code !== 'HEAD_CORRUPT') throw error;
    }
  }
  assert.equal(undetected, 0, `${undetected} of ${small.length} flipped bytes loaded`);
  // A sample of bytes of a head with examples (every example region included).
  const big = stampClassifier(4).save();
  for (let i = 0; i < big.length; i += 97) {
    const copy = big.slice();
    copy[i] ^= 0x80;
    await expectCodeAsync(loadClassifier(extractor, copy), 'HEAD_CORRUPT');
  }
  assert.deepEqual(clf.predictEmbedding(query), expected, 'the classifier is untouched');
  clf.dispose();
});

test('a head file whose numbers would overflow a logit is HEAD_CORRUPT, even with a valid checksum', async () => {
  const { fnv1a64 } = require('../models/model-format.js');
  const clf = stampClassifier(1);
  await clf.train();
  const bytes = clf.save({ examples: false });
  const query = stamps['animals/birds'][5];
  /** The file with `edit` applied to it and its checksum (FNV-1a 64 of everything before it) redone. */
  const edited = (edit) => {
    const copy = bytes.slice();
    const view = new DataView(copy.buffer);
    edit(view);
    view.setBigUint64(copy.length - 8, fnv1a64(copy.subarray(0, copy.length - 8)), true);
    return copy;
  };
  const dim = extractor.info.dim;
  // models/HEAD_FORMAT.md: a 72-byte header, the centre, then the first class's record.
  const firstWeight =
    72 + 4 * dim + 4 + 4 * Math.ceil(new TextEncoder().encode(clf.labels[0]).length / 4) + 4 + 4 * dim;
  // A temperature of 7.7e-43 made the fuzzer's head predict NaN; others outside the fitted range.
  for (const temperature of [7.7e-43, 1e-3, 100]) {
    await expectCodeAsync(
      loadClassifier(
        extractor,
        edited((v) => v.setFloat32(52, temperature, true)),
      ),
      'HEAD_CORRUPT',
    );
  }
  await expectCodeAsync(
    loadClassifier(
      extractor,
      edited((v) => v.setFloat32(firstWeight, 1e31, true)),
    ),
    'HEAD_CORRUPT',
  );
  // The same edits within bounds load and predict probabilities.
  for (const edit of [(v) => v.setFloat32(52, 0.02, true), (v) => v.setFloat32(firstWeight, 1e3, true)]) {
    const loaded = await loadClassifier(extractor, edited(edit));
    const { confidence, scores } = loaded.predictEmbedding(query);
    assert.ok(confidence >= 0 && confidence <= 1, `confidence ${confidence}`);
    assert.ok(Object.values(scores).every((p) => p >= 0 && p <= 1));
    loaded.dispose();
  }
  clf.dispose();
});

test('a head file truncated at any length is HEAD_CORRUPT', async () => {
  const clf = stampClassifier(1);
  const bytes = clf.save({ examples: false });
  let undetected = 0;
  for (let n = 0; n < bytes.length; n++) {
    try {
      (await loadClassifier(extractor, bytes.subarray(0, n))).dispose();
      undetected++;
    } catch (error) {
      if (!(error instanceof ImprintError) || error.code !== 'HEAD_CORRUPT') throw error;
    }
  }
  assert.equal(undetected, 0);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  await expectCodeAsync(loadClassifier(extractor, longer), 'HEAD_CORRUPT');
  await expectCodeAsync(loadClassifier(extractor, new TextEncoder().encode('not a head at all')), 'HEAD_CORRUPT');
  clf.dispose();
});

test('a head made on another backbone is refused with MODEL_MISMATCH', async () => {
  // Another backbone: InceptionV3, converted from the pinned nsfwjs package (a no-op when built).
  const { execFileSync } = require('node:child_process');
  const path = require('node:path');
  execFileSync(
    process.execPath,
    [path.join(__dirname, '..', 'models', 'build-default.js'), '--model', 'inception_v3'],
    { stdio: 'pipe' },
  );
  const other = await createExtractor({ model: INCEPTION });
  try {
    const clf = stampClassifier(1);
    await expectCodeAsync(loadClassifier(other, clf.save()), 'MODEL_MISMATCH', /another backbone/);
    const otherClf = createClassifier(other);
    otherClf.addEmbedding(await other.embed(testdata.photo('dog')), 'dog');
    await expectCodeAsync(loadClassifier(extractor, otherClf.save()), 'MODEL_MISMATCH');
    // Vectors of another dimension are refused too.
    expectCode(() => clf.addEmbedding(new Float32Array(other.info.dim).fill(1), 'x'), 'MODEL_MISMATCH');
    otherClf.dispose();
    clf.dispose();
  } finally {
    other.dispose();
  }
});

test('removing a class removes it from predictions', async () => {
  const clf = createClassifier(extractor);
  for (const name of PHOTOS) clf.addEmbedding(photoEmbedding[name], name);
  await clf.train();
  assert.equal(clf.predictEmbedding(cropEmbedding.dog).label, 'dog');
  clf.removeClass('dog');
  assert.deepEqual(clf.labels, ['eagle', 'giraffe', 'horses']);
  assert.equal(clf.exampleCount('dog'), 0);
  assert.equal(clf.trained, false, 'back to imprinting until trained again');
  const p = clf.predictEmbedding(cropEmbedding.dog);
  assert.notEqual(p.label, 'dog');
  assert.deepEqual(Object.keys(p.scores), ['eagle', 'giraffe', 'horses']);
  await clf.train();
  assert.deepEqual(Object.keys(clf.predictEmbedding(cropEmbedding.eagle).scores), ['eagle', 'giraffe', 'horses']);
  clf.dispose();
});

test('labels in any script round-trip through predictions and head files', async () => {
  const labels = ['café', '猫', '🐟 fish', 'Ünïcødé ñ', 'собака'];
  const clf = createClassifier(extractor);
  labels.forEach((label, i) => clf.addEmbedding(photoEmbedding[PHOTOS[i % PHOTOS.length]], label));
  clf.addEmbedding(stamps['food/fruit'][0], labels[4]);
  assert.deepEqual(clf.labels, labels);
  assert.equal(clf.exampleCount('猫'), 1);
  assert.deepEqual(Object.keys(clf.predictEmbedding(cropEmbedding.eagle).scores), labels);
  const loaded = await loadClassifier(extractor, clf.save());
  assert.deepEqual(loaded.labels, labels);
  assert.equal(loaded.predictEmbedding(cropEmbedding.eagle).label, clf.predictEmbedding(cropEmbedding.eagle).label);
  clf.removeClass('🐟 fish');
  assert.deepEqual(clf.labels, ['café', '猫', 'Ünïcødé ñ', 'собака']);
  expectCode(() => clf.addEmbedding(photoEmbedding.dog, 'bad \ud800 surrogate'), 'INVALID_ARGUMENT');
  loaded.dispose();
  clf.dispose();
});

test('an empty classifier says NO_EXAMPLES and an unknown label says UNKNOWN_LABEL; both leave it usable', async () => {
  const clf = createClassifier(extractor);
  assert.deepEqual(clf.labels, []);
  await expectCodeAsync(clf.predict(testdata.photo('dog')), 'NO_EXAMPLES');
  expectCode(() => clf.predictEmbedding(photoEmbedding.dog), 'NO_EXAMPLES');
  await expectCodeAsync(clf.train(), 'NO_EXAMPLES');
  await expectCodeAsync(clf.evaluate([{ label: 'dog', embedding: photoEmbedding.dog }]), 'NO_EXAMPLES');
  expectCode(() => clf.removeClass('dog'), 'UNKNOWN_LABEL');
  clf.addEmbedding(photoEmbedding.dog, 'dog');
  clf.addEmbedding(photoEmbedding.eagle, 'eagle');
  expectCode(() => clf.removeClass('cat'), 'UNKNOWN_LABEL', /"cat"/);
  await expectCodeAsync(clf.evaluate([{ label: 'cat', embedding: photoEmbedding.dog }]), 'UNKNOWN_LABEL');
  assert.equal(clf.exampleCount('cat'), 0);
  // Misuse of every kind: INVALID_ARGUMENT, and the classifier still works afterwards.
  expectCode(() => clf.addEmbedding(photoEmbedding.dog, ''), 'INVALID_ARGUMENT');
  expectCode(() => clf.addEmbedding(photoEmbedding.dog, 42), 'INVALID_ARGUMENT');
  expectCode(() => clf.addEmbedding('not a vector', 'dog'), 'INVALID_ARGUMENT');
  expectCode(() => clf.addEmbedding(new Float32Array(extractor.info.dim), 'dog'), 'INVALID_ARGUMENT');
  expectCode(() => clf.addEmbedding(new Float32Array(extractor.info.dim).fill(NaN), 'dog'), 'INVALID_ARGUMENT');
  expectCode(() => clf.predictEmbedding(new Float32Array(3)), 'MODEL_MISMATCH');
  await expectCodeAsync(clf.addExample(Buffer.from('not an image'), 'dog'), 'DECODE_FAILED');
  await expectCodeAsync(clf.train({ seed: -1 }), 'INVALID_ARGUMENT');
  await expectCodeAsync(loadClassifier(extractor, 'no such file.imprint'), 'FILE_NOT_FOUND');
  expectCode(() => (clf.unknownThreshold = 7), 'INVALID_ARGUMENT');
  assert.equal(clf.exampleCount('dog'), 1);
  await clf.train();
  assert.equal(clf.predictEmbedding(cropEmbedding.dog).label, 'dog');
  clf.dispose();
});

test('limits on labels and classes give LIMIT_EXCEEDED', () => {
  const clf = createClassifier(extractor);
  expectCode(
    () => clf.addEmbedding(photoEmbedding.dog, 'x'.repeat(1025)),
    'LIMIT_EXCEEDED',
    /1025 bytes.*at most 1024/,
  );
  clf.addEmbedding(photoEmbedding.dog, 'é'.repeat(512)); // 1024 bytes: the longest label
  const v = Float32Array.from(photoEmbedding.dog);
  for (let c = 1; c < 1000; c++) {
    v[c % v.length] += 0.01;
    clf.addEmbedding(v, `class ${c}`);
  }
  assert.equal(clf.labels.length, 1000);
  expectCode(() => clf.addEmbedding(v, 'class 1000'), 'LIMIT_EXCEEDED', /has 1000 labels/);
  clf.addEmbedding(v, 'class 5'); // existing classes still take examples
  assert.equal(clf.exampleCount('class 5'), 2);
  clf.dispose();
});

test("train()'s trainAccuracy is what evaluate() says on the training examples: one image under two labels is not learnt", async () => {
  const clf = createClassifier(extractor);
  clf.addEmbedding(photoEmbedding.dog, 'a');
  clf.addEmbedding(photoEmbedding.dog, 'b');
  const { trainAccuracy } = await clf.train();
  const { accuracy } = await clf.evaluate([
    { label: 'a', embedding: photoEmbedding.dog },
    { label: 'b', embedding: photoEmbedding.dog },
  ]);
  assert.equal(accuracy, 0.5);
  assert.equal(trainAccuracy, accuracy);
  // Separable stamps: both say every training example is right.
  const stampsClf = stampClassifier(3);
  const result = await stampsClf.train();
  const items = Object.entries(stamps).flatMap(([label, vectors]) =>
    vectors.slice(0, 3).map((embedding) => ({ label, embedding })),
  );
  assert.equal(result.trainAccuracy, (await stampsClf.evaluate(items)).accuracy);
  clf.dispose();
  stampsClf.dispose();
});

test('the limit on examples gives LIMIT_EXCEEDED naming it, and the classifier keeps working', () => {
  const clf = createClassifier(extractor);
  const v = Float32Array.from(photoEmbedding.dog);
  for (let i = 0; i < 20000; i++) {
    v[i % v.length] += 1e-3;
    clf.addEmbedding(v, i % 2 ? 'odd' : 'even');
  }
  expectCode(() => clf.addEmbedding(v, 'even'), 'LIMIT_EXCEEDED', /holds 20000 examples/);
  assert.equal(clf.exampleCount('even') + clf.exampleCount('odd'), 20000);
  clf.removeClass('odd');
  clf.addEmbedding(v, 'even');
  assert.equal(clf.exampleCount('even'), 10001);
  clf.dispose();
});

test('evaluate() gives accuracy, per-class accuracy and a confusion matrix', async () => {
  const clf = createClassifier(extractor);
  for (const name of PHOTOS) clf.addEmbedding(photoEmbedding[name], name);
  const items = PHOTOS.map((name) => ({ label: name, embedding: cropEmbedding[name] }));
  items.push([testdata.photo('dog'), 'dog']);
  const report = await clf.evaluate(items);
  assert.equal(report.count, 5);
  assert.equal(report.accuracy, 1);
  assert.deepEqual(report.confusion.labels, PHOTOS);
  assert.deepEqual(report.confusion.matrix, [
    [2, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ]);
  assert.deepEqual(report.perClass.dog, { accuracy: 1, count: 2, correct: 2 });
  clf.dispose();
});

test('unknown is true for an image far from every class and false for the classes shown', () => {
  const clf = createClassifier(extractor);
  for (const v of stamps['plants/flowers'].slice(0, 5)) clf.addEmbedding(v, 'flower');
  for (const v of stamps['food/fruit'].slice(0, 5)) clf.addEmbedding(v, 'fruit');
  assert.equal(clf.predictEmbedding(stamps['plants/flowers'][0]).unknown, false);
  const far = clf.predictEmbedding(photoEmbedding.horses);
  assert.ok(far.similarity < clf.predictEmbedding(stamps['plants/flowers'][0]).similarity);
  clf.unknownThreshold = 0.999;
  assert.equal(clf.predictEmbedding(photoEmbedding.horses).unknown, true);
  clf.unknownThreshold = -1;
  assert.equal(clf.predictEmbedding(photoEmbedding.horses).unknown, false);
  clf.dispose();
});

test('unknownRate: the threshold adapts to the examples, is saved, and gives way to a fixed one', async () => {
  const clf = createClassifier(extractor);
  assert.equal(clf.unknownRate, Math.fround(Constants.HEAD_DEFAULT_UNKNOWN_RATE));
  // One example per class: no leave-one-out similarity yet, so the model's suggested threshold.
  clf.addEmbedding(stamps['animals/birds'][0], 'bird');
  clf.addEmbedding(stamps['plants/flowers'][0], 'flower');
  assert.equal(clf.unknownThreshold, Math.fround(extractor.info.unknownThreshold));
  for (let i = 1; i < 5; i++) {
    clf.addEmbedding(stamps['animals/birds'][i], 'bird');
    clf.addEmbedding(stamps['plants/flowers'][i], 'flower');
  }
  const adaptive = clf.unknownThreshold;
  assert.notEqual(adaptive, Math.fround(extractor.info.unknownThreshold));
  // Held-out photos of the taught categories are rarely unknown, fruit (never taught) far more often.
  const seen = [...stamps['animals/birds'].slice(5), ...stamps['plants/flowers'].slice(5)].map((v) =>
    clf.predictEmbedding(v),
  );
  const untaught = stamps['food/fruit'].map((v) => clf.predictEmbedding(v));
  for (const p of [...seen, ...untaught]) assert.equal(p.unknown, p.similarity < adaptive);
  const share = (ps) => ps.filter((p) => p.unknown).length / ps.length;
  assert.ok(share(seen) <= 0.25, `held-out taught photos called unknown: ${share(seen)}`);
  assert.ok(share(untaught) >= share(seen) + 0.25, `fruit ${share(untaught)} vs taught ${share(seen)}`);
  // A higher rate: a higher threshold; the option and the setter check their value.
  clf.unknownRate = 0.3;
  assert.ok(clf.unknownThreshold > adaptive);
  for (const bad of [-0.1, 0.6, NaN, '0.1']) expectCode(() => (clf.unknownRate = bad), 'INVALID_ARGUMENT');
  assert.equal(clf.unknownRate, Math.fround(0.3));
  expectCode(() => createClassifier(extractor, { unknownRate: 0.1, unknownThreshold: 0.9 }), 'INVALID_ARGUMENT');
  // Saved with or without examples, the rate and the threshold in force come back.
  const threshold = clf.unknownThreshold;
  for (const examples of [true, false]) {
    const loaded = await loadClassifier(extractor, clf.save({ examples }));
    assert.equal(loaded.unknownRate, Math.fround(0.3), `examples ${examples}`);
    assert.equal(loaded.unknownThreshold, threshold, `examples ${examples}`);
    loaded.dispose();
  }
  // A fixed threshold turns the rate off.
  clf.unknownThreshold = 0.5;
  assert.equal(clf.unknownRate, 0);
  assert.equal(clf.unknownThreshold, 0.5);
  const fixed = createClassifier(extractor, { unknownRate: 0 });
  for (let i = 0; i < 5; i++) fixed.addEmbedding(stamps['animals/birds'][i], 'bird');
  assert.equal(fixed.unknownThreshold, Math.fround(extractor.info.unknownThreshold));
  fixed.dispose();
  clf.dispose();
});

test('DISPOSED after dispose() and after the extractor is disposed; dispose() twice is safe', async () => {
  const clf = createClassifier(extractor);
  clf.addEmbedding(photoEmbedding.dog, 'dog');
  clf.dispose();
  clf.dispose();
  expectCode(() => clf.labels, 'DISPOSED');
  expectCode(() => clf.predictEmbedding(photoEmbedding.dog), 'DISPOSED');
  await expectCodeAsync(clf.train(), 'DISPOSED');
  expectCode(() => clf.save(), 'DISPOSED');

  const own = await createExtractor();
  const bound = createClassifier(own);
  bound.addEmbedding(photoEmbedding.dog, 'dog');
  const saved = bound.save();
  own.dispose();
  expectCode(() => bound.predictEmbedding(photoEmbedding.dog), 'DISPOSED', /extractor/);
  await expectCodeAsync(loadClassifier(own, saved), 'DISPOSED');
  expectCode(() => createClassifier(own), 'DISPOSED');
  bound.dispose();
  bound.dispose();
});

test('changing the examples during train() rejects that train() and keeps the classifier usable', async () => {
  const clf = stampClassifier(10);
  const training = clf.train({ tolerance: 1e-9, maxIterations: 2000, onProgress: () => {} });
  await new Promise((resolve) => setTimeout(resolve, 0));
  clf.addEmbedding(stamps['food/fruit'][11], 'food/fruit');
  await training.then(
    () => {}, // finished before the change: fine
    (error) => assert.equal(error.code, 'INVALID_ARGUMENT'),
  );
  await clf.train();
  assert.equal(clf.trained, true);
  clf.dispose();
});

test('flipAugment stores and learns from mirror images; testTimeFlip predicts on both views', async () => {
  const clf = createClassifier(extractor, { flipAugment: true, testTimeFlip: true });
  const plain = createClassifier(extractor);
  for (const name of ['dog', 'eagle', 'giraffe']) {
    await clf.addExample(testdata.photo(name), name);
    await plain.addExample(testdata.photo(name), name);
  }
  const dim = extractor.info.dim;
  assert.equal(clf.save().length - plain.save().length, 3 * 4 * dim, 'one mirrored view per example in the head file');
  await clf.train();
  const [p, m] = await extractor.embedWithMirror(testdata.photo('horses'));
  assert.deepEqual(await clf.predict(testdata.photo('horses')), clf.predictEmbedding(p, m));
  assert.equal((await clf.predict(centreCrop(await extractor.decode(testdata.photo('eagle'))))).label, 'eagle');
  const loaded = await loadClassifier(extractor, clf.save(), { testTimeFlip: true });
  assert.deepEqual(loaded.predictEmbedding(p, m), clf.predictEmbedding(p, m));
  loaded.dispose();
  plain.dispose();
  clf.dispose();
});
