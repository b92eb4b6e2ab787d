'use strict';
// Stands in for node:fs in the browser build: shared code reaches it only for file paths, which a
// page does not have.
const { ImprintError } = require('../js/errors.cjs');

const refuse = async (file) => {
  throw new ImprintError('INVALID_ARGUMENT', `file paths (${String(file)}) work only in Node; in a page pass the bytes, a Blob/File or a URL`);
};

module.exports = { promises: { readFile: refuse } };
