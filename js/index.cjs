'use strict';
// imprint — few-shot image embeddings and classification on the user's device (CommonJS entry).
const { ImprintError } = require('./errors.cjs');
const { createExtractor, Extractor } = require('./extractor.cjs');

module.exports = { createExtractor, Extractor, ImprintError };
