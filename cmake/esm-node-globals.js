// Prepended (--extern-pre-js) to the ES-module glue, dist/imprint-core.mjs.
// Emscripten 3.1.6's Node code path still uses the CommonJS names __dirname,
// __filename and require, which an ES module does not have. Define them from
// import.meta.url without importing anything, so the same file stays loadable
// in browsers and bundlers. require() is Node's process.getBuiltinModule
// (Node >= 20.16); on older Node, pass the .wasm bytes as `wasmBinary`, which
// is what the JS layer does anyway.
var __filename = '', __dirname = '', require;
if (typeof process == 'object' && process.versions && process.versions.node) {
  __filename = decodeURIComponent(new URL(import.meta.url).pathname);
  __dirname = __filename.replace(/\/[^/]*$/, '');
  if (typeof process.getBuiltinModule == 'function') require = process.getBuiltinModule;
}
