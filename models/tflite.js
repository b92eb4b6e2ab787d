'use strict';
// tflite.js — TensorFlow Lite flatbuffers → a model file graph (models/MODEL_FORMAT.md).
//
// The reader follows TensorFlow Lite's schema (tensorflow/lite/schema/schema.fbs, file identifier
// "TFL3"): Model { operator_codes, subgraphs, buffers }, SubGraph { tensors, inputs, outputs,
// operators }, Tensor { shape, type, buffer, name, quantization }, Operator { opcode_index, inputs,
// outputs, builtin_options }. Only the first subgraph is read. Every offset is checked against the
// file before it is followed, and counts are bounded by the bytes that would hold them, so a damaged
// file is an error naming the field, never an out-of-bounds read or a huge allocation.
//
// Graph building: only the operators needed for the embedding tensors are converted, so a detector
// whose head uses operators imprint does not run still converts for its backbone. Constant tensors
// (weights) are read from their buffers, through DEQUANTIZE when the file stores them as float16 or
// int8/uint8; float16 stays float16 in the model file, quantized weights are dequantized to float32.
// Activations must be float32 (fully integer-quantized models are refused).

const { FORMAT, OP, DTYPE, samePads, windowOut, makeNode } = require('./model-format.js');

/** A TFLite file that cannot be read or converted; `op`/`node` name the operator when known. */
class TfliteError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = 'TfliteError';
    Object.assign(this, details);
  }
}

// BuiltinOperator values (schema.fbs) for the operators this file knows by name.
const BUILTIN = Object.freeze({
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU_N1_TO_1: 20,
  RELU6: 21,
  RESHAPE: 22,
  RESIZE_BILINEAR: 23,
  SOFTMAX: 25,
  TANH: 28,
  CUSTOM: 32,
  PAD: 34,
  MEAN: 40,
  SUB: 41,
  DIV: 42,
  SQUEEZE: 43,
  TRANSPOSE_CONV: 67,
  QUANTIZE: 114,
  HARD_SWISH: 117,
});
const BUILTIN_NAMES = new Map(Object.entries(BUILTIN).map(([k, v]) => [v, k]));

// TensorType (schema.fbs).
const TYPE = Object.freeze({ FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 });
const TYPE_NAMES = ['FLOAT32', 'FLOAT16', 'INT32', 'UINT8', 'INT64', 'STRING', 'BOOL', 'INT16', 'COMPLEX64', 'INT8'];
const TYPE_BYTES = { 0: 4, 1: 2, 2: 4, 3: 1, 4: 8, 9: 1 };

// ActivationFunctionType → clamp range.
const ACTIVATIONS = { 0: [-Infinity, Infinity], 1: [0, Infinity], 2: [-1, 1], 3: [0, 6] };
const ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

const MAX_ELEMENTS = 2 ** 28; // the model file's limit per tensor
// The model file's limits on every node's output (MODEL_FORMAT.md, validation step 5): what the
// loader would refuse is refused here, naming the tensor.
const MAX_SIDE = 16384;
const MAX_CHANNELS = 2 ** 20;
const MAX_NODES = 16384; // and tensors (MODEL_FORMAT.md, validation step 2)
const MAX_TENSORS = 65536;
const fitsModelFile = ([h, w, c]) =>
  h >= 1 && w >= 1 && c >= 1 && h <= MAX_SIDE && w <= MAX_SIDE && c <= MAX_CHANNELS && h * w * c <= MAX_ELEMENTS;

// ---------------------------------------------------------------------------------------------
// Flatbuffer access with bounds checks.

const UTF8 = new TextDecoder('utf-8', { fatal: true });

