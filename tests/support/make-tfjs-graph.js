'use strict';
// Small TF.js graph models (model.json + weight bytes), written here node by node the way
// tensorflowjs_converter writes a GraphDef (attributes as TensorFlow AttrValue JSON: s base64, i
// as strings, list, b, type, shape), with their weights float32, float16 or uint8-quantized as TF.js
// stores them. Together the models use every op models/tfjs-graph.js converts, in the forms
// real models use (MobileNetV3's hard-swish and squeeze-and-excite as TensorFlow spells them).
//
//   const { testGraphModels } = require('./make-tfjs-graph');
//   for (const [name, spec] of Object.entries(testGraphModels())) {
//     spec.modelJson, spec.weightData   // what model.json and its weight file hold
//     spec.size                         // the input is [1, size, size, 3]
//     spec.layers                       // node names to compare (rank-4 ones pooled, the rest whole)
//   }
const { floatToHalf } = require('../../models/model-format.js');
const { random } = require('./make-tflite');

const b64 = (s) => Buffer.from(s, 'latin1').toString('base64');
const attr = {
  s: (v) => ({ s: b64(v) }),
  i: (v) => ({ i: String(v) }),
  f: (v) => ({ f: v }),
  b: (v) => ({ b: v }),
  type: (v) => ({ type: v }),
  ints: (v) => ({ list: { i: v.map(String) } }),
  strings: (v) => ({ list: { s: v.map(b64) } }),
};
const shapeAttr = (dims) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } });

/** Builds one graph model; weights go through `store` ('float32', 'float16' or 'uint8'). */
class GraphModelBuilder {
  constructor(store = 'float32') {
    this.store = store;
    this.nodes = [];
    this.weights = []; // { spec, bytes }
  }

  placeholder(name, dims) {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: attr.type('DT_FLOAT'), shape: shapeAttr(dims) } });
    return name;
  }

  // A float constant stored as this model stores weights (int32: `dtype` 'int32').
  constant(name, shape, values, dtype = 'float32') {
    const n = shape.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new Error(`${name}: ${values.length} values for [${shape}]`);
    const tfType = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        dtype: attr.type(tfType),
        value: {
          tensor: { dtype: tfType, tensorShape: shape.length ? { dim: shape.map((d) => ({ size: String(d) })) } : {} },
        },
      },
    });
    const spec = { name, shape, dtype };
    let bytes;
    if (dtype === 'int32') bytes = new Uint8Array(Int32Array.from(values).buffer);
    else if (this.store === 'float32') bytes = new Uint8Array(Float32Array.from(values).buffer);
    else if (this.store === 'float16') {
      spec.quantization = { dtype: 'float16', original_dtype: 'float32' };
      bytes = new Uint8Array(Uint16Array.from(values, floatToHalf).buffer);
    } else {
      // TF.js's uint8 quantization (tfjs-converter quantization.py): scale = (max − min) / 255,
      // q = round((v − min) / scale); TF.js decodes q × scale + min.
      const min = Math.min(...values);
      const max = Math.max(...values);
      const scale = max > min ? (max - min) / 255 : 1;
      spec.quantization = { dtype: 'uint8', min, scale, original_dtype: 'float32' };
      bytes = Uint8Array.from(values, (v) => Math.round((v - min) / scale));
    }
    this.weights.push({ spec, bytes });
    return name;
  }

  ints(name, values, shape = [values.length]) {
    return this.constant(name, shape, values, 'int32');
  }

  op(name, op, inputs, attrs = {}) {
    this.nodes.push({ name, op, input: inputs, attr: { T: attr.type('DT_FLOAT'), ...attrs } });
    return name;
  }

  finish(outputs) {
    const signature = {
      inputs: { [this.nodes[0].name]: { name: `${this.nodes[0].name}:0`, dtype: 'DT_FLOAT' } },
      outputs: Object.fromEntries(outputs.map((o) => [o, { name: `${o}:0`, dtype: 'DT_FLOAT' }])),
    };
    const weightData = Buffer.concat(this.weights.map((w) => w.bytes));
    return {
      modelJson: {
        format: 'graph-model',
        generatedBy: 'imprint tests/support/make-tfjs-graph.js',
        convertedBy: null,
        signature,
        modelTopology: { node: this.nodes, library: {}, versions: {} },
        weightsManifest: [{ paths: ['weights.bin'], weights: this.weights.map((w) => w.spec) }],
      },
      weightData: new Uint8Array(weightData),
    };
  }
}

