'use strict';
// tfjs-layers.js — reads a TF.js layers-model (Keras functional or Sequential topology plus its
// weights manifest) into the graph the model file writer takes: one or more nodes per layer
// (the table is in models/README.md, Converter), tensors that keep the weights' dtypes.

const { FORMAT, OP, samePads, windowOut, makeNode } = require('./model-format.js');
const { splitWeights, makeTensor } = require('./tfjs-weights.js');

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
      layers.push({
        name: prev,
        class_name: 'InputLayer',
        config: { name: prev, batch_input_shape: shape },
        inputs: [],
      });
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
          throw new UnsupportedLayerError(
            name,
            l.class_name,
            `input ${src}[${nodeIndex}][${tensorIndex}] is not a layer's only output`,
          );
        }
        inputs.push(src);
      }
    }
    return { name, class_name: l.class_name, config: l.config || {}, inputs };
  });
  if (!cfg.input_layers || cfg.input_layers.length !== 1)
    throw new Error('only models with exactly one input are supported');
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

  // fields: those of makeNode, plus sourceRank (the output's Keras rank with the batch; default 4).
  addNode(op, name, inputs, shape, fields = {}) {
    const node = makeNode(op, name, inputs, shape, fields);
    node.sourceRank = fields.sourceRank ?? 4;
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

  tensor(layer, param, shape) {
    const entry = this.findWeight(layer, param);
    if (!entry) {
      throw new Error(
        `layer '${layer.name}' (${layer.class_name}): weight '${layer.name}/${param}' not found in the manifest`,
      );
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
      throw new UnsupportedLayerError(
        layer.name,
        layer.class_name,
        `data_format '${cfg.data_format}' (only channels_last)`,
      );
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
  if (n.sourceRank !== 4)
    throw new UnsupportedLayerError(layer.name, layer.class_name, 'input is not an image-shaped (NHWC) tensor');
  return n.shape;
}

function channelAxisOk(axis, sourceRank) {
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : NaN) : axis;
  return a === -1 || a === sourceRank - 1;
}

function windowLayer(b, layer, cfg, kind) {
  const src = b.input(layer);
  const [h, w, c] = needSpatial(b, layer, src);
  const [kh, kw] = pair(kind === 'pool' ? cfg.pool_size : cfg.kernel_size);
  const [sh, sw] = pair(cfg.strides == null ? (kind === 'pool' ? cfg.pool_size : 1) : cfg.strides);
  const [dh, dw] = kind === 'pool' ? [1, 1] : pair(cfg.dilation_rate == null ? 1 : cfg.dilation_rate);
  for (const v of [kh, kw, sh, sw, dh, dw]) {
    if (!Number.isInteger(v) || v < 1)
      throw new UnsupportedLayerError(layer.name, layer.class_name, 'kernel/stride/dilation must be positive integers');
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
  if (oh < 1 || ow < 1)
    throw new UnsupportedLayerError(layer.name, layer.class_name, `window larger than its ${h}x${w} input`);
  return { src, h, w, c, oh, ow, iparams: [kh, kw, sh, sw, dh, dw, ...pads] };
}

function convLayer(b, layer, cfg, depthwise) {
  const win = windowLayer(b, layer, cfg, 'conv');
  if (cfg.groups != null && cfg.groups !== 1)
    throw new UnsupportedLayerError(layer.name, layer.class_name, `groups=${cfg.groups}`);
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
    if (!Number.isInteger(cout) || cout < 1)
      throw new UnsupportedLayerError(layer.name, layer.class_name, `filters=${cout}`);
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
  InputLayer: Object.assign(
    function InputLayer(b, layer, cfg) {
      const shape = cfg.batch_input_shape || cfg.batchInputShape;
      if (!Array.isArray(shape) || shape.length !== 4) {
        throw new UnsupportedLayerError(
          layer.name,
          layer.class_name,
          `input shape ${JSON.stringify(shape)} is not [batch, h, w, c]`,
        );
      }
      let [, h, w, c] = shape;
      if (h == null || w == null) {
        if (!b.options.inputSize) throw new Error(`input '${layer.name}' has no fixed size: pass inputSize [h, w]`);
        [h, w] = b.options.inputSize;
      }
      if (c !== 3) throw new UnsupportedLayerError(layer.name, layer.class_name, `${c} input channels (need 3)`);
      if (b.nodes.length !== 0) throw new Error('only one input layer is supported');
      return b.addNode(OP.INPUT, layer.name, [], [h, w, c]);
    },
    { inputs: [0, 0] },
  ),
  Conv2D(b, layer, cfg) {
    return convLayer(b, layer, cfg, false);
  },
  DepthwiseConv2D(b, layer, cfg) {
    return convLayer(b, layer, cfg, true);
  },
  BatchNormalization(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    if (!channelAxisOk(cfg.axis == null ? -1 : cfg.axis, n.sourceRank)) {
      throw new UnsupportedLayerError(
        layer.name,
        layer.class_name,
        `axis ${JSON.stringify(cfg.axis)} is not the channel axis`,
      );
    }
    const c = n.shape[2];
    const epsilon = cfg.epsilon == null ? 1e-3 : cfg.epsilon;
    if (!(Number.isFinite(epsilon) && epsilon > 0))
      throw new UnsupportedLayerError(layer.name, layer.class_name, `epsilon ${epsilon}`);
    const gamma = cfg.scale === false ? FORMAT.NONE : b.tensor(layer, 'gamma', [c]);
    const beta = cfg.center === false ? FORMAT.NONE : b.tensor(layer, 'beta', [c]);
    const mean = b.tensor(layer, 'moving_mean', [c]);
    const variance = b.tensor(layer, 'moving_variance', [c]);
    return b.addNode(OP.BATCH_NORM, layer.name, [src], n.shape.slice(), {
      tensors: [gamma, beta, mean, variance],
      epsilon,
      sourceRank: n.sourceRank,
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
    return b.addNode(OP.CLAMP, layer.name, [src], n.shape.slice(), {
      outMin: 0,
      outMax: max,
      sourceRank: n.sourceRank,
    });
  },
  Activation(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    const act = fusedClamp(layer, cfg.activation, true);
    if (act.softmax) return b.addNode(OP.SOFTMAX, layer.name, [src], n.shape.slice(), { sourceRank: n.sourceRank });
    if (act.min === -Infinity && act.max === Infinity) {
      return b.addNode(OP.IDENTITY, layer.name, [src], n.shape.slice(), { sourceRank: n.sourceRank });
    }
    return b.addNode(OP.CLAMP, layer.name, [src], n.shape.slice(), {
      outMin: act.min,
      outMax: act.max,
      sourceRank: n.sourceRank,
    });
  },
  Softmax(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    if (!channelAxisOk(cfg.axis == null ? -1 : cfg.axis, n.sourceRank)) {
      throw new UnsupportedLayerError(layer.name, layer.class_name, `axis ${JSON.stringify(cfg.axis)}`);
    }
    return b.addNode(OP.SOFTMAX, layer.name, [src], n.shape.slice(), { sourceRank: n.sourceRank });
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
      if (!Number.isInteger(v) || v < 0)
        throw new UnsupportedLayerError(layer.name, layer.class_name, `padding ${JSON.stringify(p)}`);
    }
    return b.addNode(OP.ZERO_PAD, layer.name, [src], [h + t + bo, w + l + r, c], {
      iparams: [0, 0, 0, 0, 0, 0, t, l, bo, r],
    });
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
      b.nodes[index].sourceRank = b.nodes[inputs[0]].sourceRank;
      return index;
    },
    { inputs: [2, Infinity] },
  ),
  Concatenate: Object.assign(
    function Concatenate(b, layer, cfg) {
      const inputs = layer.inputs.map((_, i) => b.input(layer, i));
      const sourceRank = b.nodes[inputs[0]].sourceRank;
      if (!channelAxisOk(cfg.axis == null ? -1 : cfg.axis, sourceRank)) {
        throw new UnsupportedLayerError(layer.name, layer.class_name, `axis ${cfg.axis} is not the channel axis`);
      }
      const s0 = b.nodes[inputs[0]].shape;
      for (const i of inputs) {
        const s = b.nodes[i].shape;
        if (s[0] !== s0[0] || s[1] !== s0[1])
          throw new UnsupportedLayerError(layer.name, layer.class_name, 'inputs differ in height/width');
      }
      const index = chain(b, layer, OP.CONCAT, inputs, FORMAT.MAX_INPUTS, (ins) => [
        s0[0],
        s0[1],
        ins.reduce((sum, i) => sum + b.nodes[i].shape[2], 0),
      ]);
      b.nodes[index].sourceRank = sourceRank;
      return index;
    },
    { inputs: [2, Infinity] },
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
    return b.addNode(OP.GLOBAL_AVG_POOL, layer.name, [src], [1, 1, c], { sourceRank: cfg.keepdims ? 4 : 2 });
  },
  Dense(b, layer, cfg) {
    const src = b.input(layer);
    const n = b.nodes[src];
    if (n.shape[0] !== 1 || n.shape[1] !== 1) {
      throw new UnsupportedLayerError(
        layer.name,
        layer.class_name,
        `input ${n.shape.join('x')} is not flat (add Flatten or pooling)`,
      );
    }
    const cin = n.shape[2];
    const units = cfg.units;
    if (!Number.isInteger(units) || units < 1)
      throw new UnsupportedLayerError(layer.name, layer.class_name, `units=${units}`);
    const act = fusedClamp(layer, cfg.activation, true);
    const kernel = b.tensor(layer, 'kernel', [cin, units]);
    const bias = cfg.use_bias === false ? FORMAT.NONE : b.tensor(layer, 'bias', [units]);
    const name = act.softmax ? `${layer.name}/logits` : layer.name;
    const dense = b.addNode(OP.DENSE, name, [src], [1, 1, units], {
      tensors: [kernel, bias],
      outMin: act.min,
      outMax: act.max,
      sourceRank: n.sourceRank,
    });
    if (!act.softmax) return dense;
    return b.addNode(OP.SOFTMAX, layer.name, [dense], [1, 1, units], { sourceRank: n.sourceRank });
  },
  Flatten(b, layer) {
    const src = b.input(layer);
    const [h, w, c] = b.nodes[src].shape;
    return b.addNode(OP.FLATTEN, layer.name, [src], [1, 1, h * w * c], { sourceRank: 2 });
  },
  Reshape(b, layer, cfg) {
    const src = b.input(layer);
    const [h, w, c] = b.nodes[src].shape;
    const target = cfg.target_shape || [];
    const total = h * w * c;
    const last = target[target.length - 1];
    const flat = (last === total || last === -1) && target.slice(0, -1).every((d) => d === 1);
    if (!flat || target.length < 1 || target.length > 3) {
      throw new UnsupportedLayerError(
        layer.name,
        layer.class_name,
        `target_shape ${JSON.stringify(target)} is not a flatten`,
      );
    }
    return b.addNode(OP.FLATTEN, layer.name, [src], [1, 1, total], { sourceRank: target.length + 1 });
  },
  Dropout(b, layer) {
    const src = b.input(layer);
    const n = b.nodes[src];
    return b.addNode(OP.IDENTITY, layer.name, [src], n.shape.slice(), { sourceRank: n.sourceRank });
  },
};
LAYERS.SpatialDropout2D = LAYERS.Dropout;

/**
 * Reads a loaded TF.js layers-model into a model file graph.
 * @param {{modelTopology: object, weightsManifest?: object[]}} modelJson
 * @param {ArrayBuffer|Uint8Array} weightData  all weight groups' bytes concatenated in manifest order
 * @param {{inputSize?: number[]}} [options]  inputSize [h, w] for an input without a fixed size
 * @returns {{name: string, nodes: object[], tensors: object[], layerNodes: Map<string, number>,
 *   weightDtypes: object, unusedWeights: string[]}}  nodes are makeNode() records with a
 *   sourceRank; layerNodes maps each Keras layer name to the node holding its output
 */
function readLayersModel(modelJson, weightData, options = {}) {
  const model = modelConfig(modelJson.modelTopology);
  const weights = splitWeights(modelJson.weightsManifest || [], weightData || new Uint8Array(0));
  const stats = { f32: 0, f16: 0, u8: 0, u8Exact: 0, u16AsF32: 0 };
  const b = new GraphBuilder(weights, options, stats);
  for (const layer of model.layers) b.addLayer(layer);
  return {
    name: model.name,
    nodes: b.nodes,
    tensors: b.tensors,
    layerNodes: b.byLayer,
    weightDtypes: stats,
    unusedWeights: [...weights.keys()].filter((n) => !b.usedWeights.has(n)),
  };
}

/**
 * Lists a layers-model's layers with their Keras class, output shape (with the batch) and whether
 * the converter supports them; a layer after an unsupported one is unsupported too. What `imprint
 * info <model.json> --layers` prints.
 */
function listLayersModelLayers(modelJson, weightData, options = {}) {
  const model = modelConfig(modelJson.modelTopology);
  const weights = splitWeights(modelJson.weightsManifest || [], weightData || new Uint8Array(0));
  const b = new GraphBuilder(weights, options, { f32: 0, f16: 0, u8: 0, u8Exact: 0, u16AsF32: 0 });
  return model.layers.map((layer) => {
    const needs = layer.inputs.find((name) => !b.byLayer.has(name));
    if (needs !== undefined) return { name: layer.name, op: layer.class_name, shape: null, supported: false, needs };
    let reason = null;
    try {
      b.addLayer(layer);
    } catch (err) {
      reason = err.message;
    }
    const index = b.byLayer.get(layer.name);
    const node = reason === null && index !== undefined ? b.nodes[index] : null;
    const rank = node ? node.sourceRank : 0;
    const shape = !node
      ? null
      : rank === 4
        ? [1, ...node.shape]
        : [1, ...new Array(Math.max(rank - 2, 0)).fill(1), node.shape[2]];
    return { name: layer.name, op: layer.class_name, shape, supported: reason === null, ...(reason ? { reason } : {}) };
  });
}

module.exports = { UnsupportedLayerError, readLayersModel, listLayersModelLayers };
