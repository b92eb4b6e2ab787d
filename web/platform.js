'use strict';
// The browser platform (the contract is in js/platform-contract.cjs; the web build puts this file in
// place of js/platform.cjs): fetches the core and the default model from beside the script (or from
// options.wasmUrl / options.modelUrl), reads URLs and Blobs with download progress in bytes, and turns
// DOM inputs into pixels; the browser's own decoder reads what the core cannot. Pages and workers.

const { ImprintError } = require('../js/errors.cjs');
const createImprintCore = require('imprint:glue');
// The URLs of the files shipped beside the script, one function per file (scripts/build-web.js
// writes them for each script; the ES module's are `new URL('./file', import.meta.url)`, which
// bundlers rewrite to wherever they emitted the file).
const assets = require('imprint:assets');

const compiled = new Map(); // absolute wasm URL → Promise<WebAssembly.Module>
const models = new Map(); // absolute default-model URL → Promise<Uint8Array>

/**
 * Absolute URL of `url` (given by the user: relative to the page) or, when it is omitted, of the
 * shipped file `asset` ('wasm', 'worker' or 'model_<preset>'): beside this script, or where a bundler put
 * it. A script whose own URL is unknown (bundled without import.meta) looks beside the page.
 */
function resolve(url, asset) {
  const page =
    typeof document !== 'undefined' && document.baseURI
      ? document.baseURI
      : typeof location !== 'undefined'
        ? location.href
        : undefined;
  if ((url === undefined || url === null || url === '') && asset) {
    try {
      return assets[asset]();
    } catch {
      url = assets.names[asset];
    }
  }
  try {
    return new URL(String(url), page).href;
  } catch (cause) {
    throw new ImprintError('INVALID_ARGUMENT', `cannot resolve ${String(url)} against ${page}: ${cause.message}`, {
      cause,
    });
  }
}

/** GETs `url` as bytes, calling onBytes(loaded, total) as they arrive. */
/**
 * Why fetch() failed, as far as a page can tell (the browser hides the cause of network errors):
 * a page opened from a file, or a URL on another origin, each with what to do about it.
 */
function fetchError(url, what, cause) {
  const here = typeof location !== 'undefined' ? location : null;
  const target = new URL(url);
  if (target.protocol === 'file:' || (here && here.protocol === 'file:')) {
    return new ImprintError(
      'FILE_NOT_FOUND',
      `cannot fetch ${what} from ${url}: a page opened from a file:// address cannot fetch files; ` +
        'serve the page and imprint over http (for example: node demo/serve.js, or python3 -m http.server) and open it from there',
      { cause },
    );
  }
  if (here && target.origin !== here.origin) {
    return new ImprintError(
      'INVALID_ARGUMENT',
      `cannot fetch ${what} from ${url}: it is on another origin than the page (${here.origin}), so its server must ` +
        "allow it with CORS headers (Access-Control-Allow-Origin) and the page's Content-Security-Policy (connect-src) " +
        "must allow it; or serve the file from the page's own origin",
      { cause },
    );
  }
  return new ImprintError('FILE_NOT_FOUND', `cannot fetch ${what} from ${url}: ${cause.message}`, { cause });
}

/** Why WebAssembly.compile() failed: most often a Content-Security-Policy without 'wasm-unsafe-eval'. */
function compileError(cause) {
  const message = String(cause && cause.message);
  if (/Content Security Policy|unsafe-eval/i.test(message)) {
    return new ImprintError(
      'BACKEND_FAILED',
      "the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src " +
        '(it lets WebAssembly compile; JavaScript eval stays forbidden)',
      { cause },
    );
  }
  return new ImprintError(
    'BACKEND_FAILED',
    `imprint's WebAssembly core could not be compiled (${message}); check that imprint-core.wasm is served whole`,
    { cause },
  );
}