const conv = (strides, padding, extra = {}) => ({
  strides: attr.ints([1, strides, strides, 1]),
  padding: attr.s(padding),
  data_format: attr.s('NHWC'),
  dilations: attr.ints([1, 1, 1, 1]),
  ...extra,
});
const fused = (ops) => ({ fused_ops: attr.strings(ops), num_args: attr.i(1), epsilon: attr.f(0) });

// float32: plain convolutions, every padding, pools, padding, concatenation, flattening.
function convsModel(values) {
  const g = new GraphModelBuilder('float32');
  const x = g.placeholder('image', [1, 17, 17, 3]);
  const w = (name, shape, s = 0.5) =>
    g.constant(
      name,
      shape,
      values(
        shape.reduce((a, b) => a * b, 1),
        s,
      ),
    );
  const c1 = g.op('stem/conv', '_FusedConv2D', [x, w('stem/w', [3, 3, 3, 8]), w('stem/b', [8])], {
    ...conv(2, 'SAME'),
    ...fused(['BiasAdd', 'Relu']),
  });
  const d1 = g.op(
    'block1/dw',
    'FusedDepthwiseConv2dNative',
    [c1, w('block1/dw_w', [3, 3, 8, 2]), w('block1/dw_b', [16])],
    {
      ...conv(1, 'SAME'),
      ...fused(['BiasAdd', 'Relu6']),
    },
  );
  const c2 = g.op('block1/project/Conv2D', 'Conv2D', [d1, w('block1/project/w', [1, 1, 16, 8])], conv(1, 'VALID'));
  const c2b = g.op('block1/project/BiasAdd', 'BiasAdd', [c2, w('block1/project/b', [8])], {
    data_format: attr.s('NHWC'),
  });
  const d2 = g.op('block2/dilated', 'DepthwiseConv2dNative', [c2b, w('block2/dw_w', [3, 3, 8, 1])], {
    ...conv(1, 'SAME'),
    dilations: attr.ints([1, 2, 2, 1]),
  });
  const a1 = g.op('block2/add', 'AddV2', [d2, c2b]);
  const r1 = g.op('block2/relu6', 'Relu6', [a1]);
  const c3 = g.op('block3/explicit', 'Conv2D', [r1, w('block3/w', [3, 3, 8, 12])], {
    ...conv(2, 'EXPLICIT'),
    explicit_paddings: attr.ints([0, 0, 1, 2, 0, 1, 0, 0]),
  });
  const pool = (stride, k) => ({ ksize: attr.ints([1, k, k, 1]), strides: attr.ints([1, stride, stride, 1]) });
  const ap = g.op('block3/avg', 'AvgPool', [c3], {
    ...pool(1, 2),
    padding: attr.s('SAME'),
    data_format: attr.s('NHWC'),
  });
  const cat = g.op('block3/concat', 'ConcatV2', [ap, c3, g.ints('block3/concat/axis', [3], [])], { N: attr.i(2) });
  const pd = g.op('block4/pad', 'Pad', [cat, g.ints('block4/paddings', [0, 0, 1, 0, 0, 2, 0, 0], [4, 2])]);
  const c4 = g.op('block4/conv', '_FusedConv2D', [pd, w('block4/w', [2, 2, 24, 6]), w('block4/b', [6])], {
    ...conv(1, 'VALID'),
    ...fused(['BiasAdd']),
  });
  const mp = g.op('block4/max', 'MaxPool', [c4], {
    ...pool(2, 3),
    padding: attr.s('SAME'),
    data_format: attr.s('NHWC'),
  });
  const out = g.op('flatten', 'Reshape', [mp, g.ints('flatten/shape', [1, -1])]);
  return {
    ...g.finish([out]),
    size: 17,
    layers: [c1, d1, c2b, d2, a1, r1, c3, ap, cat, pd, c4, mp, out],
  };
}

