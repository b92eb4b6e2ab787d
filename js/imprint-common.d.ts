// Type declarations shared by every build of imprint: the one description of the API.
// Platform files add only what differs, by augmenting the interfaces marked "platforms add":
//   js/index.d.ts     Node (require('imprint') / import from 'imprint'): file paths, threads, BatchEmbedder
//   web/imprint.d.ts  browsers (dist/web/imprint.js, imprint.mjs): DOM inputs, URLs, the Web Worker variant
// The browser build ships a copy of this file beside its own declarations (dist/web/), so each
// platform augments its own copy and the two never mix in one program.

// ---------------------------------------------------------------------------------------------
// Inputs

/** Raw 8-bit pixels, rows tightly packed. channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Defaults to data.length / (width * height). */
  channels?: 1 | 2 | 3 | 4;
}

/** The bytes of a file, as a Uint8Array (or Node Buffer), ArrayBuffer or any other typed array view. */
export type FileBytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * The kinds of value that give a file's contents (an encoded image, a model, a saved head).
 * Platforms add where files are read from: Node file paths, browsers URLs.
 */
export interface FileSourceKinds {
  bytes: FileBytes;
  /** A Blob or File (read with its arrayBuffer()). */
  blob: Blob;
}
/** A file's contents: one of FileSourceKinds. */
export type FileSource = FileSourceKinds[keyof FileSourceKinds];

/**
 * The kinds of value embed() and friends take: any file source of an encoded image (JPEG, PNG,
 * BMP, GIF, TGA, PSD, HDR, PIC, PNM; decoded by imprint itself, EXIF orientation applied), or raw
 * pixels. Browsers add DOM image sources and ImageData.
 */
export interface ImageInputKinds extends FileSourceKinds {
  pixels: RawPixels;
}
/** An image: one of ImageInputKinds. */
export type ImageInput = ImageInputKinds[keyof ImageInputKinds];

/** An embedding given back to imprint (from embed(), or stored by the caller as numbers). */
export type VectorInput = Float32Array | Float64Array | readonly number[];

/**
 * A freshly allocated array, backed by a plain ArrayBuffer (Uint8Array<ArrayBuffer> on TypeScript
 * 5.7 and later, so it can go straight into a Blob or Response; plain Uint8Array before 5.7).
 */
export type OwnedBytes = ReturnType<Uint8Array['slice']>;
/** A freshly allocated Float32Array, backed by a plain ArrayBuffer (see OwnedBytes). */
export type OwnedFloats = ReturnType<Float32Array['slice']>;

// ---------------------------------------------------------------------------------------------
// Errors

/** Stable error codes: the C library's imprint_status names, plus DISPOSED and FILE_NOT_FOUND. */
export type ImprintErrorCode =
  | 'INVALID_ARGUMENT'
  | 'DECODE_FAILED'
  | 'UNSUPPORTED_FORMAT'
  | 'IMAGE_TOO_LARGE'
  | 'MODEL_CORRUPT'
  | 'MODEL_MISMATCH'
  | 'UNKNOWN_LAYER'
  | 'OUT_OF_MEMORY'
  | 'BACKEND_FAILED'
  | 'NO_EXAMPLES'
  | 'UNKNOWN_LABEL'
  | 'HEAD_CORRUPT'
  | 'LIMIT_EXCEEDED'
  | 'UNKNOWN_ID'
  | 'INDEX_CORRUPT'
  | 'SAVED_WITHOUT_EXAMPLES'
  | 'DISPOSED'
  | 'FILE_NOT_FOUND';

/** Every failure imprint reports: a stable `code` and a message a person can act on. */
export declare class ImprintError extends Error {
  readonly name: 'ImprintError';
  readonly code: ImprintErrorCode;
  /** embedBatch(): the position of the input that failed. */
  index?: number;
  constructor(code: ImprintErrorCode, message: string, options?: { cause?: unknown });
}

// ---------------------------------------------------------------------------------------------
// Extractor

export interface LayerInfo {
  readonly name: string;
  /** [height, width, channels] of the layer's output. */
  readonly shape: readonly [number, number, number];
}

export interface PreprocessingInfo {
  /** model input = pixel (0..255) * scale[c] + bias[c] */
  readonly scale: readonly [number, number, number];
  readonly bias: readonly [number, number, number];
  /** e.g. 'bilinear-align-corners', 'area-then-bilinear-align-corners' */
  readonly resize: string;
  readonly colourOrder: 'RGB' | 'BGR';
  /** Colour that transparent pixels are composited over. */
  readonly alphaBackground: readonly [number, number, number];
  /** JPEG EXIF orientation is applied when decoding. */
  readonly exifOrientation: boolean;
}

