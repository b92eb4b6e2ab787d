'use strict';
// convert.js — TF.js layers-model → imprint model file v1 (byte layout: models/README.md).
//
// Library:  const { convertArtifacts, convertModelJson, convertNsfwjsModel } = require('./convert.js')
// CLI:      node models/convert.js model.json -o out.imprint [--embed layerA,layerB]
//                [--scale 1/255|[-1,1]|<number>] [--bias <number>] [--name N]
//                [--resize align-corners|half-pixel|area] [--colour rgb|bgr] [--input-size HxW]
//           node models/convert.js --nsfwjs mobilenet_v2 -o out.imprint ...
//
// Only Node built-ins. Weights keep their source dtype (uint8 stays uint8 with its min/scale, float16
// stays float16, float32 stays float32); the C loader dequantizes and folds batch norm at load time.

const fs = require('fs');
const path = require('path');
const vm = require('vm');

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

const DTYPE = Object.freeze({ F32: 0, F16: 1, U8_AFFINE: 2 });
const DTYPE_BYTES = [4, 2, 1];

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
});
const OP_NAMES = Object.keys(OP);

const RESIZE = Object.freeze({ BILINEAR_ALIGN_CORNERS: 0, BILINEAR_HALF_PIXEL: 1, AREA_THEN_BILINEAR: 2 });
const COLOUR = Object.freeze({ RGB: 0, BGR: 1 });

class UnsupportedLayerError extends Error {
  constructor(layerName, className, reason) {
    super(`Unsupported layer '${layerName}' (class ${className}): ${reason}`);
    this.name = 'UnsupportedLayerError';
    this.code = 'UNSUPPORTED_LAYER';
    this.layer = layerName;
    this.className = className;
  }
}

// ---------------------------------------------------------------------------------------------
// Weights: split TF.js's concatenated weight buffer by the manifest and keep each tensor's dtype.

const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 };
const PLAIN_BYTES = { float32: 4, int32: 4 };

