#!/usr/bin/env node
'use strict';
// Cold start, memory and download size (a script, not a test). Each measurement is a fresh Node
// process: process start → first embedding returned, and that process's peak RSS, for imprint's
// default model and its 'accurate' preset; the same for TF.js on its fastest path (nsfwjs's
// MobileNetV2, topology + weights from memory), and bare Node. Sizes are the browser
// build's files (dist/web), brotli-compressed at the highest quality, as a static server would serve
// them (source maps are fetched only by developer tools and are not counted).
//
//   node tests/bench/startup.js [--runs N] [--also model.imprint]
// --also adds a row (cold start and RSS) for another model file, interleaved with the others.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15;
const also = process.argv.includes('--also') ? path.resolve(process.argv[process.argv.indexOf('--also') + 1]) : null;
const photo = require('../support/testdata').photo('dog');

const imprintScript = (options) => `
const t0 = performance.timeOrigin;
const { createExtractor } = require(${JSON.stringify(ROOT)});
createExtractor(${JSON.stringify(options)}).then(async (ex) => {
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

// This sandbox sets NODE_EXTRA_CA_CERTS to the whole system bundle, so every Node process parses
// ~140 certificates before running a line (100-150 ms here) — nothing a user's machine does, and
// nothing either library can change. The children run without it; the bare `node -e 0` row shows
// the floor both numbers include.
const childEnv = { ...process.env };
delete childEnv.NODE_EXTRA_CA_CERTS;

function run(script) {
  const start = performance.now();
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: childEnv });
  const ms = performance.now() - start;
  const parsed = out.trim() ? JSON.parse(out) : {};
  return { ms, inProcessMs: parsed.ms, rssMb: parsed.rssMb ?? process.resourceUsage().maxRSS / 1024 };
}

/** Interleaved: each round runs every script once, so a change in machine load hits all alike. */
function measureAll(scripts) {
  const results = scripts.map(() => []);
  for (let i = 0; i < runs; i++) scripts.forEach((script, k) => results[k].push(run(script)));
  return results.map((list) => {
    list.sort((a, b) => a.ms - b.ms);
    return { min: list[0], median: list[Math.floor(list.length / 2)] };
  });
}

function brotli(file) {
  const bytes = fs.readFileSync(file);
  return {
    raw: bytes.length,
    br: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const bare = `console.log(JSON.stringify({ rssMb: process.resourceUsage().maxRSS / 1024 }))`;
const [imprint, accurate, tfjs, node, other] = measureAll([
  imprintScript({}),
  imprintScript({ model: 'accurate' }),
  tfjsScript,
  bare,
  ...(also ? [imprintScript({ model: also })] : []),
]);
const ms = (r) => `${r.min.ms.toFixed(0)} / ${r.median.ms.toFixed(0)} ms`;
console.log(`# cold start and memory, ${new Date().toISOString()}, ${runs} fresh processes each, interleaved`);
console.log('');
console.log('| runtime | process start → first embedding, min / median | peak RSS (median run) |');
console.log('|---|---|---|');
console.log(`| imprint (default model, a JPEG photo) | ${ms(imprint)} | ${imprint.median.rssMb.toFixed(0)} MB |`);
console.log(`| imprint ('accurate' preset, same photo) | ${ms(accurate)} | ${accurate.median.rssMb.toFixed(0)} MB |`);
if (other) {
  const name = path.relative(ROOT, also);
  console.log(`| imprint (${name}, same photo) | ${ms(other)} | ${other.median.rssMb.toFixed(0)} MB |`);
}
console.log(`| TF.js wasm, fast path (out_relu, same photo) | ${ms(tfjs)} | ${tfjs.median.rssMb.toFixed(0)} MB |`);
console.log(`| bare Node (\`node -e 0\`), included in all | ${ms(node)} | ${node.median.rssMb.toFixed(0)} MB |`);
console.log('');
const size = (name) => brotli(path.join(ROOT, 'dist', ...name.split('/')));
const files = {
  'web/imprint.js': size('web/imprint.js'),
  'web/imprint-worker.js': size('web/imprint-worker.js'),
  'web/imprint-core.wasm': size('web/imprint-core.wasm'),
  'web/default.imprint': size('web/default.imprint'),
  'web/accurate.imprint': size('web/accurate.imprint'),
};
console.log('| download (dist/web) | raw | brotli (quality 11) |');
console.log('|---|---|---|');
for (const [name, s] of Object.entries(files)) console.log(`| ${name} | ${kb(s.raw)} | ${kb(s.br)} |`);
const sum = (...names) => names.reduce((a, n) => a + files[n].br, 0);
const page = sum('web/imprint.js', 'web/imprint-core.wasm');
const workerPage = page + files['web/imprint-worker.js'].br;
console.log(`| runtime of a page: imprint.js + wasm | | ${kb(page)} |`);
console.log(`| runtime with the worker variant: + imprint-worker.js | | ${kb(workerPage)} |`);
const withModel = page + files['web/default.imprint'].br;
console.log(
  `| page runtime with the default model | | ${kb(withModel)} (${withModel} bytes, ${(withModel / 1048576).toFixed(2)} MiB) |`,
);
const withAccurate = page + files['web/accurate.imprint'].br;
console.log(
  `| page runtime with the 'accurate' model instead | | ${kb(withAccurate)} (${withAccurate} bytes, ${(withAccurate / 1048576).toFixed(2)} MiB) |`,
);
