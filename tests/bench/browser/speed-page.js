// In the page: imprint (its default and 'accurate' presets, and nsfwjs's MobileNetV2 as an imprint
// file) and TF.js (wasm backend, nsfwjs's MobileNetV2) on the same 224x224 RGB pixels, interleaved.
// Called by tests/bench/browser-speed.js through window.runBenchmark(options).
window.runBenchmark = async function runBenchmark({ photos, rounds, sameModelUrl, sameLayer }) {
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
  load.imprintWorker = await timed(async () => (workerEx = await imprint.createExtractor({ worker: true })));
  load.imprintAccurate = await timed(async () => (accurateEx = await imprint.createExtractor({ model: 'accurate' })));
  load.imprintSame = await timed(async () => (sameEx = await imprint.createExtractor({ model: sameModelUrl })));

  let model;
  load.tfjs = await timed(async () => {
    tf.wasm.setWasmPaths('/tfjs-wasm/');
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

  const names = {
    default: `imprint default embed (${defaultEx.info.dim}-d)`,
    worker: `imprint default embed, worker (${defaultEx.info.dim}-d)`,
    accurate: `imprint accurate embed (${accurateEx.info.dim}-d)`,
    tfFull: 'TF.js wasm GAP(out_relu), nsfwjs MobileNetV2',
    sameFull: 'imprint mobilenet_v2.imprint features(out_relu)',
    sameCut: `imprint mobilenet_v2.imprint features(${sameLayer})`,
    tfCut: `TF.js wasm GAP(${sameLayer})`,
  };
  const cases = {
    [names.default]: (px) => defaultEx.embed(raw(px)),
    [names.worker]: (px) => workerEx.embed(raw(px)),
    [names.accurate]: (px) => accurateEx.embed(raw(px)),
    [names.tfFull]: (px) => tfRun(tfFull, px),
    [names.sameFull]: (px) => sameEx.features(raw(px), 'out_relu'),
    [names.sameCut]: (px) => sameEx.features(raw(px), sameLayer),
    [names.tfCut]: (px) => tfRun(tfCut, px),
  };
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(images[0]); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const px of images) {
      for (const [name, fn] of Object.entries(cases)) times[name].push(await timed(() => fn(px)));
    }
  }
  // The same numbers on the same network? (cosine of imprint's out_relu and TF.js's, first image)
  const a = await sameEx.features(raw(images[0]), 'out_relu');
  const b = tfRun(tfFull, images[0]);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  for (const ex of [defaultEx, workerEx, accurateEx, sameEx]) ex.dispose();
  return {
    times,
    names,
    load,
    images: images.length,
    cosineOutRelu: dot / Math.sqrt(na * nb),
    tfBackend: tf.getBackend(),
    tfThreads: tf.wasm.getThreadsCount(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    crossOriginIsolated: self.crossOriginIsolated,
    userAgent: navigator.userAgent,
  };
};
