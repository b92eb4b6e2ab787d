// Type declarations for imprint's browser build: dist/web/imprint.js (classic <script>: the global
// `imprint`), as dist/web/imprint.d.ts; ./imprint.d.mts re-exports them for dist/web/imprint.mjs.
// The API is declared once, in js/imprint-common.d.ts, which the build copies beside this file
// (dist/web/imprint-common.d.ts); this file adds only what browsers have besides: DOM inputs,
// URLs, where to fetch the core, model and worker, the Web Worker variant of the extractor and
// classifier.
// Compiles with lib "dom" (pages) and with lib "webworker" alone (a worker of your own), where
// the page-only element types below become `never`.

import {
  Classifier,
  ClassifierOptions,
  Extractor,
  ExtractorOptions,
  FileSource,
  ImprintError,
  MemoryStats,
  OwnedBytes,
  OwnedFloats,
  Prediction,
  QueryOptions,
  SearchResult,
  SimilarityIndex,
  VectorInput,
  cosineSimilarity,
} from './imprint-common.js';

export * from './imprint-common.js';

/** The page-only element types (lib "dom"); `never` where they do not exist (lib "webworker"). */
type PageOnly<Constructor> = Constructor extends { prototype: infer Element } ? Element : never;
type Globals = typeof globalThis;
type HTMLImageElementIfAny = PageOnly<Globals extends { HTMLImageElement: infer C } ? C : never>;
type SVGImageElementIfAny = PageOnly<Globals extends { SVGImageElement: infer C } ? C : never>;
type HTMLCanvasElementIfAny = PageOnly<Globals extends { HTMLCanvasElement: infer C } ? C : never>;
type HTMLVideoElementIfAny = PageOnly<Globals extends { HTMLVideoElement: infer C } ? C : never>;

declare module './imprint-common.js' {
  interface FileSourceKinds {
    /** A URL, relative to the page; fetched with the page's credentials on the same origin. */
    url: string | URL;
  }
  // Encoded images that imprint cannot decode (WebP, AVIF) are decoded by the browser instead.
  interface ImageInputKinds {
    /** An image as the browser shows it, read through a canvas: <img> (awaited until decoded),
     *  <svg:image>, a canvas, the current frame of a <video>. */
    element: HTMLImageElementIfAny | SVGImageElementIfAny | HTMLCanvasElementIfAny | HTMLVideoElementIfAny;
    bitmap: OffscreenCanvas | ImageBitmap | VideoFrame;
    /** RGBA pixels, e.g. from a 2D canvas's getImageData(). */
    imageData: ImageData;
  }
  interface ExtractorOptions {
    /** Where to fetch imprint-core.wasm, relative to the page (default: beside the script, or
     *  wherever the app's bundler emitted it). */
    wasmUrl?: string | URL;
    /** Where to fetch the default model, relative to the page (default: default.imprint
     *  beside the script, or wherever the app's bundler emitted it). */
    modelUrl?: string | URL;
    /** Run the model in a Web Worker: createExtractor() then resolves to a WorkerExtractor. */
    worker?: boolean;
    /** The worker script, relative to the page (default: imprint-worker.js beside the script, or
     *  wherever the app's bundler emitted it). */
    workerUrl?: string | URL;
    /** Where the threads build's files are, relative to the page (default: imprint-core-threads.js,
     *  .wasm and .worker.js beside the script, or wherever the app's bundler emitted them). */
    threadsFiles?: { glue?: string | URL; wasm?: string | URL; worker?: string | URL };
  }
}

/**
 * The extractor of createExtractor({ worker: true }): the same API as Extractor, run in a
 * dedicated Web Worker so the page never freezes. DOM inputs are read into pixels on the page's
 * thread and transferred. memory() asks the worker, hence a Promise.
 */
export interface WorkerExtractor extends Omit<Extractor, 'memory'> {
  memory(): Promise<MemoryStats>;
}
export declare class WorkerExtractor {
  #private;
  private constructor();
}

/** Classifier methods that return at once in the page's thread and a Promise in the worker variant. */
type SynchronousInThePage = 'addEmbedding' | 'removeClass' | 'clear' | 'predictEmbedding' | 'save';

/**
 * A classifier in the worker: what is synchronous on Classifier returns a Promise here, except
 * `labels`, `trained`, `unknownThreshold`, `unknownRate` and exampleCount(), read from a copy the
 * worker keeps up to date.
 */
export interface WorkerClassifier extends Omit<Classifier, SynchronousInThePage> {
  addEmbedding(vector: VectorInput, label: string, mirrored?: VectorInput): Promise<void>;
  removeClass(label: string): Promise<void>;
  clear(): Promise<void>;
  predictEmbedding(vector: VectorInput, mirrored?: VectorInput): Promise<Prediction>;
  save(options?: { examples?: boolean }): Promise<OwnedBytes>;
}
export declare class WorkerClassifier {
  #private;
  private constructor();
}

