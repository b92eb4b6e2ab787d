'use strict';
// Loads the wasm core (dist/imprint-core.{js,wasm}) in Node. The wasm is compiled once per
// process and instantiated once per extractor, so dispose() can drop a whole heap.
// Emscripten 3.1.6's own loader tries fetch() under Node 20, which cannot read files, so we hand
// it the compiled module through `instantiateWasm`.

const fs = require('node:fs');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'dist');
const CORE_JS = path.join(DIST, 'imprint-core.js');
const CORE_WASM = path.join(DIST, 'imprint-core.wasm');
const { PRESETS } = require('./presets.cjs');

const MODELS = path.join(DIST, 'models');

let compiled = null; // Promise<WebAssembly.Module>

function missingBuild(file) {
  const { ImprintError } = require('./errors.cjs');
  return new ImprintError(
    'FILE_NOT_FOUND',
    `imprint's build output ${path.relative(process.cwd(), file) || file} is missing; run scripts/setup.sh (or npm run build)`,
  );
}

function compileCore() {
  if (!compiled) {
    compiled = fs.promises.readFile(CORE_WASM).then(
      (bytes) => WebAssembly.compile(bytes),
      () => {
        compiled = null;
        throw missingBuild(CORE_WASM);
      },
    );
  }
  return compiled;
}

/**
 * Instantiates a fresh core: its own wasm memory, sharing the compiled code. Node runs one image on
 * one thread (the default build); embedBatch(list, { threads }) spreads images over worker threads.
 */
async function instantiateCore(options = {}, runtime = {}) {
  if (runtime.build === 'threads') {
    const { ImprintError } = require('./errors.cjs');
    throw new ImprintError(
      'INVALID_ARGUMENT',
      "build: 'threads' is for cross-origin isolated web pages; in Node one image runs on one thread, and embedBatch(list, { threads }) uses several",
    );
  }
  // V8 compiles the wasm on background threads; load the glue on this one meanwhile.
  const compiling = compileCore();
  compiling.catch(() => {}); // awaited below; a missing glue file must not leave it unhandled
  if (!fs.existsSync(CORE_JS)) throw missingBuild(CORE_JS);
  const createImprintCore = require(CORE_JS);
  const wasmModule = await compiling;
  return createImprintCore({
    instantiateWasm(imports, receiveInstance) {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receiveInstance(instance, wasmModule));
      return {};
    },
    print: () => {},
    printErr: () => {},
  });
}

/** A preset model's file (js/presets.cjs) from dist/models/. */
async function readPresetModel(name) {
  const file = path.join(MODELS, PRESETS[name].file);
  try {
    return await fs.promises.readFile(file);
  } catch {
    throw missingBuild(file);
  }
}

module.exports = { instantiateCore, readPresetModel, presetModelPath: (name) => path.join(MODELS, PRESETS[name].file) };
