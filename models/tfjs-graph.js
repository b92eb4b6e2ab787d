'use strict';
// tfjs-graph.js — TF.js graph models → a model file graph (models/MODEL_FORMAT.md).
//
// A graph model is the JSON form of a TensorFlow GraphDef as TF.js's converter writes it
// (tensorflowjs_converter --output_format tfjs_graph_model): model.json holds { format:
// 'graph-model', modelTopology: { node: [{ name, op, input, attr }] }, weightsManifest, signature? };
// every Const node's value is a weight of the manifest, in the weight files beside it. Attributes
// are TensorFlow AttrValue JSON (s: base64 string, i: int64 as a string, f, b, type, shape, list);
// they are read the way TF.js's own operation mapper reads them (tfjs-converter
// operation_mapper.ts), and ops compute what TF.js's executors compute.
//
// Only the nodes the embedding needs are converted, so a detector or segmenter whose head uses ops
// imprint does not run still converts for its backbone. Everything read from the file is checked
// and bounded before it is used or sized: a damaged file is a TfjsGraphError with a code, naming
// the node, never an exception from deep inside or a huge allocation.

const { FORMAT, OP, DTYPE, samePads, windowOut, makeNode, halfToFloat } = require('./model-format.js');
const { splitWeights, makeTensor } = require('./tfjs-weights.js');

/**
 * A graph model that cannot be read or converted. `code`: 'MODEL_CORRUPT' (the file is damaged or
 * inconsistent), 'UNSUPPORTED_OP' (an op, or a form of it, imprint does not run; `op` and `node`
 * name it), 'TOO_LARGE' (a size beyond what a model file holds or this reader accepts) or
 * 'INVALID_ARGUMENT' (an option does not fit the model, e.g. an unknown --embed name).
 */
class TfjsGraphError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'TfjsGraphError';
    this.code = code;
    Object.assign(this, details);
  }
}

// Limits on what is read, checked before anything is sized from the file.
const LIMITS = Object.freeze({
  JSON_BYTES: 64 * 2 ** 20, // model.json text
  GRAPH_NODES: 100000, // nodes in modelTopology.node (constants included)
  NODE_INPUTS: 4096, // inputs of one node
  NAME_CHARS: 4096, // a node or weight name
  WEIGHTS: 100000, // entries in the weights manifest
  WEIGHT_BYTES: 2 ** 30, // all weight files together
  ELEMENTS: 2 ** 28, // one weight (the model file's limit per tensor)
});
// The model file's own limits (MODEL_FORMAT.md, validation steps 2 and 5).
const MAX_SIDE = 16384;
const MAX_CHANNELS = 2 ** 20;
const MAX_NODES = 16384;
const MAX_TENSORS = 65536;
const fitsModelFile = ([h, w, c]) =>
  h >= 1 && w >= 1 && c >= 1 && h <= MAX_SIDE && w <= MAX_SIDE && c <= MAX_CHANNELS && h * w * c <= LIMITS.ELEMENTS;

const corrupt = (message, details) =>
  new TfjsGraphError('MODEL_CORRUPT', `graph model is damaged: ${message}`, details);

// Ops that pass their input through unchanged.
const PASSTHROUGH = new Set(['Identity', 'StopGradient', 'Snapshot', 'PreventGradient']);

// Ops this reader converts (the form each takes is checked when it is converted).
const SUPPORTED_OPS = new Set([
  'Placeholder',
  'Const',
  ...PASSTHROUGH,
  'Conv2D',
  '_FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'BiasAdd',
  'Add',
  'AddV2',
  'Sub',
  'Mul',
  'Relu',
  'Relu6',
  'Sigmoid',
  'Softmax',
  'Mean',
  'ConcatV2',
  'Pad',
  'PadV2',
  'MaxPool',
  'AvgPool',
  'Reshape',
  'Squeeze',
  'MatMul',
  '_FusedMatMul',
  'ResizeBilinear',
]);

// ---------------------------------------------------------------------------------------------
// Reading model.json and the weights manifest.

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Names become the model file's UTF-8 names: a lone UTF-16 surrogate (JSON allows "\ud800") has none.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkName(value, what) {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > LIMITS.NAME_CHARS ||
    value.includes('\0') ||
    LONE_SURROGATE.test(value)
  ) {
    throw corrupt(`${what} is not a name (a non-empty string of at most ${LIMITS.NAME_CHARS} characters)`);
  }
  return value;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses model.json's bytes (a layers or graph model), refusing more than LIMITS.JSON_BYTES before
 * decoding them.
 * @param {Uint8Array} bytes
 * @returns {object}
 */
function parseModelJson(bytes) {
  if (bytes.length > LIMITS.JSON_BYTES) {
    throw new TfjsGraphError(
      'TOO_LARGE',
      `model.json has ${bytes.length} bytes; it is read up to ${LIMITS.JSON_BYTES}`,
    );
  }
  let json;
  try {
    json = JSON.parse(UTF8.decode(bytes));
  } catch (err) {
    throw corrupt(`model.json is not valid UTF-8 JSON (${err.message})`);
  }
  if (!isObject(json)) throw corrupt('model.json does not hold an object');
  return json;
}

/** True when a parsed model.json is a TF.js graph model (not a layers model). */
function isGraphModelJson(json) {
  if (!isObject(json)) return false;
  if (json.format === 'graph-model') return true;
  return json.format == null && isObject(json.modelTopology) && Array.isArray(json.modelTopology.node);
}

// Parses "name", "name:1" or "^name" (a control dependency: null).
function parseInputRef(ref, nodeName) {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > LIMITS.NAME_CHARS + 8) {
    throw corrupt(`node '${nodeName}' has an input that is not a node name`);
  }
  if (ref[0] === '^') return null;
  const m = /^(.*?)(?::(\d{1,4}))?$/s.exec(ref);
  return { name: m[1], index: m[2] === undefined ? 0 : Number(m[2]) };
}

// Checks a weights manifest entry and returns its element count; nothing is sized before this.
const WEIGHT_DTYPE_BYTES = { float32: 4, int32: 4 };
const QUANT_DTYPE_BYTES = { uint8: 1, uint16: 2, float16: 2 };
function checkWeightSpec(spec, k) {
  if (!isObject(spec)) throw corrupt(`weights manifest entry ${k} is not an object`);
  checkName(spec.name, `weights manifest entry ${k}'s name`);
  if (!Array.isArray(spec.shape) || spec.shape.length > 8)
    throw corrupt(`weight '${spec.name}' has no shape of rank 0..8`);
  let n = 1;
  for (const d of spec.shape) {
    if (!Number.isInteger(d) || d < 0) throw corrupt(`weight '${spec.name}' has shape [${spec.shape}]`);
    n *= d;
    if (n > LIMITS.ELEMENTS) {
      throw new TfjsGraphError('TOO_LARGE', `weight '${spec.name}' has more than ${LIMITS.ELEMENTS} elements`);
    }
  }
  const q = spec.quantization;
  if (q != null) {
    if (!isObject(q) || !QUANT_DTYPE_BYTES[q.dtype])
      throw new TfjsGraphError('UNSUPPORTED_OP', `weight '${spec.name}': quantization ${JSON.stringify(q && q.dtype)}`);
    if (q.dtype !== 'float16' && !(Number.isFinite(q.min) && Number.isFinite(q.scale)))
      throw corrupt(`weight '${spec.name}': quantization min/scale missing or not finite`);
    return n * QUANT_DTYPE_BYTES[q.dtype];
  }
  if (!WEIGHT_DTYPE_BYTES[spec.dtype]) {
    throw new TfjsGraphError('UNSUPPORTED_OP', `weight '${spec.name}' has dtype ${JSON.stringify(spec.dtype)}`);
  }
  return n * WEIGHT_DTYPE_BYTES[spec.dtype];
}

