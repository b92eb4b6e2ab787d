'use strict';
// What README.md and the declarations promise about createExtractor()'s progress events, the worker
// variant's methods and the wording of INVALID_ARGUMENT messages, checked against what the code does.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const imprint = require('..');
const { OPERATIONS } = require('../web/operations.js');
const { presetModelPath } = require('../js/core.cjs');

const DEFAULT_MODEL = presetModelPath('default');

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

let extractor;
test.before(async () => {
  extractor = await imprint.createExtractor();
});
test.after(() => extractor && extractor.dispose());

/** createExtractor()'s events, in order. */
async function loadEvents(options) {
  const events = [];
  const ex = await imprint.createExtractor({ ...options, onProgress: (event) => events.push(event) });
  ex.dispose();
  return events;
}

test('onProgress: every event has stage, progress, loaded and total, from the first to ready', async () => {
  const size = fs.statSync(DEFAULT_MODEL).size;
  for (const [what, options, bytes] of [
    ['the default model', {}, size],
    ['a model given as bytes', { model: fs.readFileSync(DEFAULT_MODEL) }, size],
  ]) {
    const events = await loadEvents(options);
    for (const event of events) {
      assert.deepEqual(
        Object.keys(event).sort(),
        ['loaded', 'progress', 'stage', 'total'],
        `${what}: ${JSON.stringify(event)}`,
      );
    }
    assert.deepEqual(events[0], { stage: 'model', progress: 0, loaded: 0, total: 0 }, what);
    assert.deepEqual(
      events.slice(-3),
      [
        { stage: 'model', progress: 1, loaded: bytes, total: bytes },
        { stage: 'core', progress: 1, loaded: bytes, total: bytes },
        { stage: 'ready', progress: 1, loaded: bytes, total: bytes },
      ],
      what,
    );
  }
  // And README says so where it shows the option.
  assert.match(README, /onProgress: \(\{ stage, progress, loaded, total \}\)/);
});

test("README's worker variant names every method that returns a Promise there but not in the page", async () => {
  const page = { extractor: imprint.Extractor.prototype, classifier: imprint.Classifier.prototype };
  // The index's methods have their own sentence (below); an operation names its method when the
  // operation's name differs from it (indexAdd → add).
  const synchronous = Object.entries(OPERATIONS)
    .filter(([, op]) => op.on !== 'index')
    .filter(([name, op]) => page[op.on][op.method || name].constructor.name !== 'AsyncFunction')
    .map(([name, op]) => op.method || name);
  assert.ok(synchronous.includes('memory') && synchronous.includes('save'), synchronous.join(', '));
  const paragraph = /\*\*Worker variant\*\*:([\s\S]*?)\n- \*\*/.exec(README);
  assert.ok(paragraph, "README has no '**Worker variant**:' item");
  const promised = /synchronous in the page \((.*?)\) return Promises/.exec(paragraph[1].replace(/\s+/g, ' '));
  assert.ok(promised, 'the worker variant item lists the methods that return Promises there');
  const listed = [...promised[1].matchAll(/`(\w+)(?:\(\))?`/g)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), synchronous.sort());
  const indexPage = Object.getPrototypeOf(imprint.createIndex(extractor));
  const indexSynchronous = Object.values(OPERATIONS)
    .filter((op) => op.on === 'index' && indexPage[op.method].constructor.name !== 'AsyncFunction')
    .map((op) => op.method);
  const indexPromised = /An index's (.*?) return Promises there/.exec(paragraph[1].replace(/\s+/g, ' '));
  assert.ok(indexPromised, "the worker variant item lists the index's methods that return Promises there");
  // Plus the `ids` getter, which the worker variant answers with a Promise too (tests/browser.test.js).
  assert.deepEqual(
    [...indexPromised[1].matchAll(/`(\w+)`/g)].map((m) => m[1]).sort(),
    [...indexSynchronous, 'ids'].sort(),
  );
  // The declarations agree: WorkerExtractor.memory() and those WorkerClassifier methods are Promises.
  const types = fs.readFileSync(path.join(ROOT, 'web', 'imprint.d.ts'), 'utf8');
  assert.match(types, /memory\(\): Promise<MemoryStats>/);
  const union = /type SynchronousInThePage = ([^;]*);/.exec(types)[1];
  assert.deepEqual(
    [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]).sort(),
    Object.entries(OPERATIONS)
      .filter(([name, op]) => op.on === 'classifier' && synchronous.includes(op.method || name))
      .map(([name, op]) => op.method || name)
      .sort(),
  );
});

/** The error that `run` rejects or throws with. */
async function failure(run, what) {
  try {
    await run();
  } catch (error) {
    return error;
  }
  assert.fail(`${what}: no error`);
}

test('INVALID_ARGUMENT messages name the value plainly: articles agree, a string is called one', async () => {
  const classifier = imprint.createClassifier(extractor);
  classifier.addEmbedding(await extractor.embed({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }), 'a');
  const values = [undefined, null, 5, true, Symbol('s'), 10n, new Int16Array(4), new Int8Array(4), () => {}, {}, []];
  const cases = [
    // (a typed array is an encoded image's bytes to embed(): DECODE_FAILED, not an argument error)
    ...values.filter((value) => !ArrayBuffer.isView(value)).map((value) => ['embed()', () => extractor.embed(value)]),
    ...values
      .filter((value) => value !== undefined && typeof value !== 'function')
      .map((value) => ['onProgress', () => imprint.createExtractor({ onProgress: value })]),
    ...values.map((value) => ['raw pixels data', () => extractor.embed({ data: value, width: 2, height: 2 })]),
    ...values.map((value) => ['a label', () => classifier.addEmbedding(new Float32Array(extractor.info.dim), value)]),
    ['limits', () => imprint.createExtractor({ limits: { maxWidth: '10' } }), /the string "10"/],
    ['raw pixels width', () => extractor.embed({ data: new Uint8Array(12), width: '2', height: 2 }), /the string "2"/],
    ['unknownThreshold', () => (classifier.unknownThreshold = '0.5'), /the string "0.5"/],
    ['unknownRate', () => (classifier.unknownRate = '0.1'), /the string "0.1"/],
    ['train()', () => classifier.train({ l2: '1' }), /the string "1"/],
    ['threads', () => imprint.createBatchEmbedder({ threads: '2' }), /the string "2"/],
  ];
  for (const [what, run, expected] of cases) {
    const error = await failure(run, what);
    assert.equal(error.code, 'INVALID_ARGUMENT', `${what}: ${error.message}`);
    assert.doesNotMatch(error.message, /\ba (?:[aeio]\w|undefined|null)/i, `${what}: ${error.message}`);
    assert.doesNotMatch(error.message, /\ban [^aeiou\W]/i, `${what}: ${error.message}`);
    if (expected) assert.match(error.message, expected, what);
  }
  classifier.dispose();
});
