'use strict';
// The Classifier: a few-shot head (C, src/head*.c) living in the same wasm instance as its
// extractor. This file converts labels and vectors, slices training so pages stay responsive,
// and shapes results; every number is computed in C.

const { ImprintError, allocate } = require('./errors.cjs');

const SAVE_EXAMPLES = 1;
const TRAIN_NO_CALIBRATION = 2;
/** sizeof(imprint_train_options) and sizeof(imprint_train_progress) in include/imprint.h. */
const OPTIONS_BYTES = 20;
const PROGRESS_BYTES = 28;
/** Longest stretch train() runs before yielding to the event loop. */
const SLICE_MS = 16;

/** setImmediate where it exists (Node): setTimeout(0) waits >= 1 ms (4 ms nested in browsers). */
const yieldToEventLoop =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Frees the head of a classifier that was garbage-collected without dispose(). */
const leakGuard =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ core, head }) => core._imprint_head_destroy(head))
    : null;

function fail(core, status, detail) {
  const code = core.UTF8ToString(core._imprint_status_code(status));
  const generic = core.UTF8ToString(core._imprint_status_string(status));
  throw new ImprintError(code, detail ? `${detail}: ${generic}` : generic);
}

function labelBytes(label) {
  if (typeof label !== 'string' || label.length === 0) {
    throw new ImprintError('INVALID_ARGUMENT', `a label must be a non-empty string; got ${label === '' ? "''" : typeof label}`);
  }
  if (typeof label.isWellFormed === 'function' && !label.isWellFormed()) {
    throw new ImprintError('INVALID_ARGUMENT', 'the label contains an unpaired UTF-16 surrogate, which has no UTF-8 form');
  }
  return encoder.encode(label);
}

/** Runs fn with `bytes` copied into a temporary wasm buffer. */
function withHeap(core, bytes, fn) {
  const ptr = core._malloc(Math.max(1, bytes.byteLength));
  if (!ptr) throw new ImprintError('OUT_OF_MEMORY', 'could not allocate in the wasm heap');
  try {
    core.HEAPU8.set(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), ptr);
    return fn(ptr);
  } finally {
    core._free(ptr);
  }
}

function checkVector(vector, dim) {
  if (!(vector instanceof Float32Array || vector instanceof Float64Array || Array.isArray(vector))) {
    throw new ImprintError('INVALID_ARGUMENT', 'an embedding must be a Float32Array (or an array of numbers)');
  }
  if (vector.length !== dim) {
    throw new ImprintError('MODEL_MISMATCH', `the embedding has ${vector.length} values; this classifier's extractor makes ${dim}`);
  }
  return vector instanceof Float32Array ? vector : Float32Array.from(vector);
}

function checkOptions(options) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw new ImprintError('INVALID_ARGUMENT', 'options must be an object');
  }
  return options;
}

class Classifier {
  #extractor;
  #core;
  #head;
  #dim;
  #disposed = false;
  #flipAugment;
  #testTimeFlip;
  #training = 0; // generation of the train() in progress (0 = none)
  #generation = 0;

  /** @internal use createClassifier() or loadClassifier() */
  constructor(extractor, core, head, options) {
    this.#extractor = extractor;
    this.#core = core;
    this.#head = head;
    this.#dim = core._imprint_head_dim(head);
    this.#flipAugment = Boolean(options.flipAugment);
    this.#testTimeFlip = Boolean(options.testTimeFlip);
    if (options.unknownThreshold !== undefined) this.unknownThreshold = options.unknownThreshold;
    if (leakGuard) leakGuard.register(this, { core, head }, this);
  }

  #check() {
    if (this.#disposed) throw new ImprintError('DISPOSED', 'this classifier was disposed; create or load a new one');
    try {
      this.#extractor._handles; // throws DISPOSED once the extractor is gone
    } catch (error) {
      throw new ImprintError('DISPOSED', "this classifier's extractor was disposed; the classifier cannot be used any more", {
        cause: error,
      });
    }
  }

