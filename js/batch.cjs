'use strict';
// Embedding many images on every core in Node: a pool of worker threads, each with its own wasm
// core and copy of the model (wasm memory is per instance, so threads share nothing). Results come
// back in input order; at most `window` images are in flight, so memory does not grow with the
// number of images (only with what the caller keeps).

const os = require('node:os');
const path = require('node:path');
const { ImprintError } = require('./errors.cjs');
const { normaliseInput } = require('./inputs.cjs');

const WORKER = path.join(__dirname, 'batch-worker.cjs');

function defaultThreads() {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

class BatchEmbedder {
  #workers = [];
  #ready;
  #closed = false;

  /**
   * @param {{ model?: string|Uint8Array, threads?: number, limits?: object, background?: number[] }} options
   */
  constructor(options = {}) {
    const threads = options.threads === undefined ? defaultThreads() : options.threads;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new ImprintError('INVALID_ARGUMENT', `threads must be an integer from 1 to 256; got ${threads}`);
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
      (infos) => infos[0],
      async (error) => {
        await this.close();
        throw error;
      },
    );
  }

  /** The model's info (as extractor.info), once every worker has loaded it. */
  get info() {
    return this.#ready;
  }

  get threads() {
    return this.#workers.length;
  }

  /**
   * Embeds `inputs` (any iterable of what extractor.embed() takes) on all threads.
   * Yields { index, input, vector } or { index, input, error } in input order.
   */
  async *embed(inputs, { onProgress } = {}) {
    if (this.#closed) throw new ImprintError('DISPOSED', 'this batch embedder was closed');
    await this.#ready;
    const iterator = inputs[Symbol.iterator] ? inputs[Symbol.iterator]() : inputs[Symbol.asyncIterator]();
    const window = this.#workers.length * 2;
    const pending = new Map(); // index -> Promise<result>
    const idle = [...this.#workers];
    const waiting = [];
    let next = 0;
    let emitted = 0;
    let exhausted = false;

    const acquire = () => (idle.length ? Promise.resolve(idle.pop()) : new Promise((r) => waiting.push(r)));
    const release = (worker) => (waiting.length ? waiting.shift()(worker) : idle.push(worker));

    const run = async (index, input) => {
      let normalised;
      try {
        normalised = await normaliseInput(input);
      } catch (error) {
        return { index, input, error };
      }
      const worker = await acquire();
      try {
        return await new Promise((resolve) => {
          const onMessage = (message) => {
            worker.off('error', onError);
            if (message.error)
              resolve({ index, input, error: new ImprintError(message.error.code, message.error.message) });
            else resolve({ index, input, vector: new Float32Array(message.vector) });
          };
          const onError = (error) => {
            worker.off('message', onMessage);
            resolve({ index, input, error });
          };
          worker.once('message', onMessage);
          worker.once('error', onError);
          const transfer = [];
          const payload = { ...normalised };
          if (normalised.kind === 'encoded') payload.bytes = Uint8Array.from(normalised.bytes);
          else
            payload.data = Uint8Array.from(
              normalised.data.subarray(0, normalised.width * normalised.height * normalised.channels),
            );
          transfer.push((payload.bytes || payload.data).buffer);
          worker.postMessage(payload, transfer);
        });
      } finally {
        release(worker);
      }
    };

    const fill = async () => {
      while (!exhausted && pending.size < window) {
        const step = await iterator.next();
        if (step.done) {
          exhausted = true;
          break;
        }
        pending.set(next, run(next, step.value));
        next++;
      }
    };

    await fill();
    while (pending.size) {
      const result = await pending.get(emitted);
      pending.delete(emitted);
      emitted++;
      if (onProgress) onProgress({ done: emitted, total: exhausted ? next : undefined });
      await fill();
      yield result;
    }
  }

  /** Stops the workers. Safe to call twice. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** A pool of `threads` workers (default: every core), each holding the model. Call close() when done. */
function createBatchEmbedder(options) {
  return new BatchEmbedder(options);
}

module.exports = { createBatchEmbedder, BatchEmbedder };
