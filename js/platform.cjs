'use strict';
// The Node platform (the contract is in js/platform-contract.cjs): the wasm core and the default
// model from dist/, files from the file system. The browser build uses web/platform.js instead.

const fs = require('node:fs');
const { ImprintError } = require('./errors.cjs');
const { instantiateCore, readPresetModel } = require('./core.cjs');

/** The FILE_NOT_FOUND error of a file that cannot be read. */
function unreadable(what, source, cause) {
  return new ImprintError('FILE_NOT_FOUND', `cannot read ${what} from ${String(source)}: ${cause.message}`, { cause });
}

/** The bytes of a file path, file: URL or Blob. */
async function readFile(source, what) {
  if (typeof Blob === 'function' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  try {
    return await fs.promises.readFile(source);
  } catch (cause) {
    throw unreadable(what, source, cause);
  }
}

// Files up to this size are read into one buffer that is kept and reused (readFileReusing).
const REUSED_BYTES = 64 << 20;

/**
 * The bytes of a file path or file: URL, read synchronously into `holder.buffer` (kept for the
 * next file when it is at most REUSED_BYTES) instead of a new buffer per file: a batch thread reads
 * its own images this way, so the main thread does not read and hand over megabytes per photo, and
 * no fresh memory is faulted in and collected for each one. Returns a view of exactly the bytes read.
 * `shown`: the source as errors name it (a file: URL the caller gave, where `source` is its path).
 */
function readFileReusing(source, what, holder, shown = source) {
  let fd;
  try {
    fd = fs.openSync(source, 'r');
    const size = fs.fstatSync(fd).size;
    let buffer = holder.buffer;
    if (!buffer || buffer.length < size) {
      buffer = Buffer.allocUnsafeSlow(Math.max(size, 1));
      if (size <= REUSED_BYTES) holder.buffer = buffer;
    }
    let length = 0;
    while (length < size) {
      const read = fs.readSync(fd, buffer, length, size - length, length);
      if (read === 0) break; // the file shrank while it was read: what is there
      length += read;
    }
    return buffer.subarray(0, length);
  } catch (cause) {
    throw unreadable(what, shown, cause);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const describeInputs = 'encoded bytes (Buffer, Uint8Array, ArrayBuffer), a file path, a Blob';

module.exports = { instantiateCore, readPresetModel, readFile, readFileReusing, describeInputs };
