'use strict';
// convert.js — converts a model to an imprint model file (byte layout: models/MODEL_FORMAT.md).
//
// Library:  const { convertArtifacts, convertModelJson, convertNsfwjsModel } = require('./convert.js')
// CLI:      imprint convert model.json -o out.imprint [options] (USAGE below; js/cli.cjs runs main(),
//           and so does `node models/convert.js ...`)
//
// A reader per source format (tfjs-layers.js, tfjs-graph.js, tflite.js) builds a graph; this file applies the options
// (preprocessing, embedding) and hands it to the writer (model-format.js). Only Node built-ins.
// Weights keep their source dtype; the C loader dequantizes and folds batch norm at load time.

const fs = require('fs');
const path = require('path');
const format = require('./model-format.js');
const { UnsupportedLayerError, readLayersModel, listLayersModelLayers } = require('./tfjs-layers.js');
const {
  TfjsGraphError,
  LIMITS: GRAPH_LIMITS,
  parseModelJson,
  isGraphModelJson,
  readTfjsGraphModel,
  listTfjsGraphLayers,
} = require('./tfjs-graph.js');
const { loadNsfwjsBundle } = require('./nsfwjs.js');
const { TfliteError, readTfliteModel, listTfliteLayers } = require('./tflite.js');

const { FORMAT, OP, OP_NAMES, DTYPE, RESIZE, COLOUR, serialise, halfToFloat, floatToHalf } = format;

/**
 * Reads a --scale value: '1/255' (range [0, 1]), '[-1,1]' (any [lo,hi]: scale (hi − lo) / 255,
 * bias lo) or a number (bias 0); null means 1/255.
 * @param {string|number|null} spec
 * @returns {{scale: number, bias: number}}
 */
function parseScale(spec) {
  if (spec == null) return { scale: 1 / 255, bias: 0 };
  if (typeof spec === 'number') return { scale: spec, bias: 0 };
  const s = String(spec).trim();
  let m = /^\[\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*\]$/.exec(s);
  if (m) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    return { scale: (hi - lo) / 255, bias: lo };
  }
  m = /^(-?[\d.]+)\s*\/\s*([\d.]+)$/.exec(s);
  if (m) return { scale: Number(m[1]) / Number(m[2]), bias: 0 };
  if (/^-?[\d.]+(e-?\d+)?$/i.test(s)) return { scale: Number(s), bias: 0 };
  throw new Error(`cannot read scale '${spec}' (use 1/255, [-1,1] or a number)`);
}

const RESIZE_NAMES = { 'align-corners': 0, 'half-pixel': 1, area: 2 };

// A tensor's values as float32 (f32 as is, f16 exactly, u8 affine as the C loader computes them).
function tensorValues(t) {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (t.dtype === DTYPE.F32) out[i] = dv.getFloat32(4 * i, true);
    else if (t.dtype === DTYPE.F16) out[i] = halfToFloat(dv.getUint16(2 * i, true));
    else out[i] = Math.fround(t.data[i] * t.qScale + t.qMin);
  }
  return out;
}

/**
 * Stores the graph's weights at another precision (options.weights): 'f16' turns float32 tensors
 * into float16; 'u8' turns every convolution and dense kernel into u8 affine (per tensor: min and
 * (max − min) / 255), keeping biases and batch-norm vectors as they are; 'keep' (default) changes
 * nothing. Smaller downloads, at a cost in fidelity that the caller measures.
 */