/**
 * Checks a weights manifest: entries, shapes, dtypes and the bytes they need, before anything is
 * read or allocated.
 * @returns {number} the bytes the weight files must hold
 */
function checkWeightsManifest(manifest) {
  if (manifest == null) return 0;
  if (!Array.isArray(manifest) || manifest.length > LIMITS.WEIGHTS) throw corrupt('weightsManifest is not a list');
  let count = 0;
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.weights) || !Array.isArray(group.paths))
      throw corrupt('a weightsManifest group has no paths and weights lists');
    count += group.weights.length + group.paths.length;
  }
  if (count > LIMITS.WEIGHTS) {
    throw new TfjsGraphError('TOO_LARGE', `the weights manifest has more than ${LIMITS.WEIGHTS} entries and files`);
  }
  let bytes = 0;
  let k = 0;
  const names = new Set();
  for (const group of manifest) {
    for (const p of group.paths) checkName(p, 'a weight file path');
    for (const spec of group.weights) {
      bytes += checkWeightSpec(spec, k++);
      if (names.has(spec.name)) throw corrupt(`weight '${spec.name}' is listed twice`);
      names.add(spec.name);
      if (bytes > LIMITS.WEIGHT_BYTES)
        throw new TfjsGraphError('TOO_LARGE', `the weights need more than ${LIMITS.WEIGHT_BYTES} bytes`);
    }
  }
  return bytes;
}

/**
 * Reads a parsed graph model.json and its weight bytes into a checked graph.
 * @param {object} json  the parsed model.json
 * @param {ArrayBuffer|Uint8Array} weightData  every weight file's bytes, in manifest order
 */
function readGraphModel(json, weightData) {
  if (!isGraphModelJson(json) || !isObject(json.modelTopology) || !Array.isArray(json.modelTopology.node))
    throw corrupt('model.json is not a graph model (format "graph-model", modelTopology.node)');
  const list = json.modelTopology.node;
  if (list.length > LIMITS.GRAPH_NODES)
    throw new TfjsGraphError('TOO_LARGE', `the graph has more than ${LIMITS.GRAPH_NODES} nodes`);
  const needBytes = checkWeightsManifest(json.weightsManifest);
  const data =
    weightData == null ? new Uint8Array(0) : weightData instanceof Uint8Array ? weightData : new Uint8Array(weightData);
  if (data.length < needBytes) {
    throw corrupt(`the weights manifest needs ${needBytes} bytes of weight data, the weight files hold ${data.length}`);
  }
  let weights;
  try {
    weights = splitWeights(json.weightsManifest || [], data);
  } catch (err) {
    throw corrupt(err.message);
  }

  const nodes = new Map();
  list.forEach((raw, order) => {
    if (!isObject(raw)) throw corrupt(`node ${order} is not an object`);
    const name = checkName(raw.name, `node ${order}'s name`);
    if (nodes.has(name)) throw corrupt(`two nodes are named '${name}'`);
    if (typeof raw.op !== 'string' || raw.op.length === 0 || raw.op.length > 128)
      throw corrupt(`node '${name}' has no op`);
    const input = raw.input == null ? [] : raw.input;
    if (!Array.isArray(input) || input.length > LIMITS.NODE_INPUTS)
      throw corrupt(`node '${name}' has an input list that is not a list of at most ${LIMITS.NODE_INPUTS}`);
    if (raw.attr != null && !isObject(raw.attr)) throw corrupt(`node '${name}' has attributes that are not an object`);
    const inputs = input.map((ref) => parseInputRef(ref, name)).filter(Boolean);
    nodes.set(name, { name, op: raw.op, inputs, attr: raw.attr || {}, order });
  });
  for (const n of nodes.values()) {
    for (const ref of n.inputs) {
      if (!nodes.has(ref.name)) throw corrupt(`node '${n.name}' reads '${ref.name}', which is not a node of the graph`);
    }
  }
  const consumers = new Map();
  for (const n of nodes.values())
    for (const ref of n.inputs) consumers.set(ref.name, (consumers.get(ref.name) || 0) + 1);

  // Outputs: the signature's, else every node nothing reads (as TF.js does).
  let outputs = [];
  const sig = isObject(json.signature) && isObject(json.signature.outputs) ? json.signature.outputs : null;
  if (sig && Object.keys(sig).length) {
    for (const [key, entry] of Object.entries(sig)) {
      const full = isObject(entry) && typeof entry.name === 'string' ? entry.name : key;
      const ref = parseInputRef(full, 'signature');
      if (ref && nodes.has(ref.name) && !outputs.includes(ref.name)) outputs.push(ref.name);
    }
  }
  if (outputs.length === 0) {
    outputs = [...nodes.values()]
      .filter((n) => !consumers.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp')
      .map((n) => n.name);
  }
  const placeholders = [...nodes.values()].filter((n) => n.op.startsWith('Placeholder'));
  return { nodes, weights, consumers, outputs, placeholders };
}

// ---------------------------------------------------------------------------------------------
// Attributes, read as TF.js's operation mapper reads them.

function attrString(node, key, dflt) {
  const a = node.attr[key];
  if (a == null || a.s == null) return dflt;
  let s;
  if (Array.isArray(a.s)) {
    if (a.s.length > 256 || !a.s.every((c) => Number.isInteger(c) && c >= 0 && c < 256))
      throw corrupt(`node '${node.name}': attribute ${key}`);
    s = String.fromCharCode(...a.s);
  } else if (typeof a.s === 'string' && a.s.length <= 1024) s = Buffer.from(a.s, 'base64').toString('latin1');
  else throw corrupt(`node '${node.name}': attribute ${key} is not a string`);
  return s;
}

function attrBool(node, key, dflt) {
  const a = node.attr[key];
  return a != null && a.b != null ? a.b === true : dflt;
}

function toInt(v, node, key) {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,15}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw corrupt(`node '${node.name}': attribute ${key} holds ${JSON.stringify(v)}`);
  return n;
}

function attrInts(node, key, dflt) {
  const a = node.attr[key];
  if (a == null) return dflt;
  const list = isObject(a.list) ? a.list.i || [] : null;
  if (!Array.isArray(list) || list.length > 64) throw corrupt(`node '${node.name}': attribute ${key} is not a list`);
  return list.map((v) => toInt(v, node, key));
}

function attrStrings(node, key) {
  const a = node.attr[key];
  if (a == null) return [];
  const list = isObject(a.list) ? a.list.s || [] : null;
  if (!Array.isArray(list) || list.length > 16) throw corrupt(`node '${node.name}': attribute ${key} is not a list`);
  return list.map((s) => {
    if (typeof s !== 'string' || s.length > 256) throw corrupt(`node '${node.name}': attribute ${key}`);
    return Buffer.from(s, 'base64').toString('latin1');
  });
}

function attrNumber(node, key, dflt) {
  const a = node.attr[key];
  if (a == null) return dflt;
  if (a.i != null) return toInt(a.i, node, key);
  if (a.f != null && typeof a.f === 'number') return a.f;
  return dflt;
}

// The Placeholder's shape: [1, h, w, 3] with -1 for sizes it leaves open.
function placeholderShape(node) {
  const a = node.attr.shape;
  const dims = a && isObject(a.shape) && Array.isArray(a.shape.dim) ? a.shape.dim : null;
  if (!dims || dims.length > 8) return null;
  return dims.map((d) => (isObject(d) ? toInt(d.size ?? 0, node, 'shape') : NaN));
}

// ---------------------------------------------------------------------------------------------
// Graph building.

