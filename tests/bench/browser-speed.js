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
// networks exported to ONNX by tests/bench/onnx-export.js in the same page (1 thread).
// Then threads (issue 13): a second page, served by a second server with COOP/COEP headers so that
// it is cross-origin isolated, runs every runtime on 1 and on 2 threads side by side, interleaved:
// imprint's default build and its threads build on 2 threads, TF.js on 1 and 2 threads and ONNX
// Runtime on 1 and 2 threads (each peer's thread count in an iframe of its own, as both fix it once
// per instance; tests/bench/browser/threads-page.js), and prints its own tables and ratios. Each
// runtime's thread count is checked (TF.js: getThreadsCount() and its running pthread workers) and
// the run fails if one runs fewer threads than asked.
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

const THREADS = 2; // the isolated page's second thread count (the machine the targets speak of has 2 cores)
const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], n: sorted.length };
}

/** The isolated page's output: per-image times, then each ratio with 1 thread each and 2 threads each. */
/** The table of ms per image (min / median) for each runtime in `times`, as both pages print it. */
function printTimes(times) {
  console.log('| what | ms/image min / median | images |');
  console.log('|---|---|---|');
  for (const [name, list] of Object.entries(times)) {
    const s = stats(list);
    console.log(`| ${name} | ${s.min.toFixed(1)} / ${s.median.toFixed(1)} | ${s.n} |`);
  }
}

