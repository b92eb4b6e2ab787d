// Type declarations for imprint (Node entry: require('imprint') / import from 'imprint').

/** Raw 8-bit pixels, rows tightly packed. channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Defaults to data.length / (width * height). */
  channels?: 1 | 2 | 3 | 4;
}

/** Encoded image bytes (JPEG, PNG, BMP, GIF, TGA, PSD, HDR, PIC, PNM), a file path, or raw pixels. */
export type ImageInput = Uint8Array | ArrayBuffer | ArrayBufferView | string | URL | RawPixels;

/** Stable error codes; see the README's error table. */
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
  | 'DISPOSED'
  | 'FILE_NOT_FOUND';

export class ImprintError extends Error {
  readonly name: 'ImprintError';
  readonly code: ImprintErrorCode;
  /** For embedBatch: the index of the input that failed. */
  index?: number;
  constructor(code: ImprintErrorCode, message: string, options?: { cause?: unknown });
}

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
  /** Layers readable with features(). */
  readonly layers: readonly LayerInfo[];
  readonly preprocessing: PreprocessingInfo;
}

export interface Limits {
  /** Largest accepted width in pixels (0 = default, 16384). */
  maxWidth?: number;
  /** Largest accepted height in pixels (0 = default, 16384). */
  maxHeight?: number;
  /** Largest accepted width * height (0 = default, 8192 * 8192). */
  maxPixels?: number;
}

export interface ExtractorOptions {
  /** Path or bytes of an imprint model file; omit for the embedded default (MobileNetV2). */
  model?: string | URL | Uint8Array | ArrayBuffer | ArrayBufferView;
  /** Called as loading proceeds. */
  onProgress?: (event: { stage: 'model' | 'core' | 'ready'; progress: number }) => void;
  limits?: Limits;
  /** Colour that transparent pixels are composited over; default [255, 255, 255]. */
  background?: [number, number, number];
}

export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** extractor.memory(): `inUse` bytes allocated by C now; `heapSize` bytes of wasm memory (grows, never shrinks). */
export interface MemoryStats {
  inUse: number;
  heapSize: number;
}

export class Extractor {
  private constructor();
  readonly info: ExtractorInfo;
  /** L2-normalised embedding, Float32Array(info.dim). */
  embed(input: ImageInput, options?: { mirror?: boolean }): Promise<Float32Array>;
  /** Embeddings of the image and of its left-right mirror image: [plain, mirrored]. */
  embedWithMirror(input: ImageInput): Promise<[Float32Array, Float32Array]>;
  embedBatch(
    inputs: Iterable<ImageInput>,
    options?: { onProgress?: (event: { done: number; total: number }) => void }
  ): Promise<Float32Array[]>;
  /** Global-average-pooled activations (not normalised) of a layer in info.layers. */
  features(input: ImageInput, layer: string): Promise<Float32Array>;
  /** Decodes encoded bytes or a file as the extractor sees them (EXIF orientation applied). */
  decode(input: Uint8Array | ArrayBuffer | ArrayBufferView | string | URL): Promise<DecodedImage>;
  /** Wasm memory of this extractor's core (its classifiers share it), for leak checks. */
  memory(): MemoryStats;
  /** Frees the model and its wasm memory; safe to call twice. */
  dispose(): void;
}

export function createExtractor(options?: ExtractorOptions): Promise<Extractor>;

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
  /** Cosine similarity to the nearest class mean below which a prediction is `unknown`. */
  unknownThreshold?: number;
}

export interface TrainOptions {
  /** Called between slices of training (every ~16 ms) and once at the end. */
  onProgress?: (event: { step: number; loss: number }) => void;
  /** Seeds the cross-validation folds; the same seed and examples give the same head. Default 0. */
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
  /** Final class-balanced mean cross-entropy plus penalty. */
  loss: number;
  /** Fraction of the training examples the trained head gets right. */
  trainAccuracy: number;
  /** Wall-clock time of train() in milliseconds. */
  ms: number;
  /** Optimiser iterations over all fits. */
  steps: number;
  /** Calibration temperature (logits are divided by it). */
  temperature: number;
  /** L2 penalty used. */
  l2: number;
}

export interface Prediction {
  /** The most probable label. */
  label: string;
  /** Its calibrated probability. */
  confidence: number;
  /** Probability of every label. */
  scores: Record<string, number>;
  /** True when the input is far from every class shown (similarity < unknownThreshold). */
  unknown: boolean;
  /** Cosine similarity of the embedding to the nearest class mean. */
  similarity: number;
}

export type LabelledItem =
  | { label: string; input: ImageInput }
  | { label: string; embedding: Float32Array | number[] }
  | [ImageInput, string];

export interface Evaluation {
  accuracy: number;
  count: number;
  perClass: Record<string, { accuracy: number; count: number; correct: number }>;
  /** matrix[truth][predicted], rows and columns in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] };
}

export class Classifier {
  private constructor();
  /** Labels in the order they were first added. */
  readonly labels: string[];
  /** True once train() finished on the current examples. */
  readonly trained: boolean;
  unknownThreshold: number;
  /** Embeds the image and stores the embedding (not the image) under `label`. */
  addExample(input: ImageInput, label: string): Promise<void>;
  /** Stores an embedding under `label`; with `mirrored` (the mirror image's embedding, e.g. from
   *  extractor.embedWithMirror()), imprinting and training also learn from that view. */
  addEmbedding(vector: Float32Array | number[], label: string, mirrored?: Float32Array | number[]): void;
  removeClass(label: string): void;
  clear(): void;
  /** Examples stored for `label` (0 for a label never added). */
  exampleCount(label: string): number;
  train(options?: TrainOptions): Promise<TrainResult>;
  predict(input: ImageInput): Promise<Prediction>;
  predictEmbedding(vector: Float32Array | number[], mirrored?: Float32Array | number[]): Prediction;
  evaluate(items: Iterable<LabelledItem>): Promise<Evaluation>;
  /** The head file (src/HEAD_FORMAT.md); examples: false leaves out the example embeddings. */
  save(options?: { examples?: boolean }): Uint8Array;
  dispose(): void;
}

export function createClassifier(extractor: Extractor, options?: ClassifierOptions): Classifier;
export function loadClassifier(
  extractor: Extractor,
  bytes: Uint8Array | ArrayBuffer | ArrayBufferView | string | URL,
  options?: ClassifierOptions
): Promise<Classifier>;

export interface BatchResult {
  /** Position of the input in the iterable. */
  index: number;
  input: ImageInput;
  /** The embedding, when the image could be read. */
  vector?: Float32Array;
  /** Why the image could not be embedded (the batch goes on). */
  error?: ImprintError;
}

/** Node only: embeds on a pool of worker threads, each holding its own copy of the model. */
export class BatchEmbedder {
  private constructor();
  /** The model's info, once every worker has loaded it. */
  readonly info: Promise<ExtractorInfo>;
  readonly threads: number;
  /** Results in input order; at most 2 images per thread are in flight. */
  embed(
    inputs: Iterable<ImageInput> | AsyncIterable<ImageInput>,
    options?: { onProgress?: (event: { done: number; total?: number }) => void }
  ): AsyncGenerator<BatchResult>;
  close(): Promise<void>;
}

export function createBatchEmbedder(options?: {
  model?: string | Uint8Array;
  /** Default: every core. */
  threads?: number;
  limits?: Limits;
  background?: [number, number, number];
}): BatchEmbedder;
