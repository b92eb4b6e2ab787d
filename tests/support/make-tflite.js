'use strict';
// Writes small TensorFlow Lite flatbuffers for tests: a flatbuffer writer of our own (tables,
// vectors, strings; laid out top-down, each child after the object that points at it, so every
// uoffset is positive) and a model builder over TensorFlow Lite's schema.fbs:
//   Model { version = 3, operator_codes, subgraphs, description, buffers }   file identifier "TFL3"
//   OperatorCode { deprecated_builtin_code: byte, custom_code, version, builtin_code: int }
//   SubGraph { tensors, inputs, outputs, operators, name }
//   Tensor { shape, type, buffer, name, quantization }
//   Operator { opcode_index, inputs, outputs, builtin_options_type, builtin_options }
//   Buffer { data }   (buffer 0 is the empty sentinel)
//   QuantizationParameters { min, max, scale, zero_point, details_type, details, quantized_dimension }
//
//   const m = new TfliteBuilder();
//   const x = m.input([1, 8, 8, 3]);
//   const w = m.constant([4, 3, 3, 3], values, { store: 'f16' });   // FLOAT16 + DEQUANTIZE
//   const y = m.conv2d(x, w, bias, { stride: 2, padding: 'SAME', activation: 'RELU6' });
//   const bytes = m.finish([y]);

const { floatToHalf } = require('../../models/model-format.js');

// ---------------------------------------------------------------------------------------------
// Flatbuffer values and writer.

const SIZES = { u8: 1, i8: 1, bool: 1, i16: 2, u16: 2, i32: 4, u32: 4, f32: 4, i64: 8 };

/** A table: fields[i] = [type, value] (type one of SIZES, or 'offset' for a child object) or undefined. */
const table = (fields) => ({ kind: 'table', fields });
/** A vector of scalars of `type`, or of tables/strings with type 'offset'. */
const vector = (type, values, align = 4) => ({ kind: 'vector', type, values, align });
const string = (s) => ({ kind: 'string', value: s });

class Writer {
  constructor() {
    this.buf = new Uint8Array(1 << 16);
    this.len = 0;
  }
  reserve(n) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.len + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
  alloc(n, align = 1) {
    while (this.len % align) this.alloc(1);
    this.reserve(n);
    const at = this.len;
    this.len += n;
    return at;
  }
  dv() {
    return new DataView(this.buf.buffer);
  }
  put(type, at, value) {
    const dv = this.dv();
    switch (type) {
      case 'u8':
      case 'bool':
        dv.setUint8(at, Number(value));
        break;
      case 'i8':
        dv.setInt8(at, value);
        break;
      case 'i16':
        dv.setInt16(at, value, true);
        break;
      case 'u16':
        dv.setUint16(at, value, true);
        break;
      case 'i32':
        dv.setInt32(at, value, true);
        break;
      case 'u32':
        dv.setUint32(at, value, true);
        break;
      case 'f32':
        dv.setFloat32(at, value, true);
        break;
      case 'i64':
        dv.setBigInt64(at, BigInt(value), true);
        break;
      default:
        throw new Error(`unknown type ${type}`);
    }
  }
  // Writes `obj` at the end; returns its position (a table's position is its soffset field).
  write(obj) {
    if (obj.kind === 'string') {
      const bytes = Buffer.from(obj.value, 'utf8');
      const at = this.alloc(4 + bytes.length + 1, 4);
      this.put('u32', at, bytes.length);
      this.buf.set(bytes, at + 4);
      return at;
    }
    if (obj.kind === 'vector') {
      const size = obj.type === 'offset' ? 4 : SIZES[obj.type];
      const align = Math.max(4, size, obj.align);
      while ((this.len + 4) % align) this.alloc(1);
      const at = this.alloc(4 + size * obj.values.length);
      this.put('u32', at, obj.values.length);
      if (obj.type === 'offset') {
        obj.values.forEach((child, k) => {
          const slot = at + 4 + 4 * k;
          const target = this.write(child);
          this.put('u32', slot, target - slot);
        });
      } else if (obj.type === 'u8' && obj.values instanceof Uint8Array) {
        this.buf.set(obj.values, at + 4);
      } else {
        obj.values.forEach((v, k) => this.put(obj.type, at + 4 + size * k, v));
      }
      return at;
    }
    // Table: vtable first, then the table (soffset = table − vtable), then its children.
    const present = obj.fields.map((f, i) => (f ? i : -1)).filter((i) => i >= 0);
    const count = obj.fields.length;
    // Field offsets inside the table: soffset at 0, then fields by decreasing size, each aligned.
    const order = present.slice().sort((a, b) => fieldSize(obj.fields[b]) - fieldSize(obj.fields[a]));
    const offsets = new Array(count).fill(0);
    let pos = 4;
    for (const i of order) {
      const s = fieldSize(obj.fields[i]);
      while (pos % s) pos++;
      offsets[i] = pos;
      pos += s;
    }
    const tableBytes = pos;
    const vt = this.alloc(4 + 2 * count, 2);
    this.put('u16', vt, 4 + 2 * count);
    this.put('u16', vt + 2, tableBytes);
    for (let i = 0; i < count; i++) this.put('u16', vt + 4 + 2 * i, offsets[i]);
    const at = this.alloc(tableBytes, 8);
    this.put('i32', at, at - vt);
    const children = [];
    for (const i of present) {
      const [type, value] = obj.fields[i];
      if (type === 'offset') children.push([at + offsets[i], value]);
      else this.put(type, at + offsets[i], value);
    }
    for (const [slot, child] of children) {
      const target = this.write(child);
      this.put('u32', slot, target - slot);
    }
    return at;
  }
}