class FlatReader {
  constructor(bytes) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.length;
  }

  need(at, n, what) {
    if (!Number.isInteger(at) || at < 0 || at + n > this.length) {
      throw new TfliteError(
        `TFLite file is damaged or truncated: ${what} at byte ${at} is outside its ${this.length} bytes`,
      );
    }
  }

  u8(at, what) {
    this.need(at, 1, what);
    return this.dv.getUint8(at);
  }
  u16(at, what) {
    this.need(at, 2, what);
    return this.dv.getUint16(at, true);
  }
  i32(at, what) {
    this.need(at, 4, what);
    return this.dv.getInt32(at, true);
  }
  u32(at, what) {
    this.need(at, 4, what);
    return this.dv.getUint32(at, true);
  }
  f32(at, what) {
    this.need(at, 4, what);
    return this.dv.getFloat32(at, true);
  }
  u64(at, what) {
    this.need(at, 8, what);
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TfliteError(`TFLite file is damaged: ${what} is ${v}`);
    return Number(v);
  }
  i64(at, what) {
    this.need(at, 8, what);
    return Number(this.dv.getBigInt64(at, true));
  }

  // The table at absolute position `pos`: its vtable's field offsets.
  table(pos, what) {
    const soffset = this.i32(pos, `${what} table`);
    const vt = pos - soffset;
    const vtBytes = this.u16(vt, `${what} vtable`);
    if (vtBytes < 4 || vtBytes % 2 !== 0)
      throw new TfliteError(`TFLite file is damaged: ${what} vtable size ${vtBytes}`);
    this.need(vt, vtBytes, `${what} vtable`);
    const tableBytes = this.u16(vt + 2, `${what} vtable`);
    this.need(pos, Math.max(tableBytes, 4), `${what} table`);
    return { pos, vt, fields: (vtBytes - 4) / 2, tableBytes, what };
  }

  // Absolute position of field `i` of table `t`, or 0 when absent.
  field(t, i) {
    if (i >= t.fields) return 0;
    const off = this.u16(t.vt + 4 + 2 * i, `${t.what} vtable`);
    if (off === 0) return 0;
    if (off >= t.tableBytes)
      throw new TfliteError(`TFLite file is damaged: ${t.what} field ${i} lies outside its table`);
    return t.pos + off;
  }

  // Scalars with their schema defaults.
  fieldU8(t, i, dflt = 0) {
    const at = this.field(t, i);
    return at ? this.u8(at, `${t.what} field ${i}`) : dflt;
  }
  fieldI32(t, i, dflt = 0) {
    const at = this.field(t, i);
    return at ? this.i32(at, `${t.what} field ${i}`) : dflt;
  }
  fieldU32(t, i, dflt = 0) {
    const at = this.field(t, i);
    return at ? this.u32(at, `${t.what} field ${i}`) : dflt;
  }
  fieldF32(t, i, dflt = 0) {
    const at = this.field(t, i);
    return at ? this.f32(at, `${t.what} field ${i}`) : dflt;
  }
  fieldU64(t, i, dflt = 0) {
    const at = this.field(t, i);
    return at ? this.u64(at, `${t.what} field ${i}`) : dflt;
  }
  fieldBool(t, i) {
    return this.fieldU8(t, i, 0) !== 0;
  }

  // Follows a uoffset stored at `at`.
  deref(at, what) {
    const target = at + this.u32(at, what);
    this.need(target, 4, what);
    return target;
  }

  // A vector field: { at (first element), length }; elements of `elemBytes` must fit the file.
  vector(t, i, elemBytes) {
    const fat = this.field(t, i);
    if (!fat) return null;
    const what = `${t.what} field ${i} (vector)`;
    const v = this.deref(fat, what);
    const length = this.u32(v, what);
    this.need(v + 4, length * elemBytes, what);
    return { at: v + 4, length };
  }

  // A string field: UTF-8 without NUL (names become model file names, which must be).
  string(t, i) {
    const v = this.vector(t, i, 1);
    if (!v) return null;
    const raw = this.bytes.subarray(v.at, v.at + v.length);
    let text = null;
    try {
      text = UTF8.decode(raw);
    } catch {
      // not UTF-8: refused below
    }
    if (text === null || text.includes('\0')) {
      throw new TfliteError(`TFLite file is damaged: ${t.what} field ${i} is not a UTF-8 string without NUL`);
    }
    return text;
  }

  tableField(t, i, what) {
    const fat = this.field(t, i);
    return fat ? this.table(this.deref(fat, what), what) : null;
  }

  // Tables of a vector-of-tables field.
  tables(t, i, what) {
    const v = this.vector(t, i, 4);
    if (!v) return [];
    const out = [];
    for (let k = 0; k < v.length; k++) out.push(this.table(this.deref(v.at + 4 * k, what), `${what} ${k}`));
    return out;
  }

  ints(t, i) {
    const v = this.vector(t, i, 4);
    if (!v) return null;
    const out = new Array(v.length);
    for (let k = 0; k < v.length; k++) out[k] = this.dv.getInt32(v.at + 4 * k, true);
    return out;
  }

  floats(t, i) {
    const v = this.vector(t, i, 4);
    if (!v) return null;
    const out = new Array(v.length);
    for (let k = 0; k < v.length; k++) out[k] = this.dv.getFloat32(v.at + 4 * k, true);
    return out;
  }

  longs(t, i) {
    const v = this.vector(t, i, 8);
    if (!v) return null;
    const out = new Array(v.length);
    for (let k = 0; k < v.length; k++) out[k] = Number(this.dv.getBigInt64(v.at + 8 * k, true));
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Schema-level reading.

/**
 * Reads a TFLite file's first subgraph.
 * @param {Uint8Array} bytes
 * @returns {{description: string|null, tensors: object[], operators: object[], inputs: number[],
 *   outputs: number[], buffers: (Uint8Array|null)[]}}
 */
function readTflite(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TfliteError('a TFLite model must be given as bytes');
  if (bytes.length < 8 || Buffer.from(bytes.subarray(4, 8)).toString('latin1') !== 'TFL3') {
    throw new TfliteError('not a TFLite file (no "TFL3" identifier at byte 4)');
  }
  const r = new FlatReader(bytes);
  const model = r.table(r.deref(0, 'root'), 'Model');
  const version = r.fieldU32(model, 0);
  if (version !== 3) throw new TfliteError(`TFLite schema version ${version} is not supported (expected 3)`);

  const opcodes = r.tables(model, 1, 'OperatorCode').map((t) => {
    const deprecated = r.fieldU8(t, 0, 0);
    const builtin = r.fieldI32(t, 3, 0);
    return { code: Math.max(deprecated, builtin), custom: r.string(t, 1) };
  });

  const buffers = r.tables(model, 4, 'Buffer').map((t) => {
    const data = r.vector(t, 0, 1);
    if (data && data.length > 0) return bytes.subarray(data.at, data.at + data.length);
    // Models over 2 GB keep data after the flatbuffer: offset (from the file's start) and size.
    const offset = r.fieldU64(t, 1, 0);
    const size = r.fieldU64(t, 2, 0);
    if (offset > 1 && size > 0) {
      r.need(offset, size, 'Buffer data');
      return bytes.subarray(offset, offset + size);
    }
    return null;
  });

  const subgraphs = r.tables(model, 2, 'SubGraph');
  if (subgraphs.length === 0) throw new TfliteError('TFLite file has no subgraph');
  const g = subgraphs[0];

  const tensors = r.tables(g, 0, 'Tensor').map((t, index) => {
    const shape = r.ints(t, 0) || [];
    const type = r.fieldU8(t, 1, 0);
    const buffer = r.fieldU32(t, 2, 0);
    const name = r.string(t, 3) || `tensor_${index}`;
    const q = r.tableField(t, 4, 'QuantizationParameters');
    let quant = null;
    if (q) {
      const scale = r.floats(q, 2);
      if (scale && scale.length) {
        quant = { scale, zeroPoint: r.longs(q, 3) || [], dim: r.fieldI32(q, 6, 0) };
      }
    }
    if (buffer >= buffers.length && buffer !== 0) {
      throw new TfliteError(`TFLite file is damaged: tensor '${name}' names buffer ${buffer} of ${buffers.length}`);
    }
    return { index, name, shape, type, buffer, quant, sparse: r.field(t, 6) !== 0 };
  });
  const checkTensor = (i, what) => {
    if (!Number.isInteger(i) || i < -1 || i >= tensors.length)
      throw new TfliteError(`TFLite file is damaged: ${what} names tensor ${i} of ${tensors.length}`);
    return i;
  };

  const operators = r.tables(g, 3, 'Operator').map((t, index) => {
    const opcodeIndex = r.fieldU32(t, 0, 0);
    if (opcodeIndex >= opcodes.length)
      throw new TfliteError(
        `TFLite file is damaged: operator ${index} names opcode ${opcodeIndex} of ${opcodes.length}`,
      );
    const opcode = opcodes[opcodeIndex];
    const inputs = (r.ints(t, 1) || []).map((i) => checkTensor(i, `operator ${index}`));
    const outputs = (r.ints(t, 2) || []).map((i) => checkTensor(i, `operator ${index}`));
    const options = r.tableField(t, 4, 'builtin options');
    return { index, code: opcode.code, custom: opcode.custom, inputs, outputs, options };
  });

  return {
    reader: r,
    description: r.string(model, 3),
    tensors,
    operators,
    inputs: (r.ints(g, 1) || []).map((i) => checkTensor(i, 'subgraph inputs')),
    outputs: (r.ints(g, 2) || []).map((i) => checkTensor(i, 'subgraph outputs')),
    buffers,
  };
}

/** The operator's name as TFLite's schema spells it (CUSTOM ops: their custom code). */
function opName(op) {
  if (op.code === BUILTIN.CUSTOM) return `CUSTOM(${op.custom || '?'})`;
  return BUILTIN_NAMES.get(op.code) || `BUILTIN_${op.code}`;
}

// ---------------------------------------------------------------------------------------------
// Constants.

function elementCount(shape, what) {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new TfliteError(`${what} has shape [${shape}]`);
    n *= d;
    if (n > MAX_ELEMENTS) throw new TfliteError(`${what} has more than ${MAX_ELEMENTS} elements`);
  }
  return n;
}

