'use strict';
// model-format.js — the imprint model file v1 (byte layout: models/MODEL_FORMAT.md): its constants,
// which mirror src/model_file.h, the writer that turns a graph of nodes and tensors into file
// bytes, and a small reader for tests and tools. Source-format readers build the graph.

const FORMAT = Object.freeze({
  MAGIC: 'IMPRMODL',
  VERSION: 1,
  HEADER_BYTES: 128,
  TENSOR_RECORD_BYTES: 48,
  NODE_RECORD_BYTES: 128,
  TRAILER_BYTES: 8,
  ALIGN: 16,
  MAX_INPUTS: 8,
  MAX_EMBED: 4,
  NONE: 0xffffffff,
});

// Header field `precision`: how the runtime computes full convolutions.
const PRECISION = Object.freeze({ F32: 0, INT8: 1 });

const DTYPE = Object.freeze({ F32: 0, F16: 1, U8_AFFINE: 2 });
const DTYPE_BYTES = [4, 2, 1]; // per element, indexed by DTYPE

// Values are the on-disk op codes; they match enum model_op in src/model_file.h.
const OP = Object.freeze({
  INPUT: 0,
  CONV2D: 1,
  DEPTHWISE_CONV2D: 2,
  BATCH_NORM: 3,
  CLAMP: 4,
  ZERO_PAD: 5,
  ADD: 6,
  CONCAT: 7,
  MAX_POOL: 8,
  AVG_POOL: 9,
  GLOBAL_AVG_POOL: 10,
  DENSE: 11,
  SOFTMAX: 12,
  FLATTEN: 13,
  IDENTITY: 14,
  MUL: 15,
  SUB: 16,
  HARD_SWISH: 17,
  SIGMOID: 18,
  RESIZE_BILINEAR: 19,
  TRANSPOSE_CONV2D: 20,
});
const OP_NAMES = Object.keys(OP);

const RESIZE = Object.freeze({ BILINEAR_ALIGN_CORNERS: 0, BILINEAR_HALF_PIXEL: 1, AREA_THEN_BILINEAR: 2 });
const COLOUR = Object.freeze({ RGB: 0, BGR: 1 });

// ---------------------------------------------------------------------------------------------
// float16 (the file's f16 dtype)