export interface ExtractorInfo {
  readonly name: string;
  /** [height, width] of the model input. */
  readonly inputSize: readonly [number, number];
  /** Length of an embedding. */
  readonly dim: number;
  /** 16 hex digits identifying the model file (heads record it). */
  readonly modelHash: string;
  /** Layers whose global-average-pooled outputs make the embedding. */
  readonly embeddingLayers: readonly string[];
  /**
   * The unknown threshold the model file suggests for classifiers on its embedding (new
   * classifiers start with it), or 0 when it suggests none (then the library's default, 0.99).
   */
  readonly unknownThreshold: number;
  /** Layers readable with features(). */
  readonly layers: readonly LayerInfo[];
  readonly preprocessing: PreprocessingInfo;
  /** The WebAssembly core running: 'threads' (cross-origin isolated pages) or 'default'. */
  readonly build: 'default' | 'threads';
  /** The threads one image's embedding runs on (1 in Node and with the default build). */
  readonly threads: number;
}

export interface Limits {
  /** Largest accepted width in pixels (0 = default, 16384). */
  maxWidth?: number;
  /** Largest accepted height in pixels (0 = default, 16384). */
  maxHeight?: number;
  /** Largest accepted width * height (0 = default, 8192 * 8192). */
  maxPixels?: number;
}

/**
 * createExtractor()'s onProgress event, in this order: stage 'model' as the model's bytes are read
 * (downloaded in a browser), 'model' with progress 1 once it is whole, 'core' once the WebAssembly
 * core is ready, 'ready' last. Every event has every field.
 */
export interface LoadProgress {
  stage: 'model' | 'core' | 'ready';
  /** 0..1 within the stage (stage 'model': loaded / total; 0 while total is unknown). */
  progress: number;
  /** Model bytes read so far (after stage 'model': all of them). */
  loaded: number;
  /** The model's size in bytes; 0 until it is known (a server that does not send Content-Length). */
  total: number;
}

/** createExtractor() options. Platforms add theirs (browsers: wasmUrl, modelUrl, worker, workerUrl). */
export interface ExtractorOptions {
  /** The imprint model file; omit for the default model (MobileNetV2). */
  model?: FileSource;
  /** Called as loading proceeds. */
  onProgress?: (event: LoadProgress) => void;
  limits?: Limits;
  /** Colour that transparent pixels are composited over; default [255, 255, 255]. */
  background?: readonly [number, number, number];
  /**
   * Which WebAssembly core: 'auto' (default) takes the threads build in a cross-origin isolated page
   * (README: Threads) and the default build elsewhere; 'default' or 'threads' choose (Node: only
   * the default build; 'threads' where the page is not isolated is INVALID_ARGUMENT).
   */
  build?: 'auto' | 'default' | 'threads';
  /** The most threads for one image with the threads build, 1 to 64 (default: the browser's
   *  navigator.hardwareConcurrency, at most 4). */
  threads?: number;
}

/** embedBatch() options. Platforms add theirs (Node: threads). */
export interface EmbedBatchOptions {
  /** Called after each image. */
  onProgress?: (event: { done: number; total: number }) => void;
}

