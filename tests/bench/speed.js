#!/usr/bin/env node
'use strict';
// Speed benchmark (a script, not a test): imprint vs TF.js 4.22 (wasm backend, SIMD, 1 thread) on
// the same nsfwjs MobileNetV2, the same 224x224 RGB pixels, in the same process, interleaved.
// Prints model load time and ms/image (min / median) for the default embedding and for the full
// network's GAP(out_relu).
//
//   node tests/bench/speed.js [--rounds N]
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const jpeg = require('jpeg-js');

const { createExtractor } = require('../..');
const { loadReference } = require('../support/tfjs-reference');
const testdata = require('../support/testdata');

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], n: sorted.length };
}

const fmt = (s) => `${s.min.toFixed(1)} / ${s.median.toFixed(1)}`;

async function main() {
  // Identical inputs for both: photos decoded once by jpeg-js, resized once (TF.js, as nsfwjs).
  let t = performance.now();
  const reference = await loadReference('mobilenet_v2');
  const tfjsLoadMs = performance.now() - t;

  t = performance.now();
  const extractor = await createExtractor();
  const imprintLoadMs = performance.now() - t;
  const layer = extractor.info.embeddingLayers[0];

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

  const cases = {
    [`imprint embed (GAP ${layer})`]: async (px) => extractor.embed(raw(px)),
    [`TF.js GAP(${layer})`]: async (px) => reference.features(px, [layer]),
    'imprint features(out_relu)': async (px) => extractor.features(raw(px), 'out_relu'),
    'TF.js GAP(out_relu)': async (px) => reference.features(px, ['out_relu']),
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
  console.log(
    `imprint / TF.js (median), default embedding: ${ratio(`imprint embed (GAP ${layer})`, `TF.js GAP(${layer})`)}`,
  );
  console.log(
    `imprint / TF.js (median), full network out_relu: ${ratio('imprint features(out_relu)', 'TF.js GAP(out_relu)')}`,
  );
  console.log(
    `model load: imprint ${imprintLoadMs.toFixed(0)} ms (wasm compile + model parse + graph build), TF.js ${tfjsLoadMs.toFixed(0)} ms (backend init + fast-path load)`,
  );
  const wasm = fs.statSync(path.join(__dirname, '..', '..', 'dist', 'imprint-core.wasm')).size;
  const model = fs.statSync(path.join(__dirname, '..', '..', 'dist', 'models', 'mobilenet_v2.imprint')).size;
  console.log(
    `sizes: imprint-core.wasm ${(wasm / 1024).toFixed(0)} KiB, default model ${(model / 1024).toFixed(0)} KiB`,
  );
  extractor.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