/** SimilarityIndex members that are synchronous in the page's thread and a Promise in the worker variant. */
type IndexSynchronousInThePage =
  'ids' | 'has' | 'addEmbedding' | 'remove' | 'clear' | 'queryEmbedding' | 'transform' | 'save';

/**
 * An index in the worker: what is synchronous on SimilarityIndex returns a Promise here (`ids`
 * too: `await index.ids` works with both), except `size`, read from a copy the worker keeps up to date.
 */
export interface WorkerIndex extends Omit<SimilarityIndex, IndexSynchronousInThePage> {
  readonly ids: Promise<string[]>;
  has(id: string): Promise<boolean>;
  addEmbedding(vector: VectorInput, id: string): Promise<void>;
  remove(id: string): Promise<void>;
  clear(): Promise<void>;
  queryEmbedding(vector: VectorInput, options?: QueryOptions): Promise<SearchResult[]>;
  transform(vector: VectorInput): Promise<OwnedFloats>;
  save(): Promise<OwnedBytes>;
}
export declare class WorkerIndex {
  #private;
  private constructor();
}

/** A new, empty similarity index over `extractor`'s embeddings, in the extractor's thread. */
export declare function createIndex(extractor: WorkerExtractor, options?: Record<string, never>): WorkerIndex;
export declare function createIndex(extractor: Extractor, options?: Record<string, never>): SimilarityIndex;
export declare function createIndex(
  extractor: Extractor | WorkerExtractor,
  options?: Record<string, never>,
): SimilarityIndex | WorkerIndex;

/** Loads an index saved by save(): its bytes, a Blob/File, or a URL on the page's origin. */
export declare function loadIndex(
  extractor: WorkerExtractor,
  bytes: FileSource,
  options?: Record<string, never>,
): Promise<WorkerIndex>;
export declare function loadIndex(
  extractor: Extractor,
  bytes: FileSource,
  options?: Record<string, never>,
): Promise<SimilarityIndex>;
export declare function loadIndex(
  extractor: Extractor | WorkerExtractor,
  bytes: FileSource,
  options?: Record<string, never>,
): Promise<SimilarityIndex | WorkerIndex>;

/** Loads a model into a fresh wasm core, in this thread or (options.worker) in a Web Worker. */
export declare function createExtractor(options: ExtractorOptions & { worker: true }): Promise<WorkerExtractor>;
export declare function createExtractor(options?: ExtractorOptions & { worker?: false }): Promise<Extractor>;
export declare function createExtractor(options?: ExtractorOptions): Promise<Extractor | WorkerExtractor>;
/** createExtractor({ ...options, worker: true }). */
export declare function createWorkerExtractor(options?: Omit<ExtractorOptions, 'worker'>): Promise<WorkerExtractor>;

/** A new, empty classifier over `extractor`'s embeddings, in the extractor's thread. */
export declare function createClassifier(extractor: WorkerExtractor, options?: ClassifierOptions): WorkerClassifier;
export declare function createClassifier(extractor: Extractor, options?: ClassifierOptions): Classifier;
export declare function createClassifier(
  extractor: Extractor | WorkerExtractor,
  options?: ClassifierOptions,
): Classifier | WorkerClassifier;

/** Loads a head saved by save(): its bytes, a Blob/File (e.g. from a file picker), or a URL on the page's origin. */
export declare function loadClassifier(
  extractor: WorkerExtractor,
  bytes: FileSource,
  options?: ClassifierOptions,
): Promise<WorkerClassifier>;
export declare function loadClassifier(
  extractor: Extractor,
  bytes: FileSource,
  options?: ClassifierOptions,
): Promise<Classifier>;
export declare function loadClassifier(
  extractor: Extractor | WorkerExtractor,
  bytes: FileSource,
  options?: ClassifierOptions,
): Promise<Classifier | WorkerClassifier>;

/** The object the global `imprint` (dist/web/imprint.js) and imprint.mjs's default export hold. */
export interface ImprintBrowserApi {
  createExtractor: typeof createExtractor;
  createWorkerExtractor: typeof createWorkerExtractor;
  createClassifier: typeof createClassifier;
  loadClassifier: typeof loadClassifier;
  createIndex: typeof createIndex;
  loadIndex: typeof loadIndex;
  cosineSimilarity: typeof cosineSimilarity;
  Extractor: typeof Extractor;
  Classifier: typeof Classifier;
  WorkerExtractor: typeof WorkerExtractor;
  WorkerClassifier: typeof WorkerClassifier;
  SimilarityIndex: typeof SimilarityIndex;
  WorkerIndex: typeof WorkerIndex;
  ImprintError: typeof ImprintError;
}
/** In a classic <script> page (no import), the global `imprint`: values and types (imprint.Extractor). */
export as namespace imprint;

declare global {
  interface Window {
    /** Defined by dist/web/imprint.js (classic <script>). */
    readonly imprint: ImprintBrowserApi;
  }
}
