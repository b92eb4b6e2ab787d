#!/usr/bin/env node
'use strict';
// Builds the browser files into dist/web/ from web/ and js/: esbuild bundles (a pinned dev
// dependency whose binary comes inside its npm package), terser minifies (also pinned: 1.3 KB
// smaller after brotli than esbuild's own minifier on this code):
//   imprint.js         classic <script>: defines window.imprint
//   imprint.mjs        ES module: import { createExtractor } from './imprint.mjs'
//   imprint-worker.js  the Web Worker behind createExtractor({ worker: true })
//   imprint-core.wasm, <preset>.imprint       fetched next to the scripts (js/presets.cjs)
//   imprint-core-threads.{js,wasm,worker.js}  the threads build (Emscripten's output as it is), loaded
//                      only by cross-origin isolated pages (web/platform.js)
//   imprint.d.ts, imprint.d.mts, imprint-common.d.ts   types (web/*.d.*ts over js/imprint-common.d.ts)
// js/platform.cjs is replaced by web/platform.js (js/platform-contract.cjs); each script has a
// source map beside it (browsers fetch it only when developer tools are open).
// The output must contain no eval and no new Function, so pages can use a strict
// Content-Security-Policy: checked here.

const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');
const { minify } = require('terser');
const { PRESETS } = require('../js/presets.cjs');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const OUT = path.join(DIST, 'web');

/** The files each script finds beside itself: web/platform.js asks for them by key. */
// Preset models are keyed model_<name> (js/presets.cjs). Every preset is referenced, so a bundler
// emits them all beside the app; only the ones a page asks for are downloaded.
const ASSETS = {
  wasm: 'imprint-core.wasm',
  worker: 'imprint-worker.js',
  // The threads build for cross-origin isolated pages (README: Threads), fetched only there.
  threads_glue: 'imprint-core-threads.js',
  threads_wasm: 'imprint-core-threads.wasm',
  threads_worker: 'imprint-core-threads.worker.js',
  ...Object.fromEntries(Object.entries(PRESETS).map(([name, p]) => [`model_${name}`, p.file])),
};

/**
 * The module `imprint:assets` for one script: a function per file giving its URL. The ES module
 * writes `new URL('./file', import.meta.url)` with the file name as a literal: Vite, webpack 5 and
 * Rollup (with @web/rollup-plugin-import-meta-assets) recognise that form, emit the file with the
 * app's assets and rewrite the URL, so a bundled app finds them without configuration. The
 * classic script takes its own URL while it starts (document.currentScript), the worker its location.
 */
function assetModule(format) {
  const names = `export const names = ${JSON.stringify(ASSETS)};\n`;
  if (format === 'module') {
    return (
      names +
      Object.entries(ASSETS)
        .map(([key, file]) => `export const ${key} = () => new URL('./${file}', import.meta.url).href;\n`)
        .join('')
    );
  }
  const base = {
    classic:
      "typeof document !== 'undefined' && document.currentScript && document.currentScript.src ? document.currentScript.src : undefined",
    worker: 'self.location.href',
  }[format];
  return (
    names +
    `const base = ${base};\n` +
    Object.entries(ASSETS)
      .map(([key, file]) => `export const ${key} = () => new URL('./${file}', base).href;\n`)
      .join('')
  );
}

/** The literal asset references a bundler must find in the ES module (checked after minifying). */
const MODULE_ASSET_REFERENCES = Object.values(ASSETS).map((file) => `new URL("./${file}",import.meta.url)`);

/** The browser's modules in place of Node's: the platform, the Emscripten glue, the asset URLs. */
function browserModules(format) {
  return {
    name: 'imprint-browser',
    setup(build) {
      build.onResolve({ filter: /^\.\/platform\.cjs$/ }, (args) =>
        path.resolve(args.resolveDir) === path.join(ROOT, 'js')
          ? { path: path.join(ROOT, 'web', 'platform.js') }
          : undefined,
      );
      build.onResolve({ filter: /^imprint:glue$/ }, () => ({ path: path.join(DIST, 'imprint-core.js') }));
      build.onResolve({ filter: /^imprint:assets$/ }, () => ({ path: 'assets', namespace: 'imprint' }));
      build.onLoad({ filter: /^assets$/, namespace: 'imprint' }, () => ({
        contents: assetModule(format),
        loader: 'js',
      }));
      // Emscripten's glue requires these only on its Node code path, which a browser never takes:
      // empty modules, so the output has no require() left for an app's bundler to trip over.
      build.onResolve({ filter: /^(fs|path)$/ }, (args) => ({ path: args.path, namespace: 'imprint-empty' }));
      build.onLoad({ filter: /.*/, namespace: 'imprint-empty' }, () => ({
        contents: 'module.exports = {};',
        loader: 'js',
      }));
    },
  };
}

/** The names in `module.exports = { a, b: c, ... }` of web/index.js: the ES module's named exports. */
function exportedNames() {
  const block = /module\.exports\s*=\s*\{([^}]*)\}/.exec(fs.readFileSync(path.join(ROOT, 'web', 'index.js'), 'utf8'));
  if (!block) throw new Error('build-web: web/index.js has no module.exports = { ... }');
  return block[1]
    .split(',')
    .map((entry) => entry.split(':')[0].trim())
    .filter(Boolean);
}

