#!/usr/bin/env node
'use strict';
// Speed benchmark (a script, not a test), everything in one process on the same 224x224 RGB pixels,
// interleaved, batch 1, one thread each:
//   - imprint's default embedding (embed() of the 'default' preset: the SSD detector's MobileNetV2)
//     and the 'accurate' preset, against TF.js 4.22 (wasm backend, SIMD, 1 thread) running nsfwjs's
//     MobileNetV2 to GAP(out_relu): the MobileNetV2 a TF.js user runs (issue 12 section 2: the
//     default at most 0.5x of it; 'accurate' at most 2.5x the default);
//   - the same network in both: imprint running nsfwjs's MobileNetV2 (dist/models/mobilenet_v2.imprint)
//     against TF.js, at GAP(out_relu) and GAP(block_13_depthwise_relu);
//   - a second peer, ONNX Runtime Web 1.30 (wasm, SIMD), on the same networks and weights exported to
//     ONNX by tests/bench/onnx-export.js: the default embedding and mobilenet_v2 at both layers, with
//     1 thread in this thread and with 2 threads in a worker thread (ORT fixes its thread count once
//     per instance; it runs threads in Node on worker_threads), each timed around session.run.
// TF.js runs on 1 thread only: tfjs-backend-wasm 4.22 has no threads in Node (its flags_wasm.js
// answers WASM_HAS_MULTITHREAD_SUPPORT false under Node, TF.js issue 3830, so it loads its
// non-threaded SIMD binary; forcing the flag fails, as its threaded binary starts its pthread
// workers from blob: URLs, which Node's worker_threads refuses). The output says so with the
// figures the backend reports; TF.js's 2-thread row is in tests/bench/browser-speed.js (Chromium).
// Prints model load times and ms/image (min / median) and the ratios of the medians.
//
//   node tests/bench/speed.js [--rounds N] [--no-ort]
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const jpeg = require('jpeg-js');

const { createExtractor } = require('../..');
const { loadReference, tf } = require('../support/tfjs-reference');
const testdata = require('../support/testdata');
const { cosine } = require('../support/compare');

const ROOT = path.join(__dirname, '..', '..');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const withOrt = !process.argv.includes('--no-ort');
const SAME_LAYER = 'block_13_depthwise_relu';
const ORT_VERSION = withOrt
  ? JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('onnxruntime-web')), '..', 'package.json')))
      .version
  : null;

/** ONNX Runtime Web sessions of the exported networks, with `threads` threads (one instance each). */
async function ortSessions(threads) {
  const ort = require('onnxruntime-web');
  const { exportOnnx } = require('./onnx-export.js');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = `${path.dirname(require.resolve('onnxruntime-web'))}${path.sep}`; // local files
  const models = path.join(ROOT, 'dist', 'models');
  const make = (file, options) =>
    ort.InferenceSession.create(exportOnnx(fs.readFileSync(path.join(models, file)), options), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      // ORT's thread pool spins after each run by default, waiting for more work. With 2 threads
      // on this 2-core machine that takes a core from whatever this process times next (once it
      // doubled imprint's times, the cases right after ORT's), so the 2-thread instance waits
      // without spinning (ORT's session option session.intra_op.allow_spinning).
      ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    });
  const start = performance.now();
  const sessions = {
    default: await make('default.imprint'),
    full: await make('mobilenet_v2.imprint', { layers: ['out_relu'] }),
    cut: await make('mobilenet_v2.imprint', { layers: [SAME_LAYER] }),
  };
  const loadMs = performance.now() - start;
  /** Runs one network on 224x224 RGB bytes; returns its one output's values. */
  const run = async (kind, px) => {
    const result = await sessions[kind].run({ pixels: new ort.Tensor('uint8', px, [1, 224, 224, 3]) });
    return Object.values(result)[0].data;
  };
  return { run, loadMs, threads: ort.env.wasm.numThreads };
}

// The 2-thread ORT instance's thread: answers { kind, px } with the time of one run.
if (!isMainThread) {
  ortSessions(workerData.threads).then(({ run, loadMs, threads }) => {
    parentPort.postMessage({ loadMs, threads });
    parentPort.on('message', async ({ kind, px }) => {
      const start = performance.now();
      await run(kind, px);
      parentPort.postMessage({ ms: performance.now() - start });
    });
  });
}

