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

/** What `value` is, for a message: 'undefined', '5', 'an Int16Array', 'the string "10"', 'a function'. */
function describeValue(value) {
  const article = (name) => `${/^[aeio]/i.test(name) ? 'an' : 'a'} ${name}`; // 'a Uint8Array', 'an Int8Array'
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return article(value.constructor.name);
  if (typeof value === 'object') return `an object (${value.constructor ? value.constructor.name : 'Object'})`;
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return article(typeof value);
}

/** `value` when it is a function or undefined; INVALID_ARGUMENT naming it otherwise. */
function optionalFunction(value, name) {
  if (value !== undefined && typeof value !== 'function') {
    throw new ImprintError('INVALID_ARGUMENT', `${name} must be a function; got ${describeValue(value)}`);
  }
  return value;
}

/**
 * `options` (undefined: {}) after checking that it is an object and, when `known` is given, that
 * its keys are all in it (a misspelt option would otherwise be ignored without a word);
 * INVALID_ARGUMENT naming the problem otherwise.
 */
function checkOptionObject(options, known, what) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || (known && Array.isArray(options))) {
    throw new ImprintError('INVALID_ARGUMENT', `${what} must be an object`);
  }
  for (const key of known ? Object.keys(options) : []) {
    if (!known.includes(key)) {
      throw new ImprintError(
        'INVALID_ARGUMENT',
        `${what}: unknown option ${JSON.stringify(key)} (known: ${known.join(', ')})`,
      );
    }
  }
  return options;
}

module.exports = { ImprintError, describeValue, optionalFunction, checkOptionObject };
