'use strict';
// The TFLite reader takes outside bytes: damaged files must give a TfliteError (never a RangeError,
// TypeError or a hang) or a model file the loader accepts, claims of huge vectors or tensors must be refused before anything that size
// is allocated, and operators imprint does not run must be refused by name, unless they come after
// the embedding (then the model converts for its backbone).
const test = require('node:test');
const assert = require('node:assert/strict');

const { createExtractor } = require('..');
const { convertTflite, TfliteError } = require('../models/convert.js');
const { readTflite } = require('../models/tflite.js');
const { objectronSsdBytes } = require('../models/sources.js');
const { testModels, TfliteBuilder, random } = require('./support/make-tflite');

const CASE_LIMIT_MS = 5000; // per damaged file: generous; a quadratic walk would exceed it
// A hang fails the test at its timeout instead of blocking the suite.

/**
 * Converts each damaged variant of `bytes`; every one must convert or throw a TfliteError, within
 * CASE_LIMIT_MS. A variant flips bytes[at] ^= mask in place (restored after) or truncates (a view
 * of the first `length` bytes), so a 10 MB file is not copied per case.
 * Returns counts { converted, refused }, the slowest case, and every keepEvery-th converted file.
 */
function convertAll(bytes, variants, options, keepEvery = 0) {
  const counts = { converted: 0, refused: 0, slowestMs: 0, kept: [] };
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  for (const v of variants) {
    const label = v.length === undefined ? `byte ${v.at} ^ 0x${v.mask.toString(16)}` : `truncated to ${v.length} bytes`;
    const input = v.length === undefined ? bytes : bytes.subarray(0, v.length);
    if (v.length === undefined) bytes[v.at] ^= v.mask;
    const t0 = process.hrtime.bigint();
    try {
      const { bytes: converted } = convertTflite(input, options);
      if (keepEvery && counts.converted % keepEvery === 0) counts.kept.push({ label, converted });
      counts.converted++;
    } catch (err) {
      if (!(err instanceof TfliteError)) {
        assert.fail(`${label}: ${err && err.name} instead of a TfliteError: ${err && err.stack}`);
      }
      assert.ok(err.message.length > 10, `${label}: an explaining message`);
      counts.refused++;
    } finally {
      if (v.length === undefined) bytes[v.at] ^= v.mask;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < CASE_LIMIT_MS, `${label}: took ${ms.toFixed(0)} ms`);
    counts.slowestMs = Math.max(counts.slowestMs, ms);
  }
  // No case allocated anything near a damaged claim's size (peak resident memory of this process).
  counts.peakGrowthMiB = (process.resourceUsage().maxRSS * 1024 - rssBefore) / 2 ** 20;
  assert.ok(counts.peakGrowthMiB < 256, `peak memory grew by ${counts.peakGrowthMiB.toFixed(0)} MiB`);
  return counts;
}

const summary = (c) =>
  `${c.converted} converted (${c.kept.length} of them loaded by imprint), ${c.refused} refused, slowest ${c.slowestMs.toFixed(0)} ms, peak memory +${c.peakGrowthMiB.toFixed(0)} MiB`;

/** Every converted file must load: what the converter writes, the model file loader accepts. */
async function expectLoadable(kept) {
  for (const { label, converted } of kept) {
    const ex = await createExtractor({ model: converted }).catch((err) => assert.fail(`${label}: ${err.stack}`));
    ex.dispose();
  }
}

test(
  'a generated model with every supported operator: every byte flipped, every truncation',
  { timeout: 600000 },
  async (t) => {
    const models = testModels();
    for (const [name, spec] of Object.entries(models)) {
      const options = { scale: '[-1,1]', embed: spec.embed || spec.layers };
      convertTflite(spec.bytes, options); // the undamaged file converts
      const variants = [];
      for (let at = 0; at < spec.bytes.length; at++) variants.push({ at, mask: 0xff }, { at, mask: 0x01 });
      for (let length = 0; length < spec.bytes.length; length++) variants.push({ length });
      const counts = convertAll(spec.bytes, variants, options, 40);
      await expectLoadable(counts.kept);
      // Truncation cuts the root table or its data in every case that matters; most flips damage
      // something the reader checks.
      assert.ok(counts.refused > spec.bytes.length, `${name}: refused ${counts.refused}`);
      t.diagnostic(`${name} (${spec.bytes.length} bytes, ${variants.length} variants): ${summary(counts)}`);
    }
  },
);