function shapeSize(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

// Returns Map(name → { spec, bytes: Uint8Array view }) in manifest order, as TF.js's
// io.decodeWeights walks it (groups in order, each group's paths concatenated).
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
        throw new Error(`weight '${spec.name}' needs bytes ${offset}..${offset + bytes} but the weight data has ${all.length}`);
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

// Builds a file tensor from a manifest entry. `expectShape` guards against a manifest that does
// not match the topology.
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

// ---------------------------------------------------------------------------------------------
// Topology: Keras functional or Sequential JSON → a flat list of layers with resolved inputs.

function modelConfig(modelTopology) {
  if (!modelTopology || typeof modelTopology !== 'object') throw new Error('modelTopology missing');
  const top = modelTopology.model_config || modelTopology;
  const cls = top.class_name;
  if (cls === 'Sequential') {
    const list = Array.isArray(top.config) ? top.config : top.config && top.config.layers;
    if (!Array.isArray(list) || list.length === 0) throw new Error('Sequential model without layers');
    const layers = [];
    let prev = null;
    let first = 0;
    if (list[0].class_name !== 'InputLayer') {
      const cfg = list[0].config || {};
      const shape = cfg.batch_input_shape || (cfg.input_shape && [null, ...cfg.input_shape]);
      if (!shape) throw new Error(`Sequential model: first layer '${cfg.name}' has no batch_input_shape`);
      prev = `${cfg.name}_input`;
      layers.push({ name: prev, class_name: 'InputLayer', config: { name: prev, batch_input_shape: shape }, inputs: [] });
    } else {
      prev = list[0].config.name;
      layers.push({ name: prev, class_name: 'InputLayer', config: list[0].config, inputs: [] });
      first = 1;
    }
    for (let i = first; i < list.length; i++) {
      const name = list[i].config.name;
      layers.push({ name, class_name: list[i].class_name, config: list[i].config, inputs: [prev] });
      prev = name;
    }
    return { name: (top.config && top.config.name) || 'sequential', layers, outputs: [prev] };
  }
  if (cls !== 'Model' && cls !== 'Functional') {
    throw new Error(`model class '${cls}' is not supported (expected Model, Functional or Sequential)`);
  }
  const cfg = top.config;
  const layers = cfg.layers.map((l) => {
    const name = l.name || l.config.name;
    const nodes = l.inbound_nodes || [];
    if (nodes.length > 1) {
      throw new UnsupportedLayerError(name, l.class_name, 'layer is called more than once (shared layers)');
    }
    const inputs = [];
    if (nodes.length === 1) {
      if (!Array.isArray(nodes[0])) {
        throw new UnsupportedLayerError(name, l.class_name, 'inbound_nodes are not in the Keras 2 / TF.js format');
      }
      for (const ref of nodes[0]) {
        const [src, nodeIndex, tensorIndex] = ref;
        if (nodeIndex !== 0 || tensorIndex !== 0) {
          throw new UnsupportedLayerError(name, l.class_name, `input ${src}[${nodeIndex}][${tensorIndex}] is not a layer's only output`);
        }
        inputs.push(src);
      }
    }
    return { name, class_name: l.class_name, config: l.config || {}, inputs };
  });
  if (!cfg.input_layers || cfg.input_layers.length !== 1) throw new Error('only models with exactly one input are supported');
  if (!cfg.output_layers || cfg.output_layers.length < 1) throw new Error('model has no output_layers');
  return { name: cfg.name, layers: topoSort(layers), outputs: cfg.output_layers.map((o) => o[0]) };
}

// Keras writes layers in a valid order already; sort anyway so hand-written topologies work.
function topoSort(layers) {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const state = new Map();
  const out = [];
  const visit = (l) => {
    const s = state.get(l.name);
    if (s === 2) return;
    if (s === 1) throw new Error(`topology has a cycle through layer '${l.name}'`);
    state.set(l.name, 1);
    for (const src of l.inputs) {
      const dep = byName.get(src);
      if (!dep) throw new Error(`layer '${l.name}' reads unknown layer '${src}'`);
      visit(dep);
    }
    state.set(l.name, 2);
    out.push(l);
  };
  for (const l of layers) visit(l);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Layers → nodes.

const pair = (v) => (Array.isArray(v) ? (v.length === 1 ? [v[0], v[0]] : [v[0], v[1]]) : [v, v]);

// TensorFlow 'same' padding: output = ceil(in / stride), the extra row/column goes bottom/right.
function samePads(inSize, k, stride, dilation) {
  const eff = (k - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

function windowOut(inSize, k, stride, dilation, padBefore, padAfter) {
  const eff = (k - 1) * dilation + 1;
  const padded = inSize + padBefore + padAfter;
  if (padded < eff) return 0;
  return Math.floor((padded - eff) / stride) + 1;
}

function fusedClamp(layer, activation, allowSoftmax) {
  switch (activation == null ? 'linear' : activation) {
    case 'linear':
      return { min: -Infinity, max: Infinity, softmax: false };
    case 'relu':
      return { min: 0, max: Infinity, softmax: false };
    case 'relu6':
      return { min: 0, max: 6, softmax: false };
    case 'softmax':
      if (allowSoftmax) return { min: -Infinity, max: Infinity, softmax: true };
    // falls through
    default:
      throw new UnsupportedLayerError(layer.name, layer.class_name, `activation '${activation}' is not supported`);
  }
}

class GraphBuilder {
  constructor(weights, options, stats) {
    this.weights = weights;
    this.options = options;
    this.stats = stats;
    this.nodes = [];
    this.tensors = [];
    this.byLayer = new Map(); // Keras layer name → index of the node holding its output
    this.usedWeights = new Set();
  }

  addNode(op, name, inputs, shape, fields = {}) {
    const iparams = new Array(10).fill(0);
    if (fields.iparams) fields.iparams.forEach((v, i) => (iparams[i] = v));
    const node = {
      op,
      name,
      inputs,
      iparams,
      fparams: [fields.outMin ?? -Infinity, fields.outMax ?? Infinity, fields.epsilon ?? 0],
      tensors: (fields.tensors || []).concat([FORMAT.NONE, FORMAT.NONE, FORMAT.NONE, FORMAT.NONE]).slice(0, 4),
      shape,
      krank: fields.krank ?? 4,
    };
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  // Finds `<layer>/<param>` in the manifest (exact, else as the tail of a scoped name).
  findWeight(layer, param) {
    const want = `${layer.name}/${param}`;
    let entry = this.weights.get(want);
    if (!entry) {
      for (const [name, e] of this.weights) {
        if (name.endsWith('/' + want)) {
          entry = e;
          break;
        }
      }
    }
    return entry;
  }

  tensor(layer, param, shape, required = true) {
    const entry = this.findWeight(layer, param);
    if (!entry) {
      if (!required) return FORMAT.NONE;
      throw new Error(`layer '${layer.name}' (${layer.class_name}): weight '${layer.name}/${param}' not found in the manifest`);
    }
    this.usedWeights.add(entry.spec.name);
    this.tensors.push(makeTensor(entry, shape, this.stats));
    return this.tensors.length - 1;
  }

  input(layer, i = 0) {
    const index = this.byLayer.get(layer.inputs[i]);
    if (index === undefined) throw new Error(`layer '${layer.name}' reads '${layer.inputs[i]}' which produced no node`);
    return index;
  }

  addLayer(layer) {
    const fn = Object.prototype.hasOwnProperty.call(LAYERS, layer.class_name) ? LAYERS[layer.class_name] : null;
    if (!fn) throw new UnsupportedLayerError(layer.name, layer.class_name, 'unknown layer class');
    const cfg = layer.config || {};
    if (cfg.data_format && cfg.data_format !== 'channels_last') {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `data_format '${cfg.data_format}' (only channels_last)`);
    }
    const expected = fn.inputs || [1, 1];
    if (layer.inputs.length < expected[0] || layer.inputs.length > expected[1]) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `${layer.inputs.length} inputs`);
    }
    const index = fn(this, layer, cfg);
    this.byLayer.set(layer.name, index);
  }
}

function needSpatial(b, layer, index) {
  const n = b.nodes[index];
  if (n.krank !== 4) throw new UnsupportedLayerError(layer.name, layer.class_name, 'input is not an image-shaped (NHWC) tensor');
  return n.shape;
}

function channelAxisOk(axis, krank) {
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : NaN) : axis;
  return a === -1 || a === krank - 1;
}

function windowLayer(b, layer, cfg, kind) {
  const src = b.input(layer);
  const [h, w, c] = needSpatial(b, layer, src);
  const [kh, kw] = pair(kind === 'pool' ? cfg.pool_size : cfg.kernel_size);
  const [sh, sw] = pair(cfg.strides == null ? (kind === 'pool' ? cfg.pool_size : 1) : cfg.strides);
  const [dh, dw] = kind === 'pool' ? [1, 1] : pair(cfg.dilation_rate == null ? 1 : cfg.dilation_rate);
  for (const v of [kh, kw, sh, sw, dh, dw]) {
    if (!Number.isInteger(v) || v < 1) throw new UnsupportedLayerError(layer.name, layer.class_name, 'kernel/stride/dilation must be positive integers');
  }
  if ((dh > 1 || dw > 1) && (sh > 1 || sw > 1)) {
    throw new UnsupportedLayerError(layer.name, layer.class_name, 'dilation together with stride');
  }
  let pads;
  if (cfg.padding === 'valid') pads = [0, 0, 0, 0];
  else if (cfg.padding === 'same') {
    const [pt, pb] = samePads(h, kh, sh, dh);
    const [pl, pr] = samePads(w, kw, sw, dw);
    pads = [pt, pl, pb, pr];
  } else throw new UnsupportedLayerError(layer.name, layer.class_name, `padding '${cfg.padding}'`);
  const oh = windowOut(h, kh, sh, dh, pads[0], pads[2]);
  const ow = windowOut(w, kw, sw, dw, pads[1], pads[3]);
  if (oh < 1 || ow < 1) throw new UnsupportedLayerError(layer.name, layer.class_name, `window larger than its ${h}x${w} input`);
  return { src, h, w, c, oh, ow, iparams: [kh, kw, sh, sw, dh, dw, ...pads] };
}

function convLayer(b, layer, cfg, depthwise) {
  const win = windowLayer(b, layer, cfg, 'conv');
  if (cfg.groups != null && cfg.groups !== 1) throw new UnsupportedLayerError(layer.name, layer.class_name, `groups=${cfg.groups}`);
  const act = fusedClamp(layer, cfg.activation, false);
  const [kh, kw] = win.iparams;
  let kernel;
  let cout;
  if (depthwise) {
    const mult = cfg.depth_multiplier == null ? 1 : cfg.depth_multiplier;
    cout = win.c * mult;
    kernel = b.tensor(layer, 'depthwise_kernel', [kh, kw, win.c, mult]);
  } else {
    cout = cfg.filters;
    if (!Number.isInteger(cout) || cout < 1) throw new UnsupportedLayerError(layer.name, layer.class_name, `filters=${cout}`);
    kernel = b.tensor(layer, 'kernel', [kh, kw, win.c, cout]);
  }
  const bias = cfg.use_bias === false ? FORMAT.NONE : b.tensor(layer, 'bias', [cout]);
  return b.addNode(depthwise ? OP.DEPTHWISE_CONV2D : OP.CONV2D, layer.name, [win.src], [win.oh, win.ow, cout], {
    iparams: win.iparams,
    tensors: [kernel, bias],
    outMin: act.min,
    outMax: act.max,
  });
}

function poolLayer(b, layer, cfg, op) {
  const win = windowLayer(b, layer, cfg, 'pool');
  return b.addNode(op, layer.name, [win.src], [win.oh, win.ow, win.c], { iparams: win.iparams });
}

// Keras ops with more than two (ADD) or eight (CONCAT) inputs become a chain of nodes; the last
// one carries the layer's name.
function chain(b, layer, op, inputs, perNode, shapeOf) {
  let acc = inputs.slice(0, perNode);
  let rest = inputs.slice(perNode);
  let part = 0;
  for (;;) {
    const last = rest.length === 0;
    const name = last ? layer.name : `${layer.name}/part${part++}`;
    const index = b.addNode(op, name, acc, shapeOf(acc));
    if (last) return index;
    acc = [index, ...rest.slice(0, perNode - 1)];
    rest = rest.slice(perNode - 1);
  }
}

const LAYERS = {
  InputLayer: Object.assign(function InputLayer(b, layer, cfg) {
    const shape = cfg.batch_input_shape || cfg.batchInputShape;
    if (!Array.isArray(shape) || shape.length !== 4) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `input shape ${JSON.stringify(shape)} is not [batch, h, w, c]`);
    }
    let [, h, w, c] = shape;
    if (h == null || w == null) {
      if (!b.options.inputSize) throw new Error(`input '${layer.name}' has no fixed size: pass inputSize [h, w]`);
      [h, w] = b.options.inputSize;
    }
    if (c !== 3) throw new UnsupportedLayerError(layer.name, layer.class_name, `${c} input channels (need 3)`);
    if (b.nodes.length !== 0) throw new Error('only one input layer is supported');
    return b.addNode(OP.INPUT, layer.name, [], [h, w, c]);
  }, { inputs: [0, 0] }),
  Conv2D(b, layer, cfg) {
    return convLayer(b, layer, cfg, false);
  },
  DepthwiseConv2D(b, layer, cfg) {
    return convLayer(b, layer, cfg, true);
  },
  BatchNormalization(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    if (!channelAxisOk(cfg.axis == null ? -1 : cfg.axis, n.krank)) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `axis ${JSON.stringify(cfg.axis)} is not the channel axis`);
    }
    const c = n.shape[2];
    const epsilon = cfg.epsilon == null ? 1e-3 : cfg.epsilon;
    if (!(Number.isFinite(epsilon) && epsilon > 0)) throw new UnsupportedLayerError(layer.name, layer.class_name, `epsilon ${epsilon}`);
    const gamma = cfg.scale === false ? FORMAT.NONE : b.tensor(layer, 'gamma', [c]);
    const beta = cfg.center === false ? FORMAT.NONE : b.tensor(layer, 'beta', [c]);
    const mean = b.tensor(layer, 'moving_mean', [c]);
    const variance = b.tensor(layer, 'moving_variance', [c]);
    return b.addNode(OP.BATCH_NORM, layer.name, [src], n.shape.slice(), {
      tensors: [gamma, beta, mean, variance],
      epsilon,
      krank: n.krank,
    });
  },
  ReLU(b, layer, cfg) {
    const src = b.input(layer);
    if ((cfg.negative_slope || 0) !== 0 || (cfg.threshold || 0) !== 0) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, 'negative_slope/threshold other than 0');
    }
    const max = cfg.max_value == null ? Infinity : cfg.max_value;
    if (!(max >= 0)) throw new UnsupportedLayerError(layer.name, layer.class_name, `max_value ${cfg.max_value}`);
    const n = b.nodes[src];
    return b.addNode(OP.CLAMP, layer.name, [src], n.shape.slice(), { outMin: 0, outMax: max, krank: n.krank });
  },
  Activation(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    const act = fusedClamp(layer, cfg.activation, true);
    if (act.softmax) return b.addNode(OP.SOFTMAX, layer.name, [src], n.shape.slice(), { krank: n.krank });
    if (act.min === -Infinity && act.max === Infinity) {
      return b.addNode(OP.IDENTITY, layer.name, [src], n.shape.slice(), { krank: n.krank });
    }
    return b.addNode(OP.CLAMP, layer.name, [src], n.shape.slice(), { outMin: act.min, outMax: act.max, krank: n.krank });
  },
  Softmax(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    if (!channelAxisOk(cfg.axis == null ? -1 : cfg.axis, n.krank)) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `axis ${JSON.stringify(cfg.axis)}`);
    }
    return b.addNode(OP.SOFTMAX, layer.name, [src], n.shape.slice(), { krank: n.krank });
  },
  ZeroPadding2D(b, layer, cfg) {
    const src = b.input(layer);
    const [h, w, c] = needSpatial(b, layer, src);
    const p = cfg.padding == null ? 1 : cfg.padding;
    let t, bo, l, r;
    if (typeof p === 'number') [t, bo, l, r] = [p, p, p, p];
    else if (Array.isArray(p) && p.length === 2 && typeof p[0] === 'number') [t, bo, l, r] = [p[0], p[0], p[1], p[1]];
    else if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0])) [[t, bo], [l, r]] = p;
    else throw new UnsupportedLayerError(layer.name, layer.class_name, `padding ${JSON.stringify(p)}`);
    for (const v of [t, bo, l, r]) {
      if (!Number.isInteger(v) || v < 0) throw new UnsupportedLayerError(layer.name, layer.class_name, `padding ${JSON.stringify(p)}`);
    }
    return b.addNode(OP.ZERO_PAD, layer.name, [src], [h + t + bo, w + l + r, c], { iparams: [0, 0, 0, 0, 0, 0, t, l, bo, r] });
  },
  Add: Object.assign(
    function Add(b, layer) {
      const inputs = layer.inputs.map((_, i) => b.input(layer, i));
      const s0 = b.nodes[inputs[0]].shape;
      for (const i of inputs) {
        const s = b.nodes[i].shape;
        if (s[0] !== s0[0] || s[1] !== s0[1] || s[2] !== s0[2]) {
          throw new UnsupportedLayerError(layer.name, layer.class_name, 'inputs differ in shape (broadcasting)');
        }
      }
      const index = chain(b, layer, OP.ADD, inputs, 2, () => s0.slice());
      b.nodes[index].krank = b.nodes[inputs[0]].krank;
      return index;
    },
    { inputs: [2, Infinity] }
  ),
  Concatenate: Object.assign(
    function Concatenate(b, layer, cfg) {
      const inputs = layer.inputs.map((_, i) => b.input(layer, i));
      const krank = b.nodes[inputs[0]].krank;
      if (!channelAxisOk(cfg.axis == null ? -1 : cfg.axis, krank)) {
        throw new UnsupportedLayerError(layer.name, layer.class_name, `axis ${cfg.axis} is not the channel axis`);
      }
      const s0 = b.nodes[inputs[0]].shape;
      for (const i of inputs) {
        const s = b.nodes[i].shape;
        if (s[0] !== s0[0] || s[1] !== s0[1]) throw new UnsupportedLayerError(layer.name, layer.class_name, 'inputs differ in height/width');
      }
      const index = chain(b, layer, OP.CONCAT, inputs, FORMAT.MAX_INPUTS, (ins) => [
        s0[0],
        s0[1],
        ins.reduce((sum, i) => sum + b.nodes[i].shape[2], 0),
      ]);
      b.nodes[index].krank = krank;
      return index;
    },
    { inputs: [2, Infinity] }
  ),
  MaxPooling2D(b, layer, cfg) {
    return poolLayer(b, layer, cfg, OP.MAX_POOL);
  },
  AveragePooling2D(b, layer, cfg) {
    return poolLayer(b, layer, cfg, OP.AVG_POOL);
  },
  GlobalAveragePooling2D(b, layer, cfg) {
    const src = b.input(layer);
    const [, , c] = needSpatial(b, layer, src);
    return b.addNode(OP.GLOBAL_AVG_POOL, layer.name, [src], [1, 1, c], { krank: cfg.keepdims ? 4 : 2 });
  },
  Dense(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    if (n.shape[0] !== 1 || n.shape[1] !== 1) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `input ${n.shape.join('x')} is not flat (add Flatten or pooling)`);
    }
    const cin = n.shape[2];
    const units = cfg.units;
    if (!Number.isInteger(units) || units < 1) throw new UnsupportedLayerError(layer.name, layer.class_name, `units=${units}`);
    const act = fusedClamp(layer, cfg.activation, true);
    const kernel = b.tensor(layer, 'kernel', [cin, units]);
    const bias = cfg.use_bias === false ? FORMAT.NONE : b.tensor(layer, 'bias', [units]);
    const name = act.softmax ? `${layer.name}/logits` : layer.name;
    const dense = b.addNode(OP.DENSE, name, [src], [1, 1, units], {
      tensors: [kernel, bias],
      outMin: act.min,
      outMax: act.max,
      krank: n.krank,
    });
    if (!act.softmax) return dense;
    return b.addNode(OP.SOFTMAX, layer.name, [dense], [1, 1, units], { krank: n.krank });
  },
  Flatten(b, layer) {
    const src = b.input(layer);
    const [h, w, c] = b.nodes[src].shape;
    return b.addNode(OP.FLATTEN, layer.name, [src], [1, 1, h * w * c], { krank: 2 });
  },
  Reshape(b, layer, cfg) {
    const src = b.input(layer);
    const [h, w, c] = b.nodes[src].shape;
    const target = cfg.target_shape || [];
    const total = h * w * c;
    const last = target[target.length - 1];
    const flat = (last === total || last === -1) && target.slice(0, -1).every((d) => d === 1);
    if (!flat || target.length < 1 || target.length > 3) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `target_shape ${JSON.stringify(target)} is not a flatten`);
    }
    return b.addNode(OP.FLATTEN, layer.name, [src], [1, 1, total], { krank: target.length + 1 });
  },
  Dropout(b, layer) {
    const src = b.input(layer);
    const n = b.nodes[src];
    return b.addNode(OP.IDENTITY, layer.name, [src], n.shape.slice(), { krank: n.krank });
  },
};
LAYERS.SpatialDropout2D = LAYERS.Dropout;

