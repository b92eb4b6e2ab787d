'use strict';
// A direct, unoptimised evaluation of an imprint model file in JavaScript, written from
// models/MODEL_FORMAT.md alone. Tests use it to prove the converter's output means what TF.js computes
// (pads, kernel layouts, op semantics), independently of the C/XNNPACK graph builder.
const convert = require('../../models/convert.js');
const { DTYPE } = convert;

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m ? NaN : sign * Infinity;
  return e ? sign * 2 ** (e - 15) * (1 + m / 1024) : sign * 2 ** -14 * (m / 1024);
}

// What the C loader computes for one tensor (model_tensor_to_f32).
function dequantize(file, bytes, tensor) {
  const data = bytes.subarray(tensor.offset, tensor.offset + tensor.bytes);
  const n = tensor.dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (tensor.dtype === DTYPE.F32) out.set(new Float32Array(data.slice().buffer));
  else if (tensor.dtype === DTYPE.F16) {
    const h = new Uint16Array(data.slice().buffer);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(h[i]);
  } else {
    for (let i = 0; i < n; i++) out[i] = data[i] * tensor.qScale + tensor.qMin;
  }
  return out;
}

// A direct, unoptimised evaluation of a model file, written from models/MODEL_FORMAT.md: if the
// converter's pads, layouts or op semantics were wrong, its outputs would not match TF.js's.
function evaluateModelFile(bytes, image, { stopAfter } = {}) {
  const file = convert.readModelFile(bytes);
  const weights = file.tensors.map((tensor) => dequantize(file, bytes, tensor));
  const values = [];
  const at = (shape, y, x, c) => (y * shape[1] + x) * shape[2] + c;
  for (let i = 0; i < file.nodes.length; i++) {
    const node = file.nodes[i];
    const [oh, ow, oc] = node.shape;
    const out = new Float32Array(oh * ow * oc);
    const src = values[node.inputs[0]];
    const inShape = node.inputs.length ? file.nodes[node.inputs[0]].shape : null;
    const [kh, kw, sh, sw, dh, dw, pt, pl] = node.iparams;
    const [lo, hi, eps] = node.fparams;
    const w = (slot) => (node.tensors[slot] === convert.FORMAT.NONE ? null : weights[node.tensors[slot]]);
    const window = (oy, ox, c, fn) => {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const y = oy * sh - pt + ky * dh;
          const x = ox * sw - pl + kx * dw;
          if (y >= 0 && y < inShape[0] && x >= 0 && x < inShape[1]) fn(src[at(inShape, y, x, c)], ky, kx);
        }
      }
    };
    switch (node.op) {
      case 'INPUT':
        out.set(image);
        break;
      case 'CONV2D':
      case 'DEPTHWISE_CONV2D': {
        const kernel = w(0);
        const bias = w(1);
        const cin = inShape[2];
        const depthwise = node.op === 'DEPTHWISE_CONV2D';
        const mult = depthwise ? oc / cin : oc;
        const acc = new Float64Array(oc);
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            for (let co = 0; co < oc; co++) acc[co] = bias ? bias[co] : 0;
            for (let ky = 0; ky < kh; ky++) {
              const y = oy * sh - pt + ky * dh;
              if (y < 0 || y >= inShape[0]) continue;
              for (let kx = 0; kx < kw; kx++) {
                const x = ox * sw - pl + kx * dw;
                if (x < 0 || x >= inShape[1]) continue;
                const base = (y * inShape[1] + x) * cin;
                const kbase = (ky * kw + kx) * cin;
                for (let ci = 0; ci < cin; ci++) {
                  const v = src[base + ci];
                  if (v === 0) continue;
                  const krow = (kbase + ci) * mult;
                  if (depthwise) for (let m = 0; m < mult; m++) acc[ci * mult + m] += v * kernel[krow + m];
                  else for (let co = 0; co < oc; co++) acc[co] += v * kernel[krow + co];
                }
              }
            }
            const o = (oy * ow + ox) * oc;
            for (let co = 0; co < oc; co++) out[o + co] = Math.min(Math.max(acc[co], lo), hi);
          }
        }
        break;
      }
      case 'BATCH_NORM': {
        const [gamma, beta, mean, variance] = [w(0), w(1), w(2), w(3)];
        for (let k = 0; k < out.length; k++) {
          const c = k % oc;
          out[k] = ((gamma ? gamma[c] : 1) * (src[k] - mean[c])) / Math.sqrt(variance[c] + eps) + (beta ? beta[c] : 0);
        }
        break;
      }
      case 'CLAMP':
        for (let k = 0; k < out.length; k++) out[k] = Math.min(Math.max(src[k], lo), hi);
        break;
      case 'ZERO_PAD':
        for (let y = 0; y < inShape[0]; y++)
          for (let x = 0; x < inShape[1]; x++)
            for (let c = 0; c < oc; c++) out[at(node.shape, y + pt, x + pl, c)] = src[at(inShape, y, x, c)];
        break;
      case 'CONCAT': {
        let base = 0;
        for (const j of node.inputs) {
          const c = file.nodes[j].shape[2];
          for (let p = 0; p < oh * ow; p++) for (let k = 0; k < c; k++) out[p * oc + base + k] = values[j][p * c + k];
          base += c;
        }
        break;
      }
      case 'MAX_POOL':
      case 'AVG_POOL':
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let c = 0; c < oc; c++) {
              let acc = node.op === 'MAX_POOL' ? -Infinity : 0;
              let count = 0;
              window(oy, ox, c, (v) => {
                acc = node.op === 'MAX_POOL' ? Math.max(acc, v) : acc + v;
                count++;
              });
              out[at(node.shape, oy, ox, c)] = node.op === 'MAX_POOL' ? acc : acc / count;
            }
        break;
      case 'GLOBAL_AVG_POOL':
        for (let p = 0; p < inShape[0] * inShape[1]; p++)
          for (let c = 0; c < oc; c++) out[c] += src[p * oc + c] / (inShape[0] * inShape[1]);
        break;
      case 'DENSE': {
        const [kernel, bias] = [w(0), w(1)];
        const cin = inShape[2];
        for (let co = 0; co < oc; co++) {
          let sum = bias ? bias[co] : 0;
          for (let ci = 0; ci < cin; ci++) sum += src[ci] * kernel[ci * oc + co];
          out[co] = Math.min(Math.max(sum, lo), hi);
        }
        break;
      }
      case 'SOFTMAX': {
        const max = Math.max(...src);
        let total = 0;
        for (let k = 0; k < out.length; k++) total += out[k] = Math.exp(src[k] - max);
        for (let k = 0; k < out.length; k++) out[k] /= total;
        break;
      }
      case 'ADD':
      case 'MUL':
      case 'SUB': {
        // Binary ops: the second operand is the second input or the constant in slot 0, of the
        // first's shape, or one value per channel ([1,1,c] / [c]), or one value ([1,1,1] / [1]).
        const second = node.inputs.length === 2 ? values[node.inputs[1]] : w(0);
        const index = second.length === out.length ? (k) => k : second.length === 1 ? () => 0 : (k) => k % oc;
        for (let k = 0; k < out.length; k++) {
          const a = src[k];
          const b = second[index(k)];
          out[k] = node.op === 'ADD' ? a + b : node.op === 'MUL' ? a * b : a - b;
        }
        break;
      }
      case 'HARD_SWISH':
        for (let k = 0; k < out.length; k++) out[k] = (src[k] * Math.min(Math.max(src[k] + 3, 0), 6)) / 6;
        break;
      case 'SIGMOID':
        for (let k = 0; k < out.length; k++) out[k] = 1 / (1 + Math.exp(-src[k]));
        break;
      case 'RESIZE_BILINEAR': {
        // TensorFlow ResizeBilinear: scale in/out, or (in-1)/(out-1) with align_corners; the source
        // coordinate y*scale, or (y+0.5)*scale-0.5 with half-pixel centres; neighbours clamped to the
        // image, the fraction taken from the unclamped coordinate. TensorFlow computes the scale and
        // the coordinate in float32, and so does this: in double, a large downscale's coordinates
        // differ from float32 ones by an ulp of the coordinate, which shows in the result.
        const [, , alignCorners, halfPixel] = node.iparams;
        const f = Math.fround;
        const axis = (inSize, outSize) => {
          const scale = f(alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize);
          return Array.from({ length: outSize }, (_, o) => {
            const pos = halfPixel ? f(f(f(o + 0.5) * scale) - 0.5) : f(o * scale);
            const floor = Math.floor(pos);
            return { lo: Math.max(floor, 0), hi: Math.min(Math.ceil(pos), inSize - 1), frac: pos - floor };
          });
        };
        const ys = axis(inShape[0], oh);
        const xs = axis(inShape[1], ow);
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let c = 0; c < oc; c++) {
              const { lo: y0, hi: y1, frac: fy } = ys[oy];
              const { lo: x0, hi: x1, frac: fx } = xs[ox];
              const top =
                src[at(inShape, y0, x0, c)] + (src[at(inShape, y0, x1, c)] - src[at(inShape, y0, x0, c)]) * fx;
              const bottom =
                src[at(inShape, y1, x0, c)] + (src[at(inShape, y1, x1, c)] - src[at(inShape, y1, x0, c)]) * fx;
              out[at(node.shape, oy, ox, c)] = top + (bottom - top) * fy;
            }
        break;
      }
      case 'TRANSPOSE_CONV2D': {
        // Every input pixel scatters its kernel-weighted values at (iy*sh + ky, ix*sw + kx) of the full
        // output; the crops drop top/left rows and columns from its start (bottom/right from its end).
        const kernel = w(0);
        const bias = w(1);
        const cin = inShape[2];
        const acc = new Float64Array(out.length);
        for (let k = 0; k < acc.length; k++) acc[k] = bias ? bias[k % oc] : 0;
        for (let iy = 0; iy < inShape[0]; iy++)
          for (let ix = 0; ix < inShape[1]; ix++)
            for (let ky = 0; ky < kh; ky++) {
              const y = iy * sh + ky - pt;
              if (y < 0 || y >= oh) continue;
              for (let kx = 0; kx < kw; kx++) {
                const x = ix * sw + kx - pl;
                if (x < 0 || x >= ow) continue;
                for (let ci = 0; ci < cin; ci++) {
                  const v = src[at(inShape, iy, ix, ci)];
                  const krow = ((ky * kw + kx) * cin + ci) * oc;
                  for (let co = 0; co < oc; co++) acc[at(node.shape, y, x, co)] += v * kernel[krow + co];
                }
              }
            }
        for (let k = 0; k < out.length; k++) out[k] = Math.min(Math.max(acc[k], lo), hi);
        break;
      }
      case 'FLATTEN':
      case 'IDENTITY':
        out.set(src);
        break;
      default:
        throw new Error(`op ${node.op}`);
    }
    values[i] = out;
    if (node.name === stopAfter) break;
  }
  return new Map(file.nodes.slice(0, values.length).map((n, i) => [n.name, values[i]]));
}

module.exports = { evaluateModelFile, dequantize, halfToFloat };