  /** Runs fn(vectorPtr, mirrorPtr) with the vectors copied into the wasm heap. */
  #withVectors(vector, mirror, fn) {
    const c = this.#core;
    const bytes = this.#dim * 4;
    const ptr = c._malloc(2 * bytes);
    if (!ptr) throw new ImprintError('OUT_OF_MEMORY', 'could not allocate in the wasm heap');
    try {
      c.HEAPF32.set(vector, ptr >> 2);
      if (mirror) c.HEAPF32.set(mirror, (ptr + bytes) >> 2);
      return fn(ptr, mirror ? ptr + bytes : 0);
    } finally {
      c._free(ptr);
    }
  }

  /** Labels of the classes, in the order they were first added. */
  get labels() {
    this.#check();
    const c = this.#core;
    const out = [];
    const count = c._imprint_head_class_count(this.#head);
    const lenPtr = allocate(c, 4);
    try {
      for (let i = 0; i < count; i++) {
        const ptr = c._imprint_head_label(this.#head, i, lenPtr);
        const len = c.HEAPU32[lenPtr >> 2];
        out.push(decoder.decode(c.HEAPU8.subarray(ptr, ptr + len)));
      }
    } finally {
      c._free(lenPtr);
    }
    return out;
  }

  #classIndex(label) {
    const c = this.#core;
    const bytes = labelBytes(label);
    const out = allocate(c, 4);
    try {
      const status = withHeap(c, bytes, (ptr) => c._imprint_head_find_label(this.#head, ptr, bytes.length, out));
      return status === 0 ? c.HEAPU32[out >> 2] : -1;
    } finally {
      c._free(out);
    }
  }

  /** Number of examples stored for a label (0 for a label never added). */
  exampleCount(label) {
    this.#check();
    const index = this.#classIndex(label);
    return index < 0 ? 0 : this.#core._imprint_head_example_count(this.#head, index);
  }

  /** True once train() has finished on the current examples (until they change). */
  get trained() {
    this.#check();
    return this.#core._imprint_head_is_trained(this.#head) === 1;
  }

  /** Cosine similarity to the nearest class mean (power-transformed embeddings, before centring)
   *  below which predictions say `unknown`; default 0.99 (measured, see include/imprint.h). */
  get unknownThreshold() {
    this.#check();
    return this.#core._imprint_head_unknown_threshold(this.#head);
  }

  set unknownThreshold(value) {
    this.#check();
    if (typeof value !== 'number' || !Number.isFinite(value) || value < -1 || value > 1) {
      throw new ImprintError('INVALID_ARGUMENT', `unknownThreshold must be a number in [-1, 1]; got ${value}`);
    }
    this.#core._imprint_head_set_unknown_threshold(this.#head, value);
  }

  /** Adds an already computed embedding under `label`. With `mirrored` (the embedding of the
   *  left-right mirror image), imprinting and training also learn from that view. */
  addEmbedding(vector, label, mirrored) {
    this.#check();
    const v = checkVector(vector, this.#dim);
    const m = mirrored === undefined || mirrored === null ? null : checkVector(mirrored, this.#dim);
    const bytes = labelBytes(label);
    const c = this.#core;
    const status = this.#withVectors(v, m, (vp, mp) =>
      withHeap(c, bytes, (lp) => c._imprint_head_add_example(this.#head, lp, bytes.length, vp, mp, this.#dim))
    );
    if (status !== 0) fail(c, status, status === 1 ? 'the embedding is empty, not finite, or the label is not valid text' : '');
    this.#generation++;
  }

  /** Embeds an image and stores its embedding (never the image) under `label`. */
  async addExample(input, label) {
    this.#check();
    labelBytes(label); // fail fast, before the backbone runs
    if (this.#flipAugment) {
      const [plain, mirrored] = await this.#extractor.embedWithMirror(input);
      this.addEmbedding(plain, label, mirrored);
    } else {
      this.addEmbedding(await this.#extractor.embed(input), label);
    }
  }

  /** Removes a class and its examples. UNKNOWN_LABEL if there is none. */
  removeClass(label) {
    this.#check();
    const bytes = labelBytes(label);
    const c = this.#core;
    const status = withHeap(c, bytes, (ptr) => c._imprint_head_remove_class(this.#head, ptr, bytes.length));
    if (status !== 0) fail(c, status, `no class is labelled ${JSON.stringify(label)}`);
    this.#generation++;
  }

  /** Removes every class and example. */
  clear() {
    this.#check();
    this.#core._imprint_head_clear(this.#head);
    this.#generation++;
  }

  /**
   * Fits the softmax head to the examples (imprinted start, class-balanced loss, L2 penalty 1e-3,
   * stops by itself at gradient norm 1e-4), then calibrates its confidence by temperature scaling
   * on 3 held-out folds of the examples. Yields to the event loop every ~16 ms.
   * @param {{ onProgress?: (e: { step: number, loss: number }) => void, seed?: number, l2?: number,
   *           tolerance?: number, maxIterations?: number, calibrate?: boolean }} [options]
   * @returns {Promise<{ loss: number, trainAccuracy: number, ms: number, steps: number, temperature: number, l2: number }>}
   */
  async train(options = {}) {
    this.#check();
    const { onProgress, seed = 0, l2 = 0, tolerance = 0, maxIterations = 0, calibrate = true } = checkOptions(options);
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new ImprintError('INVALID_ARGUMENT', 'onProgress must be a function');
    }
    for (const [name, value, integer] of [['seed', seed, true], ['l2', l2, false], ['tolerance', tolerance, false], ['maxIterations', maxIterations, true]]) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && (!Number.isInteger(value) || value > 0xffffffff))) {
        throw new ImprintError('INVALID_ARGUMENT', `train option ${name} must be a non-negative ${integer ? 'integer' : 'number'}; got ${value}`);
      }
    }
    const c = this.#core;
    const start = performance.now();
    const opts = c._malloc(OPTIONS_BYTES + PROGRESS_BYTES);
    if (!opts) throw new ImprintError('OUT_OF_MEMORY', 'could not allocate in the wasm heap');
    const progress = opts + OPTIONS_BYTES;
    try {
      const view = new DataView(c.HEAPU8.buffer, opts, OPTIONS_BYTES);
      view.setFloat32(0, l2, true);
      view.setFloat32(4, tolerance, true);
      view.setUint32(8, maxIterations, true);
      view.setUint32(12, seed, true);
      view.setUint32(16, calibrate ? 0 : TRAIN_NO_CALIBRATION, true); // mirrored views stored are used
      let status = c._imprint_head_train_begin(this.#head, opts);
      if (status !== 0) fail(c, status, status === 10 ? 'add examples before train()' : 'cannot start training');
      const generation = this.#generation;
      this.#training = generation + 1;
      let sliceStart = performance.now();
      for (;;) {
        status = c._imprint_head_train_step(this.#head, 4, progress);
        if (status !== 0) fail(c, status, 'training failed');
        const p = new DataView(c.HEAPU8.buffer, progress, PROGRESS_BYTES);
        const step = p.getUint32(0, true);
        const loss = p.getFloat32(4, true);
        if (p.getInt32(24, true)) {
          if (onProgress) onProgress({ step, loss });
          return {
            loss,
            trainAccuracy: p.getFloat32(12, true),
            ms: performance.now() - start,
            steps: step,
            temperature: p.getFloat32(16, true),
            l2: p.getFloat32(20, true),
          };
        }
        if (performance.now() - sliceStart >= SLICE_MS) {
          if (onProgress) onProgress({ step, loss });
          await yieldToEventLoop();
          if (this.#disposed) throw new ImprintError('DISPOSED', 'the classifier was disposed during train()');
          this.#check();
          if (this.#generation !== generation) {
            throw new ImprintError('INVALID_ARGUMENT', 'the examples changed during train(); call train() again');
          }
          sliceStart = performance.now();
        }
      }
    } finally {
      this.#training = 0;
      c._free(opts);
    }
  }

  #predictNow(vector, mirrored) {
    const c = this.#core;
    const count = c._imprint_head_class_count(this.#head);
    if (count === 0) fail(c, 10, 'add examples before predict()');
    const extra = 16 + 4 * count;
    const out = c._malloc(extra);
    if (!out) throw new ImprintError('OUT_OF_MEMORY', 'could not allocate in the wasm heap');
    try {
      const status = this.#withVectors(vector, mirrored, (vp, mp) =>
        c._imprint_head_predict(this.#head, vp, mp, this.#dim, out + 16, count, out)
      );
      if (status !== 0) fail(c, status, status === 1 ? 'the embedding is empty or not finite' : '');
      const view = new DataView(c.HEAPU8.buffer, out, 16);
      const probabilities = new Float32Array(c.HEAPF32.buffer, out + 16, count).slice();
      const labels = this.labels;
      const scores = {};
      labels.forEach((label, i) => (scores[label] = probabilities[i]));
      return {
        label: labels[view.getUint32(0, true)],
        confidence: view.getFloat32(4, true),
        scores,
        unknown: view.getInt32(12, true) !== 0,
        similarity: view.getFloat32(8, true),
      };
    } finally {
      c._free(out);
    }
  }

  /** Classifies an embedding: { label, confidence, scores, unknown, similarity }. */
  predictEmbedding(vector, mirrored) {
    this.#check();
    const v = checkVector(vector, this.#dim);
    const m = mirrored === undefined || mirrored === null ? null : checkVector(mirrored, this.#dim);
    return this.#predictNow(v, m);
  }

  /** Embeds an image and classifies it: { label, confidence, scores: { [label]: p }, unknown }. */
  async predict(input) {
    this.#check();
    if (this.#core._imprint_head_class_count(this.#head) === 0) fail(this.#core, 10, 'add examples before predict()');
    if (this.#testTimeFlip) {
      const [plain, mirrored] = await this.#extractor.embedWithMirror(input);
      this.#check();
      return this.#predictNow(plain, mirrored);
    }
    const vector = await this.#extractor.embed(input);
    this.#check();
    return this.#predictNow(vector, null);
  }

  /**
   * Accuracy, per-class accuracy and confusion matrix on labelled data:
   * items = [{ label, input } | { label, embedding } | [input, label]].
   * @returns {Promise<{ accuracy: number, count: number, perClass: Record<string, { accuracy: number, count: number, correct: number }>,
   *           confusion: { labels: string[], matrix: number[][] } }>}
   */
  async evaluate(items) {
    this.#check();
    if (!items || typeof items[Symbol.iterator] !== 'function') {
      throw new ImprintError('INVALID_ARGUMENT', 'evaluate() needs an array of { label, input } or { label, embedding }');
    }
    const list = Array.from(items, (item) => (Array.isArray(item) ? { input: item[0], label: item[1] } : item));
    const labels = this.labels;
    if (labels.length === 0) fail(this.#core, 10, 'add examples before evaluate()');
    const index = new Map(labels.map((l, i) => [l, i]));
    const truth = new Uint32Array(list.length);
    const vectors = new Float32Array(list.length * this.#dim);
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (!item || typeof item !== 'object') throw new ImprintError('INVALID_ARGUMENT', `evaluate() item ${i} is not { label, input }`);
      labelBytes(item.label);
      if (!index.has(item.label)) {
        throw new ImprintError('UNKNOWN_LABEL', `evaluate() item ${i} is labelled ${JSON.stringify(item.label)}, which the classifier has no class for`);
      }
      truth[i] = index.get(item.label);
      const vector = item.embedding !== undefined ? checkVector(item.embedding, this.#dim) : await this.#extractor.embed(item.input);
      vectors.set(vector, i * this.#dim);
    }
    this.#check();
    if (this.#core._imprint_head_class_count(this.#head) !== labels.length) {
      throw new ImprintError('INVALID_ARGUMENT', 'the classes changed during evaluate(); call it again');
    }
    const c = this.#core;
    const n = labels.length;
    const buffer = c._malloc(4 + 4 * n * n + 4 * Math.max(1, list.length));
    if (!buffer) throw new ImprintError('OUT_OF_MEMORY', 'could not allocate in the wasm heap');
    try {
      const confusionPtr = buffer + 4;
      const truthPtr = confusionPtr + 4 * n * n;
      c.HEAPU32.set(truth, truthPtr >> 2);
      const status = withHeap(c, new Uint8Array(vectors.buffer), (vp) =>
        c._imprint_head_evaluate(this.#head, vp, truthPtr, list.length, this.#dim, confusionPtr, n * n, buffer)
      );
      if (status !== 0) fail(c, status, 'evaluate() failed');
      const flat = new Uint32Array(c.HEAPU32.buffer, confusionPtr, n * n).slice();
      const matrix = labels.map((_, r) => Array.from(flat.subarray(r * n, (r + 1) * n)));
      const perClass = {};
      labels.forEach((label, r) => {
        const count = matrix[r].reduce((s, v) => s + v, 0);
        if (count) perClass[label] = { accuracy: matrix[r][r] / count, count, correct: matrix[r][r] };
      });
      return { accuracy: c.HEAPF32[buffer >> 2], count: list.length, perClass, confusion: { labels, matrix } };
    } finally {
      c._free(buffer);
    }
  }

  /**
   * The head file (format: src/HEAD_FORMAT.md). options.examples (default true) keeps the example
   * embeddings so that training can continue after loading; false saves only what predicts.
   */
  save(options = {}) {
    this.#check();
    const { examples = true } = checkOptions(options);
    const c = this.#core;
    const flags = examples ? SAVE_EXAMPLES : 0;
    const sizePtr = allocate(c, 4);
    try {
      let status = c._imprint_head_save(this.#head, flags, 0, 0, sizePtr);
      if (status !== 0) fail(c, status, 'cannot save');
      const size = c.HEAPU32[sizePtr >> 2];
      const out = c._malloc(size);
      if (!out) throw new ImprintError('OUT_OF_MEMORY', `could not allocate ${size} bytes in the wasm heap`);
      try {
        status = c._imprint_head_save(this.#head, flags, out, size, sizePtr);
        if (status !== 0) fail(c, status, 'cannot save');
        return c.HEAPU8.slice(out, out + size);
      } finally {
        c._free(out);
      }
    } finally {
      c._free(sizePtr);
    }
  }

  /** Frees the head's wasm memory. Safe to call twice. */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    if (leakGuard) leakGuard.unregister(this);
    this.#core._imprint_head_destroy(this.#head);
    this.#head = 0;
  }
}

function handlesOf(extractor) {
  if (!extractor || typeof extractor !== 'object' || !('_handles' in extractor)) {
    throw new ImprintError('INVALID_ARGUMENT', 'pass the Extractor from createExtractor() as the first argument');
  }
  return extractor._handles; // throws DISPOSED for a disposed extractor
}

function hashPtr(core, extractor, fn) {
  const hash = extractor.info.modelHash;
  return withHeap(core, encoder.encode(`${hash}\0`), fn);
}

/** Wraps a freshly created or loaded C head; frees it if the wrapper cannot be made. */
function adoptHead(extractor, core, head, opts) {
  try {
    return new Classifier(extractor, core, head, opts);
  } catch (error) {
    core._imprint_head_destroy(head);
    throw error;
  }
}

/**
 * A new, empty classifier over `extractor`'s embeddings.
 * @param {import('./extractor.cjs').Extractor} extractor
 * @param {{ flipAugment?: boolean, testTimeFlip?: boolean, unknownThreshold?: number }} [options]
 */
function createClassifier(extractor, options = {}) {
  const { core } = handlesOf(extractor);
  const opts = checkOptions(options);
  const out = allocate(core, 4);
  try {
    const status = hashPtr(core, extractor, (hp) => core._imprint_head_create(extractor.info.dim, hp, out));
    if (status !== 0) fail(core, status, 'cannot create the classifier');
    return adoptHead(extractor, core, core.HEAPU32[out >> 2], opts);
  } finally {
    core._free(out);
  }
}

/**
 * Loads a head file saved by classifier.save() for this extractor's model. MODEL_MISMATCH for a
 * head made on another backbone, HEAD_CORRUPT for damaged bytes; nothing is created on failure.
 */
async function loadClassifier(extractor, bytes, options = {}) {
  const { core } = handlesOf(extractor);
  const opts = checkOptions(options);
  let data = bytes;
  if (typeof data === 'string' || data instanceof URL) {
    try {
      data = await require('node:fs').promises.readFile(data);
    } catch (cause) {
      throw new ImprintError('FILE_NOT_FOUND', `cannot read head file ${String(bytes)}: ${cause.message}`, { cause });
    }
  }
  if (data instanceof ArrayBuffer) data = new Uint8Array(data);
  else if (ArrayBuffer.isView(data) && !(data instanceof Uint8Array)) data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!(data instanceof Uint8Array)) {
    throw new ImprintError('INVALID_ARGUMENT', 'loadClassifier() needs the bytes from save() (Uint8Array, Buffer, ArrayBuffer) or a file path');
  }
  handlesOf(extractor);
  const out = allocate(core, 4);
  try {
    const status = withHeap(core, data, (bp) =>
      hashPtr(core, extractor, (hp) => core._imprint_head_load(bp, data.length, extractor.info.dim, hp, out))
    );
    if (status === 6) {
      throw new ImprintError('MODEL_MISMATCH', `this head was made for another backbone than ${extractor.info.name} (${extractor.info.modelHash}); load it with the extractor it was trained on`);
    }
    if (status === 12) throw new ImprintError('HEAD_CORRUPT', 'the classifier file is damaged, truncated, or not an imprint head');
    if (status !== 0) fail(core, status, 'cannot load the classifier');
    return adoptHead(extractor, core, core.HEAPU32[out >> 2], opts);
  } finally {
    core._free(out);
  }
}

module.exports = { createClassifier, loadClassifier, Classifier };
