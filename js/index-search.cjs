'use strict';
// The SimilarityIndex: similarity search over embeddings (C, src/index*.c) in the same wasm
// instance as its extractor. This file converts ids and vectors and shapes results; the
// vectors, the similarity and the file format live in C (include/imprint.h, "Indexes").

const { ImprintError, checkOptionObject } = require('./errors.cjs');
const { handlesOf } = require('./extractor.cjs');
const { isFileSource, platform } = require('./inputs.cjs');
const { Status, Constants, withScratch, guard, release, readFloats, readU32, check } = require('./wasm.cjs');

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Results of query() when options.k is not given. */
const DEFAULT_K = 10;

function idBytes(id) {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ImprintError('INVALID_ARGUMENT', `an id must be a non-empty string; got ${id === '' ? "''" : typeof id}`);
  }
  if (typeof id.isWellFormed === 'function' && !id.isWellFormed()) {
    throw new ImprintError('INVALID_ARGUMENT', 'the id contains an unpaired UTF-16 surrogate, which has no UTF-8 form');
  }
  const bytes = encoder.encode(id);
  if (bytes.length > Constants.INDEX_MAX_ID_BYTES) {
    throw new ImprintError(
      'LIMIT_EXCEEDED',
      `the id is ${bytes.length} bytes of UTF-8; an id can have at most ${Constants.INDEX_MAX_ID_BYTES}`,
    );
  }
  return bytes;
}

function checkVector(vector, dim) {
  if (!(vector instanceof Float32Array || vector instanceof Float64Array || Array.isArray(vector))) {
    throw new ImprintError('INVALID_ARGUMENT', 'an embedding must be a Float32Array (or an array of numbers)');
  }
  if (vector.length !== dim) {
    throw new ImprintError(
      'MODEL_MISMATCH',
      `the embedding has ${vector.length} values; this index's extractor makes ${dim}`,
    );
  }
  return vector instanceof Float32Array ? vector : Float32Array.from(vector);
}

/** query() options: { k } with k a positive integer (default 10). */
function checkQueryOptions(options) {
  const { k = DEFAULT_K } = checkOptionObject(options, ['k'], 'query() options');
  if (!Number.isInteger(k) || k < 1 || k > Constants.INDEX_MAX_ITEMS) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `query() option k must be an integer from 1 to ${Constants.INDEX_MAX_ITEMS}; got ${JSON.stringify(k)}`,
    );
  }
  return { k };
}

class SimilarityIndex {
  #extractor;
  #core;
  #index;
  #dim;
  #disposed = false;

  /** @internal use createIndex() or loadIndex() */
  constructor(extractor, core, index) {
    this.#extractor = extractor;
    this.#core = core;
    this.#index = index;
    this.#dim = core._imprint_index_dim(index);
    guard(this, () => core._imprint_index_destroy(index));
  }

  #check() {
    if (this.#disposed) throw new ImprintError('DISPOSED', 'this index was disposed; create or load a new one');
    try {
      this.#extractor._handles; // throws DISPOSED once the extractor is gone
    } catch (error) {
      throw new ImprintError('DISPOSED', "this index's extractor was disposed; the index cannot be used any more", {
        cause: error,
      });
    }
  }

  /** Number of items. */
  get size() {
    this.#check();
    return this.#core._imprint_index_count(this.#index);
  }

  #idAt(item, lengthPtr) {
    const c = this.#core;
    const ptr = c._imprint_index_id(this.#index, item, lengthPtr);
    // A copy (slice): TextDecoder refuses views of shared memory (the threads build's).
    return decoder.decode(c.HEAPU8.slice(ptr, ptr + readU32(c, lengthPtr)));
  }

