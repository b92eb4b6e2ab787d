'use strict';
// ImprintError: every failure the library reports carries a stable `code` (the names of
// imprint_status_code() in include/imprint.h, plus the JS-only codes below) and a message a person
// can act on.

/** Codes that only the JS layer produces. */
const JS_CODES = Object.freeze({
  DISPOSED: 'DISPOSED',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
});

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

/**
 * `core._malloc(size)`, or an OUT_OF_MEMORY ImprintError when the wasm heap is full and cannot
 * grow (malloc returns 0 then: a 0 passed on to C would be read as a missing argument).
 */
function allocate(core, size, what = 'working memory') {
  const ptr = core._malloc(size);
  if (!ptr) throw new ImprintError('OUT_OF_MEMORY', `could not allocate ${what} (${size} bytes) in the wasm heap: it is full`);
  return ptr;
}

module.exports = { ImprintError, JS_CODES, allocate };
