#!/usr/bin/env node
'use strict';
// Speed in headless Chromium (a script, not a test): imprint's <script> build versus TF.js 4.22 with
// its wasm backend running nsfwjs's MobileNetV2 to GAP(out_relu), the same 224x224 pixels, in the
// same page, interleaved, batch 1: imprint's default embedding (in the page and in its worker) and
// its 'accurate' preset against that MobileNetV2, and the same network in both (imprint running
// dist/models/mobilenet_v2.imprint) at out_relu and block_13_depthwise_relu. All single-threaded:
// the page is not cross-origin isolated, as on most hosting. Everything is served from 127.0.0.1 by
// demo/serve.js (TF.js from node_modules; the model handed to tf.io.fromMemory). Prints a table.
// A second peer, ONNX Runtime Web 1.30 (wasm, SIMD; its files from node_modules), runs the same
// networks exported to ONNX by tests/bench/onnx-export.js in the same page (1 thread). Then a second
// page, served by a second server with COOP/COEP headers so that it is cross-origin isolated, runs
// imprint (1 thread: one image is one thread), TF.js and ONNX Runtime with 2 threads, interleaved,
// and prints its own table and ratios.
//
//   node tests/bench/browser-speed.js [--rounds N]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { createServer } = require('../../demo/serve.js');
const { buildWeb, launchBrowser, recordRequests } = require('../support/browser');
const { readBundledModel } = require('../support/tfjs-reference');
const testdata = require('../support/testdata');
const { exportOnnx } = require('./onnx-export.js');

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
  // The same networks as ONNX models for ONNX Runtime Web.
  const sameLayer = 'block_13_depthwise_relu';
  const ortModels = {
    default: ['default.imprint', {}],
    full: ['mobilenet_v2.imprint', { layers: ['out_relu'] }],
    cut: ['mobilenet_v2.imprint', { layers: [sameLayer] }],
  };
  for (const [kind, [file, options]] of Object.entries(ortModels)) {
    const onnx = exportOnnx(fs.readFileSync(path.join(ROOT, 'dist', 'models', file)), options);
    fs.writeFileSync(path.join(scratch, `${kind}.onnx`), onnx);
    ortModels[kind] = `/bench/${kind}.onnx`;
  }
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

  const serverOptions = {
    port: 0,
    csp: false, // TF.js is not ours; the demo keeps the strict policy
    mounts: {
      '/bench/': scratch,
      '/photos/': photosDir,
      '/stamps/': stampsDir,
      '/tfjs/': path.join(NODE_MODULES, '@tensorflow', 'tfjs', 'dist'),
      '/tfjs-wasm/': path.join(NODE_MODULES, '@tensorflow', 'tfjs-backend-wasm', 'dist'),
      '/ort/': path.dirname(require.resolve('onnxruntime-web')),
    },
  };
  const server = await createServer(serverOptions);
  // The same files from a second server whose responses make the page cross-origin isolated
  // (SharedArrayBuffer, so wasm threads): headers set before demo/serve.js's handler writes its own.
  const isolated = await createServer(serverOptions);
  isolated.server.prependListener('request', (req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  });
  const browser = await launchBrowser();
  const requests = recordRequests(browser.context);
  try {
    const options = { photos, rounds, sameModelUrl: '/bench/mobilenet_v2.imprint', sameLayer, ortModels };
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}bench/speed.html`);
    const r = await page.evaluate((o) => window.runBenchmark(o), options);
    await page.close();
    const threaded = await browser.context.newPage();
    threaded.on('pageerror', (e) => console.error(`page error (isolated): ${e.message}`));
    await threaded.goto(`${isolated.url}bench/speed.html`);
    const r2 = await threaded.evaluate((o) => window.runBenchmark(o), { ...options, threads: 2 });
    await threaded.close();
    // Blob URLs of the page's own origins (TF.js starts its threads' workers from them) are local.
    const local = [server.url, isolated.url].flatMap((u) => [u, `blob:${u}`]);
    const offsite = requests.filter((u) => !local.some((prefix) => u.startsWith(prefix)));
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
    const ortRatios = (run, tag) => {
      const m = (key) => stats(run.times[run.names[key]]).median;
      const q = (a, b) => (m(a) / m(b)).toFixed(2);
      console.log(`imprint default / ONNX Runtime Web default, ${tag} (median): ${q('default', 'ortDefault')}`);
      console.log(`same network, imprint / ONNX Runtime Web (median), out_relu, ${tag}: ${q('sameFull', 'ortFull')}`);
      console.log(
        `same network, imprint / ONNX Runtime Web (median), block_13_depthwise_relu, ${tag}: ${q('sameCut', 'ortCut')}`,
      );
      console.log(`same network, ONNX Runtime Web ${tag} / TF.js (median), out_relu: ${q('ortFull', 'tfFull')}`);
      console.log(
        `ONNX Runtime Web: ${run.ortThreads} thread(s), load ${run.load.ort.toFixed(0)} ms (3 sessions); cosine(imprint, ORT) on the first photo: out_relu ${run.cosineOrt.outRelu.toFixed(6)}, default embedding ${run.cosineOrt.embedding.toFixed(6)}`,
      );
    };
    ortRatios(r, 'ORT 1 thread');
    console.log(`requests: ${requests.length}, all to ${server.url} and ${isolated.url}`);

    // The cross-origin isolated page: TF.js and ONNX Runtime with 2 threads.
    console.log('');
    console.log(
      `# cross-origin isolated page (COOP/COEP), ${r2.images} photos x ${rounds} rounds, interleaved, batch 1: crossOriginIsolated ${r2.crossOriginIsolated}; TF.js ${r2.tfThreads} thread(s) (its multithread support: ${r2.tfMultithread}), ONNX Runtime Web ${r2.ortThreads} thread(s), imprint 1 thread`,
    );
    console.log('');
    console.log('| what | ms/image min / median | images |');
    console.log('|---|---|---|');
    for (const [name, list] of Object.entries(r2.times)) {
      const s = stats(list);
      console.log(`| ${name} | ${s.min.toFixed(1)} / ${s.median.toFixed(1)} | ${s.n} |`);
    }
    const m2 = (key) => stats(r2.times[r2.names[key]]).median;
    console.log('');
    console.log(
      `isolated page, imprint default (1 thread) / TF.js MobileNetV2 (${r2.tfThreads} thread(s)) (median): ${(m2('default') / m2('tfFull')).toFixed(2)}`,
    );
    console.log(
      `isolated page, same network, imprint (1 thread) / TF.js (${r2.tfThreads} thread(s)) (median), out_relu: ${(m2('sameFull') / m2('tfFull')).toFixed(2)}`,
    );
    ortRatios(r2, 'ORT 2 threads');
  } finally {
    await browser.close();
    await server.close();
    await isolated.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
