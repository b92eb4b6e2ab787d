// Type declarations for imprint in Node (require('imprint') / import from 'imprint').
// The API is declared once, in ./imprint-common.d.ts; this file adds only what Node has besides:
// file paths as inputs, embedBatch on threads, and BatchEmbedder. Needs @types/node (URL, Blob).

import type { ExtractorInfo, FileBytes, ImageInput, ImprintError, Limits, OwnedFloats } from './imprint-common.js';

export * from './imprint-common.js';

declare module './imprint-common.js' {
  interface FileSourceKinds {
    /** A file path, or a file: URL. A Buffer is bytes. */
    path: string | URL;
  }
  interface EmbedBatchOptions {
    /** Embed on this many worker threads, each loading its own copy of the model (1: this thread). */
    threads?: number;
  }
}

export interface BatchResult {
  /** Position of the input in the iterable. */
  index: number;
  input: ImageInput;
  /** The embedding, when the image could be read. */
  vector?: OwnedFloats;
  /** Why the image could not be embedded (the batch goes on). */
  error?: ImprintError;
}

export interface BatchEmbedderOptions {
  /** The model file's path or bytes (copied to each thread, so not a URL); omit for the default model. */
  model?: string | FileBytes;
  /** Default: every core. */
  threads?: number;
  limits?: Limits;
  background?: readonly [number, number, number];
}

/** Embeds on a pool of worker threads, each holding its own copy of the model. */
export declare class BatchEmbedder {
  #private;
  private constructor();
  /** The model's info, once every worker has loaded it. */
  readonly info: Promise<ExtractorInfo>;
  readonly threads: number;
  /** Results in input order; at most 2 images per thread are in flight. */
  embed(
    inputs: Iterable<ImageInput> | AsyncIterable<ImageInput>,
    options?: { onProgress?: (event: { done: number; total?: number }) => void },
  ): AsyncGenerator<BatchResult, void, undefined>;
  /** Stops the workers; safe to call twice. */
  close(): Promise<void>;
}

/** A pool of `threads` workers (default: every core), each holding the model. Call close() when done. */
export declare function createBatchEmbedder(options?: BatchEmbedderOptions): BatchEmbedder;