function fieldSize([type]) {
  return type === 'offset' ? 4 : SIZES[type];
}

/** Serialises a root table with a 4-character file identifier. */
function finishFlatbuffer(root, identifier) {
  const w = new Writer();
  w.alloc(8);
  w.buf.set(Buffer.from(identifier, 'latin1'), 4);
  const at = w.write(root);
  w.put('u32', 0, at);
  return w.buf.slice(0, w.len);
}

// ---------------------------------------------------------------------------------------------
// TensorFlow Lite schema.

const OPS = {
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
  PAD: 34,
  MEAN: 40,
  SUB: 41,
  DIV: 42,
  SQUEEZE: 43,
  TRANSPOSE_CONV: 67,
  HARD_SWISH: 117,
};
// BuiltinOptions union: 1-based position in schema.fbs's declaration.
const OPTIONS = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ResizeBilinearOptions: 15,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  ReducerOptions: 27,
  SubOptions: 28,
  DivOptions: 29,
  SqueezeOptions: 30,
  TransposeConvOptions: 49,
};
const TYPES = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 };
const PADDING = { SAME: 0, VALID: 1 };
const ACTIVATION = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3 };

const toHalf = floatToHalf; // the model file's own conversion (models/model-format.js)

// Seeded uniform numbers in [lo, hi) (mulberry32), so generated models are the same every run.
function random(seed) {
  let a = seed >>> 0;
  return (lo = 0, hi = 1) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

class TfliteBuilder {
  constructor() {
    this.tensors = [];
    this.buffers = [new Uint8Array(0)]; // buffer 0: the empty sentinel
    this.operators = [];
    this.opcodes = [];
    this.inputs = [];
    this.count = 0;
  }

  // A tensor; `data` (bytes) gives it a buffer. Returns its index.
  tensor(shape, type, name, data = null, quant = null) {
    let buffer = 0;
    if (data) {
      this.buffers.push(data);
      buffer = this.buffers.length - 1;
    } else {
      this.buffers.push(new Uint8Array(0)); // converters give every tensor its own (empty) buffer
      buffer = this.buffers.length - 1;
    }
    this.tensors.push({ shape, type: TYPES[type], name: name || `t${this.tensors.length}`, buffer, quant });
    return this.tensors.length - 1;
  }

  input(shape, name = 'input') {
    const t = this.tensor(shape, 'FLOAT32', name);
    this.inputs.push(t);
    return t;
  }

  shape(t) {
    return this.tensors[t].shape;
  }

  opcode(code) {
    let i = this.opcodes.indexOf(code);
    if (i < 0) {
      this.opcodes.push(code);
      i = this.opcodes.length - 1;
    }
    return i;
  }

  // An operator; options: [unionName, fields] or null. Returns the output tensor.
  op(code, inputs, outShape, options = null, name = null) {
    const out = this.tensor(outShape, 'FLOAT32', name || `${code.toLowerCase()}_${this.count++}`);
    this.operators.push({ opcode: this.opcode(OPS[code]), inputs, outputs: [out], options });
    return out;
  }

  /**
   * A float constant: store 'f32' (a FLOAT32 buffer), 'f16' (FLOAT16 buffer + DEQUANTIZE), or
   * 'i8' (INT8 per-channel along `axis`, symmetric, + DEQUANTIZE). Returns the float tensor the
   * operators read, and (for quantized stores) the values the file really holds in `.values`.
   */
  constant(shape, values, { store = 'f32', axis = 0, name = null } = {}) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new Error(`constant [${shape}] needs ${n} values`);
    const label = name || `const_${this.count++}`;
    if (store === 'f32') {
      const t = this.tensor(shape, 'FLOAT32', label, new Uint8Array(Float32Array.from(values).buffer));
      return t;
    }
    if (store === 'f16') {
      const h = Uint16Array.from(values, toHalf);
      const src = this.tensor(shape, 'FLOAT16', `${label}_f16`, new Uint8Array(h.buffer));
      return this.op('DEQUANTIZE', [src], shape, null, label);
    }
    if (store === 'i8') {
      const channels = shape[axis];
      const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const scale = new Array(channels).fill(0);
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / inner) % channels;
        scale[c] = Math.max(scale[c], Math.abs(values[i]) / 127);
      }
      for (let c = 0; c < channels; c++) scale[c] = Math.fround(scale[c] || 1);
      const q = new Int8Array(n);
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / inner) % channels;
        q[i] = Math.max(-127, Math.min(127, Math.round(values[i] / scale[c])));
      }
      const quant = { scale, zeroPoint: new Array(channels).fill(0), axis };
      const src = this.tensor(shape, 'INT8', `${label}_i8`, new Uint8Array(q.buffer), quant);
      return this.op('DEQUANTIZE', [src], shape, null, label);
    }
    throw new Error(`unknown store ${store}`);
  }

  // An int32 constant (PAD's paddings, MEAN's axes, RESHAPE's shape).
  ints(shape, values, name = null) {
    return this.tensor(shape, 'INT32', name || `ints_${this.count++}`, new Uint8Array(Int32Array.from(values).buffer));
  }

  finish(outputs, { description = 'imprint test model' } = {}) {
    const ints = (a) => ['offset', vector('i32', a)];
    const model = table([
      ['u32', 3],
      ['offset', vector('offset', this.opcodes.map(opcodeTable))],
      [
        'offset',
        vector('offset', [
          table([
            ['offset', vector('offset', this.tensors.map(tensorTable))],
            ints(this.inputs),
            ints(outputs),
            ['offset', vector('offset', this.operators.map(operatorTable))],
            ['offset', string('main')],
          ]),
        ]),
      ],
      ['offset', string(description)],
      [
        'offset',
        vector(
          'offset',
          this.buffers.map((d) => table(d.length ? [['offset', vector('u8', d, 16)]] : [])),
        ),
      ],
    ]);
    return finishFlatbuffer(model, 'TFL3');
  }
}