// ---------------------------------------------------------------------------------------------
// Serialisation.

// FNV-1a 64 over bytes, with 16-bit limbs so it runs at memory speed (BigInt per byte is slow).
// Returns a BigInt.
function fnv1a64(bytes) {
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2; // offset basis 0xcbf29ce484222325
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
  for (let i = 0; i < FORMAT.MAX_EMBED; i++) u32(92 + 4 * i, i < meta.embedNodes.length ? meta.embedNodes[i] : FORMAT.NONE);
  // 108..127 reserved, zero.

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
// Entry points.

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
  const model = modelConfig(modelJson.modelTopology);
  const weights = splitWeights(modelJson.weightsManifest || [], weightData || new Uint8Array(0));
  const stats = { f32: 0, f16: 0, u8: 0, u8Exact: 0, u16AsF32: 0 };
  const b = new GraphBuilder(weights, options, stats);
  for (const layer of model.layers) b.addLayer(layer);
  if (b.nodes.length === 0 || b.nodes[0].op !== OP.INPUT) throw new Error('model has no input layer');

  const findNode = (name) => {
    if (b.byLayer.has(name)) return b.byLayer.get(name);
    const i = b.nodes.findIndex((n) => n.name === name);
    if (i < 0) throw new Error(`embedding layer '${name}' is not a node of this model`);
    return i;
  };
  let embed = options.embed;
  if (typeof embed === 'string') embed = embed.split(',').map((s) => s.trim()).filter(Boolean);
  let embedNodes;
  if (embed && embed.length) embedNodes = embed.map(findNode);
  else embedNodes = [defaultEmbedNode(b.nodes)];
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

  const meta = { name: options.name || model.name || 'model', scale, bias, resize, colourOrder, embedNodes };
  const { bytes, hash } = serialise(meta, b.nodes, b.tensors);
  const unused = [...weights.keys()].filter((n) => !b.usedWeights.has(n));
  return {
    bytes,
    hash,
    info: {
      name: meta.name,
      inputSize: [b.nodes[0].shape[0], b.nodes[0].shape[1]],
      nodeCount: b.nodes.length,
      tensorCount: b.tensors.length,
      embedNodes: embedNodes.map((i) => b.nodes[i].name),
      embedDim: embedNodes.reduce((sum, i) => sum + b.nodes[i].shape[2], 0),
      fileBytes: bytes.length,
      hash: hash.toString(16).padStart(16, '0'),
      weightDtypes: stats,
      unusedWeights: unused,
      nodes: b.nodes.map((n) => ({ name: n.name, op: OP_NAMES[n.op], shape: n.shape.slice(), inputs: n.inputs.slice() })),
    },
  };
}

