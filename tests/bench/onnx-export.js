#!/usr/bin/env node
'use strict';
// Exports an imprint model file (models/MODEL_FORMAT.md) to an ONNX model (opset 13, IR version 7)
// on the same weights, so ONNX Runtime Web can run the same network as a speed peer
// (tests/bench/speed.js, tests/bench/browser-speed.js). A benchmark tool, not part of the package.
//
// The graph takes the raw pixels imprint takes: uint8 [1, H, W, 3] (already at the model's input
// size), applies the file's preprocessing (colour order, pixel * scale + bias), works in NCHW, and
// outputs either
//   - 'embedding' [1, dim]: imprint's embedding (each embedding layer global-average-pooled and
//     L2-normalised, concatenated, L2-normalised), or
//   - with { layers }, one output per named layer: its global average [1, c] (what imprint's
//     features() returns), or with { pool: false } the layer's whole output as NHWC [1, h, w, c].
// Only the nodes these outputs need are written. Weights are dequantized exactly as the C loader
// does (f16 → f32 exactly; u8: (float)((double)q * q_scale + q_min)) into float32 initializers. A
// BATCH_NORM is folded into the convolution before it where MODEL_FORMAT.md allows it (s = gamma /
// sqrt(variance + epsilon), in double precision, as the loader does), and a ZERO_PAD read only by
// a convolution becomes that convolution's pads; everything else maps to one ONNX op (Conv with
// group for depthwise, Clip/Relu for clamps, Add, Concat, MaxPool, AveragePool with
// count_include_pad 0, GlobalAveragePool, Gemm, Softmax, Pad, Flatten via Transpose + Reshape,
// BatchNormalization; a ZERO_PAD before a MAX_POOL becomes Concat with zeros, see there). Ops 15-20 (MUL .. TRANSPOSE_CONV2D) are refused with an error for now.
//
// The protobuf is written by protobufjs with the schema in tests/bench/onnx-subset.proto.
//
//   node tests/bench/onnx-export.js <model.imprint> <out.onnx> [--layer NAME]... [--no-pool]
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');
const { readModelFile, halfToFloat, DTYPE, FORMAT } = require('../../models/model-format.js');

const IR_VERSION = 7;
const OPSET = 13;
const ELEM = { FLOAT: 1, UINT8: 2, INT64: 7 };
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 };

let modelType = null;
/** The ModelProto type of tests/bench/onnx-subset.proto (parsed once). */
function onnxSchema() {
  if (!modelType)
    modelType = protobuf.loadSync(path.join(__dirname, 'onnx-subset.proto')).lookupType('onnx.ModelProto');
  return modelType;
}

/** A tensor's values as float32, as the C loader computes them (model_tensor_to_f32). */
function tensorValues(bytes, tensor) {
  const n = tensor.dims.reduce((a, b) => a * b, 1);
  const data = bytes.subarray(tensor.offset, tensor.offset + tensor.bytes);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(n);
  if (tensor.dtype === DTYPE.F32) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  else if (tensor.dtype === DTYPE.F16) for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  else if (tensor.dtype === DTYPE.U8_AFFINE) for (let i = 0; i < n; i++) out[i] = data[i] * tensor.qScale + tensor.qMin;
  else throw new Error(`onnx-export: tensor dtype ${tensor.dtype} unknown`);
  return out;
}

/** Collects ONNX nodes and initializers with unique names. */
class GraphBuilder {
  constructor() {
    this.nodes = [];
    this.initializers = [];
    this.used = new Set();
  }

