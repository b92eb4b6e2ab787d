'use strict';
// build-default.js — builds the default backbone from the pinned nsfwjs npm package.
//
//   node models/build-default.js                        → dist/models/mobilenet_v2.imprint
//   node models/build-default.js --model inception_v3   → dist/models/inception_v3.imprint
//   options: --force (rebuild even if up to date), --out <file>, --embed a,b (override)
//
// Skips the work when the output is newer than every input (the nsfwjs bundle files and the
// converter's sources in this folder).

const fs = require('fs');
const path = require('path');
const { convertArtifacts, RESIZE, COLOUR } = require('./convert.js');
const { nsfwjsModelDir, loadNsfwjsBundle } = require('./nsfwjs.js');

// The embedding layer(s) of the default model, chosen by measurement on few-shot protocol A
// (tests/bench/results/layer-study.md): GAP of block_13_depthwise_relu at x/255 beat every other
// single layer and every tried combination worth its cost (+3.2 points over block_10_project_BN,
// +13 over out_relu), and the network stops there (74% of the full network's MACs).
const DEFAULT_EMBED = ['block_13_depthwise_relu'];

// nsfwjs preprocessing (dist/cjs/core.js): pixel / 255, then tf.image.resizeBilinear with
// alignCorners = true; RGB.
const MODELS = {
  mobilenet_v2: {
    name: 'nsfwjs-mobilenet_v2',
    embed: DEFAULT_EMBED,
    scale: 1 / 255,
    bias: 0,
    // nsfwjs's bilinear resize, but photos larger than twice the input are first box-filtered
    // (area) so that shrinking a 12-megapixel photo does not alias; at 224x224 input both agree.
    resize: RESIZE.AREA_THEN_BILINEAR,
    colourOrder: COLOUR.RGB,
  },
  inception_v3: {
    name: 'nsfwjs-inception_v3',
    embed: ['mixed7'],
    scale: 1 / 255,
    bias: 0,
    resize: RESIZE.BILINEAR_ALIGN_CORNERS,
    colourOrder: COLOUR.RGB,
  },
};

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
function buildDefault(opts = {}) {
  const model = opts.model || 'mobilenet_v2';
  const recipe = MODELS[model];
  if (!recipe) throw new Error(`unknown model '${model}' (known: ${Object.keys(MODELS).join(', ')})`);
  const output = opts.out || path.join(ROOT, 'dist', 'models', `${model}.imprint`);
  const modelDir = nsfwjsModelDir(model);
  const inputs = [...filesEndingIn(modelDir, '.min.js'), ...filesEndingIn(__dirname, '.js')];
  if (!opts.force && !opts.embed && isUpToDate(output, inputs)) return { output, skipped: true, info: null };

  const bundle = loadNsfwjsBundle(modelDir);
  const { bytes, info } = convertArtifacts(bundle, bundle.weightData, { ...recipe, embed: opts.embed || recipe.embed });
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
    else throw new Error(`unknown argument ${a}`);
  }
  const { output, skipped, info } = buildDefault(opts);
  const rel = path.relative(process.cwd(), output);
  if (skipped) console.error(`${rel} is up to date`);
  else {
    console.error(
      `${rel}: ${info.fileBytes} bytes, ${info.nodeCount} nodes, embed ${info.embedNodes.join('+')} ` +
        `(${info.embedDim}-d), hash ${info.hash}`,
    );
  }
}

module.exports = { buildDefault, DEFAULT_EMBED, MODELS };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`build-default: ${err.message}`);
    process.exitCode = 1;
  }
}
