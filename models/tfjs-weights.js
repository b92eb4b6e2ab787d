'use strict';
// tfjs-weights.js — TF.js weights manifests (layers and graph models share the format): splits
// the concatenated shard bytes by the manifest and turns each weight into a model file tensor
// that keeps its dtype (float32 → f32, float16 → f16, uint8 → u8 affine).

const { DTYPE } = require('./model-format.js');

const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 };
const PLAIN_BYTES = { float32: 4, int32: 4 };

function shapeSize(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Splits TF.js's concatenated weight bytes by the manifest, in the order TF.js's
 * io.decodeWeights walks it (groups in order, each group's paths concatenated).
 * @param {object[]} weightsManifest
 * @param {ArrayBuffer|Uint8Array} weightData
 * @returns {Map<string, {spec: object, bytes: Uint8Array}>}  by weight name, bytes a view
 */
function splitWeights(weightsManifest, weightData) {
  const all = weightData instanceof Uint8Array ? weightData : new Uint8Array(weightData);
  const out = new Map();
  let offset = 0;
  for (const group of weightsManifest) {
    for (const spec of group.weights) {
      const size = shapeSize(spec.shape);
      let per;
      if (spec.quantization) {
        per = QUANT_BYTES[spec.quantization.dtype];
        if (!per) throw new Error(`weight '${spec.name}': unknown quantization dtype '${spec.quantization.dtype}'`);
      } else {
        per = PLAIN_BYTES[spec.dtype];
        if (!per) throw new Error(`weight '${spec.name}': unsupported dtype '${spec.dtype}'`);
      }
      const bytes = size * per;
      if (offset + bytes > all.length) {
        throw new Error(
          `weight '${spec.name}' needs bytes ${offset}..${offset + bytes} but the weight data has ${all.length}`,
        );
      }
      out.set(spec.name, { spec, bytes: all.subarray(offset, offset + bytes) });
      offset += bytes;
    }
  }
  return out;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

// The float32 `steps` ulps away from float32 value x (x finite).
function f32Step(x, steps) {
  f32Scratch[0] = x;
  if (steps === 0) return f32Scratch[0];
  // Map the float's bits onto a monotonic integer line, step, map back.
  let bits = u32Scratch[0];
  let ordered = bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
  ordered += steps;
  u32Scratch[0] = ordered < 0 ? (0x80000000 | -ordered) >>> 0 : ordered;
  return f32Scratch[0];
}

// TF.js (tfjs-core io_utils decodeWeight) dequantizes as `Float32(q * scale + min)` with the
// manifest's double-precision min/scale. The file stores float32 q_min/q_scale and the C loader
// computes `(float)((double)q * q_scale + q_min)`. Pick float32 params that reproduce TF.js's
// values bit-exactly for every byte value the tensor uses; null when none near the rounded ones does
// (then the rounded params are used: the difference is below 3e-7 of the tensor's value range).
function exactAffineParams(qbytes, min, scale) {
  const used = new Uint8Array(256);
  for (let i = 0; i < qbytes.length; i++) used[qbytes[i]] = 1;
  const qs = [];
  for (let q = 0; q < 256; q++) if (used[q]) qs.push(q);
  const target = qs.map((q) => Math.fround(q * scale + min));
  const order = [0, 1, -1, 2, -2, 3, -3, 4, -4];
  for (const ds of order) {
    const fscale = f32Step(Math.fround(scale), ds);
    for (const dm of order) {
      const fmin = f32Step(Math.fround(min), dm);
      let ok = true;
      for (let i = 0; i < qs.length && ok; i++) {
        const product = qs[i] * fscale;
        ok = Math.fround(product + fmin) === target[i];
      }
      if (ok) return { qMin: fmin, qScale: fscale };
    }
  }
  return null;
}

/**
 * Builds a model file tensor from a manifest entry, counting its dtype in `stats`
 * ({f32, f16, u8, u8Exact, u16AsF32}).
 * @param {{spec: object, bytes: Uint8Array}} entry  from splitWeights
 * @param {number[]} expectShape  the shape the layer needs; a manifest that disagrees is refused
 * @param {object} stats
 */
function makeTensor(entry, expectShape, stats) {
  const { spec, bytes } = entry;
  if (spec.shape.length !== expectShape.length || spec.shape.some((d, i) => d !== expectShape[i])) {
    throw new Error(`weight '${spec.name}' has shape [${spec.shape}] but the layer needs [${expectShape}]`);
  }
  const shape = expectShape.slice();
  if (shape.length < 1 || shape.length > 4) throw new Error(`weight '${spec.name}': rank ${shape.length} not in 1..4`);
  const q = spec.quantization;
  if (!q) {
    if (spec.dtype !== 'float32') throw new Error(`weight '${spec.name}': dtype ${spec.dtype} is not a float weight`);
    stats.f32++;
    return { dtype: DTYPE.F32, shape, data: bytes, qMin: 0, qScale: 0, name: spec.name };
  }
  if (spec.dtype !== undefined && spec.dtype !== 'float32') {
    throw new Error(`weight '${spec.name}': quantized dtype ${spec.dtype} is not float32`);
  }
  if (q.dtype === 'float16') {
    stats.f16++;
    return { dtype: DTYPE.F16, shape, data: bytes, qMin: 0, qScale: 0, name: spec.name };
  }
  if (!(Number.isFinite(q.min) && Number.isFinite(q.scale))) {
    throw new Error(`weight '${spec.name}': quantization min/scale missing or not finite`);
  }
  if (q.dtype === 'uint8') {
    // Float32 params cannot always reproduce TF.js's double-precision arithmetic; when no nearby
    // pair is exact the rounded pair is kept: it differs from TF.js by < 3e-7 of the tensor's range.
    const exact = exactAffineParams(bytes, q.min, q.scale);
    const params = exact || { qMin: Math.fround(q.min), qScale: Math.fround(q.scale) };
    stats.u8++;
    if (exact) stats.u8Exact++;
    return { dtype: DTYPE.U8_AFFINE, shape, data: bytes, qMin: params.qMin, qScale: params.qScale, name: spec.name };
  }
  // uint16 has no file dtype: store the values TF.js computes, as float32.
  stats.u16AsF32++;
  const size = shapeSize(shape);
  const src = new Uint16Array(bytes.slice().buffer, 0, size);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = src[i] * q.scale + q.min;
  return { dtype: DTYPE.F32, shape, data: new Uint8Array(values.buffer), qMin: 0, qScale: 0, name: spec.name };
}

module.exports = { splitWeights, makeTensor };