  name(base) {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** A float32 (Float32Array / number[]) or int64 (BigInt64Array) constant; returns its name. */
  constant(base, dims, values) {
    const name = this.name(base);
    const int64 = values instanceof BigInt64Array;
    const typed = int64 ? values : Float32Array.from(values);
    const raw = new Uint8Array(typed.length * (int64 ? 8 : 4));
    const dv = new DataView(raw.buffer);
    typed.forEach((v, i) => (int64 ? dv.setBigInt64(8 * i, v, true) : dv.setFloat32(4 * i, v, true)));
    this.initializers.push({ name, dims, dataType: int64 ? ELEM.INT64 : ELEM.FLOAT, rawData: raw });
    return name;
  }

  int64s(base, values) {
    return this.constant(base, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** Adds a node; attrs values: integer → INT, number[] → INTS, { f } → FLOAT. Returns the output name. */
  op(opType, inputs, attrs, base) {
    const output = this.name(base);
    const attribute = Object.entries(attrs || {}).map(([name, v]) => {
      if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
      if (typeof v === 'object') return { name, type: ATTR.FLOAT, f: v.f };
      return { name, type: ATTR.INT, i: v };
    });
    this.nodes.push({ input: inputs, output: [output], name: output, opType, attribute });
    return output;
  }
}

const isInf = (lo, hi) => lo === -Infinity && hi === Infinity;

/** The clamp a node carries, as Relu or Clip after `value`. */
function addClamp(g, value, lo, hi, base) {
  if (isInf(lo, hi)) return value;
  if (lo === 0 && hi === Infinity) return g.op('Relu', [value], null, `${base}/relu`);
  const min = lo === -Infinity ? '' : g.constant(`${base}/min`, [], [lo]);
  const max = hi === Infinity ? '' : g.constant(`${base}/max`, [], [hi]);
  return g.op('Clip', [value, min, max], null, `${base}/clip`);
}

/**
 * Builds the ONNX ModelProto (a plain object for the schema) of an imprint model file.
 * @param {Uint8Array} bytes  the .imprint file
 * @param {{layers?: string[], pool?: boolean}} [options]
 */
function buildOnnxModel(bytes, options = {}) {
  const file = readModelFile(bytes);
  if (!file.checksumOk) throw new Error('onnx-export: the model file checksum does not match');
  const { header, nodes, tensors } = file;
  const values = new Map(); // tensor index → Float32Array, dequantized once
  const weight = (slot, node) => {
    const t = node.tensors[slot];
    if (t === FORMAT.NONE) return null;
    if (!values.has(t)) values.set(t, tensorValues(bytes, tensors[t]));
    return values.get(t);
  };
  const byName = new Map(nodes.map((n, i) => [n.name, i]));
  const pool = options.pool !== false;
  const targets = options.layers
    ? options.layers.map((name) => {
        if (!byName.has(name)) throw new Error(`onnx-export: no layer named ${name}`);
        return byName.get(name);
      })
    : header.embedNodes.slice(0, header.embedCount);

  // Nodes the outputs need, and how many needed nodes (or outputs) read each node.
  const needed = new Array(nodes.length).fill(false);
  const stack = [...targets];
  while (stack.length) {
    const i = stack.pop();
    if (needed[i]) continue;
    needed[i] = true;
    stack.push(...nodes[i].inputs);
  }
  const readers = new Array(nodes.length).fill(0);
  nodes.forEach((n, i) => needed[i] && n.inputs.forEach((j) => readers[j]++));
  targets.forEach((i) => readers[i]++);

  // BATCH_NORM folded into its input convolution: conv index → BN index (MODEL_FORMAT.md rules).
  const foldedBn = new Map();
  nodes.forEach((n, i) => {
    if (!needed[i] || n.op !== 'BATCH_NORM') return;
    const j = n.inputs[0];
    const src = nodes[j];
    if (
      ['CONV2D', 'DEPTHWISE_CONV2D', 'DENSE'].includes(src.op) &&
      isInf(src.fparams[0], src.fparams[1]) &&
      readers[j] === 1
    )
      foldedBn.set(j, i);
  });

  const g = new GraphBuilder();
  const [H, W] = [header.inputHeight, header.inputWidth];
  const value = new Array(nodes.length); // ONNX name of each node's output, NCHW [1, c, h, w]
  const pads = new Array(nodes.length); // ZERO_PAD merged into its reader: [top, left, bottom, right]
  const INPUT = 'pixels';
  // The graph's input and output names are reserved: inner values get other names.
  g.used.add(INPUT);
  g.used.add('embedding');
  if (options.layers) targets.forEach((i) => g.used.add(nodes[i].name));

  for (let i = 0; i < nodes.length; i++) {
    if (!needed[i]) continue;
    const n = nodes[i];
    const [kh, kw, sh, sw, dh, dw, pt, pl, pb, pr] = n.iparams;
    const [lo, hi, eps] = n.fparams;
    const x = n.inputs.length ? value[n.inputs[0]] : null;
    const inShape = n.inputs.length ? nodes[n.inputs[0]].shape : null;
    const base = n.name;
    switch (n.op) {
      case 'INPUT': {
        let v = g.op('Cast', [INPUT], { to: ELEM.FLOAT }, 'pixels/float');
        if (header.colourOrder === 1) v = g.op('Gather', [v, g.int64s('bgr', [2, 1, 0])], { axis: 3 }, 'pixels/bgr');
        v = g.op('Mul', [v, g.constant('input/scale', [3], header.scale)], null, 'pixels/scaled');
        v = g.op('Add', [v, g.constant('input/bias', [3], header.bias)], null, 'pixels/biased');
        value[i] = g.op('Transpose', [v], { perm: [0, 3, 1, 2] }, base);
        break;
      }
      case 'CONV2D':
      case 'DEPTHWISE_CONV2D': {
        const kernel = weight(0, n);
        const bias = weight(1, n);
        const cin = inShape[2];
        const cout = n.shape[2];
        const depthwise = n.op === 'DEPTHWISE_CONV2D';
        const mult = depthwise ? cout / cin : 1;
        // BN folded in: per output channel scale s and new bias (double precision).
        const bnIndex = foldedBn.get(i);
        const s = new Float64Array(cout).fill(1);
        const b = new Float64Array(cout);
        for (let c = 0; c < cout; c++) b[c] = bias ? bias[c] : 0;
        if (bnIndex !== undefined) {
          const bn = nodes[bnIndex];
          const [gamma, beta, mean, variance] = [0, 1, 2, 3].map((k) => weight(k, bn));
          for (let c = 0; c < cout; c++) {
            s[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + bn.fparams[2]);
            b[c] = (beta ? beta[c] : 0) + (b[c] - mean[c]) * s[c];
          }
        }
        // HWIO [kh, kw, cin, cout] → OIHW; depthwise [kh, kw, cin, mult] → [cin * mult, 1, kh, kw].
        const icount = depthwise ? 1 : cin;
        const w = new Float32Array(cout * icount * kh * kw);
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++)
            for (let ci = 0; ci < cin; ci++)
              for (let m = 0; m < (depthwise ? mult : cout); m++) {
                const co = depthwise ? ci * mult + m : m;
                const ii = depthwise ? 0 : ci;
                w[((co * icount + ii) * kh + ky) * kw + kx] =
                  kernel[((ky * kw + kx) * cin + ci) * (depthwise ? mult : cout) + m] * s[co];
              }
        let input = x;
        let p = [pt, pl, pb, pr];
        const padSource = n.inputs[0];
        if (pads[padSource]) {
          input = value[nodes[padSource].inputs[0]];
          p = p.map((v, k) => v + pads[padSource][k]);
        }
        const out = g.op(
          'Conv',
          [input, g.constant(`${base}/weights`, [cout, icount, kh, kw], w), g.constant(`${base}/bias`, [cout], b)],
          { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads: p, group: depthwise ? cin : 1 },
          base,
        );
        value[i] = addClamp(g, out, lo, hi, base);
        if (bnIndex !== undefined) value[bnIndex] = value[i];
        break;
      }
      case 'BATCH_NORM': {
        if (value[i]) break; // folded into the convolution before it
        const c = n.shape[2];
        const [gamma, beta, mean, variance] = [0, 1, 2, 3].map((k) => weight(k, n));
        value[i] = g.op(
          'BatchNormalization',
          [
            x,
            g.constant(`${base}/gamma`, [c], gamma || new Float32Array(c).fill(1)),
            g.constant(`${base}/beta`, [c], beta || new Float32Array(c)),
            g.constant(`${base}/mean`, [c], mean),
            g.constant(`${base}/variance`, [c], variance),
          ],
          { epsilon: { f: eps } },
          base,
        );
        break;
      }
      case 'CLAMP':
        value[i] = addClamp(g, x, lo, hi, base);
        if (value[i] === x) value[i] = g.op('Identity', [x], null, base);
        break;
      case 'ZERO_PAD': {
        const onlyConvReads =
          readers[i] === 1 &&
          !targets.includes(i) &&
          nodes.some((m, k) => needed[k] && m.inputs[0] === i && ['CONV2D', 'DEPTHWISE_CONV2D'].includes(m.op));
        if (onlyConvReads) {
          pads[i] = [pt, pl, pb, pr];
          break;
        }
        const readByMaxPool = nodes.some((m, k) => needed[k] && m.op === 'MAX_POOL' && m.inputs[0] === i);
        if (readByMaxPool) {
          // ONNX Runtime's graph optimiser (PadFusion) moves a zero Pad into a following MaxPool's
          // pads, where padding is ignored instead of zero: wrong whenever a window's values are
          // all negative. Zeros concatenated on each side are the same padding and are left alone.
          const [h, w, c] = inShape;
          const zeros = (tag, hh, ww) => g.constant(`${base}/${tag}`, [1, c, hh, ww], new Float32Array(c * hh * ww));
          let v = x;
          if (pt || pb) {
            const parts = [pt && zeros('top', pt, w), v, pb && zeros('bottom', pb, w)].filter(Boolean);
            v = g.op('Concat', parts, { axis: 2 }, `${base}/rows`);
          }
          if (pl || pr) {
            const hh = h + pt + pb;
            const parts = [pl && zeros('left', hh, pl), v, pr && zeros('right', hh, pr)].filter(Boolean);
            v = g.op('Concat', parts, { axis: 3 }, `${base}/columns`);
          }
          value[i] = v === x ? g.op('Identity', [x], null, base) : v;
          break;
        }
        const padsInput = g.int64s(`${base}/pads`, [0, 0, pt, pl, 0, 0, pb, pr]);
        value[i] = g.op('Pad', [x, padsInput], null, base); // mode 'constant', value 0: the defaults
        break;
      }
      case 'ADD': {
        let other;
        if (n.inputs.length === 2) other = value[n.inputs[1]];
        else {
          const t = tensors[n.tensors[0]];
          const count = t.dims.reduce((a, v) => a * v, 1);
          other = g.constant(`${base}/constant`, count === 1 ? [1] : [1, count, 1, 1], weight(0, n));
        }
        value[i] = g.op('Add', [x, other], null, base);
        break;
      }
      case 'CONCAT':
        value[i] = g.op(
          'Concat',
          n.inputs.map((j) => value[j]),
          { axis: 1 },
          base,
        );
        break;
      case 'MAX_POOL':
      case 'AVG_POOL': {
        const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr] };
        if (n.op === 'AVG_POOL') attrs.count_include_pad = 0;
        value[i] = g.op(n.op === 'MAX_POOL' ? 'MaxPool' : 'AveragePool', [x], attrs, base);
        break;
      }
      case 'GLOBAL_AVG_POOL':
        value[i] = g.op('GlobalAveragePool', [x], null, base);
        break;
      case 'DENSE': {
        const kernel = weight(0, n);
        const bias = weight(1, n);
        const cin = inShape[2];
        const cout = n.shape[2];
        const bnIndex = foldedBn.get(i);
        const k2 = Float32Array.from(kernel);
        const b = new Float32Array(cout);
        for (let c = 0; c < cout; c++) b[c] = bias ? bias[c] : 0;
        if (bnIndex !== undefined) {
          const bn = nodes[bnIndex];
          const [gamma, beta, mean, variance] = [0, 1, 2, 3].map((k) => weight(k, bn));
          for (let c = 0; c < cout; c++) {
            const s = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + bn.fparams[2]);
            for (let ci = 0; ci < cin; ci++) k2[ci * cout + c] = kernel[ci * cout + c] * s;
            b[c] = (beta ? beta[c] : 0) + ((bias ? bias[c] : 0) - mean[c]) * s;
          }
        }
        const flat = g.op('Flatten', [x], { axis: 1 }, `${base}/flatten`);
        const gemm = g.op(
          'Gemm',
          [flat, g.constant(`${base}/kernel`, [cin, cout], k2), g.constant(`${base}/bias`, [cout], b)],
          null,
          `${base}/gemm`,
        );
        const shaped = g.op('Reshape', [gemm, g.int64s(`${base}/shape`, [1, cout, 1, 1])], null, base);
        value[i] = addClamp(g, shaped, lo, hi, base);
        if (bnIndex !== undefined) value[bnIndex] = value[i];
        break;
      }
      case 'SOFTMAX':
        value[i] = g.op('Softmax', [x], { axis: 1 }, base);
        break;
      case 'FLATTEN': {
        // Keras Flatten on NHWC: row-major h, w, c.
        const nhwc = g.op('Transpose', [x], { perm: [0, 2, 3, 1] }, `${base}/nhwc`);
        value[i] = g.op('Reshape', [nhwc, g.int64s(`${base}/shape`, [1, n.shape[2], 1, 1])], null, base);
        break;
      }
      case 'IDENTITY':
        value[i] = x;
        break;
      default:
        throw new Error(`onnx-export: op ${n.op} (node ${i}, ${n.name}) is not exported yet`);
    }
  }

  // Outputs.
  const outputs = [];
  const pooled = (i) => {
    const gap = g.op('GlobalAveragePool', [value[i]], null, `${nodes[i].name}/gap`);
    return g.op('Flatten', [gap], { axis: 1 }, `${nodes[i].name}/pooled`);
  };
  const renameLast = (name) => {
    const last = g.nodes[g.nodes.length - 1];
    last.output = [name];
  };
  if (options.layers) {
    targets.forEach((i) => {
      const [h, w, c] = nodes[i].shape;
      if (pool) {
        pooled(i);
        renameLast(nodes[i].name);
        outputs.push({ name: nodes[i].name, dims: [1, c] });
      } else {
        g.op('Transpose', [value[i]], { perm: [0, 2, 3, 1] }, `${nodes[i].name}/nhwc`);
        renameLast(nodes[i].name);
        outputs.push({ name: nodes[i].name, dims: [1, h, w, c] });
      }
    });
  } else {
    const parts = targets.map((i) => g.op('LpNormalization', [pooled(i)], { axis: 1, p: 2 }, `${nodes[i].name}/l2`));
    const joined = parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: 1 }, 'embedding/concat');
    g.op('LpNormalization', [joined], { axis: 1, p: 2 }, 'embedding/l2');
    renameLast('embedding');
    const dim = targets.reduce((a, i) => a + nodes[i].shape[2], 0);
    outputs.push({ name: 'embedding', dims: [1, dim] });
  }

  const valueInfo = (name, elemType, dims) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  return {
    irVersion: IR_VERSION,
    producerName: 'imprint tests/bench/onnx-export.js',
    producerVersion: '1',
    docString: `${header.name}, exported from an imprint model file`,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: header.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(INPUT, ELEM.UINT8, [1, H, W, 3])],
      output: outputs.map((o) => valueInfo(o.name, ELEM.FLOAT, o.dims)),
    },
  };
}