/**
 * A constant tensor's values: { shape, dtype: 'f32'|'f16', f32?: Float32Array, f16?: Uint16Array },
 * following DEQUANTIZE back to its stored tensor. float16 stays as its bits; int8/uint8 are
 * dequantized (per tensor or per channel) to float32. Every value must be finite (the model file
 * loader refuses a NaN or infinite weight; here the error names the TFLite tensor).
 */
function constantOf(model, tensorIndex, producers, what) {
  const c = readConstant(model, tensorIndex, producers, what);
  if (c) {
    const bad =
      c.dtype === 'f16' ? c.f16.findIndex((h) => (h & 0x7c00) === 0x7c00) : c.f32.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new TfliteError(
        `${what}: tensor '${model.tensors[tensorIndex].name}' has a value that is not finite (element ${bad})`,
      );
    }
  }
  return c;
}

function readConstant(model, tensorIndex, producers, what) {
  let t = model.tensors[tensorIndex];
  if (!t) return null; // an input left out (-1): no constant; the caller refuses it if it is needed
  const producer = producers.get(tensorIndex);
  if (producer) {
    if (producer.code !== BUILTIN.DEQUANTIZE) return null;
    const src = model.tensors[producer.inputs[0]];
    if (!src || producers.has(src.index)) return null;
    t = src;
  }
  const data = model.buffers[t.buffer];
  if (!data) return null;
  if (t.sparse) throw new TfliteError(`${what}: sparse tensor '${t.name}' is not supported`);
  const shape = t.shape;
  const n = elementCount(shape, `${what}: tensor '${t.name}'`);
  const per = TYPE_BYTES[t.type];
  if (!per) throw new TfliteError(`${what}: tensor '${t.name}' has type ${TYPE_NAMES[t.type] ?? t.type}`);
  if (data.length !== n * per) {
    throw new TfliteError(
      `TFLite file is damaged: tensor '${t.name}' [${shape}] ${TYPE_NAMES[t.type]} needs ${n * per} bytes, its buffer has ${data.length}`,
    );
  }
  const copy = new Uint8Array(data); // aligned, owned
  const dv = new DataView(copy.buffer);
  if (t.type === TYPE.FLOAT32) return { shape, dtype: 'f32', f32: new Float32Array(copy.buffer) };
  if (t.type === TYPE.FLOAT16) return { shape, dtype: 'f16', f16: new Uint16Array(copy.buffer) };
  if (t.type === TYPE.INT32) {
    // Biases of hybrid models are float; int32 biases belong to integer-quantized convolutions.
    const values = new Float32Array(n);
    const q = t.quant;
    for (let i = 0; i < n; i++) values[i] = q ? dv.getInt32(4 * i, true) * q.scale[0] : dv.getInt32(4 * i, true);
    return { shape, dtype: 'f32', f32: values, integer: !q };
  }
  if (t.type === TYPE.INT8 || t.type === TYPE.UINT8) {
    const q = t.quant;
    if (!q) throw new TfliteError(`${what}: ${TYPE_NAMES[t.type]} tensor '${t.name}' has no quantization scale`);
    const values = new Float32Array(n);
    const signed = t.type === TYPE.INT8;
    const channels = q.scale.length;
    if (channels === 1) {
      const s = q.scale[0];
      const z = q.zeroPoint[0] || 0;
      for (let i = 0; i < n; i++) values[i] = ((signed ? dv.getInt8(i) : copy[i]) - z) * s;
    } else {
      const axis = q.dim;
      if (axis < 0 || axis >= shape.length || shape[axis] !== channels) {
        throw new TfliteError(`${what}: tensor '${t.name}' has ${channels} scales for axis ${axis} of [${shape}]`);
      }
      const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / inner) % channels;
        values[i] = ((signed ? dv.getInt8(i) : copy[i]) - (q.zeroPoint[c] || 0)) * q.scale[c];
      }
    }
    return { shape, dtype: 'f32', f32: values, dequantized: true };
  }
  throw new TfliteError(`${what}: constant tensor '${t.name}' has type ${TYPE_NAMES[t.type]}`);
}

