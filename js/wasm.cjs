'use strict';
// The one place that knows the wasm heap and the C status codes. Every call into the core that
// needs memory takes a Scratch (freed as a whole afterwards, out-of-memory checked once here);
// structs are read and written by field name with the layouts that scripts/gen-abi.js generates
// from include/imprint.h at build time (dist/imprint-abi.cjs); a failed imprint_status becomes an
// ImprintError here and nowhere else.

const { ImprintError } = require('./errors.cjs');

const ABI = loadAbi();

/** imprint_status values by name: Status.NO_EXAMPLES, ... (names as imprint_status_code() says). */
const Status = Object.freeze({ ...ABI.status });
/** The header's IMPRINT_* constants without the prefix: Constants.SAVE_EXAMPLES, ... */
const Constants = Object.freeze({ ...ABI.constants });

function loadAbi() {
  try {
    return require('../dist/imprint-abi.cjs');
  } catch (cause) {
    throw new ImprintError(
      'FILE_NOT_FOUND',
      "imprint's build output dist/imprint-abi.cjs is missing; run scripts/setup.sh (or npm run build)",
      { cause },
    );
  }
}

function layout(struct) {
  const found = ABI.structs[struct];
  if (!found) throw new TypeError(`include/imprint.h defines no struct imprint_${struct}`);
  return found;
}

function field(struct, name) {
  const found = layout(struct).fields[name];
  if (!found) throw new TypeError(`imprint_${struct} has no field ${name}`);
  return found;
}

const READ = {
  u8: (view, at) => view.getUint8(at),
  i32: (view, at) => view.getInt32(at, true),
  u32: (view, at) => view.getUint32(at, true),
  ptr: (view, at) => view.getUint32(at, true),
  f32: (view, at) => view.getFloat32(at, true),
  u64: (view, at) => Number(view.getBigUint64(at, true)),
};
const WRITE = {
  u8: (view, at, value) => view.setUint8(at, value),
  i32: (view, at, value) => view.setInt32(at, value, true),
  u32: (view, at, value) => view.setUint32(at, value, true),
  ptr: (view, at, value) => view.setUint32(at, value, true),
  f32: (view, at, value) => view.setFloat32(at, value, true),
  u64: (view, at, value) => view.setBigUint64(at, BigInt(value), true),
};

/** The fields of the imprint_<struct> at `ptr`, by their C names. */
function readStruct(core, ptr, struct) {
  const { size, fields } = layout(struct);
  const view = new DataView(core.HEAPU8.buffer, ptr, size);
  const out = {};
  for (const [name, { offset, type }] of Object.entries(fields)) out[name] = READ[type](view, offset);
  return out;
}

/** A NUL-terminated UTF-8 string of the core ('' for a null pointer). */
function readString(core, ptr) {
  return ptr ? core.UTF8ToString(ptr) : '';
}

/** A copy of `count` floats at `ptr`. */
function readFloats(core, ptr, count) {
  return new Float32Array(core.HEAPU8.buffer, ptr, count).slice();
}

function readU32(core, ptr) {
  return new DataView(core.HEAPU8.buffer).getUint32(ptr, true);
}

/** Heap memory for one call into the core: every allocation is freed together by free(). */
class Scratch {
  #core;
  #pointers = [];

  constructor(core) {
    this.#core = core;
  }

  /** `size` bytes (at least 1), or OUT_OF_MEMORY when the wasm heap is full and cannot grow. */
  alloc(size, what = 'working memory') {
    const ptr = this.#core._malloc(Math.max(1, size));
    // malloc returns 0 then: a 0 handed on to C would read as a missing argument.
    if (!ptr)
      throw new ImprintError(
        'OUT_OF_MEMORY',
        `could not allocate ${size} bytes in the wasm heap for ${what}: it is full`,
      );
    this.#pointers.push(ptr);
    return ptr;
  }

  /** A copy of any ArrayBufferView's or ArrayBuffer's bytes. */
  bytes(data, what = 'the input') {
    const view =
      data instanceof Uint8Array
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data);
    const ptr = this.alloc(view.byteLength, what);
    this.#core.HEAPU8.set(view, ptr);
    return ptr;
  }

  /** A NUL-terminated UTF-8 copy of `text`. */
  string(text) {
    const size = this.#core.lengthBytesUTF8(text) + 1;
    const ptr = this.alloc(size, 'a string');
    this.#core.stringToUTF8(text, ptr, size);
    return ptr;
  }

  /** An imprint_<struct> with the given fields set (by their C names) and every other one zero. */
  struct(struct, values = {}) {
    const { size } = layout(struct);
    const ptr = this.alloc(size, `imprint_${struct}`);
    const view = new DataView(this.#core.HEAPU8.buffer, ptr, size);
    for (let i = 0; i < size; i++) view.setUint8(i, 0);
    for (const [name, value] of Object.entries(values)) {
      const { offset, type } = field(struct, name);
      WRITE[type](view, offset, value);
    }
    return ptr;
  }

  free() {
    for (const ptr of this.#pointers) this.#core._free(ptr);
    this.#pointers = [];
  }
}

// dispose() frees a C object; this registry is the safety net for an owner that is garbage-collected
// without it. The held value is the C side's destroy call, which must not reference the owner.
const leakGuard = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((destroy) => destroy()) : null;

/** Ties the C object that `destroy` frees to `owner`, until release(owner). */
function guard(owner, destroy) {
  if (leakGuard) leakGuard.register(owner, destroy, owner);
}

/** dispose(): runs `destroy` now and drops the safety net. */
function release(owner, destroy) {
  if (leakGuard) leakGuard.unregister(owner);
  destroy();
}

/**
 * A copy of `data` in the wasm heap for a C function that takes it over (frees it itself, as
 * imprint_model_create_owned does), so the only copy is the one the core keeps.
 */
function ownedCopy(core, data, what) {
  const ptr = core._malloc(Math.max(1, data.byteLength));
  if (!ptr)
    throw new ImprintError(
      'OUT_OF_MEMORY',
      `could not allocate ${data.byteLength} bytes in the wasm heap for ${what}: it is full`,
    );
  core.HEAPU8.set(data, ptr);
  return ptr;
}

/** Runs fn(scratch) and frees what it allocated, whatever happens (once settled if fn is async). */
function withScratch(core, fn) {
  const scratch = new Scratch(core);
  let result;
  try {
    result = fn(scratch);
  } catch (error) {
    scratch.free();
    throw error;
  }
  if (result && typeof result.then === 'function') return result.finally(() => scratch.free());
  scratch.free();
  return result;
}

/**
 * The ImprintError of a failed call: its code is the status's name; its message the specific
 * `detail` the core gave (if any) or the status's own sentence, after `context` (what was being
 * done) when given.
 */
function statusError(core, status, { context = '', detail = '' } = {}) {
  const code = readString(core, core._imprint_status_code(status));
  const sentence = detail || readString(core, core._imprint_status_string(status));
  return new ImprintError(code, context ? `${context}: ${sentence}` : sentence);
}

/** Throws statusError() unless `status` is Status.OK. `detail` may be a function, read only then. */
function check(core, status, context = '', detail = '') {
  if (status === Status.OK) return;
  throw statusError(core, status, { context, detail: typeof detail === 'function' ? detail() : detail });
}

module.exports = {
  Status,
  Constants,
  withScratch,
  ownedCopy,
  guard,
  release,
  readStruct,
  readString,
  readFloats,
  readU32,
  statusError,
  check,
};
