'use strict';
// The Extractor: one wasm core instance holding one model. All numerics run in C; this file
// moves bytes in and floats out through js/wasm.cjs, which also turns failed statuses into
// ImprintErrors.

const { ImprintError, describeValue, optionalFunction, checkOptionObject } = require('./errors.cjs');
const { normaliseInput, isFileSource, platform } = require('./inputs.cjs');
const { PRESETS, isPreset } = require('./presets.cjs');
const {
  Status,
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
} = require('./wasm.cjs');

const MODEL_ERROR_BYTES = 512;
/** Room for the sentence imprint_image_decode_explained() writes when decoding fails. */
const WHY_BYTES = 256;

/** How embedBatch({ threads }) makes a pool of threads: set by the Node entry (js/index.cjs). */
let threadPool = null;

/** Lets embedBatch({ threads }) run on `createBatchEmbedder`'s worker threads. */
function useThreadPool(createBatchEmbedder) {
  threadPool = createBatchEmbedder;
}

async function toModelBytes(model, options, onBytes) {
  if (model instanceof Uint8Array) return model;
  if (model instanceof ArrayBuffer) return new Uint8Array(model);
  if (ArrayBuffer.isView(model)) return new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
  if (model === undefined || model === null) return platform.readPresetModel('default', options, onBytes);
  if (isPreset(model)) return platform.readPresetModel(model, options, onBytes);
  if (isFileSource(model)) return platform.readFile(model, 'the model', onBytes);
  throw new ImprintError(
    'INVALID_ARGUMENT',
    `options.model must be a preset name (${Object.keys(PRESETS).join(', ')}), a file path or URL, a Blob, or the model file's bytes (Uint8Array, Buffer, ArrayBuffer); omit it for the default model`,
  );
}

/** Frees a model; for the threads build also ends the core's pthread Workers (nothing else uses them). */
function destroyModel(core, model) {
  core._imprint_model_destroy(model);
  if (core.imprintBuild === 'threads') core.PThread.terminateAllThreads();
}

class Extractor {
  #source; // what createExtractor() was given, for worker threads that load the same model
  #core;
  #model;
  #disposed = false;
  #layerChannels;

  /** @internal use createExtractor() */
  constructor(core, model, background = [255, 255, 255], source = {}) {
    this.#source = source;
    this.#core = core;
    this.#model = model;
    const c = core;
    const layers = [];
    this.#layerChannels = new Map();
    const count = c._imprint_model_layer_count(model);
    for (let i = 0; i < count; i++) {
      const name = readString(c, c._imprint_model_layer_name(model, i));
      const shape = [
        c._imprint_model_layer_height(model, i),
        c._imprint_model_layer_width(model, i),
        c._imprint_model_layer_channels(model, i),
      ];
      layers.push({ name, shape });
      this.#layerChannels.set(name, shape[2]);
    }
    const channel = (fn) => [0, 1, 2].map((i) => fn(model, i));
    this.info = Object.freeze({
      name: readString(c, c._imprint_model_name(model)),
      inputSize: Object.freeze([c._imprint_model_input_height(model), c._imprint_model_input_width(model)]),
      dim: c._imprint_model_embedding_dim(model),
      modelHash: readString(c, c._imprint_model_hash(model)),
      embeddingLayers: Object.freeze(readString(c, c._imprint_model_embedding_layers(model)).split(',')),
      unknownThreshold: c._imprint_model_unknown_threshold(model),
      layers: Object.freeze(layers.map((l) => Object.freeze({ name: l.name, shape: Object.freeze(l.shape) }))),
      build: core.imprintBuild || 'default',
      threads: c._imprint_threads(),
      preprocessing: Object.freeze({
        scale: Object.freeze(channel(c._imprint_model_input_scale)),
        bias: Object.freeze(channel(c._imprint_model_input_bias)),
        resize: readString(c, c._imprint_model_resize_method(model)),
        colourOrder: readString(c, c._imprint_model_colour_order(model)),
        alphaBackground: Object.freeze([...background]),
        exifOrientation: true,
      }),
    });
    guard(this, () => destroyModel(core, model));
  }

  #check() {
    if (this.#disposed) throw new ImprintError('DISPOSED', 'this extractor was disposed; create a new one');
  }

