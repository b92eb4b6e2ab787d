// In the page: imprint (its default and 'accurate' presets, and nsfwjs's MobileNetV2 as an imprint
// file), TF.js (wasm backend, nsfwjs's MobileNetV2) and ONNX Runtime Web (wasm backend, the same
// networks exported by tests/bench/onnx-export.js) on the same 224x224 RGB pixels, interleaved.
// Called by tests/bench/browser-speed.js through window.runBenchmark(options); with threads > 1 (a
// cross-origin isolated page) TF.js and ONNX Runtime use that many threads and imprint's worker and
// 'accurate' cases are left out.
window.runBenchmark = async function runBenchmark({ photos, rounds, sameModelUrl, sameLayer, ortModels, threads = 1 }) {
  const full = threads === 1;
  const size = 224;
  const timed = async (fn) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };

  // Identical inputs: each photo decoded by the browser, resized once to 224x224 on a canvas.
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const images = [];
  for (const url of photos) {
    const bitmap = await createImageBitmap(await (await fetch(url)).blob());
    context.drawImage(bitmap, 0, 0, size, size);
    const rgba = context.getImageData(0, 0, size, size).data;
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i];
      rgb[j + 1] = rgba[i + 1];
      rgb[j + 2] = rgba[i + 2];
    }
    images.push(rgb);
  }

  const load = {};
  let defaultEx;
  let workerEx;
  let accurateEx;
  let sameEx;
  load.imprint = await timed(async () => (defaultEx = await imprint.createExtractor()));
  if (full) {
    load.imprintWorker = await timed(async () => (workerEx = await imprint.createExtractor({ worker: true })));
    load.imprintAccurate = await timed(async () => (accurateEx = await imprint.createExtractor({ model: 'accurate' })));
  }
  load.imprintSame = await timed(async () => (sameEx = await imprint.createExtractor({ model: sameModelUrl })));

  let model;
  load.tfjs = await timed(async () => {
    tf.wasm.setWasmPaths('/tfjs-wasm/');
    tf.wasm.setThreadsCount(threads);
    await tf.setBackend('wasm');
    await tf.ready();
    const topology = await (await fetch('/bench/model.json')).json();
    const weightData = await (await fetch('/bench/weights.bin')).arrayBuffer();
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs: topology.weightSpecs, weightData }),
    );
  });
  const cut = (name) => tf.model({ inputs: model.inputs, outputs: model.getLayer(name).output });
  const tfCut = cut(sameLayer);
  const tfFull = cut('out_relu');
  const tfRun = (m, px) => {
    const pooled = tf.tidy(() =>
      m.predict(tf.tensor4d(px, [1, size, size, 3], 'int32').toFloat().div(255)).mean([1, 2]),
    );
    const out = pooled.dataSync();
    pooled.dispose();
    return out;
  };
  const raw = (px) => ({ data: px, width: size, height: size, channels: 3 });

  // ONNX Runtime Web: its own wasm files from /ort/, the exported models from /bench/.
  const sessions = {};
  load.ort = await timed(async () => {
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = threads;
    for (const [kind, url] of Object.entries(ortModels)) {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      sessions[kind] = await ort.InferenceSession.create(bytes, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
    }
  });
  const ortRun = async (kind, px) => {
    const result = await sessions[kind].run({ pixels: new ort.Tensor('uint8', px, [1, size, size, 3]) });
    return Object.values(result)[0].data;
  };
  const ortTag = `ORT ${threads} thread${threads > 1 ? 's' : ''}`;

  const names = {
    default: `imprint default embed (${defaultEx.info.dim}-d)`,
    worker: `imprint default embed, worker (${defaultEx.info.dim}-d)`,
    accurate: `imprint accurate embed (${accurateEx ? accurateEx.info.dim : 0}-d)`,
    tfFull: 'TF.js wasm GAP(out_relu), nsfwjs MobileNetV2',
    sameFull: 'imprint mobilenet_v2.imprint features(out_relu)',
    sameCut: `imprint mobilenet_v2.imprint features(${sameLayer})`,
    tfCut: `TF.js wasm GAP(${sameLayer})`,
    ortDefault: `ONNX Runtime Web default embedding (${ortTag})`,
    ortFull: `ONNX Runtime Web mobilenet_v2 GAP(out_relu) (${ortTag})`,
    ortCut: `ONNX Runtime Web mobilenet_v2 GAP(${sameLayer}) (${ortTag})`,
  };
  if (!full) {
    for (const key of ['worker', 'accurate']) delete names[key];
    const tfThreads = `TF.js ${tf.wasm.getThreadsCount()} thread${tf.wasm.getThreadsCount() > 1 ? 's' : ''}`;
    names.tfFull += ` (${tfThreads})`;
    names.tfCut += ` (${tfThreads})`;
  }
  const cases = {
    [names.default]: (px) => defaultEx.embed(raw(px)),
    ...(full && {
      [names.worker]: (px) => workerEx.embed(raw(px)),
      [names.accurate]: (px) => accurateEx.embed(raw(px)),
    }),
    [names.tfFull]: (px) => tfRun(tfFull, px),
    [names.sameFull]: (px) => sameEx.features(raw(px), 'out_relu'),
    [names.sameCut]: (px) => sameEx.features(raw(px), sameLayer),
    [names.tfCut]: (px) => tfRun(tfCut, px),
    [names.ortDefault]: (px) => ortRun('default', px),
    [names.ortFull]: (px) => ortRun('full', px),
    [names.ortCut]: (px) => ortRun('cut', px),
  };
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(images[0]); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const px of images) {
      for (const [name, fn] of Object.entries(cases)) times[name].push(await timed(() => fn(px)));
    }
  }
  // The same numbers on the same network? (cosines of imprint's outputs and each peer's, first image)
  const cos = (x, y) => {
    let d = 0;
    let nx = 0;
    let ny = 0;
    for (let i = 0; i < x.length; i++) {
      d += x[i] * y[i];
      nx += x[i] * x[i];
      ny += y[i] * y[i];
    }
    return d / Math.sqrt(nx * ny);
  };
  const a = await sameEx.features(raw(images[0]), 'out_relu');
  const cosineOutRelu = cos(a, tfRun(tfFull, images[0]));
  const cosineOrt = {
    outRelu: cos(a, await ortRun('full', images[0])),
    embedding: cos(await defaultEx.embed(raw(images[0])), await ortRun('default', images[0])),
  };
  for (const ex of [defaultEx, workerEx, accurateEx, sameEx]) if (ex) ex.dispose();
  for (const session of Object.values(sessions)) await session.release();
  return {
    times,
    names,
    load,
    images: images.length,
    cosineOutRelu,
    cosineOrt,
    ortThreads: ort.env.wasm.numThreads,
    tfBackend: tf.getBackend(),
    tfThreads: tf.wasm.getThreadsCount(),
    tfMultithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    crossOriginIsolated: self.crossOriginIsolated,
    userAgent: navigator.userAgent,
  };
};
