'use strict';
// The Classifier: a few-shot head (C, src/head*.c) living in the same wasm instance as its
// extractor. This file converts labels and vectors, slices training so pages stay responsive,
// and shapes results; every number is computed in C.

const { ImprintError, describeValue, optionalFunction, checkOptionObject } = require('./errors.cjs');
const { handlesOf } = require('./extractor.cjs');
const { isFileSource, platform } = require('./inputs.cjs');
const {
  Status,
  Constants,
  withScratch,
  guard,
  release,
  readStruct,
  readFloats,
  readU32,
  statusError,
  check,
} = require('./wasm.cjs');

const MAX_UNKNOWN_RATE = Constants.HEAD_MAX_UNKNOWN_RATE;

/** Longest stretch train() runs before yielding to the event loop. */
const SLICE_MS = 16;

/** setImmediate where it exists (Node): setTimeout(0) waits >= 1 ms (4 ms nested in browsers). */
const yieldToEventLoop =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function labelBytes(label) {
  if (typeof label !== 'string' || label.length === 0) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `a label must be a non-empty string; got ${label === '' ? "''" : describeValue(label)}`,
    );
  }
  if (typeof label.isWellFormed === 'function' && !label.isWellFormed()) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      'the label contains an unpaired UTF-16 surrogate, which has no UTF-8 form',
    );
  }
  return encoder.encode(label);
}

function checkVector(vector, dim) {
  if (!(vector instanceof Float32Array || vector instanceof Float64Array || Array.isArray(vector))) {
    throw new ImprintError('INVALID_ARGUMENT', 'an embedding must be a Float32Array (or an array of numbers)');
  }
  if (vector.length !== dim) {
    throw new ImprintError(
      'MODEL_MISMATCH',
      `the embedding has ${vector.length} values; this classifier's extractor makes ${dim}`,
    );
  }
  return vector instanceof Float32Array ? vector : Float32Array.from(vector);
}

function checkOptions(options) {
  return checkOptionObject(options, null, 'options');
}

/** The value of unknownThreshold, or INVALID_ARGUMENT. */
function checkUnknownThreshold(value) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < -1 || value > 1) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `unknownThreshold must be a number in [-1, 1]; got ${describeValue(value)}`,
    );
  }
  return value;
}

