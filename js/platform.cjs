'use strict';
// The Node platform (the contract is in js/platform-contract.cjs): the wasm core and the default
// model from dist/, files from the file system. The browser build uses web/platform.js instead.

const fs = require('node:fs');
const { ImprintError } = require('./errors.cjs');
const { instantiateCore, readPresetModel } = require('./core.cjs');

/** The bytes of a file path, file: URL or Blob. */
async function readFile(source, what) {
  if (typeof Blob === 'function' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  try {
    return await fs.promises.readFile(source);
  } catch (cause) {
    throw new ImprintError('FILE_NOT_FOUND', `cannot read ${what} from ${String(source)}: ${cause.message}`, { cause });
  }
}

const describeInputs = 'encoded bytes (Buffer, Uint8Array, ArrayBuffer), a file path, a Blob';

module.exports = { instantiateCore, readPresetModel, readFile, describeInputs };
