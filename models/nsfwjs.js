'use strict';
// nsfwjs.js — finds and loads the models bundled in the nsfwjs npm package
// (dist/models/<name>/model.min.js and group1-shardNofM.min.js, UMD modules) as a TF.js
// layers-model with its weight bytes.

const fs = require('fs');
const path = require('path');
const vm = require('vm');

// Evaluates one of nsfwjs's UMD bundles in an empty context (no `require`, so its bundled
// module table is used) and returns what it exports.
function evalUmd(file) {
  const sandbox = { module: { exports: {} } };
  sandbox.exports = sandbox.module.exports;
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), sandbox, { filename: file });
  return sandbox.module.exports;
}

/**
 * The folder of a bundled nsfwjs model: `nameOrDir` itself when it holds model.min.js, else
 * node_modules/nsfwjs/dist/models/<nameOrDir> above this folder or the working directory.
 * @param {string} nameOrDir  'mobilenet_v2', 'inception_v3', ... or a folder
 * @returns {string}
 */
function nsfwjsModelDir(nameOrDir) {
  if (fs.existsSync(path.join(nameOrDir, 'model.min.js'))) return nameOrDir;
  // nsfwjs's package "exports" hides its files from require.resolve: look for node_modules/nsfwjs.
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', 'nsfwjs', 'dist', 'models', nameOrDir);
      if (fs.existsSync(path.join(candidate, 'model.min.js'))) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`nsfwjs model '${nameOrDir}' not found (is the nsfwjs package installed?)`);
}

/**
 * Loads nsfwjs's bundled model form: dist/models/<name>/model.min.js (topology + manifest) and
 * group1-shardNofM.min.js (base64 shards), decoding base64 in one Buffer.from call.
 * @returns {{modelTopology: object, weightsManifest: object[], weightData: Uint8Array, files: string[]}}
 */
function loadNsfwjsBundle(nameOrDir) {
  const dir = nsfwjsModelDir(nameOrDir);
  const modelFile = path.join(dir, 'model.min.js');
  // Copy into this realm: objects made in the vm context fail TF.js's same-realm checks if a caller
  // hands them to tf.loadLayersModel. (structuredClone, unlike a JSON round trip, keeps -0.)
  const model = structuredClone(evalUmd(modelFile));
  if (!model || !model.modelTopology || !model.weightsManifest)
    throw new Error(`${modelFile} does not export a layers-model`);
  const files = [modelFile];
  const parts = [];
  for (const group of model.weightsManifest) {
    for (const p of group.paths) {
      const file = path.join(dir, `${p}.min.js`);
      const base64 = evalUmd(file);
      if (typeof base64 !== 'string') throw new Error(`${file} does not export a base64 string`);
      parts.push(Buffer.from(base64, 'base64'));
      files.push(file);
    }
  }
  const weightData = Buffer.concat(parts);
  return { modelTopology: model.modelTopology, weightsManifest: model.weightsManifest, weightData, files };
}

module.exports = { nsfwjsModelDir, loadNsfwjsBundle };
