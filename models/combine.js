'use strict';
// combine.js — several backbones in one model file: one INPUT node feeding each network, and an
// embedding made of each network's pooled layers (models/MODEL_FORMAT.md, "Embedding": each part
// L2-normalised, then concatenated and normalised again).
//
// The file has one preprocessing (the first part's scale, bias, colour order and input size). A
// later part that expects other input values reads them through a 1x1 convolution that maps the
// first part's input to its own: x_part = x_first * (s_part / s_first) + (b_part − b_first ×
// s_part / s_first) per channel (and swaps R and B when the colour orders differ). The convolution
// has no padding, so every pixel is exact; the parts' own padding then sees their own zeros.

const { FORMAT, OP, DTYPE, makeNode } = require('./model-format.js');

/**
 * @param {{graph: object, scale: number[], bias: number[], colourOrder: number, embed: string[]}[]} parts
 *   graph: a source reader's graph ({name, nodes, tensors, layerNodes}); scale/bias per channel
 *   (model input = pixel × scale + bias); embed: names in that graph
 * @returns {{graph: object, embed: string[]}}  a graph for writeGraph and the embedding names
 */
function combineGraphs(parts, name) {
  if (parts.length < 2) throw new Error('combine needs at least two graphs');
  const first = parts[0];
  const [h, w] = first.graph.nodes[0].shape;
  const nodes = [];
  const tensors = [];
  const layerNodes = new Map();
  const names = new Set();
  const embed = [];
  const weightDtypes = {};
  for (const [p, part] of parts.entries()) {
    const g = part.graph;
    if (g.nodes[0].op !== OP.INPUT) throw new Error(`part ${p}: no input node`);
    const [ph, pw] = g.nodes[0].shape;
    if (ph !== h || pw !== w) throw new Error(`part ${p}: input ${ph}x${pw} differs from ${h}x${w}`);
    for (const [k, v] of Object.entries(g.weightDtypes || {})) weightDtypes[k] = (weightDtypes[k] || 0) + v;
    const tensorBase = tensors.length;
    tensors.push(...g.tensors);
    const remap = new Map(); // part's node index → combined index
    if (p === 0) {
      nodes.push(g.nodes[0]);
      names.add(g.nodes[0].name);
      remap.set(0, 0);
    } else {
      // Input adapter: a 1x1 convolution from the first part's input values to this part's.
      const kernel = new Float32Array(9); // HWIO [1, 1, 3, 3]
      const bias = new Float32Array(3);
      const swap = part.colourOrder !== first.colourOrder;
      for (let out = 0; out < 3; out++) {
        const from = swap ? 2 - out : out;
        const ratio = part.scale[out] / first.scale[from];
        kernel[from * 3 + out] = ratio;
        bias[out] = part.bias[out] - first.bias[from] * ratio;
      }
      tensors.push({ dtype: DTYPE.F32, shape: [1, 1, 3, 3], data: new Uint8Array(kernel.buffer), qMin: 0, qScale: 0 });
      tensors.push({ dtype: DTYPE.F32, shape: [3], data: new Uint8Array(bias.buffer), qMin: 0, qScale: 0 });
      const adapter = makeNode(OP.CONV2D, uniqueName(names, `${g.name || `part${p}`}/input`), [0], [h, w, 3], {
        iparams: [1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
        tensors: [tensors.length - 2, tensors.length - 1],
      });
      adapter.sourceRank = 4;
      nodes.push(adapter);
      remap.set(0, nodes.length - 1);
    }
    for (let i = 1; i < g.nodes.length; i++) {
      const n = g.nodes[i];
      const copy = {
        ...n,
        name: uniqueName(names, n.name),
        inputs: n.inputs.map((k) => remap.get(k)),
        tensors: n.tensors.map((t) => (t === FORMAT.NONE ? t : t + tensorBase)),
      };
      nodes.push(copy);
      remap.set(i, nodes.length - 1);
    }
    for (const [layer, index] of g.layerNodes) if (!layerNodes.has(layer)) layerNodes.set(layer, remap.get(index));
    for (const e of part.embed) {
      const index = g.layerNodes.has(e) ? g.layerNodes.get(e) : g.nodes.findIndex((n) => n.name === e);
      if (index === undefined || index < 0) throw new Error(`part ${p}: embedding layer '${e}' is not in the graph`);
      embed.push(nodes[remap.get(index)].name);
    }
  }
  if (embed.length > FORMAT.MAX_EMBED) throw new Error(`at most ${FORMAT.MAX_EMBED} embedding layers in all`);
  for (const n of nodes) layerNodes.set(n.name, nodes.indexOf(n));
  return {
    graph: { name, nodes, tensors, layerNodes, weightDtypes, unusedWeights: [] },
    embed,
  };
}

function uniqueName(names, name) {
  let n = name;
  for (let k = 2; names.has(n); k++) n = `${name}#${k}`;
  names.add(n);
  return n;
}

module.exports = { combineGraphs };
