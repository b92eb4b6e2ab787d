'use strict';
// A small imprint model file that uses every op code from 15 up (MUL, SUB, HARD_SWISH, SIGMOID,
// RESIZE_BILINEAR, TRANSPOSE_CONV2D) and every form of the binary ops (same shape, [1,1,c] and
// [1,1,1] broadcast, [c] and [1] constants), written with models/model-format.js from seeded random
// weights. The model-converter test runs it through the wasm runtime against the JS evaluator; the
// model-file fuzzer uses it as a seed.
const { OP, DTYPE, RESIZE, COLOUR, makeNode, serialise } = require('../../models/model-format.js');

function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every interesting node is followed by a FLATTEN named "<name>_flat", so features() of that layer
 * (its global average pool) is the whole tensor.
 * @param {{seed?: number, height?: number, width?: number, swapCrops?: boolean}} [options]
 *   swapCrops: the first transpose convolution's crops on the wrong sides (top/bottom and left/right
 *   exchanged): a deliberately wrong model that a test must be able to tell apart
 * @returns {{bytes: Uint8Array, embed: string[], layers: string[], height: number, width: number}}
 */
function makeOpsModel({ seed = 7, height = 13, width = 10, swapCrops = false } = {}) {
  const rand = random(seed);
  const tensors = [];
  const tensor = (shape, scale = 0.5, offset = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n).map(() => (rand() * 2 - 1) * scale + offset);
    tensors.push({ dtype: DTYPE.F32, shape, data: new Uint8Array(values.buffer), qMin: 0, qScale: 0 });
    return tensors.length - 1;
  };
  const nodes = [];
  const add = (op, inputs, shape, fields) => {
    const name =
      op === OP.FLATTEN ? `${nodes[inputs[0]].name}_flat` : `${op === OP.INPUT ? 'image' : 'n'}${nodes.length}`;
    nodes.push(makeNode(op, name, inputs, shape, fields));
    return nodes.length - 1;
  };
  const h = height;
  const w = width;
  const input = add(OP.INPUT, [], [h, w, 3]);
  // A 3x3 'same' conv to 8 channels, stride 1.
  const c = 8;
  const stem = add(OP.CONV2D, [input], [h, w, c], {
    iparams: [3, 3, 1, 1, 1, 1, 1, 1, 1, 1],
    tensors: [tensor([3, 3, 3, c], 0.6), tensor([c], 0.2)],
  });
  const hs = add(OP.HARD_SWISH, [stem], [h, w, c]);
  // Squeeze-and-excite: pool, dense down, dense up, sigmoid, multiply [1,1,c] over [h,w,c].
  const pooled = add(OP.GLOBAL_AVG_POOL, [hs], [1, 1, c]);
  const squeeze = add(OP.DENSE, [pooled], [1, 1, 4], {
    tensors: [tensor([c, 4], 0.8), tensor([4], 0.3)],
    outMin: 0,
  });
  const excite = add(OP.DENSE, [squeeze], [1, 1, c], { tensors: [tensor([4, c], 0.8), tensor([c], 0.3)] });
  const gate = add(OP.SIGMOID, [excite], [1, 1, c]);
  const se = add(OP.MUL, [hs, gate], [h, w, c]);
  // A [1,1,1] scalar from the pooled vector, broadcast over everything.
  const scalar = add(OP.DENSE, [pooled], [1, 1, 1], { tensors: [tensor([c, 1], 0.5)] });
  const sub1 = add(OP.SUB, [se, scalar], [h, w, c]);
  const add1 = add(OP.ADD, [sub1, gate], [h, w, c]); // ADD broadcast [1,1,c]
  const mulC = add(OP.MUL, [add1], [h, w, c], { tensors: [tensor([c], 0.5, 1)] }); // per-channel constant
  const subC = add(OP.SUB, [mulC], [h, w, c], { tensors: [tensor([1], 0.3)] }); // scalar constant
  const addC = add(OP.ADD, [subC], [h, w, c], { tensors: [tensor([c], 0.3)] });
  const mulS = add(OP.MUL, [addC], [h, w, c], { tensors: [tensor([1], 0.2, 1)] });
  const sub2 = add(OP.SUB, [mulS, hs], [h, w, c]); // same shape
  const mul2 = add(OP.MUL, [sub2, scalar], [h, w, c]); // MUL by [1,1,1]
  const sig = add(OP.SIGMOID, [mul2], [h, w, c]);
  const sum = add(OP.ADD, [sig, sub2], [h, w, c]);
  // Resizes: half-pixel up, align-corners down, legacy (neither flag) to an odd size.
  const r1 = add(OP.RESIZE_BILINEAR, [sum], [2 * h + 3, 2 * w - 1, c], { iparams: [2 * h + 3, 2 * w - 1, 0, 1] });
  const r2 = add(OP.RESIZE_BILINEAR, [r1], [h - 2, w + 1, c], { iparams: [h - 2, w + 1, 1, 0] });
  const r3 = add(OP.RESIZE_BILINEAR, [r2], [h + 4, w - 3, c], { iparams: [h + 4, w - 3, 0, 0] });
  const r4 = add(OP.RESIZE_BILINEAR, [r3], [1, 1, c], { iparams: [1, 1, 1, 0] });
  // Transpose convolutions: TF 'same' with stride 2 (5x3 kernel: the odd crop pixel after, bottom
  // and right), 'valid' with stride 3 and a 3x2 kernel, and crops on one side only.
  const t1 = add(OP.TRANSPOSE_CONV2D, [r3], [2 * (h + 4), 2 * (w - 3), 6], {
    iparams: swapCrops ? [5, 3, 2, 2, 1, 1, 2, 1, 1, 0] : [5, 3, 2, 2, 1, 1, 1, 0, 2, 1],
    tensors: [tensor([5, 3, c, 6], 0.4), tensor([6], 0.2)],
  });
  const t2 = add(OP.TRANSPOSE_CONV2D, [t1], [(2 * (h + 4) - 1) * 3 + 3, (2 * (w - 3) - 1) * 3 + 2, 5], {
    iparams: [3, 2, 3, 3, 1, 1, 0, 0, 0, 0],
    tensors: [tensor([3, 2, 6, 5], 0.4)],
    outMin: -1,
    outMax: 2.5,
  });
  const t3in = add(OP.RESIZE_BILINEAR, [t2], [9, 7, 5], { iparams: [9, 7, 0, 1] });
  const t3 = add(OP.TRANSPOSE_CONV2D, [t3in], [(9 - 1) * 2 + 3 - 2, (7 - 1) * 2 + 3 - 1, 4], {
    iparams: [3, 3, 2, 2, 1, 1, 0, 1, 2, 0],
    tensors: [tensor([3, 3, 5, 4], 0.5), tensor([4], 0.2)],
    outMin: 0,
  });
  const taps = [hs, gate, se, sub1, add1, mulC, subC, addC, mulS, sub2, mul2, sum, r1, r2, r3, r4, t1, t2, t3in, t3];
  const layers = taps.map((k) => {
    const [th, tw, tc] = nodes[k].shape;
    return nodes[add(OP.FLATTEN, [k], [1, 1, th * tw * tc])].name;
  });
  const embed = [nodes[t3].name, nodes[r4].name, nodes[hs].name];
  const { bytes } = serialise(
    {
      name: 'ops-test',
      scale: [1 / 127.5, 1 / 127.5, 1 / 127.5],
      bias: [-1, -1, -1],
      resize: RESIZE.BILINEAR_ALIGN_CORNERS, // the identity at the model's own size
      colourOrder: COLOUR.RGB,
      embedNodes: [t3, r4, hs],
    },
    nodes,
    tensors,
  );
  return { bytes, embed, layers, height: h, width: w };
}

module.exports = { makeOpsModel };
