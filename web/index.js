'use strict';
// imprint in the browser: window.imprint (dist/web/imprint.js) and the ES module
// (dist/web/imprint.mjs, also what `import 'imprint'` gives in a bundled app), built by
// scripts/build-web.js from this file and js/. The same API as in Node (README.md);
// createExtractor({ worker: true }) runs everything in a Web Worker.

const { ImprintError } = require('../js/errors.cjs');
const { createExtractor: createInThisThread, Extractor } = require('../js/extractor.cjs');
const local = require('../js/classifier.cjs');
const localIndex = require('../js/index-search.cjs');
const workers = require('./worker-client.js');
const { cosineSimilarity } = require('../js/vectors.cjs');

/**
 * Loads a model into a fresh wasm core. Browser options besides Node's: wasmUrl, modelUrl (default:
 * beside this script, or where a bundler put them), worker (true: run in a Web Worker; see
 * createWorkerExtractor), workerUrl.
 */
async function createExtractor(options = {}) {
  if (options && typeof options === 'object' && options.worker) return workers.createWorkerExtractor(options);
  return createInThisThread(options);
}

function createWorkerExtractor(options = {}) {
  return workers.createWorkerExtractor({ ...options, worker: true });
}

function createClassifier(extractor, options) {
  return workers.isWorkerExtractor(extractor)
    ? workers.createClassifier(extractor, options)
    : local.createClassifier(extractor, options);
}

/** Loads a saved head: bytes, a Blob/File (e.g. from a file picker) or a URL on the page's origin. */
async function loadClassifier(extractor, bytes, options) {
  return workers.isWorkerExtractor(extractor)
    ? workers.loadClassifier(extractor, bytes, options)
    : local.loadClassifier(extractor, bytes, options);
}

/** A new similarity index over the extractor's embeddings (in its worker for the worker variant). */
function createIndex(extractor, options) {
  return workers.isWorkerExtractor(extractor)
    ? workers.createIndex(extractor, options)
    : localIndex.createIndex(extractor, options);
}

/** Loads a saved index: bytes, a Blob/File or a URL on the page's origin. */
async function loadIndex(extractor, bytes, options) {
  return workers.isWorkerExtractor(extractor)
    ? workers.loadIndex(extractor, bytes, options)
    : localIndex.loadIndex(extractor, bytes, options);
}

module.exports = {
  createExtractor,
  createWorkerExtractor,
  createClassifier,
  loadClassifier,
  createIndex,
  loadIndex,
  cosineSimilarity,
  Extractor,
  Classifier: local.Classifier,
  WorkerExtractor: workers.WorkerExtractor,
  WorkerClassifier: workers.WorkerClassifier,
  SimilarityIndex: localIndex.SimilarityIndex,
  WorkerIndex: workers.WorkerIndex,
  ImprintError,
};
