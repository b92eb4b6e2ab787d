'use strict';
// Helpers on embeddings that need no wasm core, the same in Node and in browsers.

const { ImprintError } = require('./errors.cjs');

/** Cosine similarity of two embeddings (1 = same direction; 0 when either is all zeros). */
function cosineSimilarity(a, b) {
  if (!a || !b || typeof a.length !== 'number' || a.length !== b.length) {
    throw new ImprintError('INVALID_ARGUMENT', 'cosineSimilarity() needs two vectors of the same length');
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

module.exports = { cosineSimilarity };