// The node feeding the first global pooling (or whole-map average pooling), else the last node
// that still has a spatial map.
function defaultEmbedNode(nodes) {
  for (const n of nodes) {
    if (n.op === OP.GLOBAL_AVG_POOL || (n.op === OP.AVG_POOL && n.shape[0] === 1 && n.shape[1] === 1)) return n.inputs[0];
  }
  for (let i = nodes.length - 1; i > 0; i--) if (nodes[i].krank === 4 && nodes[i].shape[0] > 1) return i;
  return nodes.length - 1;
}

/** Reads model.json and its weight files (paths relative to model.json), then converts. */
function convertModelJson(modelJsonPath, options = {}) {
  const modelJson = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
  const dir = path.dirname(modelJsonPath);
  const parts = [];
  for (const group of modelJson.weightsManifest || []) {
    for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
  }
  return convertArtifacts(modelJson, Buffer.concat(parts), options);
}

// Evaluates one of nsfwjs's UMD bundles in an empty context (no `require`, so its bundled
// module table is used) and returns what it exports.
function evalUmd(file) {
  const sandbox = { module: { exports: {} } };
  sandbox.exports = sandbox.module.exports;
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), sandbox, { filename: file });
  return sandbox.module.exports;
}

function nsfwjsModelDir(nameOrDir) {
  if (fs.existsSync(path.join(nameOrDir, 'model.min.js'))) return nameOrDir;
  // nsfwjs's package "exports" hides its files from require.resolve: look for node_modules/nsfwjs.
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', 'nsfwjs', 'dist', 'models', nameOrDir);
      if (fs.existsSync(path.join(candidate, 'model.min.js'))) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`nsfwjs model '${nameOrDir}' not found (is the nsfwjs package installed?)`);
}