// Permutes a constant's elements: out[newIndex] = in[oldIndex] for the axes permutation `perm`
// (output axis a takes input axis perm[a]).
function permute(c, perm) {
  const shape = c.shape;
  const outShape = perm.map((p) => shape[p]);
  const n = shape.reduce((a, b) => a * b, 1);
  const src = c.dtype === 'f16' ? c.f16 : c.f32;
  const dst = new src.constructor(n);
  const inStrides = new Array(shape.length);
  let s = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= shape[a];
  }
  const strides = perm.map((p) => inStrides[p]);
  const idx = new Array(outShape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let i = 0;
    for (let a = 0; a < idx.length; a++) i += idx[a] * strides[a];
    dst[o] = src[i];
    for (let a = idx.length - 1; a >= 0; a--) {
      if (++idx[a] < outShape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape: outShape, dtype: c.dtype, [c.dtype]: dst };
}

// ---------------------------------------------------------------------------------------------
// Graph building.

class TfliteGraphBuilder {
  constructor(model, options) {
    this.model = model;
    this.options = options;
    this.nodes = [];
    this.tensors = [];
    this.byTensor = new Map(); // TFLite tensor index → node index
    this.names = new Set();
    this.stats = { f32: 0, f16: 0, dequantized: 0 };
    this.producers = new Map();
    for (const op of model.operators) for (const o of op.outputs) if (o >= 0) this.producers.set(o, op);
  }

  fail(op, message) {
    const out = this.model.tensors[op.outputs[0]];
    const node = out ? out.name : `#${op.index}`;
    return new TfliteError(`operator ${op.index} ${opName(op)} ('${node}'): ${message}`, { op: opName(op), node });
  }

  uniqueName(name) {
    let n = name;
    for (let k = 2; this.names.has(n); k++) n = `${name}#${k}`;
    this.names.add(n);
    return n;
  }

  addNode(op, tfTensor, inputs, shape, fields = {}) {
    const name = this.uniqueName(
      typeof tfTensor === 'string' ? tfTensor : primaryName(this.model.tensors[tfTensor].name),
    );
    if (this.nodes.length >= MAX_NODES)
      throw new TfliteError(`the model needs more than ${MAX_NODES} layers, the most a model file holds`);
    if (!fitsModelFile(shape)) {
      throw new TfliteError(
        `tensor '${name}' would be [${shape}]: a model file's layers are at most ${MAX_SIDE} high and wide, ${MAX_CHANNELS} channels and ${MAX_ELEMENTS} values`,
      );
    }
    const node = makeNode(op, name, inputs, shape, fields);
    node.sourceRank = fields.sourceRank ?? 4;
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  addTensor(c, expectShape) {
    const shape = expectShape || c.shape;
    if (this.tensors.length >= MAX_TENSORS)
      throw new TfliteError(`the model needs more than ${MAX_TENSORS} weight tensors, the most a model file holds`);
    if (c.dtype === 'f16') {
      this.stats.f16++;
      this.tensors.push({ dtype: DTYPE.F16, shape, data: new Uint8Array(c.f16.buffer), qMin: 0, qScale: 0 });
    } else {
      this.stats.f32++;
      this.tensors.push({ dtype: DTYPE.F32, shape, data: new Uint8Array(c.f32.buffer), qMin: 0, qScale: 0 });
    }
    return this.tensors.length - 1;
  }

  constant(op, slot, what) {
    const i = op.inputs[slot];
    if (i === undefined || i < 0) return null;
    const c = constantOf(
      this.model,
      i,
      this.producers,
      `${what} of ${opName(op)} '${this.model.tensors[op.outputs[0]].name}'`,
    );
    if (c && c.dequantized) this.stats.dequantized++;
    return c;
  }

  // The node holding activation tensor `i` (an input of `op`).
  activation(op, slot) {
    const i = op.inputs[slot];
    const node = this.byTensor.get(i);
    if (node === undefined) {
      const t = this.model.tensors[i];
      throw this.fail(op, `input '${t ? t.name : i}' is not an activation this converter produced`);
    }
    return node;
  }

  // [h, w, c] of a 4-D float activation tensor [1, h, w, c].
  spatialShape(op, tensorIndex) {
    const t = this.model.tensors[tensorIndex];
    if (t.type !== TYPE.FLOAT32) {
      throw this.fail(
        op,
        `tensor '${t.name}' is ${TYPE_NAMES[t.type] ?? t.type}: only float32 activations are supported (integer-quantized models are not)`,
      );
    }
    if (t.shape.length !== 4 || t.shape[0] !== 1)
      throw this.fail(op, `tensor '${t.name}' has shape [${t.shape}], not [1, h, w, c]`);
    // The node's shape: with another input size than the file's, the file's shapes do not hold.
    const node = this.byTensor.get(tensorIndex);
    return node === undefined ? t.shape.slice(1) : this.nodes[node].shape.slice();
  }

  activationRange(op, fused) {
    const range = ACTIVATIONS[fused];
    if (!range) throw this.fail(op, `fused activation ${ACTIVATION_NAMES[fused] ?? fused} is not supported`);
    return range;
  }

  // A CLAMP node after `index` when the op fused an activation the target op cannot carry.
  withClamp(op, index, fused, shape) {
    const [lo, hi] = this.activationRange(op, fused);
    if (lo === -Infinity && hi === Infinity) return index;
    // The activated output keeps the tensor's name; the node before it gives its name up.
    this.names.delete(this.nodes[index].name);
    this.nodes[index].name = this.uniqueName(`${this.nodes[index].name}/pre_activation`);
    return this.addNode(OP.CLAMP, op.outputs[0], [index], shape, { outMin: lo, outMax: hi });
  }

  window(op, inShape, kh, kw, sh, sw, dh, dw, padding) {
    for (const v of [kh, kw, sh, sw, dh, dw]) {
      if (!Number.isInteger(v) || v < 1 || v > 1024) throw this.fail(op, 'kernel, stride and dilation must be 1..1024');
    }
    const [h, w] = inShape;
    let pads;
    if (padding === 1) pads = [0, 0, 0, 0];
    else if (padding === 0) {
      const [pt, pb] = samePads(h, kh, sh, dh);
      const [pl, pr] = samePads(w, kw, sw, dw);
      pads = [pt, pl, pb, pr];
    } else throw this.fail(op, `padding ${padding} is neither SAME nor VALID`);
    const oh = windowOut(h, kh, sh, dh, pads[0], pads[2]);
    const ow = windowOut(w, kw, sw, dw, pads[1], pads[3]);
    if (oh < 1 || ow < 1) throw this.fail(op, `window larger than its ${h}x${w} input`);
    return { oh, ow, iparams: [kh, kw, sh, sw, dh, dw, ...pads] };
  }

  checkOutput(op, shape) {
    if (this.resized) return;
    const out = this.model.tensors[op.outputs[0]];
    const want = out.shape.length === 4 ? out.shape.slice(1) : null;
    if (want && (want[0] !== shape[0] || want[1] !== shape[1] || want[2] !== shape[2])) {
      throw this.fail(op, `computed output [${shape}] but the file says [${out.shape}]`);
    }
  }

  conv(op, depthwise) {
    const r = this.model.reader;
    const o = op.options;
    if (!o) throw this.fail(op, 'options missing');
    const padding = r.fieldU8(o, 0, 0);
    const sw = r.fieldI32(o, 1, 0);
    const sh = r.fieldI32(o, 2, 0);
    const fused = r.fieldU8(o, depthwise ? 4 : 3, 0);
    const dw = r.fieldI32(o, depthwise ? 5 : 4, 1);
    const dh = r.fieldI32(o, depthwise ? 6 : 5, 1);
    const src = this.activation(op, 0);
    const inShape = this.spatialShape(op, op.inputs[0]);
    const filter = this.constant(op, 1, 'filter');
    if (!filter) throw this.fail(op, 'the filter is not a constant');
    if (filter.shape.length !== 4) throw this.fail(op, `filter shape [${filter.shape}] is not 4-D`);
    let kernel;
    let cout;
    let kh;
    let kw;
    if (depthwise) {
      // [1, kh, kw, cin × mult]; output channel ci × mult + m, as the model file's layout.
      [, kh, kw, cout] = filter.shape;
      if (filter.shape[0] !== 1 || cout % inShape[2] !== 0)
        throw this.fail(op, `filter [${filter.shape}] does not fit ${inShape[2]} input channels`);
      kernel = this.addTensor(filter, [kh, kw, inShape[2], cout / inShape[2]]);
    } else {
      // [cout, kh, kw, cin] → HWIO.
      [cout, kh, kw] = filter.shape;
      if (filter.shape[3] !== inShape[2]) {
        throw this.fail(
          op,
          `filter [${filter.shape}] expects ${filter.shape[3]} input channels, the input has ${inShape[2]}`,
        );
      }
      kernel = this.addTensor(permute(filter, [1, 2, 3, 0]));
    }
    let bias = FORMAT.NONE;
    const b = this.constant(op, 2, 'bias');
    if (b) {
      if (b.shape.length !== 1 || b.shape[0] !== cout)
        throw this.fail(op, `bias shape [${b.shape}] for ${cout} channels`);
      bias = this.addTensor(b);
    } else if (op.inputs.length > 2 && op.inputs[2] >= 0) throw this.fail(op, 'the bias is not a constant');
    const win = this.window(op, inShape, kh, kw, sh, sw, dh, dw, padding);
    const [lo, hi] = this.activationRange(op, fused);
    const shape = [win.oh, win.ow, cout];
    this.checkOutput(op, shape);
    return this.addNode(depthwise ? OP.DEPTHWISE_CONV2D : OP.CONV2D, op.outputs[0], [src], shape, {
      iparams: win.iparams,
      tensors: [kernel, bias],
      outMin: lo,
      outMax: hi,
    });
  }

  pool(op, kind) {
    const r = this.model.reader;
    const o = op.options;
    if (!o) throw this.fail(op, 'options missing');
    const padding = r.fieldU8(o, 0, 0);
    const sw = r.fieldI32(o, 1, 0);
    const sh = r.fieldI32(o, 2, 0);
    const fw = r.fieldI32(o, 3, 0);
    const fh = r.fieldI32(o, 4, 0);
    const fused = r.fieldU8(o, 5, 0);
    const src = this.activation(op, 0);
    const inShape = this.spatialShape(op, op.inputs[0]);
    const win = this.window(op, inShape, fh, fw, sh, sw, 1, 1, padding);
    const shape = [win.oh, win.ow, inShape[2]];
    this.checkOutput(op, shape);
    const index = this.addNode(kind, op.outputs[0], [src], shape, { iparams: win.iparams });
    return this.withClamp(op, index, fused, shape);
  }

  // ADD, MUL, SUB: two activations (the second of the first's shape, or [1,1,c] / [1,1,1]: a
  // squeeze-and-excite gate, a per-image scalar), or an activation and a constant of one value or one
  // per channel. ADD and MUL commute, so the broadcast or constant operand may come first; SUB with
  // a constant first (k − x) becomes x × −1 + k. A fused activation becomes a CLAMP node.
  binary(op, kind) {
    if (op.inputs.length !== 2) throw this.fail(op, `${op.inputs.length} inputs`);
    const fused = op.options ? this.model.reader.fieldU8(op.options, 0, 0) : 0;
    const what = opName(op);
    const consts = [0, 1].map((slot) =>
      this.byTensor.has(op.inputs[slot]) ? null : this.constant(op, slot, `${what} input ${slot}`),
    );
    if (consts[0] && consts[1]) throw this.fail(op, 'both inputs are constants');
    const commutes = kind !== OP.SUB;
    let index;
    let shape;
    if (!consts[0] && !consts[1]) {
      let a = this.activation(op, 0);
      let b = this.activation(op, 1);
      const fits = (x, y) => {
        const [sx, sy] = [this.nodes[x].shape, this.nodes[y].shape];
        return sx.join() === sy.join() || (sy[0] === 1 && sy[1] === 1 && (sy[2] === sx[2] || sy[2] === 1));
      };
      if (!fits(a, b)) {
        if (!commutes || !fits(b, a)) {
          throw this.fail(
            op,
            `shapes [${this.nodes[a].shape}] and [${this.nodes[b].shape}]: only the same shape, or a second input of [1, 1, c] or [1, 1, 1], is supported`,
          );
        }
        [a, b] = [b, a];
      }
      shape = this.nodes[a].shape.slice();
      index = this.addNode(kind, op.outputs[0], [a, b], shape, { sourceRank: this.nodes[a].sourceRank });
    } else {
      const slot = consts[0] ? 1 : 0;
      const src = this.activation(op, slot);
      shape = this.nodes[src].shape.slice();
      const k = consts[1 - slot];
      const n = k.shape.reduce((x, y) => x * y, 1);
      const channels = shape[2];
      if (!(n === 1 || (n === channels && k.shape[k.shape.length - 1] === channels))) {
        throw this.fail(op, `constant [${k.shape}]: only one value, or one per channel (${channels}), is supported`);
      }
      let first = src;
      if (slot === 1 && !commutes) {
        const minusOne = this.addTensor({ shape: [1], dtype: 'f32', f32: Float32Array.of(-1) });
        first = this.addNode(OP.MUL, `${this.model.tensors[op.outputs[0]].name}/negate`, [src], shape, {
          tensors: [minusOne],
          sourceRank: this.nodes[src].sourceRank,
        });
        kind = OP.ADD;
      }
      const tensor = this.addTensor(k, [n]);
      index = this.addNode(kind, op.outputs[0], [first], shape, {
        tensors: [tensor],
        sourceRank: this.nodes[src].sourceRank,
      });
    }
    this.checkOutput(op, shape);
    return this.withClamp(op, index, fused, shape);
  }

  unaryOp(op, kind) {
    const src = this.activation(op, 0);
    return this.addNode(kind, op.outputs[0], [src], this.nodes[src].shape.slice(), {
      sourceRank: this.nodes[src].sourceRank,
    });
  }

  // RESIZE_BILINEAR: inputs [x, size int32 [2]]; options { new_height, new_width (deprecated),
  // align_corners, half_pixel_centers }.
  resizeBilinear(op) {
    const src = this.activation(op, 0);
    const inShape = this.spatialShape(op, op.inputs[0]);
    const size = this.constant(op, 1, 'size');
    if (!size || size.dtype !== 'f32' || size.f32.length !== 2)
      throw this.fail(op, 'size must be a constant [2] tensor');
    const [oh, ow] = size.f32;
    if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1 || oh > MAX_SIDE || ow > MAX_SIDE)
      throw this.fail(op, `size [${oh}, ${ow}] is not within 1..${MAX_SIDE}`);
    const r = this.model.reader;
    const alignCorners = op.options ? r.fieldBool(op.options, 2) : false;
    const halfPixel = op.options ? r.fieldBool(op.options, 3) : false;
    if (alignCorners && halfPixel) throw this.fail(op, 'align_corners and half_pixel_centers are both set');
    const shape = [oh, ow, inShape[2]];
    this.checkOutput(op, shape);
    return this.addNode(OP.RESIZE_BILINEAR, op.outputs[0], [src], shape, {
      iparams: [oh, ow, alignCorners ? 1 : 0, halfPixel ? 1 : 0],
    });
  }

  // TRANSPOSE_CONV: inputs [output_shape int32 [4], weights [cout, kh, kw, cin], x, bias?]; options
  // { padding, stride_w, stride_h, fused_activation_function }. TFLite pads as a convolution from the
  // requested output back to the input would (SAME: total = max((ceil(out / s) − 1) × s + k − out, 0),
  // the smaller half before); the model file's crops are that padding: top/left the padding before,
  // bottom/right whatever else the full (in − 1) × s + k output has beyond the requested size.
  transposeConv(op) {
    const r = this.model.reader;
    const o = op.options;
    if (!o) throw this.fail(op, 'options missing');
    const padding = r.fieldU8(o, 0, 0);
    const sw = r.fieldI32(o, 1, 0);
    const sh = r.fieldI32(o, 2, 0);
    const fused = r.fieldU8(o, 3, 0);
    if (padding !== 0 && padding !== 1) throw this.fail(op, `padding ${padding} is neither SAME nor VALID`);
    const src = this.activation(op, 2);
    const inShape = this.spatialShape(op, op.inputs[2]);
    const filter = this.constant(op, 1, 'weights');
    if (!filter || filter.shape.length !== 4) throw this.fail(op, 'the weights must be a constant 4-D tensor');
    const [cout, kh, kw, cin] = filter.shape;
    if (cin !== inShape[2])
      throw this.fail(op, `weights [${filter.shape}] expect ${cin} input channels, the input has ${inShape[2]}`);
    for (const v of [kh, kw, sh, sw]) {
      if (!Number.isInteger(v) || v < 1 || v > 1024) throw this.fail(op, 'kernel and stride must be 1..1024');
    }
    let out;
    if (this.resized) {
      // The output_shape constant holds for the file's input size; TensorFlow's rule for another one.
      const along = (i, k, st) => (padding === 0 ? i * st : (i - 1) * st + Math.max(k, st));
      out = [along(inShape[0], kh, sh), along(inShape[1], kw, sw)];
    } else {
      const os = this.constant(op, 0, 'output shape');
      if (!os || os.dtype !== 'f32' || os.f32.length !== 4) throw this.fail(op, 'output_shape must be a constant [4]');
      if (os.f32[0] !== 1 || os.f32[3] !== cout) throw this.fail(op, `output_shape [${os.f32}] for ${cout} channels`);
      out = [os.f32[1], os.f32[2]];
    }
    const crops = [0, 1].map((axis) => {
      const [i, k, st, size] = [inShape[axis], axis ? kw : kh, axis ? sw : sh, out[axis]];
      let before = 0;
      if (padding === 0) {
        const total = Math.max((Math.ceil(size / st) - 1) * st + k - size, 0);
        before = Math.floor(total / 2);
      }
      const after = (i - 1) * st + k - size - before;
      if (!Number.isInteger(size) || size < st || after < 0 || before > 1024 || after > 1024) {
        throw this.fail(
          op,
          `output size ${size} from ${i} (kernel ${k}, stride ${st}) is not the full transposed convolution cropped by 0..1024 on each side to at least the stride`,
        );
      }
      return [before, after];
    });
    const kernel = this.addTensor(permute(filter, [1, 2, 3, 0])); // [cout, kh, kw, cin] → [kh, kw, cin, cout]
    let bias = FORMAT.NONE;
    const b = op.inputs.length > 3 ? this.constant(op, 3, 'bias') : null;
    if (b) {
      if (b.shape.length !== 1 || b.shape[0] !== cout)
        throw this.fail(op, `bias shape [${b.shape}] for ${cout} channels`);
      bias = this.addTensor(b);
    } else if (op.inputs.length > 3 && op.inputs[3] >= 0) throw this.fail(op, 'the bias is not a constant');
    const [lo, hi] = this.activationRange(op, fused);
    const shape = [out[0], out[1], cout];
    this.checkOutput(op, shape);
    return this.addNode(OP.TRANSPOSE_CONV2D, op.outputs[0], [src], shape, {
      iparams: [kh, kw, sh, sw, 1, 1, crops[0][0], crops[1][0], crops[0][1], crops[1][1]],
      tensors: [kernel, bias],
      outMin: lo,
      outMax: hi,
    });
  }

  clamp(op, lo, hi) {
    const src = this.activation(op, 0);
    const shape = this.nodes[src].shape;
    return this.addNode(OP.CLAMP, op.outputs[0], [src], shape, {
      outMin: lo,
      outMax: hi,
      sourceRank: this.nodes[src].sourceRank,
    });
  }

  concat(op) {
    const r = this.model.reader;
    const axis = op.options ? r.fieldI32(op.options, 0, 0) : 0;
    const fused = op.options ? r.fieldU8(op.options, 1, 0) : 0;
    if (axis !== -1 && axis !== 3)
      throw this.fail(op, `axis ${axis}: only the channel axis of [1, h, w, c] is supported`);
    if (op.inputs.length === 0) throw this.fail(op, 'no inputs to concatenate');
    const inputs = op.inputs.map((_, i) => this.activation(op, i));
    const shapes = op.inputs.map((t) => this.spatialShape(op, t));
    for (const s of shapes)
      if (s[0] !== shapes[0][0] || s[1] !== shapes[0][1]) throw this.fail(op, 'inputs differ in h or w');
    let acc = inputs.slice(0, FORMAT.MAX_INPUTS);
    let rest = inputs.slice(FORMAT.MAX_INPUTS);
    const channels = (list) => list.reduce((sum, n) => sum + this.nodes[n].shape[2], 0);
    let index;
    for (let part = 0; ; part++) {
      const last = rest.length === 0;
      const shape = [shapes[0][0], shapes[0][1], channels(acc)];
      index = this.addNode(
        OP.CONCAT,
        last ? op.outputs[0] : `${this.model.tensors[op.outputs[0]].name}/part${part}`,
        acc,
        shape,
      );
      if (last) break;
      acc = [index, ...rest.slice(0, FORMAT.MAX_INPUTS - 1)];
      rest = rest.slice(FORMAT.MAX_INPUTS - 1);
    }
    return this.withClamp(op, index, fused, this.nodes[index].shape);
  }

  pad(op) {
    const src = this.activation(op, 0);
    const inShape = this.spatialShape(op, op.inputs[0]);
    const p = this.constant(op, 1, 'paddings');
    if (!p || p.dtype !== 'f32' || p.shape.join() !== '4,2')
      throw this.fail(op, 'paddings must be a constant [4, 2] tensor');
    const v = Array.from(p.f32);
    if (v[0] || v[1] || v[6] || v[7]) throw this.fail(op, 'only spatial padding is supported');
    const [top, bottom, left, right] = [v[2], v[3], v[4], v[5]];
    for (const x of [top, bottom, left, right])
      if (!Number.isInteger(x) || x < 0 || x > 1024) throw this.fail(op, 'pads 0..1024');
    const shape = [inShape[0] + top + bottom, inShape[1] + left + right, inShape[2]];
    this.checkOutput(op, shape);
    return this.addNode(OP.ZERO_PAD, op.outputs[0], [src], shape, {
      iparams: [0, 0, 0, 0, 0, 0, top, left, bottom, right],
    });
  }

  mean(op) {
    const src = this.activation(op, 0);
    const inShape = this.spatialShape(op, op.inputs[0]);
    const axes = this.constant(op, 1, 'axes');
    const list = axes && axes.dtype === 'f32' ? Array.from(axes.f32).sort() : null;
    if (!list || list.join() !== '1,2')
      throw this.fail(op, 'only the mean over height and width (axes 1, 2) is supported');
    const out = this.model.tensors[op.outputs[0]];
    return this.addNode(OP.GLOBAL_AVG_POOL, op.outputs[0], [src], [1, 1, inShape[2]], { sourceRank: out.shape.length });
  }

  reshape(op) {
    const src = this.activation(op, 0);
    const n = this.nodes[src];
    const out = this.model.tensors[op.outputs[0]];
    const size = n.shape[0] * n.shape[1] * n.shape[2];
    const outSize = out.shape.reduce((a, b) => a * b, 1);
    if (outSize !== size || out.shape[0] !== 1) throw this.fail(op, `cannot reshape [${n.shape}] to [${out.shape}]`);
    const last = out.shape[out.shape.length - 1];
    if (out.shape.length === 4 && out.shape.slice(1).join() === n.shape.join()) {
      return this.addNode(OP.IDENTITY, op.outputs[0], [src], n.shape);
    }
    if (last === size)
      return this.addNode(OP.FLATTEN, op.outputs[0], [src], [1, 1, size], { sourceRank: out.shape.length });
    throw this.fail(op, `reshape to [${out.shape}] is not supported (only flattening)`);
  }

  dense(op) {
    const r = this.model.reader;
    let src = this.activation(op, 0);
    const fused = op.options ? r.fieldU8(op.options, 0, 0) : 0;
    const w = this.constant(op, 1, 'weights');
    if (!w || w.shape.length !== 2) throw this.fail(op, 'weights must be a constant [out, in] tensor');
    const [cout, cin] = w.shape;
    const n = this.nodes[src];
    const size = n.shape[0] * n.shape[1] * n.shape[2];
    if (size !== cin) throw this.fail(op, `input has ${size} values, the weights expect ${cin}`);
    if (n.shape[0] !== 1 || n.shape[1] !== 1) {
      src = this.addNode(OP.FLATTEN, `${this.model.tensors[op.outputs[0]].name}/flatten`, [src], [1, 1, size], {
        sourceRank: 2,
      });
    }
    const kernel = this.addTensor(permute(w, [1, 0]));
    let bias = FORMAT.NONE;
    const b = this.constant(op, 2, 'bias');
    if (b) bias = this.addTensor(b, [cout]);
    const [lo, hi] = this.activationRange(op, fused);
    return this.addNode(OP.DENSE, op.outputs[0], [src], [1, 1, cout], {
      tensors: [kernel, bias],
      outMin: lo,
      outMax: hi,
      sourceRank: 2,
    });
  }

  softmax(op) {
    const beta = op.options ? this.model.reader.fieldF32(op.options, 0, 0) : 0;
    if (beta !== 1) throw this.fail(op, `beta ${beta} (only 1 is supported)`);
    const src = this.activation(op, 0);
    return this.addNode(OP.SOFTMAX, op.outputs[0], [src], this.nodes[src].shape, {
      sourceRank: this.nodes[src].sourceRank,
    });
  }

  addOperator(op) {
    switch (op.code) {
      case BUILTIN.CONV_2D:
        return this.conv(op, false);
      case BUILTIN.DEPTHWISE_CONV_2D:
        return this.conv(op, true);
      case BUILTIN.ADD:
        return this.binary(op, OP.ADD);
      case BUILTIN.MUL:
        return this.binary(op, OP.MUL);
      case BUILTIN.SUB:
        return this.binary(op, OP.SUB);
      case BUILTIN.HARD_SWISH:
        return this.unaryOp(op, OP.HARD_SWISH);
      case BUILTIN.LOGISTIC:
        return this.unaryOp(op, OP.SIGMOID);
      case BUILTIN.RESIZE_BILINEAR:
        return this.resizeBilinear(op);
      case BUILTIN.TRANSPOSE_CONV:
        return this.transposeConv(op);
      case BUILTIN.AVERAGE_POOL_2D:
        return this.pool(op, OP.AVG_POOL);
      case BUILTIN.MAX_POOL_2D:
        return this.pool(op, OP.MAX_POOL);
      case BUILTIN.RELU:
        return this.clamp(op, 0, Infinity);
      case BUILTIN.RELU6:
        return this.clamp(op, 0, 6);
      case BUILTIN.RELU_N1_TO_1:
        return this.clamp(op, -1, 1);
      case BUILTIN.CONCATENATION:
        return this.concat(op);
      case BUILTIN.PAD:
        return this.pad(op);
      case BUILTIN.MEAN:
        return this.mean(op);
      case BUILTIN.RESHAPE:
      case BUILTIN.SQUEEZE:
        return this.reshape(op);
      case BUILTIN.FULLY_CONNECTED:
        return this.dense(op);
      case BUILTIN.SOFTMAX:
        return this.softmax(op);
      default:
        throw this.fail(op, 'this operator is not supported');
    }
  }

  input(tensorIndex) {
    const t = this.model.tensors[tensorIndex];
    if (!t) throw new TfliteError(`TFLite file is damaged: the model's input names tensor ${tensorIndex}`);
    const shape = t.shape.slice();
    if (shape.length !== 4 || shape[0] !== 1 || shape[3] !== 3) {
      throw new TfliteError(`input '${t.name}' has shape [${t.shape}]; an image input [1, h, w, 3] is needed`);
    }
    if (t.type !== TYPE.FLOAT32) {
      throw new TfliteError(`input '${t.name}' is ${TYPE_NAMES[t.type] ?? t.type}: only float32 inputs are supported`);
    }
    if (this.options.inputSize) [shape[1], shape[2]] = this.options.inputSize;
    if (!(shape[1] >= 1 && shape[2] >= 1)) {
      throw new TfliteError(`input '${t.name}' has no fixed size; give one (inputSize / --input-size HxW)`);
    }
    // The file's shapes hold for its own input size only; with another size, shapes are inferred.
    this.resized = shape[1] !== t.shape[1] || shape[2] !== t.shape[2];
    const index = this.addNode(OP.INPUT, tensorIndex, [], shape.slice(1));
    this.byTensor.set(tensorIndex, index);
  }
}

// Operators (in file order) needed to compute `targets`, stopping at constants and the input.
function neededOperators(model, producers, targets) {
  const need = new Set();
  const stack = [...targets];
  const seen = new Set();
  while (stack.length) {
    const t = stack.pop();
    if (seen.has(t)) continue;
    seen.add(t);
    const op = producers.get(t);
    if (!op) continue;
    if (op.code === BUILTIN.DEQUANTIZE && !producers.has(op.inputs[0])) continue; // a stored constant
    need.add(op.index);
    for (const i of op.inputs) if (i >= 0) stack.push(i);
  }
  return model.operators.filter((op) => need.has(op.index));
}

/**
 * Lists a TFLite file's operators and their output tensors, marking what this converter supports:
 * what `imprint info <model.tflite> --layers` prints.
 * @param {Uint8Array} bytes
 */
function listTfliteLayers(bytes) {
  const model = readTflite(bytes);
  const supported = new Set([
    BUILTIN.CONV_2D,
    BUILTIN.DEPTHWISE_CONV_2D,
    BUILTIN.ADD,
    BUILTIN.AVERAGE_POOL_2D,
    BUILTIN.MAX_POOL_2D,
    BUILTIN.RELU,
    BUILTIN.RELU6,
    BUILTIN.RELU_N1_TO_1,
    BUILTIN.CONCATENATION,
    BUILTIN.PAD,
    BUILTIN.MEAN,
    BUILTIN.RESHAPE,
    BUILTIN.SQUEEZE,
    BUILTIN.FULLY_CONNECTED,
    BUILTIN.SOFTMAX,
    BUILTIN.DEQUANTIZE,
    BUILTIN.MUL,
    BUILTIN.SUB,
    BUILTIN.HARD_SWISH,
    BUILTIN.LOGISTIC,
    BUILTIN.RESIZE_BILINEAR,
    BUILTIN.TRANSPOSE_CONV,
  ]);
  return model.operators.map((op) => ({
    index: op.index,
    op: opName(op),
    supported: supported.has(op.code),
    outputs: op.outputs
      .filter((o) => o >= 0)
      .map((o) => ({ name: model.tensors[o].name, shape: model.tensors[o].shape })),
  }));
}

/**
 * Reads a TFLite model into a model file graph (for writeGraph in convert.js).
 * @param {Uint8Array} bytes
 * @param {{embed?: string|string[], inputSize?: number[]}} [options]  embed: tensor names (exact, or a
 *   unique name segment such as 'Conv_1'); without it, the widest feature map the converter supports.
 * @returns {{name: string, nodes: object[], tensors: object[], layerNodes: Map<string, number>,
 *   weightDtypes: object, unusedWeights: string[], embedNames: string[], chosenEmbed: boolean}}
 */
function readTfliteModel(bytes, options = {}) {
  const model = readTflite(bytes);
  if (model.inputs.length !== 1)
    throw new TfliteError(`the model has ${model.inputs.length} inputs; one image input is needed`);
  const b = new TfliteGraphBuilder(model, options);

  let embed = options.embed;
  if (typeof embed === 'string')
    embed = embed
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  let targets;
  let chosen = false;
  if (embed && embed.length) targets = embed.map((name) => findTensor(model, b.producers, name));
  else {
    targets = [defaultEmbedTensor(model, b.producers)];
    chosen = true;
  }

  b.input(model.inputs[0]);
  for (const op of neededOperators(model, b.producers, targets)) {
    if (op.code === BUILTIN.DEQUANTIZE) continue; // folded into the constant that reads it
    const index = b.addOperator(op);
    b.byTensor.set(op.outputs[0], index);
  }
  // An embedding tensor no operator computes from the input (a constant, the input itself, or a
  // tensor a damaged file's operators no longer name as their output) has no node to embed.
  for (const t of targets) {
    const node = b.byTensor.get(t);
    if (node === undefined || node === 0) {
      throw new TfliteError(
        `tensor '${model.tensors[t].name}' is not computed from the input by the model's operators, so it cannot be the embedding`,
      );
    }
  }
  const layerNodes = new Map();
  for (const [t, index] of b.byTensor) {
    layerNodes.set(model.tensors[t].name, index);
    layerNodes.set(b.nodes[index].name, index);
  }
  return {
    name: options.name || 'tflite-model',
    nodes: b.nodes,
    tensors: b.tensors,
    layerNodes,
    weightDtypes: b.stats,
    unusedWeights: [],
    embedNames: targets.map((t) => model.tensors[t].name),
    chosenEmbed: chosen,
  };
}

// A converter that fused several TensorFlow ops into one names the result 'a;b;c': the first name
// is the op the result stands for (e.g. '.../Conv_1/Relu6'); the others are the fused ops and the
// weights it shares names with.
function primaryName(name) {
  return name.split(';')[0];
}

// Finds a tensor by its exact (full or primary) name, else by a '/'-separated segment of its
// primary name (or consecutive segments, 'expanded_conv_16/depthwise'): the last tensor computed
// whose name has it ('Conv_1' → '.../Conv_1/Relu6').
function findTensor(model, producers, name) {
  const exact = model.tensors.filter((t) => t.name === name || primaryName(t.name) === name);
  if (exact.length === 1) return exact[0].index;
  const want = name.split('/');
  const hasSegments = (full) => {
    const parts = primaryName(full).split('/');
    for (let i = 0; i + want.length <= parts.length; i++) if (want.every((w, k) => parts[i + k] === w)) return true;
    return false;
  };
  const segment = model.tensors.filter((t) => producers.has(t.index) && hasSegments(t.name));
  if (segment.length === 0)
    throw new TfliteError(`no tensor is named '${name}' (list them with: imprint info <model> --layers)`);
  // The deepest (last produced) tensor of that layer: e.g. 'Conv_1' → '.../Conv_1/Relu6'.
  const order = new Map(model.operators.map((op, i) => [op, i]));
  segment.sort((a, b) => order.get(producers.get(a.index)) - order.get(producers.get(b.index)));
  return segment[segment.length - 1].index;
}

const SUPPORTED_FOR_DEFAULT = new Set([
  BUILTIN.CONV_2D,
  BUILTIN.DEPTHWISE_CONV_2D,
  BUILTIN.ADD,
  BUILTIN.AVERAGE_POOL_2D,
  BUILTIN.MAX_POOL_2D,
  BUILTIN.RELU,
  BUILTIN.RELU6,
  BUILTIN.CONCATENATION,
  BUILTIN.PAD,
  BUILTIN.DEQUANTIZE,
  BUILTIN.MUL,
  BUILTIN.SUB,
  BUILTIN.HARD_SWISH,
  BUILTIN.LOGISTIC,
  BUILTIN.RESIZE_BILINEAR,
  BUILTIN.TRANSPOSE_CONV,
  BUILTIN.MEAN, // squeeze-and-excite blocks: pool, 1x1 convolutions or FULLY_CONNECTED, RESHAPE
  BUILTIN.FULLY_CONNECTED,
  BUILTIN.RESHAPE,
]);

// Without --embed: the input of the last global mean (a classifier's pooled features: earlier means
// are squeeze-and-excite blocks') if there is one; else the widest 4-D float feature map (most
// channels; ties: the deepest) computed only by supported operators.
function defaultEmbedTensor(model, producers) {
  const ok = new Map(); // tensor → computable by supported operators
  const computable = (t) => {
    if (ok.has(t)) return ok.get(t);
    ok.set(t, false);
    const op = producers.get(t);
    let result;
    if (!model.tensors[t])
      result = false; // no tensor (-1, or an operator without that input)
    else if (!op) result = model.inputs.includes(t) || model.buffers[model.tensors[t].buffer] != null;
    else result = SUPPORTED_FOR_DEFAULT.has(op.code) && op.inputs.every((i) => i < 0 || computable(i));
    ok.set(t, result);
    return result;
  };
  for (const op of model.operators.slice().reverse()) {
    if (op.code === BUILTIN.MEAN && computable(op.inputs[0]) && producers.has(op.inputs[0])) return op.inputs[0];
  }
  let best = -1;
  for (const op of model.operators) {
    if (op.code === BUILTIN.DEQUANTIZE) continue;
    for (const o of op.outputs) {
      const t = model.tensors[o];
      if (!t || t.type !== TYPE.FLOAT32 || t.shape.length !== 4 || !computable(o)) continue;
      if (best < 0 || t.shape[3] >= model.tensors[best].shape[3]) best = o;
    }
  }
  if (best < 0) throw new TfliteError('no feature map of this model can be computed by the supported operators');
  return best;
}

module.exports = {
  TfliteError,
  BUILTIN,
  primaryName,
  readTflite,
  readTfliteModel,
  listTfliteLayers,
  opName,
};
