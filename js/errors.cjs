'use strict';
// ImprintError: every failure the library reports carries a stable `code` (the names of
// imprint_status_code() in include/imprint.h, plus DISPOSED and FILE_NOT_FOUND from the JS layer)
// and a message a person can act on.

class ImprintError extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. 'DECODE_FAILED'
   * @param {string} message what went wrong and what to do
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'ImprintError';
    this.code = code;
  }
}

/** `value` when it is a function or undefined; INVALID_ARGUMENT naming it otherwise. */
function optionalFunction(value, name) {
  if (value !== undefined && typeof value !== 'function') {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `${name} must be a function; got ${value === null ? 'null' : typeof value}`,
    );
  }
  return value;
}

module.exports = { ImprintError, optionalFunction };
