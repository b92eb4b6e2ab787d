'use strict';
// What the shared code (js/extractor.cjs, js/classifier.cjs, js/inputs.cjs) needs from its host.
// js/platform.cjs implements it for Node and web/platform.js for pages and workers; the browser
// build puts the second in place of the first. A platform may export more for its own files.
//
// Required:
//   instantiateCore(options, { build, threads }) → Promise<core>
//       a fresh Emscripten module of dist/imprint-core (its own wasm memory, shared compiled code);
//       build 'auto' | 'default' | 'threads' and threads (or undefined) as createExtractor() was
//       given them. A platform that can run the threads build (imprint-core-threads: browsers) sets
//       core.imprintBuild = 'threads' and core.imprintThreads (the count) on such a core; others
//       refuse build 'threads'.
//   readPresetModel(name, options, onBytes?) → Promise<Uint8Array>
//       the file of a preset model (js/presets.cjs: 'default', ...); onBytes(loaded, total)
//       reports a download as it goes
//   readFile(source, what, onBytes?) → Promise<Uint8Array>
//       the bytes of a file path or URL (string or URL object) or of a Blob; FILE_NOT_FOUND naming
//       `what` ('the image', 'the model', 'the classifier file') when it cannot be read
//   describeInputs: string
//       the inputs this platform accepts, for INVALID_ARGUMENT messages
// Optional:
//   domInput(input) → Promise<{ kind: 'pixels', data, width, height, channels } | undefined>
//       pixels of inputs that only this platform has (<img>, canvas, <video>, ImageBitmap...)
//   decodeFallback(bytes) → Promise<pixels | null>
//       a second decoder for encoded formats the core refuses as UNSUPPORTED_FORMAT

const REQUIRED = {
  instantiateCore: 'function',
  readPresetModel: 'function',
  readFile: 'function',
  describeInputs: 'string',
};
const OPTIONAL = { domInput: 'function', decodeFallback: 'function' };

/** Returns `platform` after checking that it keeps the contract above (a build mistake otherwise). */
function checkPlatform(platform) {
  for (const [name, type] of Object.entries(REQUIRED)) {
    if (typeof platform[name] !== type) throw new TypeError(`imprint platform: ${name} must be a ${type}`);
  }
  for (const [name, type] of Object.entries(OPTIONAL)) {
    if (platform[name] !== undefined && typeof platform[name] !== type)
      throw new TypeError(`imprint platform: ${name} must be a ${type}`);
  }
  return platform;
}

module.exports = { checkPlatform };