  /** The ids, in the order they were first added. */
  get ids() {
    this.#check();
    const c = this.#core;
    const count = c._imprint_index_count(this.#index);
    return withScratch(c, (scratch) => {
      const length = scratch.alloc(4, 'an id length');
      const out = [];
      for (let i = 0; i < count; i++) out.push(this.#idAt(i, length));
      return out;
    });
  }

  /** True when an item has this id. */
  has(id) {
    this.#check();
    const bytes = idBytes(id);
    const c = this.#core;
    return withScratch(c, (scratch) => {
      const out = scratch.alloc(4, 'an item position');
      return c._imprint_index_find(this.#index, scratch.bytes(bytes, 'the id'), bytes.length, out) === Status.OK;
    });
  }

  /** Adds an already computed embedding as item `id`, or replaces the embedding of that id. */
  addEmbedding(vector, id) {
    this.#check();
    const v = checkVector(vector, this.#dim);
    const bytes = idBytes(id);
    const c = this.#core;
    const status = withScratch(c, (scratch) =>
      c._imprint_index_add(this.#index, scratch.bytes(bytes, 'the id'), bytes.length, scratch.bytes(v), this.#dim),
    );
    if (status === Status.LIMIT_EXCEEDED) {
      throw new ImprintError(
        'LIMIT_EXCEEDED',
        `the index holds ${Constants.INDEX_MAX_ITEMS} items, the most one index can hold; remove items, or use another index`,
      );
    }
    check(c, status, status === Status.INVALID_ARGUMENT ? 'the embedding is all zeros or not finite' : '');
  }

  /** Embeds an image and adds its embedding (never the image) as item `id` (replacing any item of that id). */
  async add(input, id) {
    this.#check();
    idBytes(id); // fail fast, before the backbone runs
    const vector = await this.#extractor.embed(input);
    this.addEmbedding(vector, id);
  }

  /** Removes the item `id`; UNKNOWN_ID if there is none. */
  remove(id) {
    this.#check();
    const bytes = idBytes(id);
    const c = this.#core;
    const status = withScratch(c, (scratch) =>
      c._imprint_index_remove(this.#index, scratch.bytes(bytes, 'the id'), bytes.length),
    );
    check(c, status, status === Status.UNKNOWN_ID ? `no item has the id ${JSON.stringify(id)}` : '');
  }

  /** Removes every item. */
  clear() {
    this.#check();
    this.#core._imprint_index_clear(this.#index);
  }

  #queryNow(vector, k) {
    const c = this.#core;
    const count = Math.min(k, c._imprint_index_count(this.#index));
    if (count === 0) return [];
    return withScratch(c, (scratch) => {
      const items = scratch.alloc(4 * count, 'the results');
      const sims = scratch.alloc(4 * count, 'the results');
      const found = scratch.alloc(4, 'the result count');
      const status = c._imprint_index_query(this.#index, scratch.bytes(vector), this.#dim, count, items, sims, found);
      check(c, status, status === Status.INVALID_ARGUMENT ? 'the embedding is all zeros or not finite' : '');
      const n = readU32(c, found);
      const positions = new Uint32Array(c.HEAPU8.buffer, items, n).slice();
      const similarities = readFloats(c, sims, n);
      const length = scratch.alloc(4, 'an id length');
      return Array.from(positions, (item, r) => ({ id: this.#idAt(item, length), similarity: similarities[r] }));
    });
  }

  /**
   * The k items (default 10) most similar to an embedding, best first: [{ id, similarity }].
   * @param {Float32Array | number[]} vector
   * @param {{ k?: number }} [options]
   */
  queryEmbedding(vector, options) {
    this.#check();
    const v = checkVector(vector, this.#dim);
    const { k } = checkQueryOptions(options);
    return this.#queryNow(v, k);
  }

  /** Embeds an image and returns the k items (default 10) most similar to it, best first. */
  async query(input, options) {
    this.#check();
    const { k } = checkQueryOptions(options);
    const vector = await this.#extractor.embed(input);
    this.#check();
    return this.#queryNow(vector, k);
  }

  /**
   * The vector the index compares for an embedding: power-transformed, centred on the index's
   * current mean, L2-normalised. Plain cosine similarity (a dot product) of two such vectors is the
   * index's similarity, so they can go into any vector store; they hold while the index does not change.
   * @param {Float32Array | number[]} vector
   */
  transform(vector) {
    this.#check();
    const v = checkVector(vector, this.#dim);
    const c = this.#core;
    return withScratch(c, (scratch) => {
      const out = scratch.alloc(4 * this.#dim, 'the vector');
      const status = c._imprint_index_transform(this.#index, scratch.bytes(v), this.#dim, out, this.#dim);
      check(c, status, status === Status.INVALID_ARGUMENT ? 'the embedding is all zeros or not finite' : '');
      return readFloats(c, out, this.#dim);
    });
  }

  /** The index file (format: models/INDEX_FORMAT.md): ids and embeddings, bound to the model hash. */
  save() {
    this.#check();
    const c = this.#core;
    return withScratch(c, (scratch) => {
      const size = scratch.alloc(4, 'the size');
      check(c, c._imprint_index_save(this.#index, 0, 0, size), 'cannot save');
      const length = readU32(c, size);
      const out = scratch.alloc(length, 'the index file');
      check(c, c._imprint_index_save(this.#index, out, length, size), 'cannot save');
      return c.HEAPU8.slice(out, out + length);
    });
  }

  /** Frees the index's wasm memory. Safe to call twice. */
  dispose() {
    if (!this.#disposed) release(this, () => this.#core._imprint_index_destroy(this.#index));
    this.#disposed = true;
  }
}

function adoptIndex(extractor, core, index) {
  try {
    return new SimilarityIndex(extractor, core, index);
  } catch (error) {
    core._imprint_index_destroy(index);
    throw error;
  }
}

/**
 * A new, empty similarity index over `extractor`'s embeddings.
 * @param {import('./extractor.cjs').Extractor} extractor
 */
function createIndex(extractor, options) {
  const { core } = handlesOf(extractor);
  checkOptionObject(options, [], 'createIndex() options');
  const index = withScratch(core, (scratch) => {
    const out = scratch.alloc(4, 'the index handle');
    check(
      core,
      core._imprint_index_create(extractor.info.dim, scratch.string(extractor.info.modelHash), out),
      'cannot create the index',
    );
    return readU32(core, out);
  });
  return adoptIndex(extractor, core, index);
}

/**
 * Loads an index file saved by index.save() for this extractor's model. MODEL_MISMATCH for an
 * index made on another backbone, INDEX_CORRUPT for damaged bytes; nothing is created on failure.
 */
async function loadIndex(extractor, bytes, options) {
  handlesOf(extractor);
  checkOptionObject(options, [], 'loadIndex() options');
  let data = bytes;
  if (isFileSource(data)) data = await platform.readFile(data, 'the index file');
  if (data instanceof ArrayBuffer) data = new Uint8Array(data);
  else if (ArrayBuffer.isView(data) && !(data instanceof Uint8Array))
    data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!(data instanceof Uint8Array)) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      'loadIndex() needs the bytes from save() (Uint8Array, Buffer, ArrayBuffer), a file path or URL, or a Blob',
    );
  }
  const { core } = handlesOf(extractor);
  const index = withScratch(core, (scratch) => {
    const out = scratch.alloc(4, 'the index handle');
    const status = core._imprint_index_load(
      scratch.bytes(data, 'the index file'),
      data.length,
      extractor.info.dim,
      scratch.string(extractor.info.modelHash),
      out,
    );
    if (status === Status.MODEL_MISMATCH) {
      throw new ImprintError(
        'MODEL_MISMATCH',
        `this index file was made for another backbone than ${extractor.info.name} (${extractor.info.modelHash}); load it with the extractor it was built with`,
      );
    }
    if (status === Status.INDEX_CORRUPT) {
      throw new ImprintError('INDEX_CORRUPT', 'the index file is damaged, truncated, or not an imprint index');
    }
    check(core, status, 'cannot load the index');
    return readU32(core, out);
  });
  return adoptIndex(extractor, core, index);
}

module.exports = { createIndex, loadIndex, SimilarityIndex, checkQueryOptions };