function opcodeTable(code) {
  return table([['i8', Math.min(code, 127)], undefined, ['i32', 1], ['i32', code]]);
}

function tensorTable(t) {
  let quant;
  if (t.quant) {
    quant = [
      'offset',
      table([
        undefined,
        undefined,
        ['offset', vector('f32', t.quant.scale)],
        ['offset', vector('i64', t.quant.zeroPoint)],
        undefined,
        undefined,
        ['i32', t.quant.axis],
      ]),
    ];
  }
  return table([
    ['offset', vector('i32', t.shape)],
    ['i8', t.type],
    ['u32', t.buffer],
    ['offset', string(t.name)],
    quant,
  ]);
}

function operatorTable(op) {
  const fields = [
    ['u32', op.opcode],
    ['offset', vector('i32', op.inputs)],
    ['offset', vector('i32', op.outputs)],
  ];
  if (op.options) {
    const [union, optionFields] = op.options;
    fields.push(['u8', OPTIONS[union]], ['offset', table(optionFields)]);
  }
  return table(fields);
}

// ---------------------------------------------------------------------------------------------
// Operators with their options and TensorFlow's shape rules.

function windowOut(size, k, stride, dilation, padding) {
  const eff = (k - 1) * dilation + 1;
  return padding === 'SAME' ? Math.ceil(size / stride) : Math.floor((size - eff) / stride) + 1;
}