/** IEEE binary16 bits → float32 value, exactly (subnormals included). */
function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 value → IEEE binary16 bits, rounded to nearest even; overflow gives infinity. */
function floatToHalf(x) {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

// ---------------------------------------------------------------------------------------------
// Window arithmetic (models/MODEL_FORMAT.md, Ops).

/**
 * TensorFlow 'same' padding as explicit pads: output = ceil(in / stride), the odd pixel after.
 * @returns {number[]} [before, after]
 */
function samePads(inSize, k, stride, dilation) {
  const eff = (k - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size of a window op along one axis; 0 when the window does not fit. */
function windowOut(inSize, k, stride, dilation, padBefore, padAfter) {
  const eff = (k - 1) * dilation + 1;
  const padded = inSize + padBefore + padAfter;
  if (padded < eff) return 0;
  return Math.floor((padded - eff) / stride) + 1;
}

/**
 * A node record as serialise() writes it; unset fields get their format defaults (iparams 0,
 * no clamp, epsilon 0, tensor slots NONE).
 * @param {number} op  an OP value
 * @param {string} name
 * @param {number[]} inputs  indices of earlier nodes
 * @param {number[]} shape  output [h, w, c]
 * @param {{iparams?: number[], tensors?: number[], outMin?: number, outMax?: number, epsilon?: number}} [fields]
 */
function makeNode(op, name, inputs, shape, fields = {}) {
  const iparams = new Array(10).fill(0);
  if (fields.iparams) fields.iparams.forEach((v, i) => (iparams[i] = v));
  return {
    op,
    name,
    inputs,
    iparams,
    fparams: [fields.outMin ?? -Infinity, fields.outMax ?? Infinity, fields.epsilon ?? 0],
    tensors: (fields.tensors || []).concat([FORMAT.NONE, FORMAT.NONE, FORMAT.NONE, FORMAT.NONE]).slice(0, 4),
    shape,
  };
}

// ---------------------------------------------------------------------------------------------
// Writer.

/**
 * FNV-1a-64 of bytes (the file's trailer and model hash), with 16-bit limbs so it runs at
 * memory speed (BigInt per byte is slow).
 * @param {Uint8Array} bytes
 * @returns {bigint}
 */
function fnv1a64(bytes) {
  let h0 = 0x2325,
    h1 = 0x8422,
    h2 = 0x9ce4,
    h3 = 0xcbf2; // offset basis 0xcbf29ce484222325
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i];
    // × prime 0x00000100000001b3 = 0x1b3 + (0x100 << 32)
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return (BigInt(h3) << 48n) | (BigInt(h2) << 32n) | (BigInt(h1) << 16n) | BigInt(h0);
}

const align = (n, a) => Math.ceil(n / a) * a;

/**
 * Writes a model file.
 * @param {{name: string, scale: number[], bias: number[], resize: number, colourOrder: number,
 *   embedNodes: number[]}} meta  header fields (scale and bias per channel)
 * @param {object[]} nodes  makeNode() records in topological order, node 0 the INPUT
 * @param {{dtype: number, shape: number[], data: Uint8Array, qMin: number, qScale: number}[]} tensors
 * @returns {{bytes: Uint8Array, hash: bigint}}
 */
function serialise(meta, nodes, tensors) {
  // String table: model name, then node names; UTF-8, no terminators, padded to 16 with zeros.
  const strings = [];
  let stringBytes = 0;
  const addString = (s) => {
    const bytes = Buffer.from(s, 'utf8');
    const ref = { offset: stringBytes, length: bytes.length };
    strings.push(bytes);
    stringBytes += bytes.length;
    return ref;
  };
  const nameRef = addString(meta.name);
  const nodeNameRefs = nodes.map((n) => addString(n.name));
  const stringTableBytes = align(stringBytes, FORMAT.ALIGN);

  const tensorTableAt = FORMAT.HEADER_BYTES + stringTableBytes;
  const nodeTableAt = tensorTableAt + tensors.length * FORMAT.TENSOR_RECORD_BYTES;
  const dataAt = nodeTableAt + nodes.length * FORMAT.NODE_RECORD_BYTES;
  let cursor = dataAt;
  const dataOffsets = tensors.map((t) => {
    cursor = align(cursor, FORMAT.ALIGN);
    const at = cursor;
    cursor += t.data.length;
    return at;
  });
  const fileBytes = align(cursor, FORMAT.ALIGN) + FORMAT.TRAILER_BYTES;

  const out = Buffer.alloc(fileBytes);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const u32 = (at, v) => dv.setUint32(at, v >>> 0, true);
  const f32 = (at, v) => dv.setFloat32(at, v, true);
  const u64 = (at, v) => dv.setBigUint64(at, BigInt(v), true);

  // Header.
  out.write(FORMAT.MAGIC, 0, 'latin1');
  u32(8, FORMAT.VERSION);
  u32(12, FORMAT.HEADER_BYTES);
  u64(16, fileBytes);
  u32(24, stringTableBytes);
  u32(28, tensors.length);
  u32(32, nodes.length);
  u32(36, nameRef.offset);
  u32(40, nameRef.length);
  u32(44, nodes[0].shape[0]);
  u32(48, nodes[0].shape[1]);
  u32(52, nodes[0].shape[2]);
  for (let i = 0; i < 3; i++) f32(56 + 4 * i, meta.scale[i]);
  for (let i = 0; i < 3; i++) f32(68 + 4 * i, meta.bias[i]);
  u32(80, meta.resize);
  u32(84, meta.colourOrder);
  u32(88, meta.embedNodes.length);
  for (let i = 0; i < FORMAT.MAX_EMBED; i++)
    u32(92 + 4 * i, i < meta.embedNodes.length ? meta.embedNodes[i] : FORMAT.NONE);
  f32(108, meta.unknownThreshold || 0);
  u32(112, meta.precision || PRECISION.F32);
  // 116..127 reserved, zero.

  let at = FORMAT.HEADER_BYTES;
  for (const s of strings) {
    out.set(s, at);
    at += s.length;
  }

  tensors.forEach((t, i) => {
    const r = tensorTableAt + i * FORMAT.TENSOR_RECORD_BYTES;
    u32(r + 0, t.dtype);
    u32(r + 4, t.shape.length);
    for (let d = 0; d < 4; d++) u32(r + 8 + 4 * d, d < t.shape.length ? t.shape[d] : 1);
    u64(r + 24, dataOffsets[i]);
    u64(r + 32, t.data.length);
    f32(r + 40, t.qMin);
    f32(r + 44, t.qScale);
    out.set(t.data, dataOffsets[i]);
  });

  nodes.forEach((n, i) => {
    const r = nodeTableAt + i * FORMAT.NODE_RECORD_BYTES;
    u32(r + 0, n.op);
    u32(r + 4, nodeNameRefs[i].offset);
    u32(r + 8, nodeNameRefs[i].length);
    u32(r + 12, n.inputs.length);
    for (let k = 0; k < FORMAT.MAX_INPUTS; k++) u32(r + 16 + 4 * k, k < n.inputs.length ? n.inputs[k] : FORMAT.NONE);
    for (let k = 0; k < 10; k++) u32(r + 48 + 4 * k, n.iparams[k]);
    for (let k = 0; k < 3; k++) f32(r + 88 + 4 * k, n.fparams[k]);
    for (let k = 0; k < 4; k++) u32(r + 100 + 4 * k, n.tensors[k]);
    for (let k = 0; k < 3; k++) u32(r + 116 + 4 * k, n.shape[k]);
  });

  const hash = fnv1a64(out.subarray(0, fileBytes - FORMAT.TRAILER_BYTES));
  dv.setBigUint64(fileBytes - FORMAT.TRAILER_BYTES, hash, true);
  return { bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), hash };
}

// ---------------------------------------------------------------------------------------------
// Reader.

/**
 * Reads a model file's header and tables for tests and tools; the C parser does the full
 * validation. Op codes come back as OP_NAMES strings.
 * @param {Uint8Array|ArrayBuffer} bytes
 * @returns {{header: object, tensors: object[], nodes: object[], hash: bigint, checksumOk: boolean}}
 */
function readModelFile(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u32 = (at) => dv.getUint32(at, true);
  const f32 = (at) => dv.getFloat32(at, true);
  const u64 = (at) => Number(dv.getBigUint64(at, true));
  if (buf.length < FORMAT.HEADER_BYTES + FORMAT.TRAILER_BYTES) throw new Error('too short');
  const magic = Buffer.from(buf.subarray(0, 8)).toString('latin1');
  if (magic !== FORMAT.MAGIC) throw new Error('bad magic');
  const str = (off, len) =>
    Buffer.from(buf.subarray(FORMAT.HEADER_BYTES + off, FORMAT.HEADER_BYTES + off + len)).toString('utf8');
  const header = {
    version: u32(8),
    headerBytes: u32(12),
    fileBytes: u64(16),
    stringBytes: u32(24),
    tensorCount: u32(28),
    nodeCount: u32(32),
    name: str(u32(36), u32(40)),
    inputHeight: u32(44),
    inputWidth: u32(48),
    inputChannels: u32(52),
    scale: [f32(56), f32(60), f32(64)],
    bias: [f32(68), f32(72), f32(76)],
    resize: u32(80),
    colourOrder: u32(84),
    embedCount: u32(88),
    embedNodes: [u32(92), u32(96), u32(100), u32(104)],
    unknownThreshold: f32(108),
    precision: u32(112),
  };
  const trailer = dv.getBigUint64(buf.length - 8, true);
  const hash = fnv1a64(buf.subarray(0, buf.length - 8));
  const tensorAt = FORMAT.HEADER_BYTES + header.stringBytes;
  const tensors = [];
  for (let i = 0; i < header.tensorCount; i++) {
    const r = tensorAt + i * FORMAT.TENSOR_RECORD_BYTES;
    const rank = u32(r + 4);
    tensors.push({
      dtype: u32(r),
      rank,
      dims: [u32(r + 8), u32(r + 12), u32(r + 16), u32(r + 20)].slice(0, rank),
      offset: u64(r + 24),
      bytes: u64(r + 32),
      qMin: f32(r + 40),
      qScale: f32(r + 44),
    });
  }
  const nodeAt = tensorAt + header.tensorCount * FORMAT.TENSOR_RECORD_BYTES;
  const nodes = [];
  for (let i = 0; i < header.nodeCount; i++) {
    const r = nodeAt + i * FORMAT.NODE_RECORD_BYTES;
    const count = u32(r + 12);
    nodes.push({
      op: OP_NAMES[u32(r)],
      name: str(u32(r + 4), u32(r + 8)),
      inputs: Array.from({ length: count }, (_, k) => u32(r + 16 + 4 * k)),
      iparams: Array.from({ length: 10 }, (_, k) => u32(r + 48 + 4 * k)),
      fparams: Array.from({ length: 3 }, (_, k) => f32(r + 88 + 4 * k)),
      tensors: Array.from({ length: 4 }, (_, k) => u32(r + 100 + 4 * k)),
      shape: Array.from({ length: 3 }, (_, k) => u32(r + 116 + 4 * k)),
    });
  }
  return { header, tensors, nodes, hash, checksumOk: hash === trailer };
}

/**
 * A copy of a model file with another compute precision in its header (PRECISION.F32 or
 * PRECISION.INT8) and the trailer recomputed; the graph and weights are unchanged.
 * @param {Uint8Array} bytes
 * @param {number} precision
 * @returns {Uint8Array}
 */
function withPrecision(bytes, precision) {
  if (!Object.values(PRECISION).includes(precision)) throw new Error(`unknown precision ${precision}`);
  const out = new Uint8Array(bytes);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(112, precision, true);
  dv.setBigUint64(out.length - FORMAT.TRAILER_BYTES, fnv1a64(out.subarray(0, out.length - FORMAT.TRAILER_BYTES)), true);
  return out;
}

module.exports = {
  FORMAT,
  PRECISION,
  withPrecision,
  DTYPE,
  DTYPE_BYTES,
  OP,
  OP_NAMES,
  RESIZE,
  COLOUR,
  halfToFloat,
  floatToHalf,
  samePads,
  windowOut,
  makeNode,
  fnv1a64,
  serialise,
  readModelFile,
};
