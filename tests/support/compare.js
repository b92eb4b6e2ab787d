'use strict';
// Comparisons the fidelity tests share: cosine similarity, the element-wise bound (largest
// absolute difference relative to the largest reference magnitude) and the float32 model input
// imprint computes from 8-bit pixels, so every reference runtime gets exactly imprint's input.

/** Cosine similarity of two vectors; two zero vectors count as equal (1). */
function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
}

/** Largest absolute difference, relative to the largest magnitude in the reference (absolute when the reference is all zeros). */
function maxRelativeError(actual, reference) {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - reference[i]));
    maxRef = Math.max(maxRef, Math.abs(reference[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** The float32 model input imprint computes from 8-bit RGB pixels at the model's own size. */
function modelInput(pixels, { scale, bias }) {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const c = i % 3;
    out[i] = Math.fround(Math.fround(pixels[i] * Math.fround(scale[c])) + Math.fround(bias[c]));
  }
  return out;
}

module.exports = { cosine, maxRelativeError, modelInput };