function printThreads(r, rounds) {
  const [one, two] = [1, THREADS];
  const tfOwn = Math.min(Math.max(Math.floor(r.hardwareConcurrency / 2), 1), 8);
  console.log('');
  console.log(
    `# cross-origin isolated page (COOP/COEP): every runtime on 1 and on ${two} threads in one page, ${r.images} photos x ${rounds} rounds, interleaved, batch 1; crossOriginIsolated ${r.crossOriginIsolated}, navigator.hardwareConcurrency ${r.hardwareConcurrency}; load average (1, 5, 15 min) ${r.loadAverage}`,
  );
  for (const count of [one, two]) {
    const { tf, ortThreads, imprint } = r.info[count];
    console.log(
      `# ${count} thread(s): imprint ${imprint} build; TF.js getThreadsCount() ${tf.threads}, pthread workers running ${tf.pthreadsRunning}, threaded SIMD binary ${tf.threadedBinary}; ONNX Runtime Web numThreads ${ortThreads}`,
    );
  }
  console.log(
    `# TF.js caps its thread pool at navigator.hardwareConcurrency / 2 (its backend.cc), whatever setThreadsCount asks: left alone it runs ${tfOwn} thread(s) here; for ${two} threads it is shown ${2 * two} logical cores while its backend starts (tests/bench/browser/peers.js)`,
  );
  console.log('');
  printTimes(r.times);
  const m = (count, key) => stats(r.times[r.names[count][key]]).median;
  const q = (count, a, b) => (m(count, a) / m(count, b)).toFixed(2);
  console.log('');
  console.log(`| ratio of medians, isolated page | 1 thread each | ${two} threads each |`);
  console.log('|---|---|---|');
  for (const [what, a, b] of [
    ['imprint default embedding / TF.js MobileNetV2 GAP(out_relu)', 'default', 'tfFull'],
    ['same network, imprint / TF.js, GAP(out_relu)', 'sameFull', 'tfFull'],
    ['imprint default embedding / ONNX Runtime Web, same exported network', 'default', 'ortDefault'],
    ['same network, imprint / ONNX Runtime Web, GAP(out_relu)', 'sameFull', 'ortFull'],
    ['same network, ONNX Runtime Web / TF.js, GAP(out_relu)', 'ortFull', 'tfFull'],
  ])
    console.log(`| ${what} | ${q(one, a, b)} | ${q(two, a, b)} |`);
  console.log('');
  console.log(`| ${two} threads / 1 thread, same runtime, medians | ratio |`);
  console.log('|---|---|');
  for (const [what, key] of [
    ['imprint default embedding (threads build / default build)', 'default'],
    ['imprint mobilenet_v2 GAP(out_relu) (threads build / default build)', 'sameFull'],
    ['TF.js GAP(out_relu)', 'tfFull'],
    ['ONNX Runtime Web default embedding', 'ortDefault'],
    ['ONNX Runtime Web mobilenet_v2 GAP(out_relu)', 'ortFull'],
  ])
    console.log(`| ${what} | ${(m(two, key) / m(one, key)).toFixed(2)} |`);
  console.log('');
  for (const count of [one, two]) {
    const c = r.cosines[count];
    const l = r.info[count].load;
    console.log(
      `${count} thread(s): cosine(imprint, peer) on the first photo: TF.js out_relu ${c.tfOutRelu.toFixed(6)}, ORT out_relu ${c.ortOutRelu.toFixed(6)}, ORT default embedding ${c.ortEmbedding.toFixed(6)}; load: imprint ${l.imprint.toFixed(0)} ms + ${l.imprintSame.toFixed(0)} ms (mobilenet_v2), TF.js ${l.tfjs.toFixed(0)} ms, ORT ${l.ort.toFixed(0)} ms (2 sessions)`,
    );
  }
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
  const pages = ['speed.html', 'speed-page.js', 'threads.html', 'threads-page.js', 'peers.html', 'peers.js'];
  for (const name of [...pages, 'bench-common.js'])
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
    const loadBefore = loadAverage();
    const r = await page.evaluate((o) => window.runBenchmark(o), options);
    r.loadAverage = `${loadBefore} before, ${loadAverage()} after`;
    await page.close();
    const threaded = await browser.context.newPage();
    threaded.on('pageerror', (e) => console.error(`page error (isolated): ${e.message}`));
    await threaded.goto(`${isolated.url}bench/threads.html`);
    const loadBefore2 = loadAverage();
    const r2 = await threaded.evaluate((o) => window.runThreadsBenchmark(o), {
      photos,
      rounds,
      sameModelUrl: options.sameModelUrl,
      ortModels: { default: ortModels.default, full: ortModels.full },
      threads: THREADS,
    });
    r2.loadAverage = `${loadBefore2} before, ${loadAverage()} after`;
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
      `# ${r.images} real photos x ${rounds} rounds, interleaved, batch 1; TF.js backend ${r.tfBackend}, ${r.tfThreads} thread(s), SIMD ${r.simd}; crossOriginIsolated ${r.crossOriginIsolated}; load average (1, 5, 15 min) ${r.loadAverage}`,
    );
    console.log('');
    printTimes(r.times);
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
    // ONNX Runtime Web on 1 thread (this page is not isolated); its 2-thread figures are in the isolated page's tables.
    const ortTag = 'ORT 1 thread';
    console.log(`imprint default / ONNX Runtime Web default, ${ortTag} (median): ${ratio('default', 'ortDefault')}`);
    console.log(
      `same network, imprint / ONNX Runtime Web (median), out_relu, ${ortTag}: ${ratio('sameFull', 'ortFull')}`,
    );
    console.log(
      `same network, imprint / ONNX Runtime Web (median), block_13_depthwise_relu, ${ortTag}: ${ratio('sameCut', 'ortCut')}`,
    );
    console.log(`same network, ONNX Runtime Web ${ortTag} / TF.js (median), out_relu: ${ratio('ortFull', 'tfFull')}`);
    console.log(
      `ONNX Runtime Web: ${r.ortThreads} thread(s), load ${r.load.ort.toFixed(0)} ms (3 sessions); cosine(imprint, ORT) on the first photo: out_relu ${r.cosineOrt.outRelu.toFixed(6)}, default embedding ${r.cosineOrt.embedding.toFixed(6)}`,
    );
    console.log(`requests: ${requests.length}, all to ${server.url} and ${isolated.url}`);

    printThreads(r2, rounds);
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