const unsupported = (node, why) =>
  new TfjsGraphError('UNSUPPORTED_OP', `node '${node.name}' (${node.op}): ${why}`, { op: node.op, node: node.name });

class GraphBuilder {
  /**
   * @param {ReturnType<typeof readGraphModel>} graph
   * @param {{inputSize?: number[]}} options
   * @param {Set<string>} keep  TF nodes whose own output must stay readable (the embedding)
   */
  constructor(graph, options, keep) {
    this.graph = graph;
    this.options = options;
    this.keep = keep;
    this.nodes = [];
    this.tensors = [];
    this.values = new Map(); // TF node name → { node, rank } (an activation) or { constant }
    this.names = new Set();
    this.tensorCache = new Map();
    this.usedWeights = new Set();
    this.stats = { f32: 0, f16: 0, u8: 0, u8Exact: 0, u16AsF32: 0 };
    this.absorbed = new Set(); // TF nodes folded into a later node (hard-swish's parts)
    this.fusions = new Map(); // TF node name → { kind: 'hard_swish', x, scale }
    this.nameOf = new Map(); // model node index → the TF node names it holds (for layerNodes)
  }

  // ---- values

  producer(ref) {
    let n = this.graph.nodes.get(ref.name);
    for (let hops = 0; PASSTHROUGH.has(n.op) && n.inputs.length > 0 && hops < 1000; hops++)
      n = this.graph.nodes.get(n.inputs[0].name);
    return n;
  }

  value(node, slot) {
    const ref = node.inputs[slot];
    if (!ref) throw unsupported(node, `input ${slot} is missing`);
    const v = this.values.get(ref.name);
    if (!v) {
      const src = this.graph.nodes.get(ref.name);
      const err = unsupported(node, `input '${ref.name}' (${src.op}) is not something imprint computes`);
      err.needs = ref.name;
      throw err;
    }
    if (ref.index !== 0) throw unsupported(node, `reads output ${ref.index} of '${ref.name}'`);
    return v;
  }

  activation(node, slot) {
    const v = this.value(node, slot);
    if (v.constant) throw unsupported(node, `input ${slot} is a constant where an image-shaped tensor is needed`);
    return v;
  }

  constant(node, slot, what) {
    const v = this.value(node, slot);
    if (!v.constant) throw unsupported(node, `the ${what} is computed, not a constant`);
    return v.constant;
  }

  shapeOf(v) {
    return this.nodes[v.node].shape;
  }

  // ---- constants

  weightEntry(constNode) {
    const entry = this.graph.weights.get(constNode.name);
    if (!entry) throw corrupt(`constant '${constNode.name}' has no weight in the manifest`);
    return entry;
  }

