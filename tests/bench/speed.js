#!/usr/bin/env node
'use strict';
// Speed benchmark (a script, not a test), everything in one process on the same 224x224 RGB pixels,
// interleaved, batch 1, one thread each:
//   - imprint's default embedding (embed() of the 'default' preset: the SSD detector's MobileNetV2)
//     and the 'accurate' preset, against TF.js 4.22 (wasm backend, SIMD, 1 thread) running nsfwjs's
//     MobileNetV2 to GAP(out_relu): the MobileNetV2 a TF.js user runs (issue 12 section 2: the
//     default at most 0.5x of it; 'accurate' at most 2.5x the default);
//   - the same network in both: imprint running nsfwjs's MobileNetV2 (dist/models/mobilenet_v2.imprint)
//     against TF.js, at GAP(out_relu) and GAP(block_13_depthwise_relu).
// Prints model load times and ms/image (min / median) and the ratios of the medians.
//
//   node tests/bench/speed.js [--rounds N]
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const jpeg = require('jpeg-js');

const { createExtractor } = require('../..');
const { loadReference } = require('../support/tfjs-reference');
const testdata = require('../support/testdata');

const ROOT = path.join(__dirname, '..', '..');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], n: sorted.length };
}

const fmt = (s) => `${s.min.toFixed(1)} / ${s.median.toFixed(1)}`;

async function timedLoad(fn) {
  const t = performance.now();
  const value = await fn();
  return [value, performance.now() - t];
}

async function main() {
  const [reference, tfjsLoadMs] = await timedLoad(() => loadReference('mobilenet_v2'));
  const [defaultEx, defaultLoadMs] = await timedLoad(() => createExtractor());
  const [accurateEx, accurateLoadMs] = await timedLoad(() => createExtractor({ model: 'accurate' }));
  const sameFile = path.join(ROOT, 'dist', 'models', 'mobilenet_v2.imprint');
  const [sameEx, sameLoadMs] = await timedLoad(() => createExtractor({ model: sameFile }));
  const sameLayer = 'block_13_depthwise_relu';

  // Identical inputs for all: photos decoded once by jpeg-js, resized once (TF.js, as nsfwjs).
  const images = [];
  for (const name of testdata.PHOTO_NAMES) {
    const d = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
    images.push(reference.preprocess(d.data, d.width, d.height));
  }
  const stamps = testdata.stampCategories().flatMap((c) => c.files.slice(0, 4));
  const { PNG } = require('pngjs');
  for (const file of stamps) {
    const png = PNG.sync.read(fs.readFileSync(file));
    images.push(reference.preprocess(png.data, png.width, png.height));
  }
  const raw = (px) => ({ data: px, width: 224, height: 224, channels: 3 });

  const DEFAULT = `imprint default embed (${defaultEx.info.dim}-d)`;
  const ACCURATE = `imprint accurate embed (${accurateEx.info.dim}-d)`;
  const TF_FULL = 'TF.js GAP(out_relu), nsfwjs MobileNetV2';
  const SAME_FULL = 'imprint mobilenet_v2.imprint features(out_relu)';
  const SAME_CUT = `imprint mobilenet_v2.imprint features(${sameLayer})`;
  const TF_CUT = `TF.js GAP(${sameLayer})`;
  const cases = {
    [DEFAULT]: async (px) => defaultEx.embed(raw(px)),
    [ACCURATE]: async (px) => accurateEx.embed(raw(px)),
    [TF_FULL]: async (px) => reference.features(px, ['out_relu']),
    [SAME_FULL]: async (px) => sameEx.features(raw(px), 'out_relu'),
    [SAME_CUT]: async (px) => sameEx.features(raw(px), sameLayer),
    [TF_CUT]: async (px) => reference.features(px, [sameLayer]),
  };
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(images[0]); // warm-up (runtimes built, kernels packed)
  for (let r = 0; r < rounds; r++) {
    for (const px of images) {
      for (const [name, fn] of Object.entries(cases)) {
        const start = performance.now();
        await fn(px);
        times[name].push(performance.now() - start);
      }
    }
  }
  const cpu = os.cpus()[0].model;
  console.log(
    `# imprint speed, ${new Date().toISOString()}, Node ${process.version}, ${cpu}, ${os.cpus().length} cores`,
  );
  console.log(`# ${images.length} real photos x ${rounds} rounds, interleaved, batch 1, one thread each`);
  console.log('');
  console.log('| what | ms/image min / median | images |');
  console.log('|---|---|---|');
  for (const [name, list] of Object.entries(times)) console.log(`| ${name} | ${fmt(stats(list))} | ${list.length} |`);
  const ratio = (a, b) => (stats(times[a]).median / stats(times[b]).median).toFixed(2);
  console.log('');
  console.log(`imprint default / TF.js MobileNetV2 (median): ${ratio(DEFAULT, TF_FULL)}`);
  console.log(`imprint accurate / TF.js MobileNetV2 (median): ${ratio(ACCURATE, TF_FULL)}`);
  console.log(`imprint accurate / imprint default (median): ${ratio(ACCURATE, DEFAULT)}`);
  console.log(`same network, imprint / TF.js (median), out_relu: ${ratio(SAME_FULL, TF_FULL)}`);
  console.log(`same network, imprint / TF.js (median), ${sameLayer}: ${ratio(SAME_CUT, TF_CUT)}`);
  console.log(
    `model load (wasm compile + model parse + graph build): imprint default ${defaultLoadMs.toFixed(0)} ms, accurate ${accurateLoadMs.toFixed(0)} ms, mobilenet_v2.imprint ${sameLoadMs.toFixed(0)} ms; TF.js ${tfjsLoadMs.toFixed(0)} ms (backend init + fast-path load)`,
  );
  const kib = (...p) => `${(fs.statSync(path.join(ROOT, 'dist', ...p)).size / 1024).toFixed(0)} KiB`;
  console.log(
    `sizes: imprint-core.wasm ${kib('imprint-core.wasm')}, default.imprint ${kib('models', 'default.imprint')}, accurate.imprint ${kib('models', 'accurate.imprint')}, mobilenet_v2.imprint ${kib('models', 'mobilenet_v2.imprint')}`,
  );
  for (const ex of [defaultEx, accurateEx, sameEx]) ex.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