/** A worker thread holding ORT with `threads` threads: { run(kind, px) → { ms }, loadMs, threads, stop }. */
async function ortWorker(threads) {
  const worker = new Worker(__filename, { workerData: { threads } });
  // One request at a time: each message answers the pending one; an error fails it (and the next).
  let pending = null;
  let failure = null;
  worker.on('message', (message) => pending && pending.resolve(message));
  worker.on('error', (error) => {
    failure = error;
    if (pending) pending.reject(error);
  });
  const next = () =>
    new Promise((resolve, reject) => {
      if (failure) reject(failure);
      else pending = { resolve, reject };
    });
  const ready = await next();
  return {
    ...ready,
    run: (kind, px) => {
      const answer = next();
      worker.postMessage({ kind, px });
      return answer;
    },
    stop: () => worker.terminate(),
  };
}

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
  const sameLayer = SAME_LAYER;
  const [ort1] = withOrt ? await timedLoad(() => ortSessions(1)) : [null];
  const ort2 = withOrt ? await ortWorker(2) : null;

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
  const ORT = {};
  if (withOrt) {
    for (const [threads, instance] of [
      [1, ort1],
      [2, ort2],
    ]) {
      const what = `ORT ${threads} thread${threads > 1 ? 's' : ''}`;
      ORT[threads] = {
        default: `ONNX Runtime Web default embedding (${what})`,
        full: `ONNX Runtime Web mobilenet_v2 GAP(out_relu) (${what})`,
        cut: `ONNX Runtime Web mobilenet_v2 GAP(${sameLayer}) (${what})`,
      };
      for (const kind of ['default', 'full', 'cut']) cases[ORT[threads][kind]] = (px) => instance.run(kind, px);
    }
  }
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(images[0]); // warm-up (runtimes built, kernels packed)
  for (let r = 0; r < rounds; r++) {
    for (const px of images) {
      for (const [name, fn] of Object.entries(cases)) {
        const start = performance.now();
        const result = await fn(px);
        // The 2-thread ORT instance times session.run in its own thread (no message overhead).
        times[name].push(result && typeof result.ms === 'number' ? result.ms : performance.now() - start);
      }
    }
  }
  const cpu = os.cpus()[0].model;
  console.log(
    `# imprint speed, ${new Date().toISOString()}, Node ${process.version}, ${cpu}, ${os.cpus().length} cores`,
  );
  console.log(
    `# ${images.length} real photos x ${rounds} rounds, interleaved, batch 1, one thread each${withOrt ? ' (ONNX Runtime Web also with 2)' : ''}`,
  );
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
  if (withOrt) {
    for (const threads of [1, 2]) {
      const o = ORT[threads];
      const tag = `ORT ${threads} thread${threads > 1 ? 's' : ''}`;
      console.log(`imprint default / ONNX Runtime Web default, ${tag} (median): ${ratio(DEFAULT, o.default)}`);
      console.log(`same network, imprint / ONNX Runtime Web (median), out_relu, ${tag}: ${ratio(SAME_FULL, o.full)}`);
      console.log(`same network, imprint / ONNX Runtime Web (median), ${sameLayer}, ${tag}: ${ratio(SAME_CUT, o.cut)}`);
      console.log(`same network, ONNX Runtime Web ${tag} / TF.js (median), out_relu: ${ratio(o.full, TF_FULL)}`);
    }
    const a = await sameEx.features(raw(images[0]), 'out_relu');
    const b = await ort1.run('full', images[0]);
    const e = await ort1.run('default', images[0]);
    console.log(
      `ONNX Runtime Web ${ORT_VERSION}, wasm SIMD, threads ${ort1.threads} and ${ort2.threads} (worker thread); load (export + session) ${ort1.loadMs.toFixed(0)} ms; same numbers: cosine(imprint, ORT) on the first image, out_relu ${cosine(a, b).toFixed(6)}, default embedding ${cosine(await defaultEx.embed(raw(images[0])), e).toFixed(6)}`,
    );
    await ort2.stop();
  }
  const tfMultithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const tfThreads = require('@tensorflow/tfjs-backend-wasm').getThreadsCount();
  if (tfMultithread || tfThreads !== 1)
    throw new Error(
      `TF.js reports threads in Node now (${tfThreads}, multithread ${tfMultithread}): time its 2 threads too`,
    );
  console.log(
    `TF.js ${tf.version.tfjs} wasm backend in Node: ${tfThreads} thread; WASM_HAS_MULTITHREAD_SUPPORT ${tfMultithread} (tfjs-backend-wasm turns threads off under Node, TF.js issue 3830; its threaded binary cannot start workers from blob: URLs there), so Node has no TF.js 2-thread row`,
  );
  console.log(
    `model load (wasm compile + model parse + graph build): imprint default ${defaultLoadMs.toFixed(0)} ms, accurate ${accurateLoadMs.toFixed(0)} ms, mobilenet_v2.imprint ${sameLoadMs.toFixed(0)} ms; TF.js ${tfjsLoadMs.toFixed(0)} ms (backend init + fast-path load)`,
  );
  const kib = (...p) => `${(fs.statSync(path.join(ROOT, 'dist', ...p)).size / 1024).toFixed(0)} KiB`;
  console.log(
    `sizes: imprint-core.wasm ${kib('imprint-core.wasm')}, default.imprint ${kib('models', 'default.imprint')}, accurate.imprint ${kib('models', 'accurate.imprint')}, mobilenet_v2.imprint ${kib('models', 'mobilenet_v2.imprint')}`,
  );
  for (const ex of [defaultEx, accurateEx, sameEx]) ex.dispose();
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