  // A constant's values as numbers (float32 as the C loader and TF.js compute them; int32 exactly).
  numbers(c, node) {
    const { spec, bytes } = c.entry;
    const n = bytes.length / (spec.quantization ? { uint8: 1, uint16: 2, float16: 2 }[spec.quantization.dtype] : 4);
    if (n > 1 << 20) throw unsupported(node, `constant '${spec.name}' is too large to be a parameter`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Array(n);
    const q = spec.quantization;
    for (let i = 0; i < n; i++) {
      if (!q) out[i] = spec.dtype === 'int32' ? dv.getInt32(4 * i, true) : dv.getFloat32(4 * i, true);
      else if (q.dtype === 'float16') out[i] = halfToFloat(dv.getUint16(2 * i, true));
      else if (q.dtype === 'uint8') out[i] = Math.fround(bytes[i] * q.scale + q.min);
      else out[i] = Math.fround(dv.getUint16(2 * i, true) * q.scale + q.min);
    }
    return out;
  }

  integers(c, node, what) {
    if (c.entry.spec.dtype !== 'int32' || c.entry.spec.quantization)
      throw unsupported(node, `the ${what} '${c.entry.spec.name}' is not an int32 constant`);
    return this.numbers(c, node);
  }

  // A model file tensor for a float constant, in `shape` (same element count), written once;
  // `transpose` stores a [rows, cols] matrix as [cols, rows] (MatMul's transpose_b).
  tensor(c, shape, node, { transpose = false } = {}) {
    const { spec } = c.entry;
    const key = `${spec.name}|${shape}|${transpose}`;
    if (this.tensorCache.has(key)) return this.tensorCache.get(key);
    if (spec.dtype !== 'float32') throw unsupported(node, `constant '${spec.name}' is ${spec.dtype}, not float32`);
    if (shape.length < 1 || shape.length > 4)
      throw unsupported(node, `constant '${spec.name}' has rank ${shape.length}`);
    const count = (s) => s.reduce((a, b) => a * b, 1);
    if (count(shape) !== count(spec.shape) || count(shape) === 0)
      throw unsupported(node, `constant '${spec.name}' [${spec.shape}] does not fit [${shape}]`);
    if (this.tensors.length >= MAX_TENSORS)
      throw new TfjsGraphError('TOO_LARGE', `the model needs more than ${MAX_TENSORS} weight tensors`);
    let t;
    try {
      t = makeTensor({ spec: { ...spec, shape }, bytes: c.entry.bytes }, shape, this.stats);
    } catch (err) {
      throw corrupt(err.message);
    }
    this.checkFinite(t, spec.name);
    if (transpose) {
      const [rows, cols] = shape;
      const per = t.data.length / (rows * cols);
      const data = new Uint8Array(t.data.length);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < cols; k++) {
          const from = (r * cols + k) * per;
          data.set(t.data.subarray(from, from + per), (k * rows + r) * per);
        }
      }
      t = { ...t, shape: [cols, rows], data };
    }
    this.usedWeights.add(spec.name);
    this.tensors.push(t);
    this.tensorCache.set(key, this.tensors.length - 1);
    return this.tensors.length - 1;
  }

  // A weight that is not finite would be refused by the model file loader; here it names the weight.
  checkFinite(t, name) {
    const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (t.dtype === DTYPE.F32) {
      for (let i = 0; i < t.data.length; i += 4) {
        if (!Number.isFinite(dv.getFloat32(i, true))) throw corrupt(`weight '${name}' has a value that is not finite`);
      }
    } else if (t.dtype === DTYPE.F16) {
      for (let i = 0; i < t.data.length; i += 2) {
        if ((dv.getUint16(i, true) & 0x7c00) === 0x7c00)
          throw corrupt(`weight '${name}' has a value that is not finite`);
      }
    } else if (!Number.isFinite(t.qMin + 255 * t.qScale)) throw corrupt(`weight '${name}' has an infinite range`);
  }

  // A new float32 constant (for ops the converter adds itself).
  scalarTensor(value) {
    const key = `#scalar|${value}`;
    if (this.tensorCache.has(key)) return this.tensorCache.get(key);
    const data = new Uint8Array(new Float32Array([value]).buffer);
    this.tensors.push({ dtype: DTYPE.F32, shape: [1], data, qMin: 0, qScale: 0 });
    this.stats.f32++;
    this.tensorCache.set(key, this.tensors.length - 1);
    return this.tensors.length - 1;
  }

  // ---- nodes

  addNode(op, name, inputs, shape, fields = {}) {
    if (this.nodes.length >= MAX_NODES)
      throw new TfjsGraphError(
        'TOO_LARGE',
        `the model needs more than ${MAX_NODES} layers, the most a model file holds`,
      );
    if (!fitsModelFile(shape)) {
      throw new TfjsGraphError(
        'TOO_LARGE',
        `'${name}' would be [${shape}]: a model file's layers are at most ${MAX_SIDE} high and wide, ${MAX_CHANNELS} channels and ${LIMITS.ELEMENTS} values`,
        { node: name },
      );
    }
    let unique = name;
    for (let k = 2; this.names.has(unique); k++) unique = `${name}#${k}`;
    this.names.add(unique);
    const node = makeNode(op, unique, inputs, shape, fields);
    node.sourceRank = fields.sourceRank ?? 4;
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  // ---- window ops

  nhwc(node) {
    const format = attrString(node, 'data_format', 'NHWC');
    if (format.toUpperCase() !== 'NHWC') throw unsupported(node, `data_format ${format} (only NHWC)`);
  }

  // Reads strides/dilations/padding and returns the window's iparams and output size.
  window(node, inShape, kh, kw, { pool = false } = {}) {
    this.nhwc(node);
    const strides = attrInts(node, 'strides', [1, 1, 1, 1]);
    const dilations = pool ? [1, 1, 1, 1] : attrInts(node, 'dilations', [1, 1, 1, 1]);
    if (strides.length !== 4 || dilations.length !== 4) throw unsupported(node, 'strides and dilations need 4 values');
    if (strides[0] !== 1 || strides[3] !== 1 || dilations[0] !== 1 || dilations[3] !== 1)
      throw unsupported(node, 'strides or dilations over the batch or channel axis');
    const [, sh, sw] = strides;
    const [, dh, dw] = dilations;
    for (const v of [kh, kw, sh, sw])
      if (!(v >= 1 && v <= 1024)) throw unsupported(node, 'kernel and stride must be 1..1024');
    for (const v of [dh, dw]) if (!(v >= 1 && v <= 64)) throw unsupported(node, 'dilation must be 1..64');
    if ((dh > 1 || dw > 1) && (sh > 1 || sw > 1)) throw unsupported(node, 'dilation together with stride');
    const [h, w] = inShape;
    const padding = attrString(node, 'padding', '').toUpperCase();
    let pads;
    if (padding === 'VALID') pads = [0, 0, 0, 0];
    else if (padding === 'SAME') {
      const [pt, pb] = samePads(h, kh, sh, dh);
      const [pl, pr] = samePads(w, kw, sw, dw);
      pads = [pt, pl, pb, pr];
    } else if (padding === 'EXPLICIT' && !pool) {
      const e = attrInts(node, 'explicit_paddings', []);
      if (e.length !== 8 || e[0] || e[1] || e[6] || e[7])
        throw unsupported(node, `explicit_paddings [${e}]: 8 values, only height and width padded`);
      pads = [e[2], e[4], e[3], e[5]];
      for (const p of pads) if (!(p >= 0 && p <= 1024)) throw unsupported(node, 'explicit pads must be 0..1024');
    } else throw unsupported(node, `padding '${padding}'`);
    if (pads.some((p) => p > 1024)) throw unsupported(node, `pads [${pads}]: a model file pads by at most 1024`);
    const oh = windowOut(h, kh, sh, dh, pads[0], pads[2]);
    const ow = windowOut(w, kw, sw, dw, pads[1], pads[3]);
    if (oh < 1 || ow < 1) throw unsupported(node, `window larger than its ${h}x${w} input`);
    return { oh, ow, iparams: [kh, kw, sh, sw, dh, dw, ...pads] };
  }

  // Fused ops of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul: [] or ['BiasAdd'(, act)].
  fusedOps(node) {
    const names = attrStrings(node, 'fused_ops');
    const ops = names.map((s) => s.toLowerCase());
    if (ops.length === 0) return { bias: false, activation: null };
    if (ops[0] !== 'biasadd' || ops.length > 2) throw unsupported(node, `fused_ops [${names}]`);
    const numArgs = attrNumber(node, 'num_args', 1);
    if (numArgs !== 1) throw unsupported(node, `fused_ops [${names}] with ${numArgs} extra arguments`);
    const activation = ops[1] || null;
    if (activation && !['relu', 'relu6', 'sigmoid'].includes(activation))
      throw unsupported(node, `fused activation '${names[1]}'`);
    return { bias: true, activation };
  }

  // The clamp of a fused activation, or a SIGMOID node after `index`.
  activationAfter(node, index, activation) {
    if (activation === 'relu') this.nodes[index].fparams[0] = 0;
    else if (activation === 'relu6') [this.nodes[index].fparams[0], this.nodes[index].fparams[1]] = [0, 6];
    else if (activation === 'sigmoid') {
      this.nodes[index].name = this.renamed(index, `${node.name}/pre_activation`);
      return this.addNode(OP.SIGMOID, node.name, [index], this.nodes[index].shape.slice());
    }
    return index;
  }

  renamed(index, name) {
    this.names.delete(this.nodes[index].name);
    let unique = name;
    for (let k = 2; this.names.has(unique); k++) unique = `${name}#${k}`;
    this.names.add(unique);
    return unique;
  }

  conv(node, depthwise) {
    const x = this.activation(node, 0);
    if (x.rank !== 4) throw unsupported(node, 'the input is not an image-shaped [1, h, w, c] tensor');
    const [h, w, c] = this.shapeOf(x);
    const filter = this.constant(node, 1, 'filter');
    const fs = filter.entry.spec.shape;
    if (fs.length !== 4) throw unsupported(node, `filter shape [${fs}] is not 4-D`);
    const [kh, kw, cin, k3] = fs;
    if (cin !== c) throw unsupported(node, `filter [${fs}] expects ${cin} input channels, the input has ${c}`);
    const cout = depthwise ? c * k3 : k3;
    const fused = node.op.startsWith('_Fused') || node.op.startsWith('Fused') ? this.fusedOps(node) : { bias: false };
    const win = this.window(node, [h, w], kh, kw);
    // TF's filters are HWIO ([kh, kw, cin, cout]; depthwise [kh, kw, cin, multiplier]): the model file's layouts.
    const kernel = this.tensor(filter, fs, node);
    let bias = FORMAT.NONE;
    if (fused.bias) {
      const b = this.constant(node, 2, 'bias');
      bias = this.tensor(b, [cout], node);
    }
    const index = this.addNode(
      depthwise ? OP.DEPTHWISE_CONV2D : OP.CONV2D,
      node.name,
      [x.node],
      [win.oh, win.ow, cout],
      {
        iparams: win.iparams,
        tensors: [kernel, bias],
      },
    );
    return { node: this.activationAfter(node, index, fused.activation), rank: 4 };
  }

  matmul(node) {
    const a = this.activation(node, 0);
    if (attrBool(node, 'transpose_a', false)) throw unsupported(node, 'transpose_a');
    const [h, w, cin] = this.shapeOf(a);
    if (a.rank !== 2 || h !== 1 || w !== 1) throw unsupported(node, 'the input is not a [1, n] matrix');
    const b = this.constant(node, 1, 'weights');
    const bs = b.entry.spec.shape;
    if (bs.length !== 2) throw unsupported(node, `weights [${bs}] are not a matrix`);
    const transposeB = attrBool(node, 'transpose_b', false);
    const [k, cout] = transposeB ? [bs[1], bs[0]] : bs;
    if (k !== cin) throw unsupported(node, `weights [${bs}] do not take ${cin} inputs`);
    const kernel = this.tensor(b, bs, node, { transpose: transposeB });
    const fused = node.op === '_FusedMatMul' ? this.fusedOps(node) : { bias: false };
    let bias = FORMAT.NONE;
    if (fused.bias) bias = this.tensor(this.constant(node, 2, 'bias'), [cout], node);
    const index = this.addNode(OP.DENSE, node.name, [a.node], [1, 1, cout], { tensors: [kernel, bias], sourceRank: 2 });
    return { node: this.activationAfter(node, index, fused.activation), rank: 2 };
  }

  pool(node, op) {
    const x = this.activation(node, 0);
    if (x.rank !== 4) throw unsupported(node, 'the input is not an image-shaped [1, h, w, c] tensor');
    const [h, w, c] = this.shapeOf(x);
    const ksize = attrInts(node, 'ksize', []);
    if (ksize.length !== 4 || ksize[0] !== 1 || ksize[3] !== 1) throw unsupported(node, `ksize [${ksize}]`);
    const win = this.window(node, [h, w], ksize[1], ksize[2], { pool: true });
    return { node: this.addNode(op, node.name, [x.node], [win.oh, win.ow, c], { iparams: win.iparams }), rank: 4 };
  }

  // BiasAdd: folded into the convolution or dense layer it follows when nothing else reads that
  // layer's output and it has no bias or activation yet; else an ADD of a per-channel constant.
  biasAdd(node) {
    this.nhwc(node);
    const x = this.activation(node, 0);
    const b = this.constant(node, 1, 'bias');
    const c = this.shapeOf(x)[2];
    const src = this.nodes[x.node];
    const srcTf = this.graph.nodes.get(node.inputs[0].name);
    const foldable =
      [OP.CONV2D, OP.DEPTHWISE_CONV2D, OP.DENSE].includes(src.op) &&
      src.tensors[1] === FORMAT.NONE &&
      src.fparams[0] === -Infinity &&
      src.fparams[1] === Infinity &&
      srcTf.name === src.name &&
      this.graph.consumers.get(srcTf.name) === 1 &&
      !this.keep.has(srcTf.name);
    if (foldable) {
      src.tensors[1] = this.tensor(b, [c], node);
      src.name = this.renamed(x.node, node.name);
      this.values.delete(srcTf.name); // its own output no longer exists
      return { node: x.node, rank: x.rank };
    }
    return this.binary(node, OP.ADD);
  }

  // Add/AddV2/BiasAdd, Mul, Sub of two activations (the second the first's shape, or broadcast over
  // h and w: a squeeze-and-excite gate), or of an activation and a per-channel or scalar constant.
  binary(node, op) {
    if (node.inputs.length !== 2) throw unsupported(node, `${node.inputs.length} inputs`);
    let a = this.value(node, 0);
    let b = this.value(node, 1);
    if (a.constant && b.constant) throw unsupported(node, 'both inputs are constants (no constant folding)');
    const commutative = op !== OP.SUB;
    if (a.constant) {
      if (commutative) [a, b] = [b, a];
      else {
        // c − x = (x × −1) + c
        const neg = this.addNode(OP.MUL, `${node.name}/negate`, [b.node], this.shapeOf(b).slice(), {
          tensors: [this.scalarTensor(-1)],
          sourceRank: b.rank,
        });
        return this.constantOperand(node, OP.ADD, { node: neg, rank: b.rank }, a.constant, node.name);
      }
    }
    if (b.constant) return this.constantOperand(node, op, a, b.constant, node.name);
    const sa = this.shapeOf(a);
    const sb = this.shapeOf(b);
    const rank = Math.max(a.rank, b.rank);
    const fits = (big, small) =>
      (small[0] === big[0] && small[1] === big[1] && small[2] === big[2]) ||
      (small[0] === 1 && small[1] === 1 && (small[2] === big[2] || small[2] === 1));
    if (fits(sa, sb))
      return { node: this.addNode(op, node.name, [a.node, b.node], sa.slice(), { sourceRank: rank }), rank };
    if (fits(sb, sa)) {
      if (commutative)
        return { node: this.addNode(op, node.name, [b.node, a.node], sb.slice(), { sourceRank: rank }), rank };
      // a − b with a broadcast: −(b − a)
      const diff = this.addNode(OP.SUB, `${node.name}/reversed`, [b.node, a.node], sb.slice(), { sourceRank: rank });
      return {
        node: this.addNode(OP.MUL, node.name, [diff], sb.slice(), {
          tensors: [this.scalarTensor(-1)],
          sourceRank: rank,
        }),
        rank,
      };
    }
    throw unsupported(node, `shapes [${sa}] and [${sb}] do not broadcast the ways a model file supports`);
  }

  constantOperand(node, op, x, c, name) {
    const shape = this.shapeOf(x);
    const cs = c.entry.spec.shape;
    const n = cs.reduce((p, d) => p * d, 1);
    const leadingOnes = cs.slice(0, -1).every((d) => d === 1);
    let tshape;
    if (n === 1) tshape = [1];
    else if (leadingOnes && cs[cs.length - 1] === shape[2] && cs.length <= x.rank) tshape = [shape[2]];
    else throw unsupported(node, `constant '${c.entry.spec.name}' [${cs}] is neither per channel nor a scalar`);
    const rank = Math.max(x.rank, cs.length);
    if (rank !== x.rank && !(shape[0] === 1 && shape[1] === 1))
      throw unsupported(node, `constant [${cs}] changes the rank`);
    return {
      node: this.addNode(op, name, [x.node], shape.slice(), {
        tensors: [this.tensor(c, tshape, node)],
        sourceRank: rank,
      }),
      rank,
    };
  }

  clamp(node, lo, hi) {
    const x = this.activation(node, 0);
    return {
      node: this.addNode(OP.CLAMP, node.name, [x.node], this.shapeOf(x).slice(), {
        outMin: lo,
        outMax: hi,
        sourceRank: x.rank,
      }),
      rank: x.rank,
    };
  }

  unary(node, op) {
    const x = this.activation(node, 0);
    return {
      node: this.addNode(op, node.name, [x.node], this.shapeOf(x).slice(), { sourceRank: x.rank }),
      rank: x.rank,
    };
  }

  hardSwish(node, fusion) {
    const x = this.values.get(fusion.x.name);
    if (!x || x.constant || fusion.x.index !== 0)
      throw unsupported(node, `hard-swish of '${fusion.x.name}', which imprint does not compute`);
    const shape = this.shapeOf(x).slice();
    // TF.js computes (x × c) × relu6(x + 3); HARD_SWISH is x × relu6(x + 3) / 6, so a c that is not
    // exactly 1/6 (a float16 weight is 0.16663) becomes a scale by 6c after it.
    const exact = Math.fround(fusion.scale) === Math.fround(1 / 6);
    const hs = this.addNode(OP.HARD_SWISH, exact ? node.name : `${node.name}/hard_swish`, [x.node], shape, {
      sourceRank: x.rank,
    });
    if (exact) return { node: hs, rank: x.rank };
    const scale = this.scalarTensor(Math.fround(6 * fusion.scale));
    return {
      node: this.addNode(OP.MUL, node.name, [hs], shape, { tensors: [scale], sourceRank: x.rank }),
      rank: x.rank,
    };
  }

  mean(node) {
    const x = this.activation(node, 0);
    const axes = this.integers(this.constant(node, 1, 'axes'), node, 'axes')
      .map((a) => (a < 0 ? a + x.rank : a))
      .sort();
    if (x.rank !== 4 || axes.join() !== '1,2')
      throw unsupported(node, 'only the mean over height and width (axes 1 and 2) of [1, h, w, c]');
    const keep = attrBool(node, 'keep_dims', false);
    const c = this.shapeOf(x)[2];
    return {
      node: this.addNode(OP.GLOBAL_AVG_POOL, node.name, [x.node], [1, 1, c], { sourceRank: keep ? 4 : 2 }),
      rank: keep ? 4 : 2,
    };
  }

  concat(node) {
    const n = node.inputs.length - 1;
    if (n < 1) throw unsupported(node, 'no inputs');
    const axisList = this.integers(this.constant(node, n, 'axis'), node, 'axis');
    const parts = [];
    for (let i = 0; i < n; i++) parts.push(this.activation(node, i));
    const rank = parts[0].rank;
    const axis = axisList.length === 1 ? (axisList[0] < 0 ? axisList[0] + rank : axisList[0]) : NaN;
    if (axis !== rank - 1 || parts.some((p) => p.rank !== rank))
      throw unsupported(node, `axis ${axisList}: only the channel axis`);
    const shapes = parts.map((p) => this.shapeOf(p));
    for (const s of shapes)
      if (s[0] !== shapes[0][0] || s[1] !== shapes[0][1]) throw unsupported(node, 'inputs differ in h or w');
    if (n === 1) return parts[0];
    let acc = parts.slice(0, FORMAT.MAX_INPUTS).map((p) => p.node);
    let rest = parts.slice(FORMAT.MAX_INPUTS).map((p) => p.node);
    const channels = (list) => list.reduce((sum, i) => sum + this.nodes[i].shape[2], 0);
    for (let part = 0; ; part++) {
      const last = rest.length === 0;
      const shape = [shapes[0][0], shapes[0][1], channels(acc)];
      const index = this.addNode(OP.CONCAT, last ? node.name : `${node.name}/part${part}`, acc, shape, {
        sourceRank: rank,
      });
      if (last) return { node: index, rank };
      acc = [index, ...rest.slice(0, FORMAT.MAX_INPUTS - 1)];
      rest = rest.slice(FORMAT.MAX_INPUTS - 1);
    }
  }

  pad(node) {
    const x = this.activation(node, 0);
    if (x.rank !== 4) throw unsupported(node, 'the input is not an image-shaped [1, h, w, c] tensor');
    const p = this.integers(this.constant(node, 1, 'paddings'), node, 'paddings');
    if (p.length !== 8) throw unsupported(node, 'paddings must be [4, 2]');
    if (node.op === 'PadV2') {
      const fill = this.numbers(this.constant(node, 2, 'constant value'), node);
      if (fill.length !== 1 || fill[0] !== 0) throw unsupported(node, 'only zero padding');
    }
    if (p[0] || p[1] || p[6] || p[7]) throw unsupported(node, 'only height and width can be padded');
    const [top, bottom, left, right] = [p[2], p[3], p[4], p[5]];
    for (const v of [top, bottom, left, right])
      if (!(v >= 0 && v <= 1024)) throw unsupported(node, 'pads must be 0..1024');
    const [h, w, c] = this.shapeOf(x);
    return {
      node: this.addNode(OP.ZERO_PAD, node.name, [x.node], [h + top + bottom, w + left + right, c], {
        iparams: [0, 0, 0, 0, 0, 0, top, left, bottom, right],
      }),
      rank: 4,
    };
  }

  // Reshape: only what keeps the data's order (flattening, or to the same shape).
  reshape(node) {
    const x = this.activation(node, 0);
    const [h, w, c] = this.shapeOf(x);
    const size = h * w * c;
    const target = this.integers(this.constant(node, 1, 'shape'), node, 'shape');
    const free = target.filter((d) => d === -1).length;
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (free > 1 || target.some((d) => d < -1 || d === 0) || target.length > 4 || known < 1)
      throw unsupported(node, `shape [${target}]`);
    const dims = target.map((d) => (d === -1 ? size / known : d));
    if (!dims.every(Number.isInteger) || dims.reduce((a, b) => a * b, 1) !== size || dims[0] !== 1)
      throw unsupported(node, `cannot reshape [1, ${h}, ${w}, ${c}] to [${target}]`);
    const rest = dims.slice(1);
    if (rest.length === 3 && rest[0] === h && rest[1] === w && rest[2] === c) return { node: x.node, rank: 4 };
    if (rest.length >= 1 && rest.slice(0, -1).every((d) => d === 1)) {
      if (h === 1 && w === 1) return { node: x.node, rank: dims.length };
      return {
        node: this.addNode(OP.FLATTEN, node.name, [x.node], [1, 1, size], { sourceRank: dims.length }),
        rank: dims.length,
      };
    }
    throw unsupported(node, `reshape to [${dims}] is not supported (only flattening)`);
  }

  squeeze(node) {
    const x = this.activation(node, 0);
    const [h, w] = this.shapeOf(x);
    const dims = attrInts(node, 'squeeze_dims', [])
      .map((a) => (a < 0 ? a + x.rank : a))
      .sort();
    if (x.rank === 4 && h === 1 && w === 1 && (dims.length === 0 || dims.join() === '1,2'))
      return { node: x.node, rank: 2 };
    throw unsupported(node, `squeeze_dims [${dims}] of a [1, ${h}, ${w}, c] tensor`);
  }

  resizeBilinear(node) {
    const x = this.activation(node, 0);
    if (x.rank !== 4) throw unsupported(node, 'the input is not an image-shaped [1, h, w, c] tensor');
    const size = this.integers(this.constant(node, 1, 'size'), node, 'size');
    const alignCorners = attrBool(node, 'align_corners', false);
    const halfPixel = attrBool(node, 'half_pixel_centers', false);
    if (size.length !== 2 || !size.every((d) => d >= 1 && d <= MAX_SIDE)) throw unsupported(node, `size [${size}]`);
    if (alignCorners && halfPixel) throw unsupported(node, 'align_corners together with half_pixel_centers');
    const c = this.shapeOf(x)[2];
    return {
      node: this.addNode(OP.RESIZE_BILINEAR, node.name, [x.node], [size[0], size[1], c], {
        iparams: [size[0], size[1], alignCorners ? 1 : 0, halfPixel ? 1 : 0],
      }),
      rank: 4,
    };
  }

  softmax(node) {
    return this.unary(node, OP.SOFTMAX);
  }

  placeholder(node) {
    const shape = placeholderShape(node);
    const dtype = node.attr.dtype && node.attr.dtype.type;
    if (dtype != null && dtype !== 'DT_FLOAT' && dtype !== 1)
      throw unsupported(node, `input dtype ${dtype} (only float32)`);
    if (!shape || shape.length !== 4 || !(shape[0] === 1 || shape[0] === -1) || shape[3] !== 3)
      throw unsupported(node, `input shape [${shape}]: an image input [1, h, w, 3] is needed`);
    let [, h, w] = shape;
    if (this.options.inputSize) [h, w] = this.options.inputSize;
    if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 1 && w >= 1)) {
      throw new TfjsGraphError(
        'INVALID_ARGUMENT',
        `input '${node.name}' has no fixed size [${shape}]; give one (inputSize / --input-size HxW)`,
      );
    }
    return { node: this.addNode(OP.INPUT, node.name, [], [h, w, 3]), rank: 4 };
  }

  convert(node) {
    const fusion = this.fusions.get(node.name);
    if (fusion) return this.hardSwish(node, fusion);
    switch (node.op) {
      case 'Const':
        return { constant: { entry: this.weightEntry(node) } };
      case 'Identity':
      case 'StopGradient':
      case 'Snapshot':
      case 'PreventGradient':
        return this.value(node, 0);
      case 'Conv2D':
      case '_FusedConv2D':
        return this.conv(node, false);
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return this.conv(node, true);
      case 'MatMul':
      case '_FusedMatMul':
        return this.matmul(node);
      case 'BiasAdd':
        return this.biasAdd(node);
      case 'Add':
      case 'AddV2':
        return this.binary(node, OP.ADD);
      case 'Sub':
        return this.binary(node, OP.SUB);
      case 'Mul':
        return this.binary(node, OP.MUL);
      case 'Relu':
        return this.clamp(node, 0, Infinity);
      case 'Relu6':
        return this.clamp(node, 0, 6);
      case 'Sigmoid':
        return this.unary(node, OP.SIGMOID);
      case 'Softmax':
        return this.softmax(node);
      case 'Mean':
        return this.mean(node);
      case 'ConcatV2':
        return this.concat(node);
      case 'Pad':
      case 'PadV2':
        return this.pad(node);
      case 'MaxPool':
        return this.pool(node, OP.MAX_POOL);
      case 'AvgPool':
        return this.pool(node, OP.AVG_POOL);
      case 'Reshape':
        return this.reshape(node);
      case 'Squeeze':
        return this.squeeze(node);
      case 'ResizeBilinear':
        return this.resizeBilinear(node);
      case 'Placeholder':
        return this.placeholder(node);
      default:
        throw unsupported(node, 'this op is not supported');
    }
  }

  // Builds `order` (TF nodes in topological order). With `tolerant`, a node that cannot be
  // converted is recorded in `failures` and skipped (what depends on it then fails too).
  build(order, { tolerant = false, failures = null } = {}) {
    for (const node of order) {
      if (this.absorbed.has(node.name)) continue;
      let v;
      try {
        v = this.convert(node);
      } catch (err) {
        if (!tolerant || !(err instanceof TfjsGraphError)) throw err;
        if (failures) failures.set(node.name, err);
        continue;
      }
      this.values.set(node.name, v);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Which nodes: topological order, the embedding's ancestors, hard-swish patterns.

// The nodes `targets` need, in topological order (Kahn's algorithm, no recursion). A cycle among
// them is a damaged file for what this reader supports (control flow is not supported); with
// `tolerant` (listing, the default choice) the nodes on and after a cycle are left out.
function orderFor(graph, targets, { tolerant = false } = {}) {
  const need = new Set();
  const stack = [...targets];
  while (stack.length) {
    const name = stack.pop();
    if (need.has(name)) continue;
    need.add(name);
    for (const ref of graph.nodes.get(name).inputs) if (!need.has(ref.name)) stack.push(ref.name);
  }
  const pending = new Map();
  const readers = new Map();
  for (const name of need) {
    const node = graph.nodes.get(name);
    pending.set(name, node.inputs.length);
    for (const ref of node.inputs) {
      if (!readers.has(ref.name)) readers.set(ref.name, []);
      readers.get(ref.name).push(name);
    }
  }
  const ready = [...need]
    .filter((n) => pending.get(n) === 0)
    .sort((a, b) => graph.nodes.get(a).order - graph.nodes.get(b).order);
  const order = [];
  while (ready.length) {
    const name = ready.pop();
    order.push(graph.nodes.get(name));
    for (const r of readers.get(name) || []) {
      const left = pending.get(r) - 1;
      pending.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (order.length !== need.size && !tolerant) {
    const stuck = [...need].find((n) => pending.get(n) > 0);
    const node = graph.nodes.get(stuck);
    if (!SUPPORTED_OPS.has(node.op)) throw unsupported(node, 'this op is not supported');
    throw corrupt(`the graph has a cycle through node '${stuck}'`);
  }
  return order;
}

// The scalar value of a Const (through passthroughs), or null.
function scalarConst(graph, ref) {
  let n = graph.nodes.get(ref.name);
  for (let hops = 0; PASSTHROUGH.has(n.op) && n.inputs.length && hops < 1000; hops++)
    n = graph.nodes.get(n.inputs[0].name);
  if (n.op !== 'Const') return null;
  const entry = graph.weights.get(n.name);
  if (!entry || entry.spec.dtype !== 'float32' || entry.spec.shape.reduce((a, b) => a * b, 1) !== 1) return null;
  const { spec, bytes } = entry;
  const q = spec.quantization;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!q) return dv.getFloat32(0, true);
  if (q.dtype === 'float16') return halfToFloat(dv.getUint16(0, true));
  if (q.dtype === 'uint8') return Math.fround(bytes[0] * q.scale + q.min);
  return Math.fround(dv.getUint16(0, true) * q.scale + q.min);
}

const sameRef = (a, b) => a.name === b.name && a.index === b.index;

/**
 * Finds hard-swish as TF writes it, (x × c) × relu6(x + 3) or (x × relu6(x + 3)) × c with c ≈ 1/6
 * (MobileNetV3's spelling, the operands in either order), so it becomes one HARD_SWISH node.
 * The parts must be read by nothing else and not be embedding layers.
 */
function findHardSwish(graph, order, keep) {
  const fusions = new Map();
  const absorbed = new Set();
  const node = (ref) => graph.nodes.get(ref.name);
  const internal = (n) => n && graph.consumers.get(n.name) === 1 && !keep.has(n.name);
  const isAdd = (n) => n && (n.op === 'Add' || n.op === 'AddV2') && n.inputs.length === 2;
  // relu6(x + 3) → { x, parts }
  const relu6Plus3 = (ref) => {
    const r = node(ref);
    if (!r || r.op !== 'Relu6' || r.inputs.length !== 1 || ref.index !== 0 || !internal(r)) return null;
    const a = node(r.inputs[0]);
    if (!isAdd(a) || !internal(a)) return null;
    for (const [xs, cs] of [
      [0, 1],
      [1, 0],
    ]) {
      if (scalarConst(graph, a.inputs[cs]) === 3) return { x: a.inputs[xs], parts: [r.name, a.name] };
    }
    return null;
  };
  // x × c → { x, c, parts }
  const timesConst = (ref) => {
    const m = node(ref);
    if (!m || m.op !== 'Mul' || m.inputs.length !== 2 || !internal(m)) return null;
    for (const [xs, cs] of [
      [0, 1],
      [1, 0],
    ]) {
      const c = scalarConst(graph, m.inputs[cs]);
      if (c !== null && scalarConst(graph, m.inputs[xs]) === null) return { x: m.inputs[xs], c, parts: [m.name] };
    }
    return null;
  };
  const nearSixth = (c) => Math.abs(6 * c - 1) <= 1e-3;
  for (const m of order) {
    if (m.op !== 'Mul' || m.inputs.length !== 2) continue;
    for (const [u, v] of [
      [m.inputs[0], m.inputs[1]],
      [m.inputs[1], m.inputs[0]],
    ]) {
      // (x × c) × relu6(x + 3)
      const r = relu6Plus3(v);
      const p = r && timesConst(u);
      if (r && p && sameRef(r.x, p.x) && nearSixth(p.c)) {
        fusions.set(m.name, { kind: 'hard_swish', x: r.x, scale: p.c });
        for (const part of [...r.parts, ...p.parts]) absorbed.add(part);
        break;
      }
      // (x × relu6(x + 3)) × c
      const c = scalarConst(graph, v);
      const q = c !== null && nearSixth(c) ? node(u) : null;
      if (q && q.op === 'Mul' && q.inputs.length === 2 && internal(q)) {
        const [q0, q1] = q.inputs;
        const r2 = relu6Plus3(q1) || relu6Plus3(q0);
        const other = r2 && (relu6Plus3(q1) ? q0 : q1);
        if (r2 && sameRef(r2.x, other)) {
          fusions.set(m.name, { kind: 'hard_swish', x: r2.x, scale: c });
          for (const part of [...r2.parts, q.name]) absorbed.add(part);
          break;
        }
      }
    }
  }
  return { fusions, absorbed };
}

// Finds a node by its exact name, else by consecutive '/'-separated segments of its name
// ('expanded_conv_14/add', 'extern1'): all matches must lie in one scope (the name up to the
// segments), and the scope's output is taken: its one node that no other node of the scope reads
// ('extern1' → 'tower_0/extern1/hard_swish/mul_1').
function findNode(graph, name) {
  if (graph.nodes.has(name)) return name;
  const want = name.split('/');
  const scopes = new Map();
  for (const n of graph.nodes.values()) {
    if (n.op === 'Const') continue;
    const parts = n.name.split('/');
    for (let i = 0; i + want.length <= parts.length; i++) {
      if (want.every((w, k) => parts[i + k] === w)) {
        const scope = parts.slice(0, i + want.length).join('/');
        if (!scopes.has(scope)) scopes.set(scope, []);
        scopes.get(scope).push(n.name);
        break;
      }
    }
  }
  if (scopes.size === 0) {
    throw new TfjsGraphError(
      'INVALID_ARGUMENT',
      `no node is named '${name}' (list them with: imprint info <model.json> --layers)`,
    );
  }
  const list = (names) => `'${names.slice(0, 5).join("', '")}'${names.length > 5 ? ', ...' : ''}`;
  if (scopes.size > 1) {
    throw new TfjsGraphError(
      'INVALID_ARGUMENT',
      `'${name}' names several layers (${list([...scopes.keys()])}): give more of the name`,
    );
  }
  const [members] = scopes.values();
  const inScope = new Set(members);
  const read = new Set();
  for (const m of members) for (const ref of graph.nodes.get(m).inputs) if (inScope.has(ref.name)) read.add(ref.name);
  const outputs = members.filter((m) => !read.has(m));
  if (outputs.length !== 1) {
    throw new TfjsGraphError(
      'INVALID_ARGUMENT',
      `'${name}' has ${outputs.length} outputs (${list(outputs)}): name one of them`,
    );
  }
  return outputs[0];
}

function theInput(graph) {
  if (graph.placeholders.length !== 1) {
    throw new TfjsGraphError(
      'UNSUPPORTED_OP',
      `the graph has ${graph.placeholders.length} inputs; one image input is needed`,
    );
  }
  if (graph.placeholders[0].op !== 'Placeholder')
    throw unsupported(graph.placeholders[0], 'an input must be a plain Placeholder');
  return graph.placeholders[0];
}

// Everything the outputs need, built tolerantly: the nodes imprint computes and why the others fail.
function buildAll(graph, options, targets) {
  const order = orderFor(graph, targets, { tolerant: true });
  const b = new GraphBuilder(graph, options, new Set());
  const input = theInput(graph);
  b.values.set(input.name, b.placeholder(input));
  Object.assign(b, findHardSwish(graph, order, new Set()));
  const failures = new Map();
  b.build(
    order.filter((n) => n !== input),
    { tolerant: true, failures },
  );
  return { b, order, failures };
}

// Without --embed: the deepest image-shaped layer (longest path from the input; ties: more
// channels, then later) that the outputs need and imprint computes.
function defaultEmbed(graph, options) {
  const { b, order } = buildAll(graph, options, graph.outputs);
  const depth = new Array(b.nodes.length).fill(0);
  b.nodes.forEach((n, i) => {
    for (const k of n.inputs) depth[i] = Math.max(depth[i], depth[k] + 1);
  });
  let best = null;
  for (const n of order) {
    const v = b.values.get(n.name);
    if (!v || v.constant || v.rank !== 4 || v.node === 0 || n.op === 'Const' || PASSTHROUGH.has(n.op)) continue;
    if (b.nodes[v.node].name !== n.name) continue; // a reshape that kept its input's node
    const [h, w, c] = b.nodes[v.node].shape;
    if (h * w < 2) continue;
    const score = [depth[v.node], c];
    if (!best || score[0] > best.score[0] || (score[0] === best.score[0] && score[1] >= best.score[1]))
      best = { name: n.name, score };
  }
  if (!best)
    throw new TfjsGraphError(
      'UNSUPPORTED_OP',
      'no image-shaped layer of this model can be computed by the supported ops',
    );
  return best.name;
}

/**
 * Reads a TF.js graph model into a model file graph (for writeGraph in convert.js).
 * @param {object} json  the parsed model.json
 * @param {ArrayBuffer|Uint8Array} weightData  the weight files' bytes, concatenated in manifest order
 * @param {{embed?: string|string[], inputSize?: number[], name?: string}} [options]  embed: node
 *   names (exact, or a unique scope such as 'expanded_conv_14/add'); without it, the deepest
 *   image-shaped layer the outputs need that imprint computes (chosenEmbed says so)
 */
function readTfjsGraphModel(json, weightData, options = {}) {
  const graph = readGraphModel(json, weightData);
  const input = theInput(graph);
  let embed = options.embed;
  if (typeof embed === 'string')
    embed = embed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  let targets;
  let chosen = false;
  if (embed && embed.length) targets = embed.map((name) => findNode(graph, name));
  else {
    targets = [defaultEmbed(graph, options)];
    chosen = true;
  }
  const order = orderFor(graph, targets);
  if (!order.includes(input))
    throw new TfjsGraphError('INVALID_ARGUMENT', `'${targets[0]}' is not computed from the input`);
  const keep = new Set(targets);
  const b = new GraphBuilder(graph, options, keep);
  Object.assign(b, findHardSwish(graph, order, keep));
  b.values.set(input.name, b.placeholder(input));
  b.build(order.filter((n) => n !== input));
  for (const t of targets) {
    const v = b.values.get(t);
    if (!v || v.constant || v.node === 0) {
      throw new TfjsGraphError(
        'INVALID_ARGUMENT',
        `'${t}' is not computed from the input, so it cannot be the embedding`,
      );
    }
  }
  // Two names for one layer (a Squeeze or Identity and the node it passes on): one embedding.
  const byNode = new Map();
  for (const t of targets) {
    const node = b.values.get(t).node;
    if (byNode.has(node)) {
      throw new TfjsGraphError(
        'INVALID_ARGUMENT',
        `'${t}' and '${byNode.get(node)}' are the same layer (one passes the other on); name it once`,
      );
    }
    byNode.set(node, t);
  }
  const layerNodes = new Map();
  for (const [name, v] of b.values) if (!v.constant) layerNodes.set(name, v.node);
  for (const [i, n] of b.nodes.entries()) if (!layerNodes.has(n.name)) layerNodes.set(n.name, i);
  return {
    name: options.name || 'tfjs-graph-model',
    nodes: b.nodes,
    tensors: b.tensors,
    layerNodes,
    weightDtypes: b.stats,
    unusedWeights: [...graph.weights.keys()].filter((n) => !b.usedWeights.has(n)),
    embedNames: targets,
    chosenEmbed: chosen,
  };
}

/**
 * Lists a graph model's nodes (constants left out) with their op, output shape [1, h, w, c] or
 * [1, n] where imprint computes them, and whether it does: what `imprint info <model.json>
 * --layers` prints.
 */
function listTfjsGraphLayers(json, weightData, options = {}) {
  const graph = readGraphModel(json, weightData);
  const names = [...graph.nodes.values()].filter((n) => n.op !== 'Const' && n.op !== 'NoOp').map((n) => n.name);
  const { b, order, failures } = buildAll(graph, options, names);
  return order
    .filter((n) => n.op !== 'Const' && n.op !== 'NoOp')
    .map((n) => {
      const v = b.values.get(n.name);
      const shape = v && !v.constant ? b.nodes[v.node].shape : null;
      const out = {
        name: n.name,
        op: n.op,
        shape: shape ? (v.rank === 4 ? [1, ...shape] : [1, shape[2]]) : null,
        supported: Boolean(v) || b.absorbed.has(n.name),
      };
      if (b.absorbed.has(n.name)) out.note = 'part of a hard-swish';
      const why = failures.get(n.name);
      if (why && why.needs) out.needs = why.needs;
      else if (why) out.reason = why.message;
      return out;
    });
}

module.exports = {
  TfjsGraphError,
  LIMITS,
  SUPPORTED_OPS,
  parseModelJson,
  isGraphModelJson,
  readGraphModel,
  readTfjsGraphModel,
  listTfjsGraphLayers,
};
