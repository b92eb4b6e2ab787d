'use strict';
// The worker-backed extractor and classifier: the same API as js/extractor.cjs and
// js/classifier.cjs, with the wasm core running in a dedicated Web Worker (web/worker-host.js) so the
// page never freezes while embedding or training. Their methods are made from the operation table
// of web/operations.js. DOM inputs (<img>, canvas, <video>) are read into pixels on the page's
// thread, then the pixels are transferred (not copied) to the worker.
// Differences from the in-thread API: calls that are synchronous there (addEmbedding, removeClass,
// clear, predictEmbedding, save; an index's addEmbedding, remove, clear, has, ids, queryEmbedding,
// transform, save) return Promises here; `labels`, `exampleCount()`, `trained`, `unknownThreshold`, `unknownRate` and an
// index's `size` stay synchronous, read from a mirror the worker keeps up to date.

const { ImprintError, checkOptionObject } = require('../js/errors.cjs');
const { checkOptions, checkUnknownThreshold, checkUnknownRate } = require('../js/classifier.cjs');
const platform = require('./platform.js');
const { isPreset } = require('../js/presets.cjs');
const { OPERATIONS, revived } = require('./operations.js');

/** One worker and its pending calls, answered in order. */
class Channel {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #closed = null; // the ImprintError pending and future calls reject with, once closed

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = (event) => this.#receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.close(
        new ImprintError(
          'BACKEND_FAILED',
          `the imprint worker failed: ${event.message || "it could not start (check workerUrl, and that the Content-Security-Policy allows worker-src 'self')"}`,
        ),
      );
    };
  }

  call(op, args = [], transfer = [], onProgress = null) {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    try {
      this.#worker.postMessage({ id, op, args, progress: Boolean(onProgress) }, transfer);
    } catch (cause) {
      return Promise.reject(
        new ImprintError('INVALID_ARGUMENT', `cannot pass these arguments of ${op}() to the worker: ${cause.message}`, {
          cause,
        }),
      );
    }
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, onProgress }));
  }

  #receive(message) {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.progress !== undefined) {
      if (pending.onProgress) pending.onProgress(message.progress);
      return;
    }
    this.#pending.delete(message.id);
    if (message.error) {
      const error = new ImprintError(message.error.code, message.error.message);
      if (message.error.index !== undefined) error.index = message.error.index;
      pending.reject(error);
    } else {
      pending.resolve(message.value);
    }
  }

  close(reason) {
    if (this.#closed) return;
    this.#closed = reason;
    this.#worker.terminate();
    for (const { reject } of this.#pending.values()) reject(reason);
    this.#pending.clear();
  }

  get closed() {
    return this.#closed;
  }
}

function copyBytes(view) {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/**
 * Prepares one input for postMessage: DOM inputs become pixels here; bytes are copied once and the
 * copy transferred; Blobs, ImageBitmaps and ImageData are cloned by the browser.
 */
async function toMessage(input, transfer) {
  if (platform.isDomInput(input)) {
    const pixels = await platform.domInput(input);
    transfer.push(pixels.data.buffer);
    return pixels;
  }
  if (typeof input === 'string' || input instanceof URL) return platform.resolve(input);
  if (input instanceof ArrayBuffer) {
    const copy = input.slice(0);
    transfer.push(copy);
    return copy;
  }
  if (ArrayBuffer.isView(input)) {
    const copy = copyBytes(input);
    transfer.push(copy.buffer);
    return copy;
  }
  if (
    input &&
    typeof input === 'object' &&
    (input.data instanceof Uint8Array || input.data instanceof Uint8ClampedArray) &&
    !(typeof ImageData === 'function' && input instanceof ImageData)
  ) {
    // 8-bit pixels: copied once and transferred (any other data crosses as it is, to be refused there).
    const data = copyBytes(input.data);
    transfer.push(data.buffer);
    return { data, width: input.width, height: input.height, channels: input.channels };
  }
  return input;
}

/** A list of images as messages; anything that is not a list crosses as it is, for the worker to refuse. */
async function toMessages(list, transfer) {
  if (!list || typeof list[Symbol.iterator] !== 'function' || typeof list === 'string') return list;
  const out = [];
  for (const input of list) out.push(await toMessage(input, transfer));
  return out;
}

/** evaluate()'s items as messages: each item's input becomes a message. */
async function itemsToMessages(items, transfer) {
  if (!items || typeof items[Symbol.iterator] !== 'function' || typeof items === 'string') return items;
  const out = [];
  for (const item of items) {
    const entry = Array.isArray(item) ? { input: item[0], label: item[1] } : item;
    const plain = !entry || typeof entry !== 'object' || entry.embedding !== undefined;
    out.push(plain ? entry : { label: entry.label, input: await toMessage(entry.input, transfer) });
  }
  return out;
}

/**
 * The arguments of operation `op` ready for postMessage, with the buffers to transfer and the
 * onProgress callback, which stays here (a function cannot cross; the worker calls back instead).
 */
async function prepare(op, args) {
  const transfer = [];
  const out = [...args];
  for (const i of op.images || []) out[i] = await toMessage(out[i], transfer);
  if (op.imageList !== undefined) out[op.imageList] = await toMessages(out[op.imageList], transfer);
  if (op.items !== undefined) out[op.items] = await itemsToMessages(out[op.items], transfer);
  let onProgress = null;
  const options = op.progress === undefined ? undefined : out[op.progress];
  if (options && typeof options === 'object' && typeof options.onProgress === 'function') {
    ({ onProgress } = options);
    out[op.progress] = { ...options, onProgress: undefined };
  }
  return { args: out, transfer, onProgress };
}

/** Methods of `cls` for every operation of the table that runs `on` that object. */
function forwardOperations(cls, on, send) {
  for (const [name, op] of Object.entries(OPERATIONS)) {
    if (op.on !== on) continue;
    Object.defineProperty(cls.prototype, op.method || name, {
      configurable: true,
      writable: true,
      value: async function (...args) {
        const { args: message, transfer, onProgress } = await prepare(op, args);
        return revived(op.returns, await send(this, name, message, transfer, onProgress));
      },
    });
  }
}

class WorkerExtractor {
  #channel;
  #classifierIds = 0;

  /** @internal use createExtractor({ worker: true }) */
  constructor(channel, info) {
    this.#channel = channel;
    this.info = info;
  }

  #call(op, args, transfer, onProgress) {
    if (this.#channel.closed && this.#channel.closed.code === 'DISPOSED') {
      return Promise.reject(new ImprintError('DISPOSED', 'this extractor was disposed; create a new one'));
    }
    return this.#channel.call(op, args, transfer, onProgress);
  }

  /** Ends the worker (and every classifier in it). Safe to call twice. */
  dispose() {
    this.#channel.close(new ImprintError('DISPOSED', 'this extractor was disposed; create a new one'));
  }

  /** @internal */
  get _channel() {
    if (this.#channel.closed) throw this.#channel.closed;
    return this.#channel;
  }

  /** @internal */
  _nextClassifierId() {
    return ++this.#classifierIds;
  }

  static {
    forwardOperations(this, 'extractor', (extractor, name, args, transfer, onProgress) =>
      extractor.#call(name, args, transfer, onProgress),
    );
  }
}

class WorkerClassifier {
  #extractor;
  #id;
  #state = { labels: [], counts: [], trained: false, unknownThreshold: 0, unknownRate: 0 };
  #disposed = false;

  /** @internal use createClassifier() or loadClassifier() */
  constructor(extractor, id, state) {
    this.#extractor = extractor;
    this.#id = id;
    if (state) this.#state = state;
  }

  #check() {
    if (this.#disposed) throw new ImprintError('DISPOSED', 'this classifier was disposed; create or load a new one');
    return this.#extractor._channel;
  }

  /** Calls the worker; replies carrying { state, value } refresh the mirror. */
  async #call(op, args = [], transfer = [], onProgress = null) {
    const reply = await this.#check().call(op, [this.#id, ...args], transfer, onProgress);
    if (reply && reply.state) this.#state = reply.state;
    return reply ? reply.value : undefined;
  }

  /** @internal */
  _mirror(state) {
    this.#state = state;
  }

  get labels() {
    this.#check();
    return [...this.#state.labels];
  }

  exampleCount(label) {
    this.#check();
    const index = this.#state.labels.indexOf(label);
    return index < 0 ? 0 : this.#state.counts[index];
  }

  get trained() {
    this.#check();
    return this.#state.trained;
  }

  get unknownThreshold() {
    this.#check();
    return this.#state.unknownThreshold;
  }

  set unknownThreshold(value) {
    this.#check();
    checkUnknownThreshold(value);
    this.#state = { ...this.#state, unknownThreshold: value, unknownRate: 0 };
    this.#call('setUnknownThreshold', [value]).catch(() => {});
  }

  get unknownRate() {
    this.#check();
    return this.#state.unknownRate;
  }

  /** The threshold in force follows when the worker replies (unknownThreshold). */
  set unknownRate(value) {
    this.#check();
    checkUnknownRate(value);
    this.#state = { ...this.#state, unknownRate: value };
    this.#call('setUnknownRate', [value]).catch(() => {});
  }

  /** Frees the classifier in the worker. Safe to call twice, and after the extractor's dispose(). */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    disposeInWorker(this.#extractor, 'disposeClassifier', this.#id);
  }

  static {
    forwardOperations(this, 'classifier', (classifier, name, args, transfer, onProgress) =>
      classifier.#call(name, args, transfer, onProgress),
    );
  }
}

class WorkerIndex {
  #extractor;
  #id;
  #size = 0;
  #disposed = false;

  /** @internal use createIndex() or loadIndex() */
  constructor(extractor, id, state) {
    this.#extractor = extractor;
    this.#id = id;
    if (state) this.#size = state.size;
  }

  #check() {
    if (this.#disposed) throw new ImprintError('DISPOSED', 'this index was disposed; create or load a new one');
    return this.#extractor._channel;
  }

  /** Calls the worker; replies carrying { state, value } refresh the mirrored size. */
  async #call(op, args = [], transfer = [], onProgress = null) {
    const reply = await this.#check().call(op, [this.#id, ...args], transfer, onProgress);
    if (reply && reply.state) this.#size = reply.state.size;
    return reply ? reply.value : undefined;
  }

  /** @internal */
  _mirror(state) {
    this.#size = state.size;
  }

  get size() {
    this.#check();
    return this.#size;
  }

  /** A Promise of the ids here (an array in the page's own thread: `await` works with both). */
  get ids() {
    return this.#call('indexIds');
  }

  /** Frees the index in the worker. Safe to call twice, and after the extractor's dispose(). */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    disposeInWorker(this.#extractor, 'disposeIndex', this.#id);
  }

  static {
    forwardOperations(this, 'index', (index, name, args, transfer, onProgress) =>
      index.#call(name, args, transfer, onProgress),
    );
  }
}

function createIndex(extractor, options) {
  checkOptionObject(options, [], 'createIndex() options');
  const channel = extractor._channel;
  const id = extractor._nextClassifierId();
  const index = new WorkerIndex(extractor, id, null);
  // As for classifiers: calls made right away wait in the worker's queue for the index to exist.
  channel
    .call('createIndex', [id])
    .then((reply) => index._mirror(reply.state))
    .catch(() => {});
  return index;
}

async function loadIndex(extractor, bytes, options) {
  checkOptionObject(options, [], 'loadIndex() options');
  const channel = extractor._channel;
  const id = extractor._nextClassifierId();
  const transfer = [];
  const message = typeof Blob === 'function' && bytes instanceof Blob ? bytes : await toMessage(bytes, transfer);
  const reply = await channel.call('loadIndex', [id, message], transfer);
  return new WorkerIndex(extractor, id, reply.state);
}

function isWorkerExtractor(value) {
  return value instanceof WorkerExtractor;
}

/** Frees an object the worker holds for `extractor`; nothing to do when the worker is already gone. */
function disposeInWorker(extractor, operation, id) {
  let channel;
  try {
    channel = extractor._channel;
  } catch {
    return; // the worker is gone, and the object with it
  }
  channel.call(operation, [id]).catch(() => {});
}

/**
 * createExtractor() in a dedicated worker. options as createExtractor(), plus workerUrl (default:
 * imprint-worker.js beside this script, or where a bundler put it). onProgress events cross from the worker.
 */
async function createWorkerExtractor(options = {}) {
  if (options === null || typeof options !== 'object')
    throw new ImprintError('INVALID_ARGUMENT', 'createExtractor() takes an options object');
  const { worker: _worker, workerUrl, onProgress: given, ...createOptions } = options;
  const onProgress = typeof given === 'function' ? given : null;
  if (!onProgress && given !== undefined) createOptions.onProgress = given; // for the worker to refuse
  const transfer = [];
  // A preset other than the default: its file's URL as the page's script finds it.
  if (isPreset(createOptions.model) && createOptions.model !== 'default')
    createOptions.model = platform.resolve(undefined, `model_${createOptions.model}`);
  if (createOptions.model !== undefined && createOptions.model !== null)
    createOptions.model = await toMessage(createOptions.model, transfer);
  // The page says where every file is (the user's URLs, else where the page's script finds them):
  // a bundler may have put the worker elsewhere than the core and the model.
  createOptions.wasmUrl = platform.resolve(createOptions.wasmUrl, 'wasm');
  createOptions.modelUrl = platform.resolve(createOptions.modelUrl, 'model_default');
  const files = createOptions.threadsFiles || {};
  createOptions.threadsFiles = {
    glue: platform.resolve(files.glue, 'threads_glue'),
    wasm: platform.resolve(files.wasm, 'threads_wasm'),
    worker: platform.resolve(files.worker, 'threads_worker'),
  };
  let worker;
  try {
    worker = new Worker(platform.resolve(workerUrl, 'worker'), { name: 'imprint' });
  } catch (cause) {
    throw new ImprintError('BACKEND_FAILED', `cannot start the imprint worker: ${cause.message}`, { cause });
  }
  const channel = new Channel(worker);
  try {
    const info = await channel.call('createExtractor', [createOptions], transfer, onProgress);
    return new WorkerExtractor(channel, info);
  } catch (error) {
    channel.close(error);
    throw error;
  }
}

function createClassifier(extractor, options = {}) {
  const channel = extractor._channel;
  const id = extractor._nextClassifierId();
  const classifier = new WorkerClassifier(extractor, id, null);
  // Messages are handled in order: calls made right away wait for the classifier to exist (and
  // fail with its creation error if it could not be created).
  channel
    .call('createClassifier', [id, checkOptions(options)])
    .then((reply) => classifier._mirror(reply.state))
    .catch(() => {});
  return classifier;
}

async function loadClassifier(extractor, bytes, options = {}) {
  const channel = extractor._channel;
  const id = extractor._nextClassifierId();
  const transfer = [];
  const message = typeof Blob === 'function' && bytes instanceof Blob ? bytes : await toMessage(bytes, transfer);
  const state = await channel.call('loadClassifier', [id, message, checkOptions(options)], transfer);
  return new WorkerClassifier(extractor, id, state.state);
}

module.exports = {
  createWorkerExtractor,
  createClassifier,
  loadClassifier,
  createIndex,
  loadIndex,
  isWorkerExtractor,
  WorkerExtractor,
  WorkerClassifier,
  WorkerIndex,
};
