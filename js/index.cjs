'use strict';
// imprint — few-shot image embeddings and classification on the user's device (CommonJS entry).
const { ImprintError } = require('./errors.cjs');
const { createExtractor, Extractor, useThreadPool } = require('./extractor.cjs');
const { createClassifier, loadClassifier, Classifier } = require('./classifier.cjs');
const { createIndex, loadIndex, SimilarityIndex } = require('./index-search.cjs');
const { createBatchEmbedder, BatchEmbedder } = require('./batch.cjs');
const { cosineSimilarity } = require('./vectors.cjs');

useThreadPool(createBatchEmbedder); // embedBatch({ threads }) in Node

module.exports = {
  createExtractor,
  Extractor,
  createClassifier,
  loadClassifier,
  Classifier,
  createIndex,
  loadIndex,
  SimilarityIndex,
  createBatchEmbedder,
  BatchEmbedder,
  cosineSimilarity,
  ImprintError,
};