function storeWeights(graph, mode) {
  if (mode == null || mode === 'keep') return;
  if (mode !== 'f16' && mode !== 'u8') throw new Error(`unknown weights '${mode}' (keep, f16 or u8)`);
  const kernels = new Set();
  for (const n of graph.nodes) {
    if (n.op === OP.CONV2D || n.op === OP.DEPTHWISE_CONV2D || n.op === OP.DENSE) kernels.add(n.tensors[0]);
  }
  graph.tensors = graph.tensors.map((t, i) => {
    if (mode === 'f16') {
      if (t.dtype !== DTYPE.F32) return t;
      const v = tensorValues(t);
      const h = new Uint16Array(v.length);
      for (let k = 0; k < v.length; k++) h[k] = floatToHalf(v[k]);
      return { ...t, dtype: DTYPE.F16, data: new Uint8Array(h.buffer), qMin: 0, qScale: 0 };
    }
    if (!kernels.has(i) || t.dtype === DTYPE.U8_AFFINE) return t;
    const v = tensorValues(t);
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const qMin = Math.fround(lo);
    const qScale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
    const q = new Uint8Array(v.length);
    for (let k = 0; k < v.length; k++) q[k] = Math.max(0, Math.min(255, Math.round((v[k] - qMin) / qScale)));
    return { ...t, dtype: DTYPE.U8_AFFINE, data: q, qMin, qScale };
  });
}

// The model file for a graph from a source reader ({name, nodes, tensors, layerNodes,
// weightDtypes, unusedWeights}), with the header fields taken from the options.
function writeGraph(graph, options) {
  let { nodes } = graph;
  if (nodes.length === 0 || nodes[0].op !== OP.INPUT) throw new Error('model has no input layer');

  const findNode = (name) => {
    if (graph.layerNodes.has(name)) return graph.layerNodes.get(name);
    const i = nodes.findIndex((n) => n.name === name);
    if (i < 0) throw new Error(`embedding layer '${name}' is not a node of this model`);
    return i;
  };
  let embed = options.embed;
  if (typeof embed === 'string')
    embed = embed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  let embedNodes;
  if (embed && embed.length) embedNodes = embed.map(findNode);
  else embedNodes = [defaultEmbedNode(nodes)];
  if (embedNodes.length > FORMAT.MAX_EMBED) throw new Error(`at most ${FORMAT.MAX_EMBED} embedding layers`);
  if (new Set(embedNodes).size !== embedNodes.length) throw new Error('embedding layers repeat');
  if (embedNodes.includes(0)) throw new Error('the input cannot be an embedding layer');

  const fromScale = options.scale == null || typeof options.scale === 'string' ? parseScale(options.scale) : null;
  const triple = (v, dflt) => (Array.isArray(v) ? v.map(Number) : [v ?? dflt, v ?? dflt, v ?? dflt].map(Number));
  const scale = triple(fromScale ? fromScale.scale : options.scale, 1 / 255);
  const bias = triple(options.bias != null ? options.bias : fromScale ? fromScale.bias : 0, 0);
  let resize = options.resize ?? RESIZE.BILINEAR_ALIGN_CORNERS;
  if (typeof resize === 'string') resize = RESIZE_NAMES[resize];
  if (![0, 1, 2].includes(resize)) throw new Error(`unknown resize '${options.resize}'`);
  let colourOrder = options.colourOrder ?? COLOUR.RGB;
  if (typeof colourOrder === 'string') colourOrder = { rgb: 0, bgr: 1 }[colourOrder.toLowerCase()];
  if (![0, 1].includes(colourOrder)) throw new Error(`unknown colour order '${options.colourOrder}'`);
  for (const v of [...scale, ...bias]) if (!Number.isFinite(v)) throw new Error('scale/bias must be finite');

  if (options.prune) {
    ({ graph, embedNodes } = pruneGraph(graph, embedNodes));
    nodes = graph.nodes;
  }
  storeWeights(graph, options.weights);
  const unknownThreshold = options.unknownThreshold ?? 0;
  if (!(unknownThreshold >= 0 && unknownThreshold < 1)) throw new Error('unknownThreshold must be in [0, 1)');
  const meta = {
    name: options.name || graph.name || 'model',
    scale,
    bias,
    resize,
    colourOrder,
    embedNodes,
    unknownThreshold,
    precision: options.precision || 0, // header `precision`: 0 float32, 1 int8 convolutions
  };
  const { bytes, hash } = serialise(meta, nodes, graph.tensors);
  return {
    bytes,
    hash,
    info: {
      name: meta.name,
      inputSize: [nodes[0].shape[0], nodes[0].shape[1]],
      nodeCount: nodes.length,
      tensorCount: graph.tensors.length,
      embedNodes: embedNodes.map((i) => nodes[i].name),
      embedDim: embedNodes.reduce((sum, i) => sum + nodes[i].shape[2], 0),
      fileBytes: bytes.length,
      hash: hash.toString(16).padStart(16, '0'),
      weightDtypes: graph.weightDtypes,
      unusedWeights: graph.unusedWeights,
      nodes: nodes.map((n) => ({ name: n.name, op: OP_NAMES[n.op], shape: n.shape.slice(), inputs: n.inputs.slice() })),
    },
  };
}

