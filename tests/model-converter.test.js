'use strict';
// The TF.js → imprint model converter: real nsfwjs models convert with the expected structure,
// small models built with @tensorflow/tfjs convert with TF.js's own shapes and weight values
// (float32, float16, uint8), unsupported layers are refused by name, and the C parser accepts
// what the converter writes.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const convert = require('../models/convert.js');
const { floatToHalf } = require('../models/model-format.js');
const { evaluateModelFile, dequantize } = require('./support/model-file-eval.js');
const { DTYPE } = convert;

const ROOT = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-converter-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- helpers ---------------------------------------------------------------------------------

function nsfwjsLayers(name) {
  const bundle = convert.loadNsfwjsBundle(name);
  return bundle.modelTopology.model_config.config.layers;
}

// Keras output shape [null, h, w, c] or [null, n] → our [h, w, c].
function kerasShape(shape) {
  const s = shape.slice(1);
  return s.length === 3 ? s : [1, 1, s[s.length - 1]];
}

let tfPromise = null;
function loadTf() {
  if (!tfPromise) {
    tfPromise = Promise.resolve().then(() => {
      const tf = require('@tensorflow/tfjs');
      tf.setBackend('cpu');
      return tf;
    });
  }
  return tfPromise;
}

// A small functional model that touches every layer kind MobileNet/Inception use.
async function syntheticArtifacts() {
  const tf = await loadTf();
  const input = tf.input({ shape: [16, 15, 3], name: 'image' });
  let x = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'stem' })
    .apply(input);
  x = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(x);
  x = tf.layers.reLU({ maxValue: 6, name: 'stem_relu' }).apply(x);
  const a = tf.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false, name: 'dw' })
    .apply(x);
  const b = tf.layers
    .conv2d({ filters: 16, kernelSize: [1, 3], padding: 'same', activation: 'relu6', name: 'pw' })
    .apply(x);
  let y = tf.layers.add({ name: 'sum' }).apply([a, b]);
  y = tf.layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [1, 0],
      ],
      name: 'pad',
    })
    .apply(y);
  const p1 = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(y);
  const p2 = tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'avgpool' }).apply(p1);
  // (avgpool 'same' at the border averages fewer pixels: padding excluded, as TensorFlow does.)
  let z = tf.layers.concatenate({ name: 'cat' }).apply([p1, p2]);
  z = tf.layers.activation({ activation: 'relu', name: 'act' }).apply(z);
  z = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(z);
  z = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(z);
  z = tf.layers.dense({ units: 4, activation: 'softmax', name: 'head' }).apply(z);
  const model = tf.model({ inputs: input, outputs: z });
  // Non-trivial batch-norm statistics (fresh layers have mean 0, variance 1).
  const bn = model.getLayer('stem_bn');
  bn.setWeights(
    bn.getWeights().map((w, i) => tf.randomUniform(w.shape, i === 3 ? 0.5 : -1, i === 3 ? 2 : 1, 'float32', 7 + i)),
  );
  let artifacts;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { model, artifacts, tf };
}

// Re-encodes float32 weights as float16 or uint8 (TF.js quantization) for the manifest.
function requantize(specs, weightData, kind) {
  const f32 = new Float32Array(weightData.slice(0));
  const parts = [];
  const outSpecs = [];
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = f32.subarray(offset, offset + n);
    offset += n;
    if (kind === 'float16') {
      parts.push(new Uint8Array(Uint16Array.from(values, floatToHalf).buffer));
      outSpecs.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      let min = Math.min(...values);
      const max = Math.max(...values);
      if (max === min) min -= 1;
      const scale = (max - min) / 255;
      parts.push(Uint8Array.from(values, (v) => Math.round((v - min) / scale)));
      outSpecs.push({ ...spec, quantization: { dtype: 'uint8', min, scale } });
    }
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { specs: outSpecs, data };
}