Object.assign(TfliteBuilder.prototype, {
  /** CONV_2D; weights [cout, kh, kw, cin] (OHWI). */
  conv2d(x, w, b, { stride = 1, padding = 'SAME', dilation = 1, activation = 'NONE', name } = {}) {
    const [, h, wd] = this.shape(x);
    const [cout, kh, kw] = this.shape(w);
    const out = [1, windowOut(h, kh, stride, dilation, padding), windowOut(wd, kw, stride, dilation, padding), cout];
    return this.op(
      'CONV_2D',
      b == null ? [x, w, -1] : [x, w, b],
      out,
      [
        'Conv2DOptions',
        [
          ['i8', PADDING[padding]],
          ['i32', stride],
          ['i32', stride],
          ['i8', ACTIVATION[activation]],
          ['i32', dilation],
          ['i32', dilation],
        ],
      ],
      name,
    );
  },
  /** DEPTHWISE_CONV_2D; weights [1, kh, kw, cin × multiplier]. */
  depthwise(x, w, b, { stride = 1, padding = 'SAME', dilation = 1, multiplier = 1, activation = 'NONE', name } = {}) {
    const [, h, wd] = this.shape(x);
    const [, kh, kw, cout] = this.shape(w);
    const out = [1, windowOut(h, kh, stride, dilation, padding), windowOut(wd, kw, stride, dilation, padding), cout];
    return this.op(
      'DEPTHWISE_CONV_2D',
      [x, w, b],
      out,
      [
        'DepthwiseConv2DOptions',
        [
          ['i8', PADDING[padding]],
          ['i32', stride],
          ['i32', stride],
          ['i32', multiplier],
          ['i8', ACTIVATION[activation]],
          ['i32', dilation],
          ['i32', dilation],
        ],
      ],
      name,
    );
  },
  pool(kind, x, { size = 2, stride = 2, padding = 'VALID', activation = 'NONE', name } = {}) {
    const [, h, w, c] = this.shape(x);
    const out = [1, windowOut(h, size, stride, 1, padding), windowOut(w, size, stride, 1, padding), c];
    return this.op(
      kind,
      [x],
      out,
      [
        'Pool2DOptions',
        [
          ['i8', PADDING[padding]],
          ['i32', stride],
          ['i32', stride],
          ['i32', size],
          ['i32', size],
          ['i8', ACTIVATION[activation]],
        ],
      ],
      name,
    );
  },
  add(a, b, { activation = 'NONE', name } = {}) {
    return this.op('ADD', [a, b], this.shape(a).slice(), ['AddOptions', [['i8', ACTIVATION[activation]]]], name);
  },
  /** MUL, SUB, DIV (and ADD): numpy broadcasting of the two shapes, aligned on the right. */
  binary(kind, a, b, { activation = 'NONE', name } = {}) {
    const [sa, sb] = [this.shape(a), this.shape(b)];
    const rank = Math.max(sa.length, sb.length);
    const dim = (s, i) => (i < rank - s.length ? 1 : s[i - (rank - s.length)]);
    const out = Array.from({ length: rank }, (_, i) => Math.max(dim(sa, i), dim(sb, i)));
    const options = { ADD: 'AddOptions', MUL: 'MulOptions', SUB: 'SubOptions', DIV: 'DivOptions' }[kind];
    return this.op(kind, [a, b], out, [options, [['i8', ACTIVATION[activation]]]], name);
  },
  mul(a, b, options = {}) {
    return this.binary('MUL', a, b, options);
  },
  sub(a, b, options = {}) {
    return this.binary('SUB', a, b, options);
  },
  /** RESIZE_BILINEAR to [h, w]: align_corners, half_pixel_centers, or neither (legacy). */
  resize(x, [h, w], { alignCorners = false, halfPixel = false, name } = {}) {
    const [n, , , c] = this.shape(x);
    const size = this.ints([2], [h, w]);
    return this.op(
      'RESIZE_BILINEAR',
      [x, size],
      [n, h, w, c],
      ['ResizeBilinearOptions', [undefined, undefined, ['bool', alignCorners], ['bool', halfPixel]]],
      name,
    );
  },
  /**
   * TRANSPOSE_CONV; weights [cout, kh, kw, cin]; output size TensorFlow's: SAME in × stride, VALID
   * (in − 1) × stride + max(k, stride).
   */
  transposeConv(x, w, b, { stride = 2, padding = 'SAME', activation = 'NONE', name } = {}) {
    const [n, h, wd] = this.shape(x);
    const [cout, kh, kw] = this.shape(w);
    const along = (i, k) => (padding === 'SAME' ? i * stride : (i - 1) * stride + Math.max(k, stride));
    const out = [n, along(h, kh), along(wd, kw), cout];
    const outShape = this.ints([4], out);
    const fields = [
      ['i8', PADDING[padding]],
      ['i32', stride],
      ['i32', stride],
    ];
    if (activation !== 'NONE') fields.push(['i8', ACTIVATION[activation]]);
    return this.op(
      'TRANSPOSE_CONV',
      b == null ? [outShape, w, x] : [outShape, w, x, b],
      out,
      ['TransposeConvOptions', fields],
      name,
    );
  },
  unary(kind, x, { name } = {}) {
    return this.op(kind, [x], this.shape(x).slice(), null, name);
  },
  concat(list, { activation = 'NONE', name } = {}) {
    const [n, h, w] = this.shape(list[0]);
    const c = list.reduce((sum, t) => sum + this.shape(t)[3], 0);
    return this.op(
      'CONCATENATION',
      list,
      [n, h, w, c],
      [
        'ConcatenationOptions',
        [
          ['i32', 3],
          ['i8', ACTIVATION[activation]],
        ],
      ],
      name,
    );
  },
  pad(x, [top, bottom, left, right], { name } = {}) {
    const [n, h, w, c] = this.shape(x);
    const p = this.ints([4, 2], [0, 0, top, bottom, left, right, 0, 0]);
    return this.op('PAD', [x, p], [n, h + top + bottom, w + left + right, c], ['PadOptions', []], name);
  },
  mean(x, { keepDims = false, name } = {}) {
    const [n, , , c] = this.shape(x);
    const axes = this.ints([2], [1, 2]);
    return this.op('MEAN', [x, axes], keepDims ? [n, 1, 1, c] : [n, c], ['ReducerOptions', [['bool', keepDims]]], name);
  },
  flatten(x, { name } = {}) {
    const size = this.shape(x).reduce((a, b) => a * b, 1);
    const s = this.ints([2], [1, size]);
    return this.op('RESHAPE', [x, s], [1, size], ['ReshapeOptions', [['offset', vector('i32', [1, size])]]], name);
  },
  squeeze(x, { name } = {}) {
    const [n, , , c] = this.shape(x);
    return this.op('SQUEEZE', [x], [n, c], ['SqueezeOptions', [['offset', vector('i32', [1, 2])]]], name);
  },
  /** FULLY_CONNECTED; weights [out, in]. */
  dense(x, w, b, { activation = 'NONE', name } = {}) {
    const [units] = this.shape(w);
    return this.op(
      'FULLY_CONNECTED',
      [x, w, b],
      [1, units],
      ['FullyConnectedOptions', [['i8', ACTIVATION[activation]]]],
      name,
    );
  },
  softmax(x, { beta = 1, name } = {}) {
    return this.op('SOFTMAX', [x], this.shape(x).slice(), ['SoftmaxOptions', [['f32', beta]]], name);
  },
});