// Only the nodes the embedding needs, and only their tensors (options.prune): a smaller file, at
// the price of features() on the layers after the embedding.
function pruneGraph(graph, embedNodes) {
  const keep = new Set([0]);
  const stack = [...embedNodes];
  while (stack.length) {
    const i = stack.pop();
    if (keep.has(i)) continue;
    keep.add(i);
    stack.push(...graph.nodes[i].inputs);
  }
  const order = [...keep].sort((a, b) => a - b);
  const nodeMap = new Map(order.map((old, i) => [old, i]));
  const tensorMap = new Map();
  const tensors = [];
  const nodes = order.map((old) => {
    const n = graph.nodes[old];
    const ts = n.tensors.map((t) => {
      if (t === FORMAT.NONE) return t;
      if (!tensorMap.has(t)) {
        tensorMap.set(t, tensors.length);
        tensors.push(graph.tensors[t]);
      }
      return tensorMap.get(t);
    });
    return { ...n, inputs: n.inputs.map((k) => nodeMap.get(k)), tensors: ts };
  });
  const layerNodes = new Map();
  for (const [name, i] of graph.layerNodes) if (nodeMap.has(i)) layerNodes.set(name, nodeMap.get(i));
  return { graph: { ...graph, nodes, tensors, layerNodes }, embedNodes: embedNodes.map((i) => nodeMap.get(i)) };
}

// The node feeding the first global pooling (or whole-map average pooling), else the last node
// that still has a spatial map.
function defaultEmbedNode(nodes) {
  for (const n of nodes) {
    if (n.op === OP.GLOBAL_AVG_POOL || (n.op === OP.AVG_POOL && n.shape[0] === 1 && n.shape[1] === 1))
      return n.inputs[0];
  }
  for (let i = nodes.length - 1; i > 0; i--) if (nodes[i].sourceRank === 4 && nodes[i].shape[0] > 1) return i;
  return nodes.length - 1;
}

/**
 * Converts a loaded TF.js layers-model.
 * @param {{modelTopology: object, weightsManifest: object[]}} modelJson
 * @param {ArrayBuffer|Uint8Array} weightData  all weight groups' bytes concatenated in manifest order
 * @param {object} [options]
 *   name: string; embed: string[] (Keras layer or node names, 1..4); scale/bias: number or [3]
 *   (model input = pixel * scale + bias; default 1/255, 0); resize: 0..2 or 'align-corners'|
 *   'half-pixel'|'area'; colourOrder: 0 RGB | 1 BGR or 'rgb'|'bgr'; inputSize: [h, w] for models
 *   whose input size is not fixed.
 * @returns {{bytes: Uint8Array, hash: bigint, info: object}}
 */
function convertArtifacts(modelJson, weightData, options = {}) {
  return writeGraph(readLayersModel(modelJson, weightData, options), options);
}

/**
 * Reads a model.json (TF.js layers or graph model), refusing a file over 64 MiB before reading it.
 * @returns {object} the parsed JSON
 */