async function fetchBytes(url, what, onBytes) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (cause) {
    throw fetchError(url, what, cause);
  }
  if (!response.ok) {
    throw new ImprintError(
      'FILE_NOT_FOUND',
      `cannot fetch ${what} from ${url}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !onBytes) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (onBytes) onBytes(bytes.length, total || bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  onBytes(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onBytes(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function compileCore(url) {
  if (!compiled.has(url)) {
    const promise = fetchBytes(url, "imprint's WebAssembly core", null)
      .then((bytes) =>
        WebAssembly.compile(bytes).catch((cause) => {
          throw compileError(cause);
        }),
      )
      .catch((error) => {
        compiled.delete(url); // the next createExtractor() tries again
        throw error;
      });
    compiled.set(url, promise);
  }
  return compiled.get(url);
}

/** Emscripten's module options for a core compiled from `wasmModule`. */
function moduleOptions(wasmModule, more) {
  return {
    instantiateWasm(imports, receiveInstance) {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receiveInstance(instance, wasmModule));
      return {};
    },
    print: () => {},
    printErr: () => {},
    ...more,
  };
}

// The threads build (README: Threads): its glue is a script of its own, not part of this bundle, because
// its pthread Workers load it again by URL; a page adds it as a <script>, a classic worker imports it.
const canThreads = () =>
  globalThis.crossOriginIsolated === true &&
  typeof SharedArrayBuffer === 'function' &&
  (typeof document !== 'undefined' || typeof importScripts === 'function');
const glues = new Map(); // absolute glue URL → Promise<createImprintThreadsCore>

function loadThreadsGlue(url) {
  if (!glues.has(url)) {
    const promise = new Promise((done, fail) => {
      if (typeof document === 'undefined') return done(importScripts(url));
      const script = document.createElement('script');
      script.src = url;
      script.onload = done;
      script.onerror = () => fail(new Error('the script did not load'));
      document.head.appendChild(script);
    })
      .then(() => globalThis.createImprintThreadsCore)
      .catch((cause) => {
        glues.delete(url);
        throw new ImprintError('FILE_NOT_FOUND', `cannot load imprint's threads core from ${url}: ${cause.message}`, {
          cause,
        });
      });
    glues.set(url, promise);
  }
  return glues.get(url);
}

/**
 * A fresh core (its own wasm memory) sharing the compiled code of every core from the same URL:
 * the threads build with `threads` threads when the page can run it (cross-origin isolated) and
 * more than one is asked for, or when build is 'threads'; else the default build.
 */
async function instantiateCore(options = {}, { build, threads } = {}) {
  const isolated = canThreads();
  if (build === 'threads' && !isolated) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      "build: 'threads' needs a cross-origin isolated page: serve it with the headers Cross-Origin-Opener-Policy: same-origin " +
        "and Cross-Origin-Embedder-Policy: require-corp (README: Threads), or leave build at 'auto'",
    );
  }
  if (threads === undefined)
    threads = Math.min(4, (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1);
  if (build === 'threads' || (build !== 'default' && isolated && threads > 1)) {
    const files = options.threadsFiles || {};
    const wasmUrl = resolve(files.wasm, 'threads_wasm');
    const glueUrl = resolve(files.glue, 'threads_glue');
    const workerUrl = resolve(files.worker, 'threads_worker');
    const [create, wasmModule] = await Promise.all([loadThreadsGlue(glueUrl), compileCore(wasmUrl)]);
    const core = await create(
      moduleOptions(wasmModule, {
        // The pthread Workers started with the core (CMakeLists.txt): threads - 1, but at least one, since
        // Emscripten 3.1.6 never finishes starting a core whose pool of Workers is empty.
        imprintWorkers: Math.max(1, threads - 1),
        mainScriptUrlOrBlob: glueUrl,
        locateFile: (name) => (name.endsWith('.worker.js') ? workerUrl : wasmUrl),
      }),
    );
    core.imprintBuild = 'threads';
    core.imprintThreads = threads;
    return core;
  }
  const wasmUrl = resolve(options.wasmUrl, 'wasm');
  const wasmModule = await compileCore(wasmUrl);
  return createImprintCore(moduleOptions(wasmModule, { locateFile: () => wasmUrl })); // unused: instantiateWasm
}

/**
 * A preset model (js/presets.cjs): beside the script (or where a bundler put it), or
 * options.modelUrl for the default one; fetched once per URL.
 */
async function readPresetModel(name, options = {}, onBytes) {
  const url = resolve(name === 'default' ? options.modelUrl : undefined, `model_${name}`);
  if (!models.has(url)) {
    const promise = fetchBytes(url, name === 'default' ? 'the default model' : `the '${name}' model`, onBytes);
    promise.catch(() => models.delete(url));
    models.set(url, promise);
    return promise;
  }
  const bytes = await models.get(url);
  if (onBytes) onBytes(bytes.length, bytes.length);
  return bytes;
}

/** The bytes of a URL (relative to the page) or a Blob. */
async function readFile(source, what, onBytes) {
  if (isA(source, 'Blob')) return new Uint8Array(await source.arrayBuffer());
  return fetchBytes(resolve(source), what, onBytes);
}

// ---- inputs ---------------------------------------------------------------------------------

const has = (name) => typeof globalThis[name] === 'function';
let scratch = null;