// ---------------------------------------------------------------------------------------------
// The generated test models: together they use every operator the converter supports. Each
// compared layer is a flatten (or a vector), so imprint's features() of it is the whole tensor.
// Weights come from a fixed seed: the same file every run.

// Convolutions: SAME and VALID, stride 2, dilation, depth multiplier 2, fused RELU/RELU6, weights
// float32, float16 behind DEQUANTIZE and int8 per-channel behind DEQUANTIZE, ADD with fused RELU.
function convModel(values) {
  const m = new TfliteBuilder();
  const x = m.input([1, 17, 17, 3]);
  const c1 = m.conv2d(x, m.constant([8, 3, 3, 3], values(216), { store: 'f16' }), m.constant([8], values(8)), {
    stride: 2,
    padding: 'SAME',
    activation: 'RELU6',
    name: 'conv_s2_same_relu6_f16',
  }); // 9x9x8
  const d1 = m.depthwise(
    c1,
    m.constant([1, 3, 3, 16], values(144), { store: 'i8', axis: 3 }),
    m.constant([16], values(16)),
    {
      multiplier: 2,
      dilation: 2,
      padding: 'SAME',
      activation: 'RELU',
      name: 'dw_mult2_dil2_same_relu_i8',
    },
  ); // 9x9x16
  const c2 = m.conv2d(
    d1,
    m.constant([8, 1, 1, 16], values(128), { store: 'i8', axis: 0 }),
    m.constant([8], values(8)),
    {
      padding: 'VALID',
      name: 'conv_1x1_valid_i8',
    },
  ); // 9x9x8
  const d2 = m.depthwise(c2, m.constant([1, 3, 3, 8], values(72)), m.constant([8], values(8)), {
    stride: 2,
    padding: 'VALID',
    activation: 'RELU6',
    name: 'dw_s2_valid_relu6_f32',
  }); // 4x4x8
  const c3 = m.conv2d(c2, m.constant([8, 3, 3, 8], values(576, 0.3)), m.constant([8], values(8)), {
    stride: 2,
    padding: 'VALID',
    name: 'conv_s2_valid',
  }); // 4x4x8 (a CONV_2D without bias is refused by this TFLite runtime: not tested)
  const c4 = m.conv2d(c2, m.constant([8, 3, 3, 8], values(576, 0.3), { store: 'f16' }), m.constant([8], values(8)), {
    stride: 2,
    dilation: 2,
    padding: 'SAME',
    name: 'conv_s2_dil2_same',
  }); // 5x5x8
  const s = m.add(d2, c3, { activation: 'RELU', name: 'add_relu' });
  const f1 = m.flatten(s, { name: 'flat_add' });
  const f2 = m.flatten(c4, { name: 'flat_dil' });
  return { bytes: m.finish([f1, f2]), size: 17, layers: ['flat_add', 'flat_dil'] };
}