/** The value of unknownRate, or INVALID_ARGUMENT. */
function checkUnknownRate(value) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_UNKNOWN_RATE) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `unknownRate must be a number in [0, ${MAX_UNKNOWN_RATE}]; got ${describeValue(value)}`,
    );
  }
  return value;
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
    if (options.unknownThreshold !== undefined && options.unknownRate !== undefined) {
      throw new ImprintError(
        'INVALID_ARGUMENT',
        'give unknownThreshold (a fixed threshold) or unknownRate (a threshold that adapts to the examples), not both',
      );
    }
    if (options.unknownThreshold !== undefined) this.unknownThreshold = options.unknownThreshold;
    if (options.unknownRate !== undefined) this.unknownRate = options.unknownRate;
    guard(this, () => core._imprint_head_destroy(head));
  }

  #check() {
    if (this.#disposed) throw new ImprintError('DISPOSED', 'this classifier was disposed; create or load a new one');
    try {
      this.#extractor._handles; // throws DISPOSED once the extractor is gone
    } catch (error) {
      throw new ImprintError(
        'DISPOSED',
        "this classifier's extractor was disposed; the classifier cannot be used any more",
        {
          cause: error,
        },
      );
    }
  }

  /** Labels of the classes, in the order they were first added. */
  get labels() {
    this.#check();
    const c = this.#core;
    const out = [];
    const count = c._imprint_head_class_count(this.#head);
    withScratch(c, (scratch) => {
      const length = scratch.alloc(4, 'a label length');
      for (let i = 0; i < count; i++) {
        const ptr = c._imprint_head_label(this.#head, i, length);
        // A copy (slice): TextDecoder refuses views of shared memory (the threads build's).
        out.push(decoder.decode(c.HEAPU8.slice(ptr, ptr + readU32(c, length))));
      }
    });
    return out;
  }

  #classIndex(label) {
    const c = this.#core;
    const bytes = labelBytes(label);
    return withScratch(c, (scratch) => {
      const out = scratch.alloc(4, 'a class index');
      const status = c._imprint_head_find_label(this.#head, scratch.bytes(bytes, 'the label'), bytes.length, out);
      return status === Status.OK ? readU32(c, out) : -1;
    });
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

  /** The cosine similarity to the nearest class mean (power-transformed embeddings, before
   *  centring) below which predictions say `unknown` now: the estimate of unknownRate from the
   *  examples, or the fixed threshold. Setting it fixes the threshold (and sets unknownRate to 0). */
  get unknownThreshold() {
    this.#check();
    return this.#core._imprint_head_threshold_in_force(this.#head);
  }

  set unknownThreshold(value) {
    this.#check();
    this.#core._imprint_head_set_unknown_threshold(this.#head, checkUnknownThreshold(value));
    this.#core._imprint_head_set_unknown_rate(this.#head, 0);
  }

  /** The share of new images of the taught classes that should be called `unknown`: the threshold
   *  adapts to how spread out the examples are (include/imprint.h, imprint_head_set_unknown_rate).
   *  0 = a fixed threshold. Default IMPRINT_HEAD_DEFAULT_UNKNOWN_RATE (0.075). */
  get unknownRate() {
    this.#check();
    return this.#core._imprint_head_unknown_rate(this.#head);
  }

  set unknownRate(value) {
    this.#check();
    check(this.#core, this.#core._imprint_head_set_unknown_rate(this.#head, checkUnknownRate(value)), 'unknownRate');
  }

  /** Adds an already computed embedding under `label`. With `mirrored` (the embedding of the
   *  left-right mirror image), imprinting and training also learn from that view. */
  addEmbedding(vector, label, mirrored) {
    this.#check();
    const v = checkVector(vector, this.#dim);
    const m = mirrored === undefined || mirrored === null ? null : checkVector(mirrored, this.#dim);
    const bytes = labelBytes(label);
    const c = this.#core;
    const status = withScratch(c, (scratch) =>
      c._imprint_head_add_example(
        this.#head,
        scratch.bytes(bytes, 'the label'),
        bytes.length,
        scratch.bytes(v),
        m ? scratch.bytes(m) : 0,
        this.#dim,
      ),
    );
    if (status === Status.LIMIT_EXCEEDED) throw new ImprintError('LIMIT_EXCEEDED', this.#limitReached(bytes.length));
    check(
      c,
      status,
      status === Status.INVALID_ARGUMENT ? 'the embedding is empty, not finite, or the label is not valid text' : '',
    );
    this.#generation++;
  }

  /** Which of the head's limits (include/imprint.h) an example of a label of `labelBytes` bytes hit. */
  #limitReached(labelBytes) {
    const { HEAD_MAX_LABEL_BYTES, HEAD_MAX_EXAMPLES, HEAD_MAX_CLASSES } = Constants;
    const c = this.#core;
    if (labelBytes > HEAD_MAX_LABEL_BYTES) {
      return `the label is ${labelBytes} bytes of UTF-8; a label can have at most ${HEAD_MAX_LABEL_BYTES}`;
    }
    if (c._imprint_head_total_examples(this.#head) >= HEAD_MAX_EXAMPLES) {
      return `the classifier holds ${HEAD_MAX_EXAMPLES} examples, the most one classifier can hold; remove a class, or use another classifier`;
    }
    return `the classifier has ${HEAD_MAX_CLASSES} labels, the most one classifier can hold; examples of its existing labels can still be added`;
  }

  /** Embeds an image and stores its embedding (never the image) under `label`. */
  async addExample(input, label) {
    this.#check();
    labelBytes(label); // fail fast, before the backbone runs
    const c = this.#core;
    if (!c._imprint_head_can_learn(this.#head)) check(c, Status.SAVED_WITHOUT_EXAMPLES);
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
    const status = withScratch(c, (scratch) =>
      c._imprint_head_remove_class(this.#head, scratch.bytes(bytes, 'the label'), bytes.length),
    );
    check(c, status, status === Status.UNKNOWN_LABEL ? `no class is labelled ${JSON.stringify(label)}` : '');
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
    optionalFunction(onProgress, 'onProgress');
    for (const [name, value, integer] of [
      ['seed', seed, true],
      ['l2', l2, false],
      ['tolerance', tolerance, false],
      ['maxIterations', maxIterations, true],
    ]) {
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        value < 0 ||
        (integer && (!Number.isInteger(value) || value > 0xffffffff))
      ) {
        throw new ImprintError(
          'INVALID_ARGUMENT',
          `train option ${name} must be a non-negative ${integer ? 'integer' : 'number'}; got ${describeValue(value)}`,
        );
      }
    }
    const c = this.#core;
    const start = performance.now();
    return withScratch(c, async (scratch) => {
      const flags = calibrate ? 0 : Constants.TRAIN_NO_CALIBRATION; // mirrored views stored are used
      const opts = scratch.struct('train_options', { l2, tolerance, max_iterations: maxIterations, seed, flags });
      const progress = scratch.struct('train_progress');
      let status = c._imprint_head_train_begin(this.#head, opts);
      check(c, status, status === Status.NO_EXAMPLES ? 'add examples before train()' : 'cannot start training');
      const generation = this.#generation;
      this.#training = generation + 1;
      try {
        let sliceStart = performance.now();
        for (;;) {
          check(c, c._imprint_head_train_step(this.#head, 4, progress), 'training failed');
          const p = readStruct(c, progress, 'train_progress');
          if (p.done) {
            if (onProgress) onProgress({ step: p.step, loss: p.loss });
            const ms = performance.now() - start;
            return {
              loss: p.loss,
              trainAccuracy: p.train_accuracy,
              ms,
              steps: p.step,
              temperature: p.temperature,
              l2: p.l2,
            };
          }
          if (performance.now() - sliceStart >= SLICE_MS) {
            if (onProgress) onProgress({ step: p.step, loss: p.loss });
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
      }
    });
  }

  /** NO_EXAMPLES for `what` when the head has no class yet. */
  #requireClasses(what) {
    const c = this.#core;
    if (c._imprint_head_class_count(this.#head) === 0)
      throw statusError(c, Status.NO_EXAMPLES, { context: `add examples before ${what}` });
  }

  #predictNow(vector, mirrored) {
    this.#requireClasses('predict()');
    const c = this.#core;
    const count = c._imprint_head_class_count(this.#head);
    return withScratch(c, (scratch) => {
      const prediction = scratch.struct('prediction');
      const scores = scratch.alloc(4 * count, 'the scores');
      const status = c._imprint_head_predict(
        this.#head,
        scratch.bytes(vector),
        mirrored ? scratch.bytes(mirrored) : 0,
        this.#dim,
        scores,
        count,
        prediction,
      );
      check(c, status, status === Status.INVALID_ARGUMENT ? 'the embedding is empty or not finite' : '');
      const probabilities = readFloats(c, scores, count);
      const p = readStruct(c, prediction, 'prediction');
      const labels = this.labels;
      const byLabel = Object.create(null); // any label is a key, '__proto__' and 'constructor' too
      labels.forEach((label, i) => (byLabel[label] = probabilities[i]));
      return {
        label: labels[p.best],
        confidence: p.confidence,
        scores: byLabel,
        unknown: p.unknown !== 0,
        similarity: p.similarity,
      };
    });
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
    this.#requireClasses('predict()');
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
      throw new ImprintError(
        'INVALID_ARGUMENT',
        'evaluate() needs an array of { label, input } or { label, embedding }',
      );
    }
    const list = Array.from(items, (item) => (Array.isArray(item) ? { input: item[0], label: item[1] } : item));
    this.#requireClasses('evaluate()');
    const labels = this.labels;
    const index = new Map(labels.map((l, i) => [l, i]));
    const truth = new Uint32Array(list.length);
    const vectors = new Float32Array(list.length * this.#dim);
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (!item || typeof item !== 'object')
        throw new ImprintError('INVALID_ARGUMENT', `evaluate() item ${i} is not { label, input }`);
      labelBytes(item.label);
      if (!index.has(item.label)) {
        throw new ImprintError(
          'UNKNOWN_LABEL',
          `evaluate() item ${i} is labelled ${JSON.stringify(item.label)}, which the classifier has no class for`,
        );
      }
      truth[i] = index.get(item.label);
      const vector =
        item.embedding !== undefined ? checkVector(item.embedding, this.#dim) : await this.#extractor.embed(item.input);
      vectors.set(vector, i * this.#dim);
    }
    this.#check();
    if (this.#core._imprint_head_class_count(this.#head) !== labels.length) {
      throw new ImprintError('INVALID_ARGUMENT', 'the classes changed during evaluate(); call it again');
    }
    const c = this.#core;
    const n = labels.length;
    return withScratch(c, (scratch) => {
      const accuracy = scratch.alloc(4, 'the accuracy');
      const confusion = scratch.alloc(4 * n * n, 'the confusion matrix');
      const truthPtr = scratch.bytes(truth, 'the labels');
      const status = c._imprint_head_evaluate(
        this.#head,
        scratch.bytes(vectors, 'the embeddings'),
        truthPtr,
        list.length,
        this.#dim,
        confusion,
        n * n,
        accuracy,
      );
      check(c, status, 'evaluate() failed');
      const flat = new Uint32Array(c.HEAPU8.buffer, confusion, n * n).slice();
      const matrix = labels.map((_, r) => Array.from(flat.subarray(r * n, (r + 1) * n)));
      const perClass = Object.create(null); // any label is a key, '__proto__' and 'constructor' too
      labels.forEach((label, r) => {
        const count = matrix[r].reduce((sum, v) => sum + v, 0);
        if (count) perClass[label] = { accuracy: matrix[r][r] / count, count, correct: matrix[r][r] };
      });
      return { accuracy: readFloats(c, accuracy, 1)[0], count: list.length, perClass, confusion: { labels, matrix } };
    });
  }

  /**
   * The head file (format: models/HEAD_FORMAT.md). options.examples (default true) keeps the example
   * embeddings so that training can continue after loading; false saves only what predicts.
   */
  save(options = {}) {
    this.#check();
    const { examples = true } = checkOptions(options);
    const c = this.#core;
    const flags = examples ? Constants.SAVE_EXAMPLES : 0;
    return withScratch(c, (scratch) => {
      const size = scratch.alloc(4, 'the size');
      check(c, c._imprint_head_save(this.#head, flags, 0, 0, size), 'cannot save');
      const length = readU32(c, size);
      const out = scratch.alloc(length, 'the classifier file');
      check(c, c._imprint_head_save(this.#head, flags, out, length, size), 'cannot save');
      return c.HEAPU8.slice(out, out + length);
    });
  }

  /** Frees the head's wasm memory. Safe to call twice. */
  dispose() {
    if (!this.#disposed) release(this, () => this.#core._imprint_head_destroy(this.#head));
    this.#disposed = true;
  }
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
 * @param {{ flipAugment?: boolean, testTimeFlip?: boolean, unknownThreshold?: number, unknownRate?: number }} [options]
 */
function createClassifier(extractor, options = {}) {
  const { core } = handlesOf(extractor);
  const opts = checkOptions(options);
  const head = withScratch(core, (scratch) => {
    const out = scratch.alloc(4, 'the classifier handle');
    check(
      core,
      core._imprint_head_create(extractor.info.dim, scratch.string(extractor.info.modelHash), out),
      'cannot create the classifier',
    );
    return readU32(core, out);
  });
  // A model file may suggest the unknown threshold for its embedding (models/MODEL_FORMAT.md);
  // an explicit option wins.
  if (opts.unknownThreshold === undefined && extractor.info.unknownThreshold > 0) {
    core._imprint_head_set_unknown_threshold(head, extractor.info.unknownThreshold);
  }
  return adoptHead(extractor, core, head, opts);
}

/**
 * Loads a head file saved by classifier.save() for this extractor's model. MODEL_MISMATCH for a
 * head made on another backbone, HEAD_CORRUPT for damaged bytes; nothing is created on failure.
 */
async function loadClassifier(extractor, bytes, options = {}) {
  const { core } = handlesOf(extractor);
  const opts = checkOptions(options);
  let data = bytes;
  if (isFileSource(data)) data = await platform.readFile(data, 'the classifier file');
  if (data instanceof ArrayBuffer) data = new Uint8Array(data);
  else if (ArrayBuffer.isView(data) && !(data instanceof Uint8Array))
    data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!(data instanceof Uint8Array)) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      'loadClassifier() needs the bytes from save() (Uint8Array, Buffer, ArrayBuffer), a file path or URL, or a Blob',
    );
  }
  handlesOf(extractor);
  const head = withScratch(core, (scratch) => {
    const out = scratch.alloc(4, 'the classifier handle');
    const hash = scratch.string(extractor.info.modelHash);
    const status = core._imprint_head_load(
      scratch.bytes(data, 'the classifier file'),
      data.length,
      extractor.info.dim,
      hash,
      out,
    );
    if (status === Status.MODEL_MISMATCH) {
      throw new ImprintError(
        'MODEL_MISMATCH',
        `this classifier file was made for another backbone than ${extractor.info.name} (${extractor.info.modelHash}); load it with the extractor it was trained on`,
      );
    }
    if (status === Status.HEAD_CORRUPT) {
      throw new ImprintError('HEAD_CORRUPT', 'the classifier file is damaged, truncated, or not an imprint head');
    }
    check(core, status, 'cannot load the classifier');
    return readU32(core, out);
  });
  return adoptHead(extractor, core, head, opts);
}

module.exports = {
  createClassifier,
  loadClassifier,
  Classifier,
  checkOptions,
  checkUnknownThreshold,
  checkUnknownRate,
};