  /** Throws the ImprintError of a failed model call, with the model's own explanation. */
  #checkStatus(status) {
    const c = this.#core;
    check(c, status, '', () => readString(c, c._imprint_model_last_error(this.#model)));
  }

  /** Sets the core's input; synchronous from here on, so concurrent async calls cannot interleave. */
  #setInput(input) {
    const c = this.#core;
    const status = withScratch(c, (scratch) => {
      if (input.kind === 'encoded') {
        return c._imprint_model_set_input_encoded(
          this.#model,
          scratch.bytes(input.bytes, 'the image'),
          input.bytes.length,
        );
      }
      const { data, width, height, channels } = input;
      const pixels = scratch.bytes(data.subarray(0, width * height * channels), 'the pixels');
      return c._imprint_model_set_input_pixels(this.#model, pixels, width, height, channels, 0);
    });
    this.#checkStatus(status);
  }

  /** Runs fn(outputPtr) (a call that writes `count` floats) and returns a copy of them. */
  #readFloats(count, fn) {
    const c = this.#core;
    return withScratch(c, (scratch) => {
      const ptr = scratch.alloc(count * 4, 'the output');
      this.#checkStatus(fn(ptr));
      return readFloats(c, ptr, count);
    });
  }

  /**
   * Normalises `input` and runs the synchronous `fn` on it. When the core cannot read an encoded
   * format (WebP, AVIF, ...) and the platform has a decoder of its own (browsers), runs again on the
   * platform's pixels.
   */
  async #withInput(input, fn) {
    const normalised = await normaliseInput(input);
    this.#check();
    try {
      return fn(normalised);
    } catch (error) {
      const retry =
        platform.decodeFallback &&
        normalised.kind === 'encoded' &&
        error instanceof ImprintError &&
        error.code === 'UNSUPPORTED_FORMAT';
      if (!retry) throw error;
      const pixels = await platform.decodeFallback(normalised.bytes);
      if (!pixels) throw error;
      this.#check();
      return fn(pixels);
    }
  }