/** Bundles and minifies one script: [{ name, text }] for the script and its source map. */
async function bundle(name, options, format) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const result = await esbuild.build({
    bundle: true,
    sourcemap: 'external',
    sourcesContent: true,
    target: ['es2022'],
    platform: 'browser',
    outfile: path.join(OUT, name),
    absWorkingDir: ROOT,
    logLevel: 'warning',
    plugins: [browserModules(format)],
    // The glue's Node path reads these; undefined here, so an app's bundler finds nothing of Node's
    // to fill in (webpack 5 took `typeof __filename` as defined and left the name itself undefined).
    define: { __filename: 'undefined', __dirname: 'undefined' },
    write: false,
    ...options,
  });
  const code = result.outputFiles.find((f) => !f.path.endsWith('.map')).text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map')).text;
  const banner = `/*! imprint ${pkg.version} (${pkg.license}): browser build of web/ and js/ (scripts/build-web.js); do not edit.
 * Third-party notices: THIRD_PARTY_NOTICES.md (XNNPACK, stb_image, Emscripten runtime, MobileNetV2 weights). */\n`;
  const minified = await minify(code, {
    module: options.format === 'esm',
    compress: { passes: 2 },
    mangle: true,
    format: { preamble: banner.trim(), comments: false },
    sourceMap: { content: map, url: `${name}.map`, includeSources: true },
  });
  return [
    { name, text: minified.code },
    { name: `${name}.map`, text: minified.map },
  ];
}

async function main() {
  const presetFiles = Object.values(PRESETS).map((p) => p.file);
  const threadFiles = ['imprint-core-threads.js', 'imprint-core-threads.wasm', 'imprint-core-threads.worker.js'];
  for (const file of [
    'imprint-core.js',
    'imprint-core.wasm',
    ...threadFiles,
    ...presetFiles.map((f) => path.join('models', f)),
  ]) {
    if (!fs.existsSync(path.join(DIST, file)))
      throw new Error(`build-web: dist/${file} is missing (run scripts/build.sh)`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  const names = exportedNames();
  const outputs = [
    ...(await bundle(
      'imprint.js',
      { entryPoints: ['web/index.js'], format: 'iife', globalName: 'imprint' },
      'classic',
    )),
    ...(await bundle(
      'imprint.mjs',
      {
        stdin: {
          contents: `import imprint from './web/index.js';\nexport default imprint;\nexport const { ${names.join(', ')} } = imprint;\n`,
          resolveDir: ROOT,
          sourcefile: 'imprint.mjs',
        },
        format: 'esm',
      },
      'module',
    )),
    ...(await bundle('imprint-worker.js', { entryPoints: ['web/worker-host.js'], format: 'iife' }, 'worker')),
  ];
  for (const file of threadFiles.filter((f) => f.endsWith('.js')))
    outputs.push({ name: file, text: fs.readFileSync(path.join(DIST, file), 'utf8'), copied: true });
  for (const output of outputs) {
    if (!output.name.endsWith('.map') && /\beval\s*\(|new\s+Function\s*\(/.test(output.text)) {
      throw new Error(`build-web: ${output.name} contains eval or new Function`);
    }
  }
  const moduleText = outputs.find((output) => output.name === 'imprint.mjs').text;
  for (const reference of MODULE_ASSET_REFERENCES) {
    if (!moduleText.includes(reference)) throw new Error(`build-web: imprint.mjs lost the literal ${reference}`);
  }
  for (const name of ['require', '__filename', '__dirname']) {
    // (?!-): the header value require-corp in an error message is no use of require.
    if (new RegExp(`\\b${name}\\b(?!-)`).test(moduleText)) throw new Error(`build-web: imprint.mjs still uses ${name}`);
  }
  // Write beside, then rename: a page (or a parallel test run building too) never sees half a file.
  const place = (file, write) => {
    write(`${file}.${process.pid}.tmp`);
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  };
  for (const output of outputs) place(path.join(OUT, output.name), (tmp) => fs.writeFileSync(tmp, output.text));
  for (const [from, to] of [
    ['imprint-core.wasm', 'imprint-core.wasm'],
    ['imprint-core-threads.wasm', 'imprint-core-threads.wasm'],
    ...presetFiles.map((f) => [path.join('models', f), f]),
  ]) {
    place(path.join(OUT, to), (tmp) => fs.copyFileSync(path.join(DIST, from), tmp));
  }
  // Types: imprint.d.ts for the classic script (window.imprint), imprint.d.mts for the module, both
  // over the declarations shared with Node.
  for (const [from, to] of [
    ['web/imprint.d.ts', 'imprint.d.ts'],
    ['web/imprint.d.mts', 'imprint.d.mts'],
    ['js/imprint-common.d.ts', 'imprint-common.d.ts'],
  ]) {
    place(path.join(OUT, to), (tmp) => fs.copyFileSync(path.join(ROOT, from), tmp));
  }
  console.log(
    `build-web: dist/web/: imprint.js, imprint.mjs, imprint-worker.js (+ source maps), imprint-core.wasm, imprint-core-threads.{js,wasm,worker.js}, ${presetFiles.join(', ')}`,
  );
}

main().catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});