function readModelJsonFile(modelJsonPath) {
  const size = fs.statSync(modelJsonPath).size;
  if (size > GRAPH_LIMITS.JSON_BYTES) {
    throw new TfjsGraphError(
      'TOO_LARGE',
      `${modelJsonPath} has ${size} bytes; a model.json is read up to ${GRAPH_LIMITS.JSON_BYTES}`,
    );
  }
  return parseModelJson(fs.readFileSync(modelJsonPath));
}

/**
 * The weight files a model.json lists, concatenated in manifest order. Paths must stay inside
 * model.json's folder, and their total size is checked before anything is read.
 */
function readWeightFiles(modelJson, dir) {
  const manifest = Array.isArray(modelJson.weightsManifest) ? modelJson.weightsManifest : [];
  const files = [];
  let total = 0;
  for (const group of manifest) {
    for (const p of (group && Array.isArray(group.paths) && group.paths) || []) {
      if (typeof p !== 'string' || p === '' || path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
        throw new TfjsGraphError(
          'MODEL_CORRUPT',
          `weight file path ${JSON.stringify(p)} is not a file beside model.json`,
        );
      }
      const file = path.join(dir, p);
      let size;
      try {
        size = fs.statSync(file).size;
      } catch {
        throw new TfjsGraphError('MODEL_CORRUPT', `weight file ${file} (listed in model.json) cannot be read`);
      }
      total += size;
      if (total > GRAPH_LIMITS.WEIGHT_BYTES) {
        throw new TfjsGraphError('TOO_LARGE', `the weight files hold more than ${GRAPH_LIMITS.WEIGHT_BYTES} bytes`);
      }
      files.push(file);
    }
  }
  return Buffer.concat(files.map((f) => fs.readFileSync(f)));
}

/** Reads model.json and its weight files (paths relative to model.json), then converts. */
function convertModelJson(modelJsonPath, options = {}) {
  const modelJson = readModelJsonFile(modelJsonPath);
  const weightData = readWeightFiles(modelJson, path.dirname(modelJsonPath));
  if (isGraphModelJson(modelJson)) return convertGraphModel(modelJson, weightData, options);
  return convertArtifacts(modelJson, weightData, options);
}

/**
 * Converts a TF.js graph model (float32, float16 or uint8 weights). Nodes after the embedding are
 * dropped; without options.embed the deepest image-shaped layer the model's outputs need and
 * imprint computes is used (info.embedNodes says which, info.chosenEmbed that it was chosen).
 * @param {object} modelJson  the parsed model.json (format 'graph-model')
 * @param {ArrayBuffer|Uint8Array} weightData  its weight files' bytes, concatenated in manifest order
 * @param {object} [options]  as convertArtifacts; embed names are node names or a unique scope of
 *   one ('expanded_conv_14/add' → 'tower_0/MobilenetV3/expanded_conv_14/add')
 */
function convertGraphModel(modelJson, weightData, options = {}) {
  const graph = readTfjsGraphModel(modelJson, weightData, options);
  const result = writeGraph(graph, { ...options, embed: graph.embedNames });
  result.info.chosenEmbed = graph.chosenEmbed;
  return result;
}

/**
 * The layers of a source model file (a TFLite flatbuffer, or a TF.js graph or layers model.json
 * with its weight files), before converting: what `imprint info <model> --layers` prints.
 * @param {string} file
 * @returns {{format: 'tflite'|'tfjs-graph'|'tfjs-layers', layers: {name: string, op: string,
 *   shape: number[]|null, supported: boolean}[]}}  shapes with the batch, null where unknown
 */