// float16: MobileNetV3's parts as TensorFlow spells them: hard-swish two ways, squeeze-and-excite
// with a hard-sigmoid gate, Sub and Mul with constants either side, Sigmoid, a broadcast Sub,
// bilinear resizes.
function mobilenetV3Model(values) {
  const g = new GraphModelBuilder('float16');
  const x = g.placeholder('image', [1, 16, 16, 3]);
  const w = (name, shape, s = 0.5) =>
    g.constant(
      name,
      shape,
      values(
        shape.reduce((a, b) => a * b, 1),
        s,
      ),
    );
  const scalar = (name, v) => g.constant(name, [], [v]);
  const c1 = g.op(
    'Conv/BatchNorm/FusedBatchNorm',
    '_FusedConv2D',
    [x, w('Conv/w', [3, 3, 3, 8], 1), w('Conv/b', [8])],
    {
      ...conv(2, 'SAME'),
      ...fused(['BiasAdd']),
    },
  );
  // (x × 1/6) × relu6(x + 3), as tf.nn hard_swish after grappler
  const m = g.op('Conv/hard_swish/mul', 'Mul', [scalar('Conv/hard_swish/mul_1/y', 1 / 6), c1]);
  const a = g.op('Conv/hard_swish/add', 'Add', [c1, scalar('Conv/hard_swish/add/y', 3)]);
  const r = g.op('Conv/hard_swish/Relu6', 'Relu6', [a]);
  const hs = g.op('Conv/hard_swish/mul_1', 'Mul', [m, r]);
  const d1 = g.op(
    'expanded_conv/depthwise',
    'FusedDepthwiseConv2dNative',
    [hs, w('dw/w', [3, 3, 8, 1]), w('dw/b', [8])],
    {
      ...conv(1, 'SAME'),
      ...fused(['BiasAdd', 'Relu']),
    },
  );
  const mean = g.op('squeeze_excite/Mean', 'Mean', [d1, g.ints('squeeze_excite/Mean/reduction_indices', [1, 2])], {
    keep_dims: attr.b(true),
    Tidx: attr.type('DT_INT32'),
  });
  const s1 = g.op('squeeze_excite/Conv/Relu', '_FusedConv2D', [mean, w('se/w1', [1, 1, 8, 4]), w('se/b1', [4])], {
    ...conv(1, 'SAME'),
    ...fused(['BiasAdd', 'Relu']),
  });
  const s2 = g.op('squeeze_excite/Conv_1/BiasAdd', '_FusedConv2D', [s1, w('se/w2', [1, 1, 4, 8]), w('se/b2', [8])], {
    ...conv(1, 'SAME'),
    ...fused(['BiasAdd']),
  });
  const s3 = g.op('squeeze_excite/Conv_1/add', 'AddV2', [s2, scalar('squeeze_excite/Conv_1/add/y', 3)]);
  const s4 = g.op('squeeze_excite/Conv_1/Relu6', 'Relu6', [s3]);
  const s5 = g.op('squeeze_excite/Conv_1/mul', 'Mul', [scalar('squeeze_excite/Conv_1/mul/y', 1 / 6), s4]);
  const se = g.op('squeeze_excite/mul', 'Mul', [s5, d1]); // the gate first: a broadcast from the left
  // (x × relu6(3 + x)) × 1/6
  const t = g.op('hs2/add', 'AddV2', [scalar('hs2/add/y', 3), se]);
  const r2 = g.op('hs2/Relu6', 'Relu6', [t]);
  const q = g.op('hs2/mul', 'Mul', [se, r2]);
  const hs2 = g.op('hs2/mul_1', 'Mul', [q, scalar('hs2/mul_1/y', 1 / 6)]);
  const sub = g.op('tail/sub', 'Sub', [hs2, w('tail/sub/y', [8])]);
  const sub2 = g.op('tail/rsub', 'Sub', [scalar('tail/rsub/x', 1), sub]);
  const sig = g.op('tail/Sigmoid', 'Sigmoid', [sub2]);
  const mul3 = g.op('tail/scale', 'Mul', [sig, w('tail/scale/y', [1, 1, 1, 8], 2)]);
  const mean2 = g.op('tail/Mean', 'Mean', [sig, g.ints('tail/Mean/axes', [2, 1])], { keep_dims: attr.b(true) });
  const sub3 = g.op('tail/centre', 'Sub', [mean2, mul3]);
  const up = g.op('tail/up', 'ResizeBilinear', [sub3, g.ints('tail/up/size', [12, 12])], {
    align_corners: attr.b(false),
    half_pixel_centers: attr.b(true),
  });
  const down = g.op('tail/down', 'ResizeBilinear', [sub3, g.ints('tail/down/size', [5, 3])], {
    align_corners: attr.b(true),
    half_pixel_centers: attr.b(false),
  });
  const legacy = g.op('tail/legacy', 'ResizeBilinear', [sub3, g.ints('tail/legacy/size', [11, 6])], {
    align_corners: attr.b(false),
    half_pixel_centers: attr.b(false),
  });
  const out1 = g.op('flat_up', 'Reshape', [up, g.ints('flat_up/shape', [1, -1])]);
  const out2 = g.op('flat_down', 'Reshape', [down, g.ints('flat_down/shape', [-1, 15 * 8])]);
  const out3 = g.op('flat_legacy', 'Reshape', [legacy, g.ints('flat_legacy/shape', [1, 1, 1, -1])]);
  return {
    ...g.finish([out1, out2, out3]),
    size: 16,
    layers: [c1, hs, d1, mean, s2, se, hs2, sub, sub2, sig, mul3, sub3, up, down, legacy, out1, out2, out3],
  };
}

