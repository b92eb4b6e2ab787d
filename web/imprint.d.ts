// Type declarations for imprint's browser build (dist/web/imprint.js → window.imprint, and
// dist/web/imprint.mjs). Same API as Node (js/index.d.ts), with browser inputs and options, and the
// Web Worker variant.

/** Raw 8-bit pixels, rows tightly packed. channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: 1 | 2 | 3 | 4;
}

/**
 * Encoded bytes (decoded by imprint itself, exactly as in Node; WebP/AVIF by the browser), a Blob
 * or File, a URL on the page's origin, a DOM image source (read as the browser shows it), ImageData
 * or raw pixels.
 */
export type ImageInput =
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | string
  | URL
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageBitmap
  | HTMLVideoElement
  | VideoFrame
  | ImageData
  | RawPixels;

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
  index?: number;
  constructor(code: ImprintErrorCode, message: string, options?: { cause?: unknown });
}

export interface ExtractorInfo {
  readonly name: string;
  readonly inputSize: readonly [number, number];
  readonly dim: number;
  readonly modelHash: string;
  readonly embeddingLayers: readonly string[];
  readonly layers: readonly { readonly name: string; readonly shape: readonly [number, number, number] }[];
  readonly preprocessing: {
    readonly scale: readonly [number, number, number];
    readonly bias: readonly [number, number, number];
    readonly resize: string;
    readonly colourOrder: 'RGB' | 'BGR';
    readonly alphaBackground: readonly [number, number, number];
    readonly exifOrientation: boolean;
  };
}

export interface LoadProgress {
  stage: 'model' | 'core' | 'ready';
  progress: number;
  /** Model bytes received so far (stage 'model'). */
  loaded?: number;
  /** Model size in bytes, when the server says it (stage 'model'). */
  total?: number;
}

export interface ExtractorOptions {
  /** Model file bytes, a Blob, or its URL; omit for the default next to the script. */
  model?: Uint8Array | ArrayBuffer | ArrayBufferView | Blob | string | URL;
  onProgress?: (event: LoadProgress) => void;
  limits?: { maxWidth?: number; maxHeight?: number; maxPixels?: number };
  background?: [number, number, number];
  /** Where to fetch imprint-core.wasm (default: next to the script). */
  wasmUrl?: string | URL;
  /** Where to fetch the default model (default: mobilenet_v2.imprint next to the script). */
  modelUrl?: string | URL;
  /** Run the model in a Web Worker (createExtractor then resolves to a WorkerExtractor). */
  worker?: boolean;
  /** The worker script (default: imprint-worker.js next to the script). */
  workerUrl?: string | URL;
}

export interface TrainOptions {
  onProgress?: (event: { step: number; loss: number }) => void;
  seed?: number;
  l2?: number;
  tolerance?: number;
  maxIterations?: number;
  calibrate?: boolean;
}

export interface TrainResult {
  loss: number;
  trainAccuracy: number;
  ms: number;
  steps: number;
  temperature: number;
}

export interface Prediction {
  label: string;
  confidence: number;
  scores: Record<string, number>;
  unknown: boolean;
  similarity: number;
}

export interface ClassifierOptions {
  flipAugment?: boolean;
  testTimeFlip?: boolean;
  unknownThreshold?: number;
}

export type LabelledItem = { label: string; input: ImageInput } | { label: string; embedding: Float32Array | number[] } | [ImageInput, string];

export interface Evaluation {
  accuracy: number;
  count: number;
  perClass: Record<string, { accuracy: number; count: number; correct: number }>;
  confusion: { labels: string[]; matrix: number[][] };
}

type Vector = Float32Array | number[];

/** memory(): `inUse` bytes allocated by C now; `heapSize` bytes of wasm memory (grows, never shrinks). */
export interface MemoryStats {
  inUse: number;
  heapSize: number;
}

export class Extractor {
  #private;
  private constructor();
  readonly info: ExtractorInfo;
  embed(input: ImageInput, options?: { mirror?: boolean }): Promise<Float32Array>;
  embedWithMirror(input: ImageInput): Promise<[Float32Array, Float32Array]>;
  embedBatch(inputs: Iterable<ImageInput>, options?: { onProgress?: (event: { done: number; total: number }) => void }): Promise<Float32Array[]>;
  features(input: ImageInput, layer: string): Promise<Float32Array>;
  decode(input: Uint8Array | ArrayBuffer | ArrayBufferView | Blob | string | URL): Promise<{ data: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 }>;
  /** Wasm memory of this extractor's core (its classifiers share it), for leak checks. */
  memory(): MemoryStats;
  dispose(): void;
}