function listSourceLayers(file) {
  const head = Buffer.alloc(8);
  const fd = fs.openSync(file, 'r');
  let got;
  try {
    got = fs.readSync(fd, head, 0, 8, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (got === 8 && isTflite(head)) {
    const operators = listTfliteLayers(new Uint8Array(fs.readFileSync(file)));
    const layers = operators.map((o) => ({
      name: o.outputs.length ? o.outputs[0].name.split(';')[0] : `operator ${o.index}`,
      op: o.op,
      shape: o.outputs.length ? o.outputs[0].shape : null,
      supported: o.supported,
    }));
    return { format: 'tflite', layers, operators };
  }
  const json = readModelJsonFile(file);
  const weightData = readWeightFiles(json, path.dirname(file));
  if (isGraphModelJson(json)) return { format: 'tfjs-graph', layers: listTfjsGraphLayers(json, weightData) };
  return { format: 'tfjs-layers', layers: listLayersModelLayers(json, weightData) };
}

/**
 * Converts a TensorFlow Lite model (float32, float16 or int8/uint8-quantized weights; float32
 * activations). Operators after the embedding tensors are dropped; without options.embed the
 * widest feature map the converter supports is used (info.embedNodes says which).
 * @param {Uint8Array} bytes  the .tflite file
 * @param {object} [options]  as convertArtifacts; embed names are tensor names or a segment of one
 *   ('Conv_1' → 'FeatureExtractor/MobilenetV2/Conv_1/Relu6')
 */
function convertTflite(bytes, options = {}) {
  const graph = readTfliteModel(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), options);
  const result = writeGraph(graph, { ...options, embed: graph.embedNames });
  result.info.chosenEmbed = graph.chosenEmbed;
  return result;
}

/** True when `bytes` look like a TensorFlow Lite flatbuffer (identifier "TFL3" at byte 4). */
function isTflite(bytes) {
  return bytes.length >= 8 && bytes[4] === 0x54 && bytes[5] === 0x46 && bytes[6] === 0x4c && bytes[7] === 0x33;
}

/** Loads a model bundled in the nsfwjs package (see loadNsfwjsBundle), then converts. */
function convertNsfwjsModel(nameOrDir, options = {}) {
  const bundle = loadNsfwjsBundle(nameOrDir);
  return convertArtifacts(bundle, bundle.weightData, options);
}

// ---------------------------------------------------------------------------------------------
// CLI.

/** --precision float32|int8 → the header's PRECISION value. */
function parsePrecision(value) {
  const known = { float32: format.PRECISION.F32, int8: format.PRECISION.INT8 };
  if (!(value in known)) throw new Error(`--precision must be float32 or int8; got '${value}'`);
  return known[value];
}

function parseArgs(argv) {
  const args = { options: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '-o' || a === '--output') args.output = next();
    else if (a === '--embed') args.options.embed = next();
    else if (a === '--scale') args.options.scale = next();
    else if (a === '--bias') args.options.bias = Number(next());
    else if (a === '--name') args.options.name = next();
    else if (a === '--resize') args.options.resize = next();
    else if (a === '--colour' || a === '--color') args.options.colourOrder = next();
    else if (a === '--input-size') args.options.inputSize = next().split('x').map(Number);
    else if (a === '--weights') args.options.weights = next();
    else if (a === '--precision') args.options.precision = parsePrecision(next());
    else if (a === '--nsfwjs') args.nsfwjs = next();
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.input = a;
  }
  return args;
}

