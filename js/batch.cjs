'use strict';
// Embedding many images on every core in Node: a pool of worker threads, each with its own wasm
// core and copy of the model (wasm memory is per instance, so threads share nothing). Results come
// back in input order; at most `window` images are in flight, so memory does not grow with the
// number of images (only with what the caller keeps).

const os = require('node:os');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { ImprintError, describeValue } = require('./errors.cjs');
const { normaliseInput, isFileSource } = require('./inputs.cjs');

const WORKER = path.join(__dirname, 'batch-worker.cjs');

/** The path of an input that is a file on this machine (a path, or a file: URL object), else null. */
function localFile(input) {
  if (typeof input === 'string') return input;
  if (input instanceof URL && input.protocol === 'file:') return fileURLToPath(input);
  return null;
}

function defaultThreads() {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

class BatchEmbedder {
  #workers = [];
  #idle = []; // workers with no image: unref'd, so they never keep the process alive
  #waiting = []; // { resolve, reject } of runs waiting for a worker
  #ready;
  #closed = null; // the ImprintError of runs after close()

  /**
   * @param {{ model?: string|Uint8Array, threads?: number, limits?: object, background?: number[] }} options
   */
  constructor(options = {}) {
    const threads = options.threads === undefined ? defaultThreads() : options.threads;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new ImprintError(
        'INVALID_ARGUMENT',
        `threads must be an integer from 1 to 256; got ${describeValue(threads)}`,
      );
    }
    const workerData = { model: options.model, limits: options.limits, background: options.background };
    this.#ready = Promise.all(
      Array.from({ length: threads }, () => {
        // Required here, not at the top: index.cjs loads this file, and worker_threads costs a
        // few ms of every process's start-up that never makes a batch.
        const { Worker } = require('node:worker_threads');
        const worker = new Worker(WORKER, { workerData });
        this.#workers.push(worker);
        return new Promise((resolve, reject) => {
          const onMessage = (message) => {
            worker.off('error', reject);
            if (message.error) reject(new ImprintError(message.error.code, message.error.message));
            else resolve(message.info);
          };
          worker.once('message', onMessage);
          worker.once('error', reject);
        });
      }),
    ).then(
      (infos) => {
        // Loaded: idle until embed() hands them images. An embedder that is never closed (an
        // exception before close(), a break out of the loop, one never used) lets the process end.
        for (const worker of this.#workers) this.#release(worker);
        return infos[0];
      },
      async (error) => {
        await this.close();
        throw error;
      },
    );
    this.#ready.catch(() => {}); // reported by info and embed(); a failed start must not go unhandled
  }

  /** The model's info (as extractor.info), once every worker has loaded it. */
  get info() {
    return this.#ready;
  }

  get threads() {
    return this.#workers.length;
  }

  /** A worker for one image, kept referenced (the process waits for its result) until released. */
  #acquire() {
    if (this.#closed) return Promise.reject(this.#closed);
    const worker = this.#idle.pop();
    if (worker) {
      worker.ref();
      return Promise.resolve(worker);
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(worker) {
    if (this.#closed) return;
    const next = this.#waiting.shift();
    if (next) return next.resolve(worker);
    worker.unref();
    this.#idle.push(worker);
  }

  /**
   * Embeds one normalised input on `worker`: { vector } or { error }; settles if the worker ends.
   * `owned`: the bytes were read here from a file, so their memory is handed to the worker as it is;
   * otherwise the caller's bytes are copied (a typed-array copy: Uint8Array.from iterated them one
   * by one, several ms per large photo on the main thread, which every worker waits on).
   */
  #send(worker, normalised, owned) {
    return new Promise((resolve) => {
      const settle = (result) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(result);
      };
      const onMessage = (message) =>
        settle(
          message.error
            ? { error: new ImprintError(message.error.code, message.error.message) }
            : { vector: new Float32Array(message.vector) },
        );
      const onError = (error) => settle({ error });
      const onExit = () =>
        settle({ error: this.#closed || new ImprintError('BACKEND_FAILED', 'a batch embedding thread stopped') });
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      if (normalised.kind === 'file') {
        worker.postMessage(normalised);
        return;
      }
      const payload = { ...normalised };
      const key = normalised.kind === 'encoded' ? 'bytes' : 'data';
      const source = normalised[key];
      const whole = source.byteOffset === 0 && source.byteLength === source.buffer.byteLength;
      payload[key] = owned && whole && source.buffer instanceof ArrayBuffer ? source : new Uint8Array(source);
      worker.postMessage(payload, [payload[key].buffer]);
    });
  }

  /** One image: { index, input, vector } or { index, input, error }; never rejects. */
  async #run(index, input) {
    let normalised;
    let worker;
    try {
      // A file path goes to the worker as it is: the worker reads the file itself (platform.cjs,
      // readFileReusing), so this thread is not busy reading megabytes while the workers wait.
      const file = localFile(input);
      normalised = file === null ? await normaliseInput(input) : { kind: 'file', path: file, shown: String(input) };
      worker = await this.#acquire();
    } catch (error) {
      return { index, input, error };
    }
    try {
      return { index, input, ...(await this.#send(worker, normalised, isFileSource(input))) };
    } finally {
      this.#release(worker);
    }
  }

  /**
   * Embeds `inputs` (any iterable of what extractor.embed() takes) on all threads.
   * Yields { index, input, vector } or { index, input, error } in input order. Leaving the loop
   * early (break, throw) stops taking inputs; close() during the loop makes it throw DISPOSED.
   */
  async *embed(inputs, { onProgress } = {}) {
    if (this.#closed) throw this.#closed;
    await this.#ready;
    const iterator = inputs[Symbol.iterator] ? inputs[Symbol.iterator]() : inputs[Symbol.asyncIterator]();
    const window = this.#workers.length * 2;
    const pending = new Map(); // index -> Promise<result>
    let next = 0;
    let emitted = 0;
    let exhausted = false;

    const fill = async () => {
      while (!exhausted && !this.#closed && pending.size < window) {
        const step = await iterator.next();
        if (step.done) {
          exhausted = true;
          break;
        }
        pending.set(next, this.#run(next, step.value));
        next++;
      }
    };

    try {
      await fill();
      while (pending.size) {
        const result = await pending.get(emitted);
        if (this.#closed) throw new ImprintError('DISPOSED', 'the batch embedder was closed during embed()');
        pending.delete(emitted);
        emitted++;
        if (onProgress) onProgress({ done: emitted, total: exhausted ? next : undefined });
        await fill();
        yield result;
      }
    } finally {
      // Images in flight finish on their own; their threads then go idle.
      if (!exhausted && typeof iterator.return === 'function') await iterator.return();
    }
  }

  /** Stops the workers; an embed() loop running then throws DISPOSED. Safe to call twice. */
  async close() {
    if (this.#closed) return;
    this.#closed = new ImprintError('DISPOSED', 'this batch embedder was closed');
    for (const { reject } of this.#waiting.splice(0)) reject(this.#closed);
    this.#idle = [];
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** A pool of `threads` workers (default: every core), each holding the model. Call close() when done. */
function createBatchEmbedder(options) {
  return new BatchEmbedder(options);
}

module.exports = { createBatchEmbedder, BatchEmbedder };