/** Encodes a ModelProto object (as buildOnnxModel returns) to bytes. */
function encodeModel(model) {
  const type = onnxSchema();
  const problem = type.verify(model);
  if (problem) throw new Error(`onnx-export: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** Decodes ONNX bytes written by this exporter back to a plain object (for tests). */
function decodeModel(bytes) {
  const type = onnxSchema();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false });
}

/**
 * An imprint model file as ONNX bytes.
 * @param {Uint8Array} bytes
 * @param {{layers?: string[], pool?: boolean}} [options]
 * @returns {Uint8Array}
 */
function exportOnnx(bytes, options) {
  return encodeModel(buildOnnxModel(bytes, options));
}

module.exports = { exportOnnx, buildOnnxModel, encodeModel, decodeModel, tensorValues, OPSET };

if (require.main === module) {
  const args = process.argv.slice(2);
  const layers = [];
  const files = [];
  let pool = true;
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '--layer') layers.push(args[++k]);
    else if (args[k] === '--no-pool') pool = false;
    else files.push(args[k]);
  }
  if (files.length !== 2) {
    console.error('usage: node tests/bench/onnx-export.js <model.imprint> <out.onnx> [--layer NAME]... [--no-pool]');
    process.exit(2);
  }
  const out = exportOnnx(fs.readFileSync(files[0]), layers.length ? { layers, pool } : {});
  fs.writeFileSync(files[1], out);
  console.log(`${files[1]}: ${out.length} bytes, opset ${OPSET}`);
}
