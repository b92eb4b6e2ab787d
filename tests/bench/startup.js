#!/usr/bin/env node
'use strict';
// Cold start, memory and download size (a script, not a test). Each measurement is a fresh Node
// process: process start → first embedding returned, and that process's peak RSS; the same for
// TF.js on its fastest path (topology + weights from memory). Sizes are brotli-compressed at the
// highest quality, as a static server would serve them.
//
//   node tests/bench/startup.js [--runs N]
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const photo = require('../support/testdata').photo('dog');

const imprintScript = `
const t0 = performance.timeOrigin;
const { createExtractor } = require(${JSON.stringify(ROOT)});
createExtractor().then(async (ex) => {
  await ex.embed(${JSON.stringify(photo)});
  const ms = performance.timeOrigin + performance.now() - t0;
  console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));
});`;

const tfjsScript = `
const t0 = performance.timeOrigin;
const { loadReference } = require(${JSON.stringify(path.join(ROOT, 'tests', 'support', 'tfjs-reference.js'))});
const jpeg = require(${JSON.stringify(require.resolve('jpeg-js'))});
const fs = require('fs');
loadReference('mobilenet_v2').then((ref) => {
  const d = jpeg.decode(fs.readFileSync(${JSON.stringify(photo)}), { useTArray: true, formatAsRGBA: true });
  ref.features(ref.preprocess(d.data, d.width, d.height), ['out_relu']);
  const ms = performance.timeOrigin + performance.now() - t0;
  console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));
});`;

function measure(script) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const start = Date.now();
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    // performance.timeOrigin is the process start as Node sees it; the wall clock around the
    // child also counts the exec itself.
    results.push({ ms: Date.now() - start, inProcessMs: out.ms, rssMb: out.rssMb });
  }
  results.sort((a, b) => a.ms - b.ms);
  return { min: results[0], median: results[Math.floor(results.length / 2)] };
}

function brotli(file) {
  const bytes = fs.readFileSync(file);
  return { raw: bytes.length, br: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length };
}

const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const imprint = measure(imprintScript);
const tfjs = measure(tfjsScript);
console.log(`# cold start and memory, ${new Date().toISOString()}, ${runs} fresh processes each`);
console.log('');
console.log('| runtime | process start → first embedding, min / median | peak RSS (median run) |');
console.log('|---|---|---|');
console.log(`| imprint (default embedding) | ${imprint.min.ms} / ${imprint.median.ms} ms | ${imprint.median.rssMb.toFixed(0)} MB |`);
console.log(`| TF.js wasm, fast path (out_relu) | ${tfjs.min.ms} / ${tfjs.median.ms} ms | ${tfjs.median.rssMb.toFixed(0)} MB |`);
console.log('');
const files = [
  ['web/imprint.js (script build)', path.join(ROOT, 'dist', 'web', 'imprint.js')],
  ['imprint-core.wasm', path.join(ROOT, 'dist', 'imprint-core.wasm')],
  ['default model', path.join(ROOT, 'dist', 'models', 'mobilenet_v2.imprint')],
];
console.log('| download | raw | brotli |');
console.log('|---|---|---|');
let total = 0, runtime = 0;
for (const [name, file] of files) {
  if (!fs.existsSync(file)) {
    console.log(`| ${name} | (not built) | |`);
    continue;
  }
  const s = brotli(file);
  total += s.br;
  if (!name.startsWith('default')) runtime += s.br;
  console.log(`| ${name} | ${kb(s.raw)} | ${kb(s.br)} |`);
}
console.log(`| runtime (JS + wasm) | | ${kb(runtime)} |`);
console.log(`| with the default model | | ${kb(total)} |`);
