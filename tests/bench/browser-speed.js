#!/usr/bin/env node
'use strict';
// Speed in headless Chromium (a script, not a test): imprint's <script> build versus TF.js 4.22 with
// its wasm backend running nsfwjs's MobileNetV2 to GAP(out_relu), the same 224x224 pixels, in the
// same page, interleaved, batch 1: imprint's default embedding (in the page and in its worker) and
// its 'accurate' preset against that MobileNetV2, and the same network in both (imprint running
// dist/models/mobilenet_v2.imprint) at out_relu and block_13_depthwise_relu. All single-threaded:
// the page is not cross-origin isolated, as on most hosting. Everything is served from 127.0.0.1 by
// demo/serve.js (TF.js from node_modules; the model handed to tf.io.fromMemory). Prints a table.
//
//   node tests/bench/browser-speed.js [--rounds N]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { createServer } = require('../../demo/serve.js');
const { buildWeb, launchBrowser, recordRequests } = require('../support/browser');
const { readBundledModel } = require('../support/tfjs-reference');
const testdata = require('../support/testdata');

const ROOT = path.join(__dirname, '..', '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const argRounds = process.argv.indexOf('--rounds');
const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 5;

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], n: sorted.length };
}

async function main() {
  buildWeb();
  // The model, as TF.js's fromMemory wants it, in a scratch folder served at /bench/.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-bench-'));
  const { modelTopology, weightSpecs, weightData } = readBundledModel('mobilenet_v2');
  fs.writeFileSync(path.join(scratch, 'model.json'), JSON.stringify({ modelTopology, weightSpecs }));
  fs.writeFileSync(path.join(scratch, 'weights.bin'), Buffer.from(weightData));
  const sameModel = path.join(ROOT, 'dist', 'models', 'mobilenet_v2.imprint');
  fs.copyFileSync(sameModel, path.join(scratch, 'mobilenet_v2.imprint'));
  for (const name of ['speed.html', 'speed-page.js'])
    fs.copyFileSync(path.join(__dirname, 'browser', name), path.join(scratch, name));

  const photosDir = path.dirname(testdata.photo('dog'));
  const stampsDir = testdata.stampsDir();
  const photos = [
    ...testdata.PHOTO_NAMES.map((n) => `/photos/${n}.jpg`),
    ...testdata
      .stampCategories()
      .flatMap((c) => c.files.slice(0, 2))
      .map((f) => `/stamps/${path.relative(stampsDir, f).split(path.sep).join('/')}`),
  ];

  const server = await createServer({
    port: 0,
    csp: false, // TF.js is not ours; the demo keeps the strict policy
    mounts: {
      '/bench/': scratch,
      '/photos/': photosDir,
      '/stamps/': stampsDir,
      '/tfjs/': path.join(NODE_MODULES, '@tensorflow', 'tfjs', 'dist'),
      '/tfjs-wasm/': path.join(NODE_MODULES, '@tensorflow', 'tfjs-backend-wasm', 'dist'),
    },
  });
  const browser = await launchBrowser();
  const requests = recordRequests(browser.context);
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}bench/speed.html`);
    const r = await page.evaluate((options) => window.runBenchmark(options), {
      photos,
      rounds,
      sameModelUrl: '/bench/mobilenet_v2.imprint',
      sameLayer: 'block_13_depthwise_relu',
    });
    const offsite = requests.filter((u) => !u.startsWith(server.url));
    if (offsite.length) throw new Error(`requests left 127.0.0.1: ${offsite.join(', ')}`);

    const chromium = /Chrome\/([\d.]+)/.exec(r.userAgent);
    console.log(
      `# browser speed, ${new Date().toISOString()}, headless Chromium ${chromium ? chromium[1] : '?'}, ${os.cpus()[0].model}, ${os.cpus().length} cores`,
    );
    console.log(
      `# ${r.images} real photos x ${rounds} rounds, interleaved, batch 1; TF.js backend ${r.tfBackend}, ${r.tfThreads} thread(s), SIMD ${r.simd}; crossOriginIsolated ${r.crossOriginIsolated}`,
    );
    console.log('');
    console.log('| what | ms/image min / median | images |');
    console.log('|---|---|---|');
    for (const [name, list] of Object.entries(r.times)) {
      const s = stats(list);
      console.log(`| ${name} | ${s.min.toFixed(1)} / ${s.median.toFixed(1)} | ${s.n} |`);
    }
    const median = (key) => stats(r.times[r.names[key]]).median;
    const ratio = (a, b) => (median(a) / median(b)).toFixed(2);
    console.log('');
    console.log(`imprint default / TF.js MobileNetV2 (median): ${ratio('default', 'tfFull')}`);
    console.log(`imprint default in its worker / TF.js MobileNetV2 (median): ${ratio('worker', 'tfFull')}`);
    console.log(`imprint accurate / TF.js MobileNetV2 (median): ${ratio('accurate', 'tfFull')}`);
    console.log(`imprint accurate / imprint default (median): ${ratio('accurate', 'default')}`);
    console.log(`same network, imprint / TF.js (median), out_relu: ${ratio('sameFull', 'tfFull')}`);
    console.log(`same network, imprint / TF.js (median), block_13_depthwise_relu: ${ratio('sameCut', 'tfCut')}`);
    const mb = (file) => (fs.statSync(path.join(ROOT, 'dist', 'web', file)).size / 1048576).toFixed(1);
    console.log(
      `load: imprint default ${r.load.imprint.toFixed(0)} ms (fetch ${mb('default.imprint')} MB model + compile + build), in a worker ${r.load.imprintWorker.toFixed(0)} ms, accurate ${r.load.imprintAccurate.toFixed(0)} ms (${mb('accurate.imprint')} MB), mobilenet_v2.imprint ${r.load.imprintSame.toFixed(0)} ms; TF.js ${r.load.tfjs.toFixed(0)} ms (backend + model from memory)`,
    );
    console.log(
      `same numbers on the same network: cosine(imprint out_relu, TF.js out_relu) on the first photo = ${r.cosineOutRelu.toFixed(6)}`,
    );
    console.log(`requests: ${requests.length}, all to ${server.url}`);
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
