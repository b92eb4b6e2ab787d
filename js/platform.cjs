'use strict';
// The Node platform layer: everything the shared library code (extractor, inputs) needs from its
// host. The browser build swaps this file for web/platform.js (scripts/build-web.js), which fetches
// next to the script and converts DOM inputs; every other file of js/ runs unchanged in both.

const fs = require('node:fs');
const { ImprintError } = require('./errors.cjs');
const { instantiateCore, readDefaultModel } = require('./core.cjs');

/**
 * The bytes of the model named by options.model when it is not already bytes: the default model
 * (omitted) or a file path / file: URL. Returns undefined for anything else.
 */
async function loadModel(model, _options, _onBytes) {
  if (model === undefined || model === null) return readDefaultModel();
  if (typeof model === 'string' || model instanceof URL) {
    try {
      return await fs.promises.readFile(model);
    } catch (cause) {
      throw new ImprintError('FILE_NOT_FOUND', `cannot read model file ${String(model)}: ${cause.message}`, { cause });
    }
  }
  return undefined;
}

/** Inputs only this platform knows: a file path or file: URL. Undefined for anything else. */
async function platformInput(input) {
  if (typeof input === 'string' || input instanceof URL) {
    try {
      return { kind: 'encoded', bytes: await fs.promises.readFile(input) };
    } catch (cause) {
      throw new ImprintError('FILE_NOT_FOUND', `cannot read image file ${String(input)}: ${cause.message}`, { cause });
    }
  }
  return undefined;
}

/** Node has no second decoder: formats the core cannot read stay UNSUPPORTED_FORMAT. */
const decodeFallback = null;

const describeInputs = 'encoded bytes (Buffer, Uint8Array, ArrayBuffer), a file path';

/** embedBatch({ threads }) runs on worker threads (js/batch.cjs); loaded on first use. */
function createBatchEmbedder(options) {
  return require('./batch.cjs').createBatchEmbedder(options);
}

module.exports = { instantiateCore, loadModel, platformInput, decodeFallback, describeInputs, createBatchEmbedder };
