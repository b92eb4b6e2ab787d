#!/usr/bin/env node
'use strict';
// Backbone study: which converted backbone, input size and pooled layers make the best few-shot
// embedding on photos (protocol A), and at what cost? A script, not a test.
//
//   node tests/bench/backbone-study.js                 # every candidate, writes results/backbone-study.md
//   options: --draws N (default 30)  --only <substring of a candidate name>  --no-write
//
// Candidates are converted here from the pinned npm packages (models/sources.js): the SSD detector's
// MobileNetV2 in @mediapipe/objectron at several input sizes, next to today's default (nsfwjs
// mobilenet_v2). Features: GAP of each layer through imprint's extractor (ex.features, cached in
// .cache/bench by model hash), each part L2-normalised then concatenated. Head: the fixed softmax
// regression of tests/bench/fewshot-harness.js on centred features (nothing tuned on test images).
// Cost: median ms per 224-class image through ex.embed() on raw pixels, every model timed round-robin
// in this process, so compare rows, not absolute figures.
const fs = require('fs');
const path = require('path');
const harness = require('./fewshot-harness');
const { cachedFeatures } = require('./feature-cache');
const imprint = require('../..');
const { convertTflite } = require('../../models/convert.js');
const sources = require('../../models/sources.js');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(__dirname, 'results', 'backbone-study.md');
const WORK = path.join(ROOT, '.cache', 'bench', 'models');

const SSD = 'FeatureExtractor/MobilenetV2/';
const SSD_LAYERS = {
  conv1: `${SSD}Conv_1/Relu6`,
  c16p: `${SSD}expanded_conv_16/project/BatchNorm/FusedBatchNormV3`,
  c16e: `${SSD}expanded_conv_16/expand/Relu6`,
  c16d: `${SSD}expanded_conv_16/depthwise/Relu6`,
  c15a: `${SSD}expanded_conv_15/add`,
  c15e: `${SSD}expanded_conv_15/expand/Relu6`,
  c14p: `${SSD}expanded_conv_14/project/BatchNorm/FusedBatchNormV3`,
  c14e: `${SSD}expanded_conv_14/expand/Relu6`,
  c13e: `${SSD}expanded_conv_13/expand/Relu6`,
  c13d: `${SSD}expanded_conv_13/depthwise/Relu6`,
  c12a: `${SSD}expanded_conv_12/add`,
};