/** The same methods, run in a Web Worker. */
export class WorkerExtractor {
  #private;
  private constructor();
  readonly info: ExtractorInfo;
  embed(input: ImageInput, options?: { mirror?: boolean }): Promise<Float32Array>;
  embedWithMirror(input: ImageInput): Promise<[Float32Array, Float32Array]>;
  embedBatch(inputs: Iterable<ImageInput>, options?: { onProgress?: (event: { done: number; total: number }) => void }): Promise<Float32Array[]>;
  features(input: ImageInput, layer: string): Promise<Float32Array>;
  decode(input: Uint8Array | ArrayBuffer | ArrayBufferView | Blob | string | URL): Promise<{ data: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 }>;
  /** The worker's wasm memory (asked of the worker, hence a Promise). */
  memory(): Promise<MemoryStats>;
  /** Ends the worker and every classifier in it. */
  dispose(): void;
}

export class Classifier {
  #private;
  private constructor();
  readonly labels: string[];
  readonly trained: boolean;
  unknownThreshold: number;
  addExample(input: ImageInput, label: string): Promise<void>;
  addEmbedding(vector: Vector, label: string, mirrored?: Vector): void;
  removeClass(label: string): void;
  clear(): void;
  exampleCount(label: string): number;
  train(options?: TrainOptions): Promise<TrainResult>;
  predict(input: ImageInput): Promise<Prediction>;
  predictEmbedding(vector: Vector, mirrored?: Vector): Prediction;
  evaluate(items: Iterable<LabelledItem>): Promise<Evaluation>;
  save(options?: { examples?: boolean }): Uint8Array<ArrayBuffer>;
  dispose(): void;
}

/** A classifier in the worker: calls that are synchronous on Classifier return Promises here. */
export class WorkerClassifier {
  #private;
  private constructor();
  readonly labels: string[];
  readonly trained: boolean;
  unknownThreshold: number;
  addExample(input: ImageInput, label: string): Promise<void>;
  addEmbedding(vector: Vector, label: string, mirrored?: Vector): Promise<void>;
  removeClass(label: string): Promise<void>;
  clear(): Promise<void>;
  exampleCount(label: string): number;
  train(options?: TrainOptions): Promise<TrainResult>;
  predict(input: ImageInput): Promise<Prediction>;
  predictEmbedding(vector: Vector, mirrored?: Vector): Promise<Prediction>;
  evaluate(items: Iterable<LabelledItem>): Promise<Evaluation>;
  save(options?: { examples?: boolean }): Promise<Uint8Array<ArrayBuffer>>;
  dispose(): void;
}

export function createExtractor(options: ExtractorOptions & { worker: true }): Promise<WorkerExtractor>;
export function createExtractor(options?: ExtractorOptions & { worker?: false }): Promise<Extractor>;
export function createExtractor(options?: ExtractorOptions): Promise<Extractor | WorkerExtractor>;
export function createWorkerExtractor(options?: Omit<ExtractorOptions, 'worker'>): Promise<WorkerExtractor>;

export function createClassifier(extractor: WorkerExtractor, options?: ClassifierOptions): WorkerClassifier;
export function createClassifier(extractor: Extractor, options?: ClassifierOptions): Classifier;

/** bytes: from save(), a Blob/File (e.g. a file picker), or a URL on the page's origin. */
export function loadClassifier(extractor: WorkerExtractor, bytes: Uint8Array | ArrayBuffer | ArrayBufferView | Blob | string | URL, options?: ClassifierOptions): Promise<WorkerClassifier>;
export function loadClassifier(extractor: Extractor, bytes: Uint8Array | ArrayBuffer | ArrayBufferView | Blob | string | URL, options?: ClassifierOptions): Promise<Classifier>;

/** Cosine similarity of two embeddings. */
export function cosineSimilarity(a: Vector, b: Vector): number;

declare const imprint: {
  createExtractor: typeof createExtractor;
  createWorkerExtractor: typeof createWorkerExtractor;
  createClassifier: typeof createClassifier;
  loadClassifier: typeof loadClassifier;
  cosineSimilarity: typeof cosineSimilarity;
  Extractor: typeof Extractor;
  Classifier: typeof Classifier;
  WorkerExtractor: typeof WorkerExtractor;
  WorkerClassifier: typeof WorkerClassifier;
  ImprintError: typeof ImprintError;
};
export default imprint;

declare global {
  /** Defined by dist/web/imprint.js (classic <script>). */
  interface Window {
    imprint: typeof imprint;
  }
}