// uint8: a classifier: convolution + BiasAdd, global mean, MatMul (plain, transposed, fused), Squeeze,
// Softmax, Identity.
function classifierModel(values) {
  const g = new GraphModelBuilder('uint8');
  const x = g.placeholder('input', [-1, 12, 12, 3]);
  const w = (name, shape, s = 0.5) =>
    g.constant(
      name,
      shape,
      values(
        shape.reduce((a, b) => a * b, 1),
        s,
      ),
    );
  const c1 = g.op('features/conv', 'Conv2D', [x, w('features/w', [3, 3, 3, 16], 1)], conv(1, 'SAME'));
  const b1 = g.op('features/BiasAdd', 'BiasAdd', [c1, w('features/b', [16])]);
  const r = g.op('features/Relu', 'Relu', [b1]);
  const d = g.op('features/dw', 'DepthwiseConv2dNative', [r, w('features/dw_w', [3, 3, 16, 1], 1)], conv(2, 'VALID'));
  const m = g.op('pool/Mean', 'Mean', [d, g.ints('pool/axes', [1, 2])], { keep_dims: attr.b(false) });
  const mk = g.op('pool/Mean_keep', 'Mean', [r, g.ints('pool/axes_keep', [-3, -2])], { keep_dims: attr.b(true) });
  const sq = g.op('pool/Squeeze', 'Squeeze', [mk], { squeeze_dims: attr.ints([1, 2]) });
  const sum = g.op('pool/add', 'Add', [m, sq]);
  const fc = g.op('fc1/MatMul', 'MatMul', [sum, w('fc1/w', [16, 10])], {
    transpose_a: attr.b(false),
    transpose_b: attr.b(false),
  });
  const fb = g.op('fc1/BiasAdd', 'BiasAdd', [fc, w('fc1/b', [10])]);
  const rl = g.op('fc1/Relu6', 'Relu6', [fb]);
  const fc2 = g.op('fc2/MatMul', 'MatMul', [rl, w('fc2/w', [6, 10])], {
    transpose_a: attr.b(false),
    transpose_b: attr.b(true),
  });
  const fc3 = g.op('fc3/Relu', '_FusedMatMul', [fc2, w('fc3/w', [6, 5]), w('fc3/b', [5])], {
    ...fused(['BiasAdd', 'Relu']),
    transpose_a: attr.b(false),
    transpose_b: attr.b(false),
  });
  const sm = g.op('probabilities/Softmax', 'Softmax', [fc3]);
  const out = g.op('probabilities', 'Identity', [sm]);
  return { ...g.finish([out]), size: 12, layers: [r, d, m, sq, sum, fb, rl, fc2, fc3, sm] };
}

/** The generated models, by name; the same seed gives the same bytes. */
function testGraphModels(seed = 20261203) {
  const rnd = random(seed);
  const values = (n, s = 0.5) => Array.from({ length: n }, () => rnd(-s, s));
  return { convs: convsModel(values), mobilenetv3: mobilenetV3Model(values), classifier: classifierModel(values) };
}

module.exports = { testGraphModels, GraphModelBuilder, attr };