// Pooling, PAD, the activation operators, CONCATENATION (TFLite refuses a fused activation on a
// float concatenation, so it has none here).
function poolModel(values) {
  const m = new TfliteBuilder();
  const x = m.input([1, 12, 12, 3]);
  const c = m.conv2d(x, m.constant([8, 3, 3, 3], values(216, 1)), m.constant([8], values(8)), { name: 'conv' }); // 12x12x8
  const p = m.pad(c, [1, 2, 2, 1], { name: 'pad' }); // 15x15x8
  const mp = m.pool('MAX_POOL_2D', p, { size: 3, stride: 2, padding: 'VALID', name: 'maxpool_valid' }); // 7x7x8
  const ap = m.pool('AVERAGE_POOL_2D', p, { size: 3, stride: 2, padding: 'VALID', name: 'avgpool_valid' }); // 7x7x8
  const ap2 = m.pool('AVERAGE_POOL_2D', mp, {
    size: 3,
    stride: 1,
    padding: 'SAME',
    activation: 'RELU6',
    name: 'avgpool_same_relu6',
  });
  const mp2 = m.pool('MAX_POOL_2D', c, { size: 2, stride: 2, padding: 'SAME', name: 'maxpool_same' }); // 6x6x8
  const r1 = m.unary('RELU_N1_TO_1', mp, { name: 'relu_n1_to_1' });
  const r2 = m.unary('RELU6', ap, { name: 'relu6' });
  const r3 = m.unary('RELU', ap2, { name: 'relu' });
  const cat = m.concat([r1, r2, r3, ap], { name: 'concat' }); // 7x7x32
  const f1 = m.flatten(cat, { name: 'flat_concat' });
  const f2 = m.flatten(mp2, { name: 'flat_maxpool_same' });
  return { bytes: m.finish([f1, f2]), size: 12, layers: ['flat_concat', 'flat_maxpool_same'] };
}