/**
 * Loads nsfwjs's bundled model form: dist/models/<name>/model.min.js (topology + manifest) and
 * group1-shardNofM.min.js (base64 shards), decoding base64 in one Buffer.from call.
 * @returns {{modelTopology: object, weightsManifest: object[], weightData: Uint8Array, files: string[]}}
 */
function loadNsfwjsBundle(nameOrDir) {
  const dir = nsfwjsModelDir(nameOrDir);
  const modelFile = path.join(dir, 'model.min.js');
  // Copy into this realm: objects made in the vm context fail TF.js's same-realm checks if a caller
  // hands them to tf.loadLayersModel. (structuredClone, unlike a JSON round trip, keeps -0.)
  const model = structuredClone(evalUmd(modelFile));
  if (!model || !model.modelTopology || !model.weightsManifest) throw new Error(`${modelFile} does not export a layers-model`);
  const files = [modelFile];
  const parts = [];
  for (const group of model.weightsManifest) {
    for (const p of group.paths) {
      const file = path.join(dir, `${p}.min.js`);
      const base64 = evalUmd(file);
      if (typeof base64 !== 'string') throw new Error(`${file} does not export a base64 string`);
      parts.push(Buffer.from(base64, 'base64'));
      files.push(file);
    }
  }
  const weightData = Buffer.concat(parts);
  return { modelTopology: model.modelTopology, weightsManifest: model.weightsManifest, weightData, files };
}