test(
  'the real SSD MobileNetV2 file: flipped bytes across its tables and data, truncations',
  { timeout: 600000 },
  async (t) => {
    const bytes = objectronSsdBytes();
    const options = { scale: '[-1,1]', embed: 'expanded_conv_2/add' }; // a few layers: fast per case
    convertTflite(bytes, options);
    const rnd = random(7);
    // The tables (tensors, operators, names) sit at the file's end, after the weights.
    const model = readTflite(bytes);
    const dataEnd = Math.max(...model.buffers.filter(Boolean).map((b) => b.byteOffset - bytes.byteOffset + b.length));
    assert.ok(dataEnd < bytes.length - 1000, 'the tables follow the weights');
    const positions = new Set();
    for (let at = 0; at < 64; at++) positions.add(at);
    while (positions.size < 64 + 500) positions.add(dataEnd + Math.floor(rnd(0, bytes.length - dataEnd)));
    while (positions.size < 64 + 500 + 60) positions.add(Math.floor(rnd(0, dataEnd)));
    const variants = [];
    for (const at of positions) variants.push({ at, mask: rnd() < 0.5 ? 0xff : 1 << Math.floor(rnd(0, 8)) });
    const lengths = new Set([0, 3, 4, 7, 8, 12, 16, bytes.length - 1, bytes.length - 4, dataEnd, dataEnd + 1]);
    while (lengths.size < 60) lengths.add(Math.floor(rnd(0, bytes.length)));
    for (const length of lengths) variants.push({ length });
    const counts = convertAll(bytes, variants, options, 5);
    await expectLoadable(counts.kept);
    assert.ok(counts.refused >= lengths.size, `refused ${counts.refused}`);
    t.diagnostic(`SSD (${bytes.length} bytes, ${variants.length} variants): ${summary(counts)}`);
  },
);

// ---- claims of huge sizes ---------------------------------------------------------------------

/** Peak resident memory (bytes) grown while running fn. */
function peakGrowth(fn) {
  const before = process.resourceUsage().maxRSS * 1024;
  fn();
  return process.resourceUsage().maxRSS * 1024 - before;
}