// MEAN (keep_dims false and true), SQUEEZE, RESHAPE, FULLY_CONNECTED (on a pooled vector and on a
// spatial map, fused RELU, f16 and int8 per-channel weights), SOFTMAX.
function headModel(values) {
  const m = new TfliteBuilder();
  const x = m.input([1, 10, 10, 3]);
  const c = m.conv2d(x, m.constant([16, 3, 3, 3], values(432, 1)), m.constant([16], values(16)), {
    stride: 2,
    activation: 'RELU6',
    name: 'conv',
  }); // 5x5x16
  const mean = m.mean(c, { name: 'mean' }); // [1, 16]
  const fc1 = m.dense(mean, m.constant([12, 16], values(192), { store: 'f16' }), m.constant([12], values(12)), {
    activation: 'RELU',
    name: 'fc_relu_f16',
  });
  const fc2 = m.dense(fc1, m.constant([5, 12], values(60, 2), { store: 'i8', axis: 0 }), m.constant([5], values(5)), {
    name: 'logits_i8',
  });
  const sm = m.softmax(fc2, { name: 'softmax' });
  const meanKeep = m.mean(c, { keepDims: true, name: 'mean_keep' }); // [1, 1, 1, 16]
  const sq = m.squeeze(meanKeep, { name: 'squeeze' }); // [1, 16]
  const c2 = m.conv2d(c, m.constant([4, 3, 3, 16], values(576, 0.3)), m.constant([4], values(4)), {
    stride: 2,
    padding: 'VALID',
    name: 'conv_small',
  }); // 2x2x4
  const fcSpatial = m.dense(c2, m.constant([6, 16], values(96)), m.constant([6], values(6)), {
    activation: 'RELU6',
    name: 'fc_on_map',
  });
  const flat = m.flatten(c2, { name: 'reshape_flat' });
  return {
    bytes: m.finish([sm, fc1, sq, fcSpatial, flat]),
    size: 10,
    layers: ['softmax', 'fc_relu_f16', 'squeeze', 'fc_on_map', 'reshape_flat'],
    embed: ['softmax', 'squeeze', 'fc_on_map', 'reshape_flat'], // at most 4; fc_relu_f16 feeds softmax
  };
}