/** What `imprint convert --help` prints: how someone who installed the package runs the converter. */
const USAGE = `usage: imprint convert <model.json> -o <out.imprint> [options]   (TF.js layers or graph model)
       imprint convert <model.tflite> -o <out.imprint> [options]
       imprint convert --nsfwjs mobilenet_v2|inception_v3|<folder> -o <out.imprint> [options]
(in a project that installed imprint: npx imprint convert ...)

Writes an imprint model file from a TF.js layers or graph model (model.json and the weight files it
lists, beside it), a TensorFlow Lite flatbuffer, or a model bundled in the nsfwjs npm package.
List a source model's layers first with: imprint info <model> --layers

options:
  --embed <layer,...>       the layers (TFLite: tensors; graph model: nodes, or a unique scope of
                            one) whose global-average-pooled outputs make the embedding (default:
                            the input of the model's first global average pooling; TFLite: its
                            widest supported feature map; graph model: the deepest image-shaped
                            layer its outputs need that imprint computes)
  --scale 1/255|[-1,1]|<n>  model input = pixel * scale + bias (default 1/255; [-1,1] is 2/255, -1)
  --bias <n>                the bias of a numeric --scale (default 0)
  --name <name>             the name the model reports in info.name
  --resize align-corners|half-pixel|area
                            how images are resized to the input (default align-corners; area
                            box-filters large photos first)
  --colour rgb|bgr          the input's channel order (default rgb)
  --input-size <h>x<w>      the input size, for models whose input layer does not say
  --weights keep|f16|u8     keep the weights as the source has them (default), store float32 as
                            float16, or store convolution and dense kernels as u8
  --precision float32|int8  how the runtime computes full convolutions (default float32; int8:
                            activations quantized per image, weights per channel at load; about
                            1.25x faster on the default model with the same few-shot accuracy)
  -h, --help                this text
The file format: models/MODEL_FORMAT.md in the package; use the file with
createExtractor({ model: 'out.imprint' }) or imprint <command> --model out.imprint.
`;

/**
 * Runs the CLI (USAGE above); messages go to stderr.
 * @param {string[]} argv  the arguments after the script name
 * @returns {number} exit code: 0 done (or --help), 2 usage shown; failures throw
 */
function main(argv) {
  const args = parseArgs(argv);
  if (args.help || (!args.input && !args.nsfwjs) || !args.output) {
    (args.help ? process.stdout : process.stderr).write(USAGE);
    return args.help ? 0 : 2;
  }
  let result;
  const name = args.input ? path.basename(args.input, path.extname(args.input)) : undefined;
  const noteScale = (kind) => {
    if (args.options.scale == null && args.options.bias == null) {
      console.error(`convert: note: a ${kind} does not record its input scaling; assuming 1/255 (give --scale)`);
    }
  };
  if (args.nsfwjs) result = convertNsfwjsModel(args.nsfwjs, args.options);
  else {
    const head = fs.readFileSync(args.input);
    if (isTflite(head)) {
      noteScale('TFLite file');
      result = convertTflite(head, { name, ...args.options });
    } else {
      const modelJson = readModelJsonFile(args.input);
      const weightData = readWeightFiles(modelJson, path.dirname(args.input));
      if (isGraphModelJson(modelJson)) {
        noteScale('graph model');
        result = convertGraphModel(modelJson, weightData, { name, ...args.options });
      } else result = convertArtifacts(modelJson, weightData, args.options);
    }
  }
  if (result.info.chosenEmbed) {
    console.error(
      `convert: note: no --embed given; embedding ${result.info.embedNodes.join('+')}, the deepest layer the converter chose (list others with: imprint info ${args.input} --layers)`,
    );
  }
  fs.mkdirSync(path.dirname(path.resolve(args.output)), { recursive: true });
  fs.writeFileSync(args.output, result.bytes);
  const { info } = result;
  console.error(
    `${args.output}: ${info.fileBytes} bytes, ${info.nodeCount} nodes, ${info.tensorCount} tensors, ` +
      `embed ${info.embedNodes.join('+')} (${info.embedDim}-d), hash ${info.hash}`,
  );
  return 0;
}

// The library: the converters and, for callers that take them from here, the model file
// format's constants, writer and reader.
module.exports = {
  ...format,
  main,
  UnsupportedLayerError,
  TfliteError,
  TfjsGraphError,
  writeGraph,
  readLayersModel,
  readTfliteModel,
  convertArtifacts,
  convertTflite,
  isTflite,
  listTfliteLayers,
  convertModelJson,
  convertGraphModel,
  isGraphModelJson,
  readTfjsGraphModel,
  listSourceLayers,
  readModelJsonFile,
  readWeightFiles,
  convertNsfwjsModel,
  loadNsfwjsBundle,
  parseScale,
};

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`convert: ${err.message}`);
    process.exitCode = 1;
  }
}