export interface DecodedImage {
  data: OwnedBytes;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** memory(): `inUse` bytes allocated by C now; `heapSize` bytes of wasm memory (grows, never shrinks). */
export interface MemoryStats {
  inUse: number;
  heapSize: number;
}

/** One model in its own wasm core; from createExtractor(). */
export declare class Extractor {
  #private;
  private constructor();
  readonly info: ExtractorInfo;
  /** L2-normalised embedding, Float32Array(info.dim); `mirror`: of the left-right mirror image. */
  embed(input: ImageInput, options?: { mirror?: boolean }): Promise<OwnedFloats>;
  /** Embeddings of the image and of its left-right mirror image, decoding it once: [plain, mirrored]. */
  embedWithMirror(input: ImageInput): Promise<[OwnedFloats, OwnedFloats]>;
  /** Embeddings in input order; stops at the first failure, an ImprintError whose `index` says which. */
  embedBatch(inputs: Iterable<ImageInput>, options?: EmbedBatchOptions): Promise<OwnedFloats[]>;
  /** Global-average-pooled activations (not normalised) of a layer in info.layers. */
  features(input: ImageInput, layer: string): Promise<OwnedFloats>;
  /** Decodes an encoded image as the extractor sees it (EXIF orientation applied), before resizing. */
  decode(input: FileSource): Promise<DecodedImage>;
  /** Wasm memory of this extractor's core (its classifiers share it), for leak checks. */
  memory(): MemoryStats;
  /** Frees the model and its wasm memory; safe to call twice. */
  dispose(): void;
}

/** Loads a model (the default one when options.model is omitted) into a fresh wasm core. */
export declare function createExtractor(options?: ExtractorOptions): Promise<Extractor>;

// ---------------------------------------------------------------------------------------------
// Few-shot classifier (js/classifier.cjs; the math is in src/head*.c)

export interface ClassifierOptions {
  /** Also learn from the left-right mirror image of each example added with addExample() (one more
   *  backbone run per example, twice the training points). Use together with testTimeFlip.
   *  Default false: the pair gained +1.0 point on the photo benchmark at 5 shots (0 on
   *  Fashion-MNIST) for ~6x the training time and two backbone runs per prediction. */
  flipAugment?: boolean;
  /** predict() classifies the average of the image's and its mirror image's embeddings (two
   *  backbone runs). Default false; alone (without flipAugment) it costs 1-1.5 points on
   *  Fashion-MNIST, whose items are not left-right symmetric. */
  testTimeFlip?: boolean;
  /** A fixed cosine similarity to the nearest class mean below which a prediction is `unknown`
   *  (turns unknownRate off). Without it, the threshold adapts to the examples (unknownRate); while
   *  there are too few examples for that (fewer than 6 in classes of two or more), the threshold the
   *  model suggests (`extractor.info.unknownThreshold`), else 0.99, applies. */
  unknownThreshold?: number;
  /** The share of new images of the taught classes to call `unknown`, in [0, 0.5]: the threshold
   *  is that quantile of the examples' leave-one-out similarities, so it adapts to how tight or
   *  spread out the classes are. Default 0.075 (measured: about 10% of held-out images of taught
   *  classes and half of the images of untaught categories, BENCHMARKS.md). 0 = fixed threshold. */
  unknownRate?: number;
}

/**
 * train() fits the head on all examples, then (with `calibrate`) fits a temperature on 3 held-out
 * folds of them. There is no validation split: every example is training data.
 */
export interface TrainOptions {
  /** Called between slices of training (every ~16 ms) and once at the end. */
  onProgress?: (event: { step: number; loss: number }) => void;
  /** Shuffles the calibration folds; the same seed and examples give the same head. Default 0. */
  seed?: number;
  /** L2 penalty on the weights; 0 means the default, 1e-3. */
  l2?: number;
  /** Gradient-norm tolerance of each fit (default 1e-4). */
  tolerance?: number;
  /** Cap on optimiser iterations per fit (default 300). */
  maxIterations?: number;
  /** Fit the temperature that calibrates confidences on 3 held-out folds of the examples
   *  (default true; applied from 10 examples per class on average: with fewer, folds calibrate
   *  badly and the temperature stays 1). */
  calibrate?: boolean;
}

export interface TrainResult {
  /** Final class-balanced mean cross-entropy plus penalty of the fit on all examples. */
  loss: number;
  /** Fraction of the training examples the trained head gets right. */
  trainAccuracy: number;
  /** Wall-clock time of train() in milliseconds. */
  ms: number;
  /** Optimiser iterations over all fits (the full fit and the calibration folds). */
  steps: number;
  /** Calibration temperature (logits are divided by it; 1 when not calibrated). */
  temperature: number;
  /** L2 penalty used. */
  l2: number;
}

export interface Prediction {
  /** The most probable label. */
  label: string;
  /** Its calibrated probability. */
  confidence: number;
  /** Probability of every label; an object with a null prototype, so any label is a key ('__proto__' too). */
  scores: Record<string, number>;
  /** True when the input is far from every class shown (similarity < the classifier's unknownThreshold). */
  unknown: boolean;
  /** Cosine similarity of the embedding to the nearest class mean. */
  similarity: number;
}

/** evaluate() data: an image or an embedding with its true label. */
export type LabelledItem =
  | { label: string; input: ImageInput }
  | { label: string; embedding: VectorInput }
  | readonly [input: ImageInput, label: string];

export interface Evaluation {
  accuracy: number;
  count: number;
  /** Classes that had at least one item; an object with a null prototype, so any label is a key. */
  perClass: Record<string, { accuracy: number; count: number; correct: number }>;
  /** matrix[truth][predicted], rows and columns in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] };
}

/** A few-shot head over an extractor's embeddings; from createClassifier() or loadClassifier(). */
export declare class Classifier {
  #private;
  private constructor();
  /** Labels in the order they were first added. */
  readonly labels: string[];
  /** True once train() finished on the current examples. */
  readonly trained: boolean;
  /** The threshold in force now (the estimate of unknownRate, or the fixed one); setting a number
   *  in [-1, 1] fixes it and sets unknownRate to 0. See ClassifierOptions.unknownThreshold. */
  unknownThreshold: number;
  /** See ClassifierOptions.unknownRate; a number in [0, 0.5]. */
  unknownRate: number;
  /** Embeds the image and stores the embedding (not the image) under `label`. */
  addExample(input: ImageInput, label: string): Promise<void>;
  /** Stores an embedding under `label`; with `mirrored` (the mirror image's embedding, e.g. from
   *  extractor.embedWithMirror()), imprinting and training also learn from that view. */
  addEmbedding(vector: VectorInput, label: string, mirrored?: VectorInput): void;
  /** Removes a class and its examples; UNKNOWN_LABEL if there is none. */
  removeClass(label: string): void;
  clear(): void;
  /** Examples stored for `label` (0 for a label never added). */
  exampleCount(label: string): number;
  train(options?: TrainOptions): Promise<TrainResult>;
  predict(input: ImageInput): Promise<Prediction>;
  predictEmbedding(vector: VectorInput, mirrored?: VectorInput): Prediction;
  evaluate(items: Iterable<LabelledItem>): Promise<Evaluation>;
  /** The head file (models/HEAD_FORMAT.md); examples: false leaves out the example embeddings. */
  save(options?: { examples?: boolean }): OwnedBytes;
  /** Frees the head's wasm memory; safe to call twice. */
  dispose(): void;
}

/** A new, empty classifier over `extractor`'s embeddings. */
export declare function createClassifier(extractor: Extractor, options?: ClassifierOptions): Classifier;

/** Cosine similarity of two embeddings (1 = same direction; 0 when either is all zeros). */
export declare function cosineSimilarity(a: VectorInput, b: VectorInput): number;
/** Loads a head saved by save(): MODEL_MISMATCH for another backbone's head, HEAD_CORRUPT for damaged bytes. */
export declare function loadClassifier(
  extractor: Extractor,
  bytes: FileSource,
  options?: ClassifierOptions,
): Promise<Classifier>;

// ---------------------------------------------------------------------------------------------
// Similarity index

/** One result of a query: an item's id and its similarity to the query, in [-1, 1]. */
export interface SearchResult {
  id: string;
  /** Cosine of the power-transformed embeddings centred on the index's mean: about 0 for
   *  unrelated images, 1 for the same image (include/imprint.h, "Indexes"). */
  similarity: number;
}

export interface QueryOptions {
  /** How many results at most (default 10), best first. */
  k?: number;
}

/** Similarity search over an extractor's embeddings; from createIndex() or loadIndex(). */
export declare class SimilarityIndex {
  #private;
  private constructor();
  /** Number of items. */
  readonly size: number;
  /** Ids in the order they were first added. */
  readonly ids: string[];
  /** True when an item has this id. */
  has(id: string): boolean;
  /** Embeds the image and stores the embedding (not the image) as item `id`, replacing any item of that id. */
  add(input: ImageInput, id: string): Promise<void>;
  /** Stores an embedding as item `id`, replacing any item of that id (which keeps its place). */
  addEmbedding(vector: VectorInput, id: string): void;
  /** Removes the item `id`; UNKNOWN_ID if there is none. */
  remove(id: string): void;
  clear(): void;
  /** The items most similar to the image, best first (ties: the earlier item first). */
  query(input: ImageInput, options?: QueryOptions): Promise<SearchResult[]>;
  queryEmbedding(vector: VectorInput, options?: QueryOptions): SearchResult[];
  /** The vector the index compares: plain cosine of two of them is the index's similarity (for a
   *  vector store); valid while the index does not change. */
  transform(vector: VectorInput): OwnedFloats;
  /** The index file (models/INDEX_FORMAT.md): ids and embeddings, bound to the model hash. */
  save(): OwnedBytes;
  /** Frees the index's wasm memory; safe to call twice. */
  dispose(): void;
}

/** A new, empty similarity index over `extractor`'s embeddings. */
export declare function createIndex(extractor: Extractor, options?: Record<string, never>): SimilarityIndex;
/** Loads an index saved by save(): MODEL_MISMATCH for another backbone's index, INDEX_CORRUPT for damaged bytes. */
export declare function loadIndex(
  extractor: Extractor,
  bytes: FileSource,
  options?: Record<string, never>,
): Promise<SimilarityIndex>;