  #embedNow(input, mirror = false) {
    this.#check();
    this.#setInput(input);
    const c = this.#core;
    if (mirror) this.#checkStatus(c._imprint_model_mirror_input(this.#model));
    const dim = this.info.dim;
    return this.#readFloats(dim, (ptr) => c._imprint_model_embed(this.#model, ptr, dim));
  }

  /**
   * The embedding of one image: Float32Array(info.dim), L2-normalised.
   * options.mirror: embed the left-right mirror image instead (for flip augmentation).
   * @param {import('./index').ImageInput} input
   * @param {{ mirror?: boolean }} [options]
   */
  async embed(input, options = {}) {
    this.#check();
    const { mirror = false } = checkOptionObject(options, ['mirror'], 'embed() options');
    if (typeof mirror !== 'boolean') {
      throw new ImprintError(
        'INVALID_ARGUMENT',
        `embed() option mirror must be true or false; got ${JSON.stringify(mirror)}`,
      );
    }
    return this.#withInput(input, (normalised) => this.#embedNow(normalised, mirror));
  }

  /**
   * The embeddings of an image and of its mirror image, decoding it once: [plain, mirrored].
   * @param {import('./index').ImageInput} input
   */
  async embedWithMirror(input) {
    this.#check();
    return this.#withInput(input, (normalised) => {
      const plain = this.#embedNow(normalised);
      const c = this.#core;
      this.#checkStatus(c._imprint_model_mirror_input(this.#model));
      const dim = this.info.dim;
      return [plain, this.#readFloats(dim, (ptr) => c._imprint_model_embed(this.#model, ptr, dim))];
    });
  }

  /**
   * Embeddings of several images, in order. Stops at the first image that fails, with an
   * ImprintError whose `index` says which one.
   */
  async embedBatch(inputs, options = {}) {
    this.#check();
    if (!inputs || typeof inputs[Symbol.iterator] !== 'function') {
      throw new ImprintError('INVALID_ARGUMENT', 'embedBatch() needs an array (or iterable) of images');
    }
    const list = Array.from(inputs);
    if (options === null || typeof options !== 'object')
      throw new ImprintError('INVALID_ARGUMENT', 'embedBatch() options must be an object');
    const { onProgress, threads } = options;
    optionalFunction(onProgress, 'onProgress');
    if (threads !== undefined && threads !== 1) return this.#embedBatchThreaded(list, threads, onProgress);
    const out = [];
    for (let i = 0; i < list.length; i++) {
      try {
        out.push(await this.#withInput(list[i], (normalised) => this.#embedNow(normalised)));
      } catch (error) {
        if (error instanceof ImprintError) {
          error.index = i;
          error.message = `image ${i}: ${error.message}`;
        }
        throw error;
      }
      if (onProgress) onProgress({ done: i + 1, total: list.length });
    }
    return out;
  }

  /** embedBatch on worker threads (Node): each thread loads the same model with the same options. */
  async #embedBatchThreaded(list, threads, onProgress) {
    if (!threadPool) {
      throw new ImprintError(
        'INVALID_ARGUMENT',
        'options.threads is for Node; in a browser use createExtractor({ worker: true })',
      );
    }
    const embedder = threadPool({ ...this.#source, threads });
    const out = [];
    try {
      for await (const result of embedder.embed(list)) {
        if (result.error) {
          const error = result.error;
          if (error instanceof ImprintError) {
            error.index = result.index;
            error.message = `image ${result.index}: ${error.message}`;
          }
          throw error;
        }
        out.push(result.vector);
        if (onProgress) onProgress({ done: out.length, total: list.length });
      }
    } finally {
      await embedder.close();
    }
    return out;
  }

  /**
   * Global-average-pooled activations (not normalised) of any layer in info.layers.
   * @param {import('./index').ImageInput} input
   * @param {string} layer
   */
  async features(input, layer) {
    this.#check();
    if (typeof layer !== 'string' || layer.length === 0) {
      throw new ImprintError('INVALID_ARGUMENT', 'features() needs a layer name (see extractor.info.layers)');
    }
    return this.#withInput(input, (normalised) => {
      const channels = this.#layerChannels.get(layer);
      const c = this.#core;
      if (channels === undefined) {
        // Let the core explain (unknown name vs. folded convolution).
        const status = withScratch(c, (scratch) => c._imprint_model_features(this.#model, scratch.string(layer), 0, 0));
        this.#checkStatus(status === Status.OK ? Status.UNKNOWN_LAYER : status);
      }
      this.#setInput(normalised);
      return withScratch(c, (scratch) => {
        const name = scratch.string(layer);
        return this.#readFloats(channels, (ptr) => c._imprint_model_features(this.#model, name, ptr, channels));
      });
    });
  }

  /**
   * Decodes an encoded image with the core's decoder (EXIF orientation applied), as the
   * extractor sees it before resizing: { data, width, height, channels }.
   */
  async decode(input) {
    this.#check();
    const normalised = await normaliseInput(input);
    this.#check();
    if (normalised.kind !== 'encoded') {
      throw new ImprintError('INVALID_ARGUMENT', 'decode() needs encoded image bytes or a file path');
    }
    const c = this.#core;
    return withScratch(c, (scratch) => {
      const limits = this.#source.limits;
      const image = scratch.struct('image');
      const bytes = scratch.bytes(normalised.bytes, 'the image');
      const why = scratch.alloc(WHY_BYTES, 'the error message');
      const limitsPtr = limits ? limitsStruct(scratch, limits) : 0;
      const status = c._imprint_image_decode_explained(
        bytes,
        normalised.bytes.length,
        limitsPtr,
        image,
        why,
        WHY_BYTES,
      );
      check(c, status, '', () => readString(c, why));
      const { pixels, width, height, channels } = readStruct(c, image, 'image');
      const data = c.HEAPU8.slice(pixels, pixels + width * height * channels);
      c._imprint_image_free(image);
      return { data, width, height, channels };
    });
  }

  /**
   * Memory of this extractor's wasm core (its classifiers share it), for leak checks:
   * `inUse` bytes allocated by C now, `heapSize` bytes of wasm memory (it grows, never shrinks).
   * @returns {{ inUse: number, heapSize: number }}
   */
  memory() {
    this.#check();
    const c = this.#core;
    return { inUse: c._imprint_memory_in_use(), heapSize: c.HEAPU8.buffer.byteLength };
  }

  /** Frees the model and its wasm memory. Safe to call twice. */
  dispose() {
    const [core, model] = [this.#core, this.#model];
    if (!this.#disposed) release(this, () => destroyModel(core, model));
    this.#disposed = true;
    this.#core = null;
  }

  /** @internal for createClassifier: the core and model handle. */
  get _handles() {
    this.#check();
    return { core: this.#core, model: this.#model };
  }
}

/**
 * Loads a model (the embedded default when options.model is omitted) into a fresh wasm core.
 * In a browser, options.wasmUrl and options.modelUrl say where to fetch the core and the default
 * model (default: beside the script, or where a bundler put it).
 * @param {{ model?: string | URL | Uint8Array | ArrayBuffer, onProgress?: (e: {stage: string, progress: number, loaded: number, total: number}) => void,
 *           limits?: { maxWidth?: number, maxHeight?: number, maxPixels?: number },
 *           background?: [number, number, number] }} [options]
 */
async function createExtractor(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new ImprintError('INVALID_ARGUMENT', 'createExtractor() takes an options object');
  }
  const onProgress = optionalFunction(options.onProgress, 'options.onProgress');
  const limits = checkLimits(options.limits);
  const background = checkBackground(options.background);
  // Every event is { stage, progress, loaded, total }: the model's bytes read so far and its size
  // (0 while unknown), the last known values in the later stages.
  const bytesRead = { loaded: 0, total: 0 };
  const report = (stage, progress) => onProgress && onProgress({ stage, progress, ...bytesRead });
  const onBytes = (loaded, total) => {
    Object.assign(bytesRead, { loaded, total });
    report('model', total ? Math.min(1, loaded / total) : 0);
  };
  const runtime = checkRuntime(options);
  report('model', 0);
  const coreReady = platform.instantiateCore(options, runtime);
  coreReady.catch(() => {}); // awaited below, after the model's bytes: not unhandled meanwhile
  // A threads core whose extractor is never made must not keep its pthread Workers running.
  const stopThreads = (core) => core.imprintBuild === 'threads' && core.PThread.terminateAllThreads();
  let bytes;
  try {
    bytes = await toModelBytes(options.model, options, onBytes);
  } catch (error) {
    coreReady.then(stopThreads, () => {});
    throw error;
  }
  const core = await coreReady;
  try {
    // What worker threads load for embedBatch({ threads }): a preset by its name (a file of the
    // package, read again by each worker), anything else as the very bytes loaded here, so no
    // copy of a preset's bytes stays alive in this thread for the extractor's lifetime.
    const model =
      options.model === undefined || options.model === null || isPreset(options.model) ? options.model : bytes;
    return makeExtractor(core, bytes, { model, limits, background, report, bytesRead, runtime });
  } catch (error) {
    stopThreads(core);
    throw error;
  }
}

function makeExtractor(core, bytes, { model: source, limits, background, report, bytesRead, runtime }) {
  // The threads build runs the backbone on `threads` threads from here on (imprint_set_threads()).
  if (core.imprintBuild === 'threads') check(core, core._imprint_set_threads(core.imprintThreads));
  Object.assign(bytesRead, { loaded: bytes.length, total: bytes.length });
  report('model', 1);
  report('core', 1);
  const model = withScratch(core, (scratch) => {
    const error = scratch.alloc(MODEL_ERROR_BYTES, 'the error message');
    const out = scratch.alloc(4, 'the model handle');
    const status = core._imprint_model_create_owned(
      ownedCopy(core, bytes, 'the model'),
      bytes.length,
      error,
      MODEL_ERROR_BYTES,
      out,
    );
    if (status !== Status.OK)
      throw statusError(core, status, { context: 'cannot load the model', detail: readString(core, error) });
    return readU32(core, out);
  });
  try {
    if (limits) withScratch(core, (scratch) => core._imprint_model_set_limits(model, limitsStruct(scratch, limits)));
  } catch (error) {
    core._imprint_model_destroy(model);
    throw error;
  }
  core._imprint_model_set_background(model, background[0], background[1], background[2]);
  const extractor = new Extractor(core, model, background, { model: source, limits: limits || undefined, background });
  report('ready', 1);
  return extractor;
}

/**
 * options.build ('auto' by default: the threads build where the platform can run it, else the default
 * build; 'default' or 'threads' to choose) and options.threads (the most threads for one image; in a
 * browser the default is navigator.hardwareConcurrency, at most 4).
 */
function checkRuntime({ build = 'auto', threads }) {
  if (!['auto', 'default', 'threads'].includes(build))
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `options.build must be 'auto', 'default' or 'threads', not ${describeValue(build)}`,
    );
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `options.threads must be an integer from 1 to 64, not ${describeValue(threads)}`,
    );
  return { build, threads };
}

function checkLimits(limits) {
  if (limits === undefined) return null;
  const {
    maxWidth = 0,
    maxHeight = 0,
    maxPixels = 0,
  } = checkOptionObject(limits, ['maxWidth', 'maxHeight', 'maxPixels'], 'options.limits');
  for (const [k, v] of Object.entries({ maxWidth, maxHeight, maxPixels })) {
    if (!Number.isSafeInteger(v) || v < 0 || (k !== 'maxPixels' && v > 0xffffffff)) {
      throw new ImprintError(
        'INVALID_ARGUMENT',
        `limits.${k} must be a non-negative integer (0 = default); got ${describeValue(v)}`,
      );
    }
  }
  return { maxWidth, maxHeight, maxPixels };
}

function checkBackground(background) {
  if (background === undefined) return [255, 255, 255];
  if (
    !Array.isArray(background) ||
    background.length !== 3 ||
    !background.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)
  ) {
    throw new ImprintError('INVALID_ARGUMENT', 'options.background must be [r, g, b] with integers 0..255');
  }
  return [...background];
}

/** An imprint_limits struct (include/imprint.h) in `scratch`. */
function limitsStruct(scratch, limits) {
  return scratch.struct('limits', {
    max_width: limits.maxWidth,
    max_height: limits.maxHeight,
    max_pixels: limits.maxPixels,
  });
}

/** The core and model of an Extractor given to createClassifier()/createIndex(), or INVALID_ARGUMENT. */
function handlesOf(extractor) {
  if (!extractor || typeof extractor !== 'object' || !('_handles' in extractor)) {
    throw new ImprintError('INVALID_ARGUMENT', 'pass the Extractor from createExtractor() as the first argument');
  }
  return extractor._handles; // throws DISPOSED for a disposed extractor
}

module.exports = { createExtractor, Extractor, useThreadPool, handlesOf };