function scratchContext(width, height) {
  if (!scratch) {
    if (has('OffscreenCanvas')) scratch = new OffscreenCanvas(1, 1);
    else if (typeof document !== 'undefined') scratch = document.createElement('canvas');
    else {
      throw new ImprintError(
        'UNSUPPORTED_FORMAT',
        'this browser cannot read image pixels in a worker (no OffscreenCanvas); pass encoded bytes, or use the extractor on the page',
      );
    }
  }
  scratch.width = width;
  scratch.height = height;
  const context = scratch.getContext('2d', { willReadFrequently: true });
  if (!context) throw new ImprintError('OUT_OF_MEMORY', 'the browser could not create a 2D canvas to read the image');
  return context;
}

function readPixels(context, width, height) {
  let imageData;
  try {
    imageData = context.getImageData(0, 0, width, height);
  } catch (cause) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      "the browser refuses to read this image's pixels (a cross-origin image without CORS); serve it from the page's origin",
      { cause },
    );
  }
  return { kind: 'pixels', data: new Uint8Array(imageData.data.buffer), width, height, channels: 4 };
}

/** Draws any CanvasImageSource at its natural size and reads its RGBA pixels. */
function drawPixels(source, width, height, what) {
  if (!(width > 0 && height > 0)) {
    throw new ImprintError('INVALID_ARGUMENT', `the ${what} has no pixels yet (0x0); wait until it has loaded`);
  }
  const context = scratchContext(width, height);
  context.clearRect(0, 0, width, height);
  context.drawImage(source, 0, 0, width, height);
  return readPixels(context, width, height);
}

function isA(value, name) {
  return typeof globalThis[name] === 'function' && value instanceof globalThis[name];
}

/** True for inputs that only exist on the page's thread (the worker client converts them there). */
function isDomInput(input) {
  return [
    'HTMLImageElement',
    'SVGImageElement',
    'HTMLCanvasElement',
    'HTMLVideoElement',
    'OffscreenCanvas',
    'VideoFrame',
  ].some((n) => isA(input, n));
}

/** Pixels of an input only a browser has; undefined for anything else. */
async function domInput(input) {
  if (isA(input, 'HTMLImageElement')) {
    if (!input.complete || input.naturalWidth === 0) {
      try {
        await input.decode();
      } catch (cause) {
        throw new ImprintError(
          'DECODE_FAILED',
          `the <img> ${input.currentSrc || input.src || ''} could not be loaded or decoded`,
          { cause },
        );
      }
    }
    return drawPixels(input, input.naturalWidth, input.naturalHeight, '<img>');
  }
  if (isA(input, 'HTMLVideoElement')) {
    if (input.readyState < 2)
      throw new ImprintError('INVALID_ARGUMENT', 'the <video> has no current frame yet; wait for its loadeddata event');
    return drawPixels(input, input.videoWidth, input.videoHeight, '<video>');
  }
  if (isA(input, 'HTMLCanvasElement') || isA(input, 'OffscreenCanvas')) {
    const context = input.width > 0 && input.height > 0 ? input.getContext('2d', { willReadFrequently: true }) : null;
    if (context) return readPixels(context, input.width, input.height);
    return drawPixels(input, input.width, input.height, 'canvas'); // a WebGL or bitmaprenderer canvas
  }
  if (isA(input, 'ImageBitmap')) return drawPixels(input, input.width, input.height, 'ImageBitmap');
  if (isA(input, 'VideoFrame')) return drawPixels(input, input.displayWidth, input.displayHeight, 'VideoFrame');
  if (isA(input, 'SVGImageElement')) {
    const box = input.getBBox();
    return drawPixels(input, Math.round(box.width), Math.round(box.height), '<svg:image>');
  }
  return undefined; // ImageData and { data, width, height } are raw pixels: the shared code takes them
}

/** The browser's own decoder, for encoded formats the core cannot read (WebP, AVIF, ...). */
async function decodeFallback(bytes) {
  if (!has('createImageBitmap')) return null;
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch {
    return null;
  }
  try {
    return drawPixels(bitmap, bitmap.width, bitmap.height, 'image');
  } finally {
    bitmap.close();
  }
}

const describeInputs =
  'encoded bytes (Uint8Array, ArrayBuffer), a Blob or File, a URL, an <img>, <canvas>, OffscreenCanvas, ImageBitmap, <video>, ImageData';

module.exports = {
  instantiateCore,
  readPresetModel,
  readFile,
  domInput,
  decodeFallback,
  describeInputs,
  isDomInput,
  resolve,
};