// HARD_SWISH, LOGISTIC, MUL/ADD/SUB with broadcasting (a squeeze-and-excite gate [1,1,1,c] on
// either side, a [1,1,1,1] scalar) and with constants ([c] and [1], first or second, SUB with the
// constant first), fused activations on them, RESIZE_BILINEAR in its three modes, TRANSPOSE_CONV
// with SAME (odd kernel and even stride: the odd crop pixel after) and VALID padding, with and
// without bias, f16 weights behind DEQUANTIZE.
function opsModel(values) {
  const m = new TfliteBuilder();
  const x = m.input([1, 12, 12, 3]);
  const c = m.conv2d(x, m.constant([8, 3, 3, 3], values(216, 1)), m.constant([8], values(8)), { name: 'conv' }); // 12x12x8
  const hs = m.unary('HARD_SWISH', c, { name: 'hard_swish' });
  const pooled = m.mean(hs, { keepDims: true, name: 'se/pool' }); // [1,1,1,8]
  const down = m.conv2d(pooled, m.constant([4, 1, 1, 8], values(32, 1)), m.constant([4], values(4)), {
    activation: 'RELU',
    name: 'se/down',
  });
  const up = m.conv2d(down, m.constant([8, 1, 1, 4], values(32, 1), { store: 'f16' }), m.constant([8], values(8)), {
    name: 'se/up',
  });
  const gate = m.unary('LOGISTIC', up, { name: 'se/gate' }); // [1,1,1,8]
  const se = m.mul(hs, gate, { name: 'se/mul' }); // 12x12x8
  const se2 = m.mul(gate, se, { activation: 'RELU6', name: 'se/mul_gate_first_relu6' });
  const scalar = m.conv2d(pooled, m.constant([1, 1, 1, 8], values(8, 1)), m.constant([1], values(1)), {
    name: 'scalar',
  }); // [1,1,1,1]
  const s1 = m.sub(se2, scalar, { name: 'sub_scalar' });
  const a1 = m.binary('ADD', s1, m.constant([8], values(8)), { activation: 'RELU', name: 'add_const_relu' });
  const m1 = m.mul(m.constant([1, 1, 1, 8], values(8, 2), { store: 'f16' }), a1, { name: 'mul_const_first' });
  const s2 = m.sub(m1, m.constant([1], [0.25]), { name: 'sub_const' });
  const s3 = m.sub(m.constant([1], [0.5]), s2, { activation: 'RELU_N1_TO_1', name: 'const_minus_x' });
  const s4 = m.sub(s3, se, { name: 'sub_same_shape' });
  const sig = m.unary('LOGISTIC', s4, { name: 'logistic' });
  const r1 = m.resize(sig, [17, 19], { halfPixel: true, name: 'resize_half_pixel' });
  const r2 = m.resize(r1, [7, 9], { alignCorners: true, name: 'resize_align_corners' });
  const r3 = m.resize(r2, [10, 6], { name: 'resize_legacy' });
  const t1 = m.transposeConv(r3, m.constant([6, 3, 3, 8], values(432)), m.constant([6], values(6)), {
    stride: 2,
    padding: 'SAME',
    name: 'tconv_same_k3_s2',
  }); // 20x12x6
  const t2 = m.transposeConv(t1, m.constant([5, 5, 4, 6], values(600), { store: 'f16' }), null, {
    stride: 2,
    padding: 'SAME',
    name: 'tconv_same_k5x4_s2_nobias',
  }); // 40x24x5
  const t3 = m.transposeConv(r2, m.constant([4, 4, 3, 8], values(384)), m.constant([4], values(4)), {
    stride: 3,
    padding: 'VALID',
    activation: 'RELU6',
    name: 'tconv_valid_s3_relu6',
  }); // 7x9 → 22x27x4
  const flat = (t, name) => m.flatten(t, { name });
  // Four compared layers (an embedding has at most four): every other new operator feeds one of
  // them (the binary chain starts at the gate and HARD_SWISH, the legacy resize reads both others and
  // feeds the SAME transposed convolutions).
  const layers = [
    ['binary', s4],
    ['resize_legacy', r3],
    ['tconv_same_nobias', t2],
    ['tconv_valid', t3],
  ].map(([name, t]) => [`flat_${name}`, flat(t, `flat_${name}`)]);
  return {
    bytes: m.finish(layers.map(([, t]) => t)),
    size: 12,
    layers: layers.map(([name]) => name),
    // TRANSPOSE_CONV's fused activation is newer than the pinned TFLite runtime, which ignores the
    // field: the test applies the schema's meaning (a clamp of the output) to its result.
    referenceClamp: { flat_tconv_valid: [0, 6] },
  };
}

/** { conv, pool, head, ops }: each { bytes, size (input side), layers (compared), embed? (if not layers) }. */
function testModels(seed = 20261202) {
  const rnd = random(seed);
  const values = (n, s = 0.5) => Array.from({ length: n }, () => rnd(-s, s));
  return { conv: convModel(values), pool: poolModel(values), head: headModel(values), ops: opsModel(values) };
}

module.exports = { testModels, TfliteBuilder, random, toHalf, finishFlatbuffer, table, vector, string, OPS };