function parseArgs(argv) {
  const args = { draws: 30, only: null, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--draws') args.draws = Number(argv[++i]);
    else if (a === '--only') args.only = argv[++i];
    else if (a === '--no-write') args.write = false;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

function ssdModel(size, weights = 'keep') {
  fs.mkdirSync(WORK, { recursive: true });
  const tag = weights === 'keep' ? '' : `-${weights}`;
  const file = path.join(WORK, `ssd-mobilenetv2-${size}${tag}.imprint`);
  if (!fs.existsSync(file)) {
    const { bytes } = convertTflite(sources.objectronSsdBytes(), {
      name: `ssd-mobilenetv2-${size}${tag}`,
      scale: '[-1,1]',
      resize: 'area',
      inputSize: [size, size],
      embed: [SSD_LAYERS.conv1],
      weights,
    });
    fs.writeFileSync(file, bytes);
  }
  return file;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const data = harness.loadProtocolA({ draws: args.draws });
  const extractors = new Map();
  const extractor = async (key, model) => {
    if (!extractors.has(key)) extractors.set(key, await imprint.createExtractor(model ? { model } : {}));
    return extractors.get(key);
  };
  const features = async (key, model, layer) => cachedFeatures(await extractor(key, model), data, 'pool', layer);

  const def = {
    key: 'nsfwjs',
    model: path.join(ROOT, 'dist', 'models', 'mobilenet_v2.imprint'),
    layer: 'block_13_depthwise_relu',
  };
  const ssd = (size, short, weights = 'keep') => ({
    key: `ssd${size}${weights}`,
    model: ssdModel(size, weights),
    layer: SSD_LAYERS[short],
  });
  const candidates = [
    { name: 'default (nsfwjs mobilenet_v2 block_13_depthwise_relu @224)', parts: [def] },
    ...[224, 256, 300].flatMap((size) =>
      Object.keys(SSD_LAYERS).map((short) => ({ name: `SSD @${size} ${short}`, parts: [ssd(size, short)] })),
    ),
    ...[224, 256, 300].flatMap((size) => [
      { name: `SSD @${size} conv1 + c13e`, parts: [ssd(size, 'conv1'), ssd(size, 'c13e')] },
      { name: `SSD @${size} conv1 + c16e`, parts: [ssd(size, 'conv1'), ssd(size, 'c16e')] },
      { name: `SSD @${size} conv1 + c14e`, parts: [ssd(size, 'conv1'), ssd(size, 'c14e')] },
      { name: `SSD @${size} conv1 + default`, parts: [ssd(size, 'conv1'), def] },
      { name: `SSD @${size} c16d + c15a`, parts: [ssd(size, 'c16d'), ssd(size, 'c15a')] },
      { name: `SSD @${size} c16d + default`, parts: [ssd(size, 'c16d'), def] },
    ]),
    { name: 'SSD @224 c16d + c14e', parts: [ssd(224, 'c16d'), ssd(224, 'c14e')] },
    { name: 'SSD @224 c16d + c14p', parts: [ssd(224, 'c16d'), ssd(224, 'c14p')] },
    { name: 'SSD @224 c16d + c15e', parts: [ssd(224, 'c16d'), ssd(224, 'c15e')] },
    { name: 'SSD @224 c16d + c15a + c14e', parts: [ssd(224, 'c16d'), ssd(224, 'c15a'), ssd(224, 'c14e')] },
    { name: 'SSD @224 c16d, u8 kernels', parts: [ssd(224, 'c16d', 'u8')] },
    { name: 'SSD @224 c15a, u8 kernels', parts: [ssd(224, 'c15a', 'u8')] },
    { name: 'SSD @256 c16d, u8 kernels', parts: [ssd(256, 'c16d', 'u8')] },
  ].filter((c) => !args.only || c.name.includes(args.only));

  const head = harness.softmaxRegressionHead({ center: true });
  const rows = [];
  for (const c of candidates) {
    const parts = [];
    for (const p of c.parts) parts.push(await features(p.key, p.model, p.layer));
    const vectors = parts[0].map((_, i) => harness.concatNormalized(parts.map((f) => f[i])));
    const results = await harness.runFewShot(data, vectors, head);
    const row = { name: c.name, dim: vectors[0].length, results };
    rows.push(row);
    console.log(`${c.name}: ${results.map((r) => harness.formatMeanStd(r)).join(' | ')}`);
  }

  // Cost: embed() of a 640x480 image, round-robin over the models, median of 15.
  const timing = new Map();
  const pixels = {
    data: new Uint8Array(640 * 480 * 3).map((_, i) => (i * 7) % 251),
    width: 640,
    height: 480,
    channels: 3,
  };
  for (const [key, ex] of extractors) {
    await ex.embed(pixels);
    timing.set(key, []);
  }
  for (let r = 0; r < 15; r++) {
    for (const [key, ex] of extractors) {
      const t0 = process.hrtime.bigint();
      await ex.embed(pixels);
      timing.get(key).push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  const cost = [...timing].map(([key, t]) => `${key} ${median(t).toFixed(1)} ms`).join(', ');
  console.log(`embed() median: ${cost}`);

  if (args.write) {
    const lines = [
      '# Backbone study (protocol A)',
      '',
      `Made by \`node tests/bench/backbone-study.js\` on ${new Date().toISOString().slice(0, 16)}Z, ${args.draws} draws;`,
      'softmax regression on centred, L2-normalised GAP features (each layer normalised, then concatenated).',
      'SSD = the MobileNetV2 of the SSD detector in @mediapipe/objectron (float16 weights), input scaled to',
      '[-1, 1]; layer short names: conv1 = Conv_1 (1280), cNe/cNd/cNp/cNa = expanded_conv_N expand / depthwise /',
      'project / add.',
      '',
      '| features | dim | k=1 | k=3 | k=5 |',
      '|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.name} | ${r.dim} | ${r.results.map((x) => harness.formatMeanStd(x)).join(' | ')} |`),
      '',
      `Embedding time, 640x480 raw pixels, median of 15 round-robin: ${cost}.`,
      '',
    ];
    fs.writeFileSync(RESULTS, lines.join('\n'));
  }
  for (const ex of extractors.values()) ex.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