function expectRefused(bytes, pattern, what) {
  let error = null;
  const t0 = Date.now();
  const grown = peakGrowth(() => {
    try {
      convertTflite(bytes, { scale: '[-1,1]' });
    } catch (err) {
      error = err;
    }
  });
  assert.ok(error instanceof TfliteError, `${what}: ${error ? error.stack : 'converted'}`);
  assert.match(error.message, pattern, what);
  assert.ok(Date.now() - t0 < CASE_LIMIT_MS, `${what}: refused in ${Date.now() - t0} ms`);
  // Nothing the size of the claim was allocated (1 GiB and more in these cases).
  assert.ok(grown < 64 * 2 ** 20, `${what}: peak memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
}

// A small valid model: conv → flatten, with the positions of a few vectors' length fields.
function smallModel({ weightShape = [4, 3, 3, 3], store = 'f32', inputShape = [1, 8, 8, 3] } = {}) {
  const m = new TfliteBuilder();
  const x = m.input(inputShape);
  const n = weightShape.reduce((a, b) => a * b, 1);
  const small = n > 0 && n <= 4096 ? n : 108; // a huge or negative claimed shape gets a small buffer
  const w =
    store === 'i8'
      ? m.constant([small], new Array(small).fill(0.25), { store: 'i8' })
      : m.constant([small], new Array(small).fill(0.25));
  // Give the weights the claimed shape (the buffer keeps its real size).
  const weightTensor = store === 'i8' ? m.operators[m.operators.length - 1].inputs[0] : w;
  m.tensors[weightTensor].shape = weightShape;
  if (store === 'i8') m.tensors[w].shape = weightShape;
  const y = m.conv2d(x, w, m.constant([4], [0, 0, 0, 0]), { name: 'conv' });
  return m.finish([m.flatten(y, { name: 'flat' })]);
}

test('a file claiming a huge vector is refused before allocating', () => {
  const bytes = smallModel();
  const model = readTflite(bytes);
  const r = model.reader;
  const root = r.table(r.deref(0, 'root'), 'Model');
  const graph = r.tables(root, 2, 'SubGraph')[0];
  const tensor0 = r.tables(graph, 0, 'Tensor')[0];
  const lengthFields = {
    'the tensors vector': r.vector(graph, 0, 4).at - 4,
    'the operators vector': r.vector(graph, 3, 4).at - 4,
    'the buffers vector': r.vector(root, 4, 4).at - 4,
    "a tensor's shape vector": r.vector(tensor0, 0, 4).at - 4,
    "a tensor's name": r.vector(tensor0, 3, 1).at - 4,
  };
  for (const [what, at] of Object.entries(lengthFields)) {
    for (const length of [0x7fffffff, 0xffffffff, 0x10000000]) {
      const copy = new Uint8Array(bytes);
      new DataView(copy.buffer).setUint32(at, length, true);
      expectRefused(copy, /damaged or truncated|outside/, `${what} claiming ${length} elements`);
    }
  }
});

test('a tensor with a huge shape is refused before allocating', () => {
  // Over the 2^28-element limit, with and without an overflow of 2^53.
  expectRefused(
    smallModel({ weightShape: [65536, 65536, 3, 3] }),
    /more than 268435456 elements/,
    'f32 [65536, 65536, 3, 3]',
  );
  expectRefused(
    smallModel({ weightShape: [2147483647, 2147483647, 2147483647, 3] }),
    /more than 268435456 elements/,
    'f32 [2^31-1 x 3, 3]',
  );
  expectRefused(smallModel({ weightShape: [-4, 3, 3, 3] }), /shape/, 'a negative dimension');
  // Within the limit (2^28 elements: 1 GiB as float32) but the buffer is small: the byte count is
  // checked before the data is copied or dequantized.
  expectRefused(
    smallModel({ weightShape: [16384, 128, 128, 1], store: 'f32' }),
    /needs 1073741824 bytes/,
    'f32 2^28 elements',
  );
  expectRefused(
    smallModel({ weightShape: [16384, 128, 128, 1], store: 'i8' }),
    /needs 268435456 bytes/,
    'int8 2^28 elements',
  );
  // A huge input image: refused by the model file's limits, not built.
  expectRefused(smallModel({ inputShape: [1, 1 << 20, 1 << 20, 3] }), /input|16384|large/i, 'input [1, 2^20, 2^20, 3]');
});

test('a model with more layers than a model file holds is refused, naming the limit', () => {
  const m = new TfliteBuilder();
  let x = m.input([1, 4, 4, 3]);
  for (let i = 0; i < 16400; i++) x = m.unary('RELU', x, { name: `relu_${i}` });
  assert.throws(
    () => convertTflite(m.finish([x]), { scale: '[-1,1]' }),
    (err) => err instanceof TfliteError && /more than 16384 layers/.test(err.message),
  );
});

// ---- operators imprint does not run -------------------------------------------------------------

function withOperator(kind, { afterEmbedding }) {
  const rnd = random(3);
  const values = (n) => Array.from({ length: n }, () => rnd(-0.5, 0.5));
  const m = new TfliteBuilder();
  const x = m.input([1, 8, 8, 3]);
  const c1 = m.conv2d(x, m.constant([4, 3, 3, 3], values(108)), m.constant([4], values(4)), { name: 'backbone/conv1' });
  const odd =
    kind === 'DIV' ? m.binary('DIV', c1, c1, { name: 'head/div' }) : m.unary('TANH', c1, { name: 'head/tanh' });
  const c2 = m.conv2d(odd, m.constant([4, 3, 3, 4], values(144)), m.constant([4], values(4)), { name: 'head/conv2' });
  return { bytes: m.finish([c2]), embed: afterEmbedding ? 'backbone/conv1' : 'head/conv2', node: odd };
}

for (const kind of ['TANH', 'DIV']) {
  test(`${kind} before the embedding is refused by name; after it, the model converts`, () => {
    const before = withOperator(kind, { afterEmbedding: false });
    const name = kind === 'DIV' ? 'head/div' : 'head/tanh';
    assert.throws(
      () => convertTflite(before.bytes, { scale: '[-1,1]', embed: before.embed }),
      (err) => {
        assert.ok(err instanceof TfliteError, err.stack);
        assert.equal(err.op, kind);
        assert.equal(err.node, name);
        assert.ok(err.message.includes(kind) && err.message.includes(`'${name}'`), err.message);
        assert.match(err.message, /not supported/);
        return true;
      },
    );
    const after = withOperator(kind, { afterEmbedding: true });
    const { info } = convertTflite(after.bytes, { scale: '[-1,1]', embed: after.embed });
    assert.deepEqual(info.embedNodes, ['backbone/conv1']);
    assert.ok(!info.nodes.some((n) => n.name.startsWith('head/')), 'nothing after the embedding is converted');
  });
}

// ---- forms of the newer operators that a model file cannot express ---------------------------------

test('binary broadcasts, constants and transposed convolutions a model file cannot express are refused by name', () => {
  const rnd = random(5);
  const values = (n) => Array.from({ length: n }, () => rnd(-0.5, 0.5));
  const cases = [
    [
      'a [1, h, 1, c] operand',
      (m, x) =>
        m.mul(
          x,
          m.conv2d(
            m.pool('MAX_POOL_2D', x, { size: 1, stride: 1 }),
            m.constant([3, 1, 8, 3], values(72)),
            m.constant([3], values(3)),
            { padding: 'VALID', name: 'column' },
          ),
          { name: 'bad' },
        ),
      /only the same shape, or a second input of \[1, 1, c\] or \[1, 1, 1\]/,
    ],
    [
      'SUB from a broadcast [1, 1, c]',
      (m, x) => m.sub(m.mean(x, { keepDims: true }), x, { name: 'bad' }),
      /only the same shape/,
    ],
    [
      'a constant of another length',
      (m, x) => m.mul(x, m.constant([2], [1, 2]), { name: 'bad' }),
      /one per channel \(3\)/,
    ],
    [
      'a transposed convolution whose kernel is smaller than its stride',
      (m, x) =>
        m.transposeConv(x, m.constant([2, 2, 2, 3], values(24)), m.constant([2], values(2)), {
          stride: 3,
          padding: 'SAME',
          name: 'bad',
        }),
      /not the full transposed convolution/,
    ],
  ];
  for (const [label, build, message] of cases) {
    const m = new TfliteBuilder();
    const x = m.input([1, 8, 8, 3]);
    const y = build(m, x);
    assert.throws(
      () => convertTflite(m.finish([y]), { scale: '[-1,1]', embed: 'bad' }),
      (err) => {
        assert.ok(err instanceof TfliteError, `${label}: ${err.stack}`);
        assert.equal(err.node, 'bad', label);
        assert.match(err.message, message, label);
        return true;
      },
      label,
    );
  }
});