function convertNsfwjsModel(nameOrDir, options = {}) {
  const bundle = loadNsfwjsBundle(nameOrDir);
  return convertArtifacts(bundle, bundle.weightData, options);
}

// A small reader for tests and tools: header + tables (the C parser does the full validation).
function readModelFile(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u32 = (at) => dv.getUint32(at, true);
  const f32 = (at) => dv.getFloat32(at, true);
  const u64 = (at) => Number(dv.getBigUint64(at, true));
  if (buf.length < FORMAT.HEADER_BYTES + FORMAT.TRAILER_BYTES) throw new Error('too short');
  const magic = Buffer.from(buf.subarray(0, 8)).toString('latin1');
  if (magic !== FORMAT.MAGIC) throw new Error('bad magic');
  const str = (off, len) => Buffer.from(buf.subarray(FORMAT.HEADER_BYTES + off, FORMAT.HEADER_BYTES + off + len)).toString('utf8');
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

// ---------------------------------------------------------------------------------------------
// CLI.

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
    else if (a === '--nsfwjs') args.nsfwjs = next();
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.input = a;
  }
  return args;
}

function main(argv) {
  const args = parseArgs(argv);
  if (args.help || (!args.input && !args.nsfwjs) || !args.output) {
    console.error(
      'usage: node models/convert.js model.json -o out.imprint [--embed layerA,layerB] [--scale 1/255|[-1,1]]\n' +
        '         [--bias B] [--name N] [--resize align-corners|half-pixel|area] [--colour rgb|bgr] [--input-size HxW]\n' +
        '       node models/convert.js --nsfwjs mobilenet_v2|inception_v3|<dir> -o out.imprint [...]'
    );
    return args.help ? 0 : 2;
  }
  const result = args.nsfwjs ? convertNsfwjsModel(args.nsfwjs, args.options) : convertModelJson(args.input, args.options);
  fs.mkdirSync(path.dirname(path.resolve(args.output)), { recursive: true });
  fs.writeFileSync(args.output, result.bytes);
  const { info } = result;
  console.error(
    `${args.output}: ${info.fileBytes} bytes, ${info.nodeCount} nodes, ${info.tensorCount} tensors, ` +
      `embed ${info.embedNodes.join('+')} (${info.embedDim}-d), hash ${info.hash}`
  );
  return 0;
}

module.exports = {
  main,
  FORMAT,
  DTYPE,
  DTYPE_BYTES,
  OP,
  OP_NAMES,
  RESIZE,
  COLOUR,
  UnsupportedLayerError,
  convertArtifacts,
  convertModelJson,
  convertNsfwjsModel,
  loadNsfwjsBundle,
  readModelFile,
  fnv1a64,
  parseScale,
  samePads,
};

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`convert: ${err.message}`);
    process.exitCode = 1;
  }
}