let nativeParser = null;
function nativeParserBinary() {
  if (nativeParser !== null) return nativeParser;
  const out = path.join(tmp, 'model_file_test');
  const r = spawnSync(
    'gcc',
    [
      '-std=c11',
      '-O1',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-Iinclude',
      '-Isrc',
      'src/model_file.c',
      'src/checks.c',
      'tests/c/model_file_test.c',
      '-o',
      out,
      '-lm',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  nativeParser = r.status === 0 ? out : '';
  if (r.status !== 0 && r.error === undefined) throw new Error(`model_file_test did not compile:\n${r.stderr}`);
  return nativeParser;
}

// Runs the C parser test (valid-file checks plus truncation/corruption) on converted bytes.
function assertCParserAccepts(t, bytes, label) {
  const bin = nativeParserBinary();
  if (!bin) {
    t.diagnostic('gcc not available: C parser check skipped');
    return;
  }
  const file = path.join(tmp, `${label}.imprint`);
  fs.writeFileSync(file, bytes);
  const r = spawnSync(bin, [file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `C parser test on ${label} failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, / 0 failed/);
}

// ---- real models ---------------------------------------------------------------------------

test('nsfwjs mobilenet_v2 converts to a 163-node model with the default embedding', () => {
  const { bytes, info } = convert.convertNsfwjsModel('mobilenet_v2', {
    name: 'nsfwjs-mobilenet_v2',
    embed: ['block_10_project_BN'],
    scale: '1/255',
  });
  assert.equal(info.nodeCount, 163, '162 Keras layers + dense_3 split into DENSE + SOFTMAX');
  assert.equal(info.tensorCount, 266);
  assert.deepEqual(info.weightDtypes, { f32: 0, f16: 0, u8: 266, u8Exact: info.weightDtypes.u8Exact, u16AsF32: 0 });
  assert.deepEqual(info.embedNodes, ['block_10_project_BN']);
  assert.equal(info.embedDim, 96);
  assert.deepEqual(info.unusedWeights, []);
  // 2,619,461 uint8 weights + tables + alignment.
  assert.ok(bytes.length > 2619461 && bytes.length < 2619461 * 1.03, `size ${bytes.length}`);

  const file = convert.readModelFile(bytes);
  assert.ok(file.checksumOk);
  const h = file.header;
  assert.equal(h.version, 1);
  assert.equal(h.headerBytes, 128);
  assert.equal(h.fileBytes, bytes.length);
  assert.equal(h.name, 'nsfwjs-mobilenet_v2');
  assert.deepEqual([h.inputHeight, h.inputWidth, h.inputChannels], [224, 224, 3]);
  assert.deepEqual(
    h.scale,
    [1, 1, 1].map(() => Math.fround(1 / 255)),
  );
  assert.deepEqual(h.bias, [0, 0, 0]);
  assert.equal(h.resize, convert.RESIZE.BILINEAR_ALIGN_CORNERS);
  assert.equal(h.colourOrder, convert.COLOUR.RGB);
  assert.equal(h.embedCount, 1);
  assert.equal(file.nodes[h.embedNodes[0]].name, 'block_10_project_BN');
  assert.deepEqual(file.nodes[h.embedNodes[0]].shape, [14, 14, 96]);

  // Every Keras layer survives as a node of the same name, in an order where inputs come first.
  const names = new Set(file.nodes.map((n) => n.name));
  for (const layer of nsfwjsLayers('mobilenet_v2')) assert.ok(names.has(layer.name), layer.name);
  file.nodes.forEach((n, i) => n.inputs.forEach((src) => assert.ok(src < i)));
  const byName = new Map(file.nodes.map((n) => [n.name, n]));
  assert.equal(file.nodes[0].op, 'INPUT');
  assert.deepEqual(byName.get('Conv1').shape, [112, 112, 32]);
  assert.deepEqual(byName.get('Conv1').iparams, [3, 3, 2, 2, 1, 1, 0, 0, 0, 0], 'ZeroPadding2D then valid conv');
  assert.deepEqual(byName.get('Conv1_pad').iparams.slice(6), [0, 0, 1, 1]);
  assert.deepEqual(byName.get('Conv1_relu').fparams.slice(0, 2), [0, 6]);
  assert.deepEqual(byName.get('expanded_conv_depthwise').iparams.slice(6), [1, 1, 1, 1], "3x3 'same'");
  assert.deepEqual(byName.get('out_relu').shape, [7, 7, 1280]);
  assert.equal(byName.get('dense_3/logits').op, 'DENSE');
  assert.equal(byName.get('dense_3').op, 'SOFTMAX');
  assert.deepEqual(byName.get('dense_1').fparams.slice(0, 2), [0, Infinity], 'Dense relu → fused clamp');
  assert.equal(byName.get('dropout_2').op, 'IDENTITY');
});

test('nsfwjs inception_v3 converts (299x299, 319 nodes, mixed7 embedding)', () => {
  const { bytes, info } = convert.convertNsfwjsModel('inception_v3', { embed: 'mixed7' });
  assert.equal(info.nodeCount, 319);
  assert.equal(info.tensorCount, 382);
  assert.deepEqual(info.inputSize, [299, 299]);
  assert.equal(info.embedDim, 768);
  assert.ok(bytes.length > 22360869 && bytes.length < 22360869 * 1.03, `size ${bytes.length}`);
  const file = convert.readModelFile(bytes);
  assert.ok(file.checksumOk);
  const byName = new Map(file.nodes.map((n) => [n.name, n]));
  assert.deepEqual(byName.get('mixed7').shape, [17, 17, 768]);
  assert.equal(byName.get('mixed7').inputs.length, 4);
  assert.deepEqual(byName.get('mixed10').shape, [8, 8, 2048]);
  // BatchNormalization(scale = false): no gamma tensor.
  assert.equal(byName.get('batch_normalization_1').tensors[0], convert.FORMAT.NONE);
  assert.deepEqual(byName.get('average_pooling2d_1').iparams, [3, 3, 1, 1, 1, 1, 1, 1, 1, 1]);
});

test('the default build converts the SSD MobileNetV2 from @mediapipe/objectron and skips when up to date', () => {
  const { buildDefault, DEFAULT_EMBED } = require('../models/build-default.js');
  const out = path.join(tmp, 'default.imprint');
  const first = buildDefault({ out });
  assert.equal(first.skipped, false);
  assert.deepEqual(first.info.embedNodes, DEFAULT_EMBED);
  assert.equal(first.info.name, 'ssd-mobilenet_v2-224');
  assert.equal(first.info.embedDim, 1920);
  assert.deepEqual(first.info.inputSize, [224, 224]);
  const second = buildDefault({ out });
  assert.equal(second.skipped, true);
  const keras = buildDefault({ model: 'mobilenet_v2', out: path.join(tmp, 'mobilenet_v2.imprint') });
  assert.equal(keras.info.name, 'nsfwjs-mobilenet_v2');
});

// ---- synthetic models built with TF.js -------------------------------------------------------

test('a float32 TF.js model converts with TF.js shapes and identical weights', async (t) => {
  const { model, artifacts, tf } = await syntheticArtifacts();
  const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
  const { bytes, info } = convert.convertArtifacts(
    { modelTopology: artifacts.modelTopology, weightsManifest: manifest },
    artifacts.weightData,
    {
      embed: ['stem_relu', 'cat'],
    },
  );
  assert.deepEqual(info.weightDtypes.f32, artifacts.weightSpecs.length);
  assert.equal(info.embedDim, 8 + 32);
  const file = convert.readModelFile(bytes);
  assert.ok(file.checksumOk);
  const nodes = new Map(file.nodes.map((n) => [n.name, n]));
  for (const layer of model.layers) {
    assert.deepEqual(nodes.get(layer.name).shape, kerasShape(layer.outputShape), `shape of ${layer.name}`);
  }
  assert.deepEqual(nodes.get('stem').fparams.slice(0, 2), [0, Infinity]);
  assert.deepEqual(nodes.get('pw').fparams.slice(0, 2), [0, 6]);
  assert.deepEqual(
    nodes.get('stem').iparams.slice(6),
    [0, 1, 1, 1],
    "'same' 3x3 stride 2 on 16x15: odd row at the bottom",
  );
  assert.deepEqual(nodes.get('pw').iparams.slice(6), [0, 1, 0, 1], "'same' 1x3: one column each side");

  const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const layerOf = (tensorIndex) => file.nodes.find((n) => n.tensors.includes(tensorIndex));
  const slotNames = {
    CONV2D: ['kernel', 'bias'],
    DEPTHWISE_CONV2D: ['depthwise_kernel', 'bias'],
    DENSE: ['kernel', 'bias'],
  };
  slotNames.BATCH_NORM = ['gamma', 'beta', 'moving_mean', 'moving_variance'];
  file.tensors.forEach((tensor, i) => {
    const node = layerOf(i);
    const param = slotNames[node.op][node.tensors.indexOf(i)];
    const name = `${node.name.split('/')[0]}/${param}`;
    const expected = decoded[name].dataSync();
    assert.deepEqual(Array.from(dequantize(file, bytes, tensor)), Array.from(expected), name);
  });
  assertCParserAccepts(t, bytes, 'synthetic-f32');
});

test('the converted model computes what TF.js computes, layer by layer (spec semantics)', async () => {
  const { model, artifacts, tf } = await syntheticArtifacts();
  const { bytes } = convert.convertArtifacts(
    { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: artifacts.weightSpecs }] },
    artifacts.weightData,
    {},
  );
  const image = tf.randomUniform([1, 16, 15, 3], -1, 1, 'float32', 3);
  const probe = tf.model({ inputs: model.inputs, outputs: model.layers.slice(1).map((l) => l.output) });
  const theirs = probe.predict(image);
  const ours = evaluateModelFile(bytes, image.dataSync());
  model.layers.slice(1).forEach((layer, i) => {
    const expected = theirs[i].dataSync();
    const actual = ours.get(layer.name);
    assert.equal(actual.length, expected.length, layer.name);
    let worst = 0;
    for (let k = 0; k < expected.length; k++)
      worst = Math.max(worst, Math.abs(actual[k] - expected[k]) / (1 + Math.abs(expected[k])));
    assert.ok(worst < 1e-4, `${layer.name}: max relative difference ${worst}`);
  });
});

test('converted nsfwjs mobilenet_v2, evaluated from the spec, matches TF.js on a real photo', async (t) => {
  const testdata = require('./support/testdata.js');
  if (!testdata.available()) return t.skip('test data missing: run scripts/fetch-testdata.sh');
  const tf = await loadTf();
  const jpeg = require('jpeg-js');
  const bundle = convert.loadNsfwjsBundle('mobilenet_v2');
  const weightData = bundle.weightData.buffer.slice(
    bundle.weightData.byteOffset,
    bundle.weightData.byteOffset + bundle.weightData.length,
  );
  const reference = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: bundle.modelTopology,
      weightSpecs: bundle.weightsManifest.flatMap((g) => g.weights),
      weightData,
    }),
  );
  // nsfwjs's preprocessing: pixel / 255, bilinear resize with align corners.
  const decoded = jpeg.decode(fs.readFileSync(testdata.photo('dog')), { useTArray: true });
  const rgb = tf.tensor(decoded.data, [decoded.height, decoded.width, 4], 'int32').slice([0, 0, 0], [-1, -1, 3]);
  const input = tf.image.resizeBilinear(rgb.toFloat().div(255), [224, 224], true).expandDims(0);

  const layers = ['Conv1_relu', 'block_10_project_BN', 'out_relu', 'dense_3'];
  const probe = tf.model({ inputs: reference.inputs, outputs: layers.map((name) => reference.getLayer(name).output) });
  const theirs = probe.predict(input);
  const { bytes } = convert.convertNsfwjsModel('mobilenet_v2', {});
  const ours = evaluateModelFile(bytes, input.dataSync());
  layers.forEach((name, i) => {
    const expected = theirs[i].dataSync();
    const actual = ours.get(name);
    let worst = 0;
    let magnitude = 1;
    for (let k = 0; k < expected.length; k++) {
      worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
      magnitude = Math.max(magnitude, Math.abs(expected[k]));
    }
    // float32 (TF.js) against float64 accumulation over up to 1280-term sums.
    assert.ok(worst <= 2e-4 * magnitude, `${name}: max difference ${worst} (values up to ${magnitude})`);
  });
});

test('float16 and uint8 weights keep their dtype and decode as TF.js decodes them', async (t) => {
  const { artifacts, tf } = await syntheticArtifacts();
  for (const kind of ['float16', 'uint8']) {
    const { specs, data } = requantize(artifacts.weightSpecs, artifacts.weightData, kind);
    const { bytes, info } = convert.convertArtifacts(
      { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: specs }] },
      data,
      {},
    );
    const file = convert.readModelFile(bytes);
    const want = kind === 'float16' ? DTYPE.F16 : DTYPE.U8_AFFINE;
    assert.ok(
      file.tensors.every((x) => x.dtype === want),
      `${kind} tensors stay ${kind}`,
    );
    assert.equal(kind === 'float16' ? info.weightDtypes.f16 : info.weightDtypes.u8, specs.length);
    const decoded = tf.io.decodeWeights(data.buffer, specs);
    // Manifest order = tensor order for this model (each layer's weights are consecutive).
    const specOrder = specs.map((s) => s.name);
    const seen = new Set();
    for (let i = 0; i < file.tensors.length; i++) {
      const tensor = file.tensors[i];
      const ours = dequantize(file, bytes, tensor);
      const match = specOrder.find((name) => {
        if (seen.has(name)) return false;
        const theirs = decoded[name];
        return theirs.size === ours.length && theirs.shape.join() === tensor.dims.join();
      });
      const theirs = decoded[match].dataSync();
      seen.add(match);
      const range = Math.max(...theirs.map(Math.abs)) || 1;
      for (let k = 0; k < ours.length; k++) {
        const tolerance = kind === 'float16' ? 0 : 3e-7 * range;
        assert.ok(
          Math.abs(ours[k] - theirs[k]) <= tolerance,
          `${kind} ${match}[${k}]: ${ours[k]} vs TF.js ${theirs[k]}`,
        );
      }
    }
    assertCParserAccepts(t, bytes, `synthetic-${kind}`);
  }
});

test('a Sequential model converts and its layers chain in order', async () => {
  const tf = await loadTf();
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, name: 'c1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, name: 'fc' }),
    ],
  });
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: {} })));
  const { bytes, info } = convert.convertArtifacts(
    { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: artifacts.weightSpecs }] },
    artifacts.weightData,
    { embed: 'c1' },
  );
  const file = convert.readModelFile(bytes);
  assert.deepEqual(
    file.nodes.map((n) => `${n.op}:${n.shape.join('x')}`),
    ['INPUT:8x8x3', 'CONV2D:6x6x4', 'MAX_POOL:3x3x4', 'FLATTEN:1x1x36', 'DENSE:1x1x3'],
  );
  assert.deepEqual(info.embedNodes, ['c1']);
});

test('a MobileNet V1 style head (GAP, Reshape to 1x1xC, 1x1 conv, Reshape, softmax) converts', async () => {
  const tf = await loadTf();
  const input = tf.input({ shape: [8, 8, 3], name: 'img' });
  let x = tf.layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
      name: 'conv1_pad',
    })
    .apply(input);
  x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, useBias: false, name: 'conv1' }).apply(x);
  x = tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(x);
  x = tf.layers.reLU({ maxValue: 6, name: 'conv1_relu' }).apply(x);
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x);
  x = tf.layers.reshape({ targetShape: [1, 1, 6], name: 'reshape_1' }).apply(x);
  x = tf.layers.dropout({ rate: 0.001, name: 'dropout' }).apply(x);
  x = tf.layers.conv2d({ filters: 5, kernelSize: 1, padding: 'same', name: 'conv_preds' }).apply(x);
  x = tf.layers.reshape({ targetShape: [5], name: 'reshape_2' }).apply(x);
  x = tf.layers.activation({ activation: 'softmax', name: 'act_softmax' }).apply(x);
  const model = tf.model({ inputs: input, outputs: x });
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: {} })));
  const { bytes, info } = convert.convertArtifacts(
    { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: artifacts.weightSpecs }] },
    artifacts.weightData,
    {},
  );
  assert.deepEqual(info.embedNodes, ['conv1_relu'], 'default embedding: what feeds the global pooling');
  const file = convert.readModelFile(bytes);
  assert.deepEqual(
    file.nodes.map((n) => `${n.name}:${n.op}:${n.shape.join('x')}`),
    [
      'img:INPUT:8x8x3',
      'conv1_pad:ZERO_PAD:9x9x3',
      'conv1:CONV2D:4x4x6',
      'conv1_bn:BATCH_NORM:4x4x6',
      'conv1_relu:CLAMP:4x4x6',
      'global_average_pooling2d:GLOBAL_AVG_POOL:1x1x6',
      'reshape_1:FLATTEN:1x1x6',
      'dropout:IDENTITY:1x1x6',
      'conv_preds:CONV2D:1x1x5',
      'reshape_2:FLATTEN:1x1x5',
      'act_softmax:SOFTMAX:1x1x5',
    ],
  );
});

test('model.json on disk converts through the CLI with embedding and scale options', async () => {
  const { artifacts } = await syntheticArtifacts();
  const dir = path.join(tmp, 'cli');
  fs.mkdirSync(dir, { recursive: true });
  // Two shards, to exercise concatenation in manifest order.
  const data = new Uint8Array(artifacts.weightData);
  const cut = 1000;
  fs.writeFileSync(path.join(dir, 'group1-shard1of2.bin'), data.subarray(0, cut));
  fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), data.subarray(cut));
  const modelJson = {
    format: 'layers-model',
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: artifacts.weightSpecs }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  const out = path.join(dir, 'out.imprint');
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'models/convert.js'),
      path.join(dir, 'model.json'),
      '-o',
      out,
      '--embed',
      'stem_relu,act',
      '--scale',
      '[-1,1]',
      '--name',
      'tiny',
      '--colour',
      'bgr',
    ],
    { stdio: 'pipe' },
  );
  const file = convert.readModelFile(fs.readFileSync(out));
  assert.ok(file.checksumOk);
  assert.equal(file.header.name, 'tiny');
  assert.deepEqual(
    file.header.scale,
    [1, 1, 1].map(() => Math.fround(2 / 255)),
  );
  assert.deepEqual(file.header.bias, [-1, -1, -1]);
  assert.equal(file.header.colourOrder, convert.COLOUR.BGR);
  assert.equal(file.header.embedCount, 2);
  assert.deepEqual(
    file.header.embedNodes.slice(0, 2).map((i) => file.nodes[i].name),
    ['stem_relu', 'act'],
  );

  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'models/convert.js'), path.join(dir, 'model.json'), '-o', out, '--embed', 'nope'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /embedding layer 'nope'/);
});

// ---- refusals ------------------------------------------------------------------------------

test('unsupported layers and configurations are refused with the layer named', async () => {
  const { artifacts } = await syntheticArtifacts();
  const manifest = [{ paths: ['w'], weights: artifacts.weightSpecs }];
  const attempt = (edit) => {
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
    const layers = topology.config.layers;
    edit(
      layers.find((l) => l.name === 'pw'),
      layers,
    );
    return () =>
      convert.convertArtifacts({ modelTopology: topology, weightsManifest: manifest }, artifacts.weightData, {});
  };
  const refused = (re) => (err) => err.code === 'UNSUPPORTED_LAYER' && /'pw'/.test(err.message) && re.test(err.message);

  assert.throws(
    attempt((l) => (l.class_name = 'LSTM')),
    refused(/class LSTM.*unknown layer class/),
  );
  assert.throws(
    attempt((l) => (l.class_name = 'constructor')),
    refused(/class constructor/),
  );
  assert.throws(
    attempt((l) => (l.config.data_format = 'channels_first')),
    refused(/channels_first/),
  );
  assert.throws(
    attempt((l) => (l.config.activation = 'tanh')),
    refused(/activation 'tanh'/),
  );
  assert.throws(
    attempt((l) => ((l.config.dilation_rate = [2, 2]), (l.config.strides = [2, 2]))),
    refused(/dilation together with stride/),
  );
  assert.throws(
    attempt((l) => (l.config.padding = 'causal')),
    refused(/padding 'causal'/),
  );

  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
  const sum = topology.config.layers.find((l) => l.name === 'sum');
  sum.inbound_nodes[0][1][0] = 'stem_relu'; // 9x8x16 + 9x8x8: Keras would broadcast-fail; we refuse
  assert.throws(
    () => convert.convertArtifacts({ modelTopology: topology, weightsManifest: manifest }, artifacts.weightData, {}),
    (err) => err.code === 'UNSUPPORTED_LAYER' && /'sum' \(class Add\)/.test(err.message),
  );
});

test('missing or misshapen weights are reported by name', async () => {
  const { artifacts } = await syntheticArtifacts();
  const specs = artifacts.weightSpecs.filter((s) => s.name !== 'dw/depthwise_kernel');
  assert.throws(
    () =>
      convert.convertArtifacts(
        { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: specs }] },
        artifacts.weightData,
        {},
      ),
    /'dw\/depthwise_kernel' not found/,
  );
  assert.throws(
    () =>
      convert.convertArtifacts(
        { modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['w'], weights: artifacts.weightSpecs }] },
        artifacts.weightData.slice(0, 100),
        {},
      ),
    /needs bytes/,
  );
});

// ---- format pieces -----------------------------------------------------------------------------

test('FNV-1a-64 matches the reference definition and test vectors', () => {
  const reference = (bytes) => {
    let h = 0xcbf29ce484222325n;
    for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return h;
  };
  assert.equal(convert.fnv1a64(Buffer.from('')), 0xcbf29ce484222325n);
  assert.equal(convert.fnv1a64(Buffer.from('a')), 0xaf63dc4c8601ec8cn);
  assert.equal(convert.fnv1a64(Buffer.from('foobar')), 0x85944171f73967e8n);
  const random = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
  assert.equal(convert.fnv1a64(random), reference(random));
});

test("TF 'same' padding puts the odd pixel after", () => {
  assert.deepEqual(convert.samePads(224, 3, 2, 1), [0, 1]);
  assert.deepEqual(convert.samePads(17, 3, 2, 1), [1, 1]);
  assert.deepEqual(convert.samePads(14, 3, 1, 1), [1, 1]);
  assert.deepEqual(convert.samePads(17, 7, 1, 1), [3, 3]);
  assert.deepEqual(convert.samePads(10, 3, 1, 2), [2, 2]);
});
