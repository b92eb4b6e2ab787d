// In the page (not cross-origin isolated, so every runtime on one thread): imprint (its default and
// 'accurate' presets, and nsfwjs's MobileNetV2 as an imprint file), TF.js (wasm backend, nsfwjs's
// MobileNetV2) and ONNX Runtime Web (wasm backend, the same networks exported by
// tests/bench/onnx-export.js; both set up by peers.js) on the same 224x224 RGB pixels, interleaved.
// Called by tests/bench/browser-speed.js through window.runBenchmark(options).
window.runBenchmark = async function runBenchmark({ photos, rounds, sameModelUrl, sameLayer, ortModels }) {
  const size = 224;
  const images = await loadBenchImages(photos, size);

  const load = {};
  let defaultEx;
  let workerEx;
  let accurateEx;
  let sameEx;
  load.imprint = await timed(async () => (defaultEx = await imprint.createExtractor()));
  load.imprintWorker = await timed(async () => (workerEx = await imprint.createExtractor({ worker: true })));
  load.imprintAccurate = await timed(async () => (accurateEx = await imprint.createExtractor({ model: 'accurate' })));
  load.imprintSame = await timed(async () => (sameEx = await imprint.createExtractor({ model: sameModelUrl })));
  const peers = await createPeers({ images, threads: 1, tfLayers: ['out_relu', sameLayer], ortModels });
  Object.assign(load, peers.info.load);
  const raw = (px) => ({ data: px, width: size, height: size, channels: 3 });

  const ortTag = 'ORT 1 thread';
  const names = {
    default: `imprint default embed (${defaultEx.info.dim}-d)`,
    worker: `imprint default embed, worker (${defaultEx.info.dim}-d)`,
    accurate: `imprint accurate embed (${accurateEx.info.dim}-d)`,
    tfFull: 'TF.js wasm GAP(out_relu), nsfwjs MobileNetV2',
    sameFull: 'imprint mobilenet_v2.imprint features(out_relu)',
    sameCut: `imprint mobilenet_v2.imprint features(${sameLayer})`,
    tfCut: `TF.js wasm GAP(${sameLayer})`,
    ortDefault: `ONNX Runtime Web default embedding (${ortTag})`,
    ortFull: `ONNX Runtime Web mobilenet_v2 GAP(out_relu) (${ortTag})`,
    ortCut: `ONNX Runtime Web mobilenet_v2 GAP(${sameLayer}) (${ortTag})`,
  };
  // Each case gets the image and its index (the peers take the index: peers.js says why).
  const cases = {
    [names.default]: (px) => defaultEx.embed(raw(px)),
    [names.worker]: (px) => workerEx.embed(raw(px)),
    [names.accurate]: (px) => accurateEx.embed(raw(px)),
    [names.tfFull]: (px, i) => peers.tf('out_relu', i),
    [names.sameFull]: (px) => sameEx.features(raw(px), 'out_relu'),
    [names.sameCut]: (px) => sameEx.features(raw(px), sameLayer),
    [names.tfCut]: (px, i) => peers.tf(sameLayer, i),
    [names.ortDefault]: (px, i) => peers.ort('default', i),
    [names.ortFull]: (px, i) => peers.ort('full', i),
    [names.ortCut]: (px, i) => peers.ort('cut', i),
  };
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(images[0], 0); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [i, px] of images.entries()) {
      for (const [name, fn] of Object.entries(cases)) times[name].push(await timed(() => fn(px, i)));
    }
  }
  // The same numbers on the same network? (cosines of imprint's outputs and each peer's, first image)
  const a = await sameEx.features(raw(images[0]), 'out_relu');
  const cosineOutRelu = benchCosine(a, peers.tf('out_relu', 0));
  const cosineOrt = {
    outRelu: benchCosine(a, await peers.ort('full', 0)),
    embedding: benchCosine(await defaultEx.embed(raw(images[0])), await peers.ort('default', 0)),
  };
  for (const ex of [defaultEx, workerEx, accurateEx, sameEx]) ex.dispose();
  await peers.dispose();
  return {
    times,
    names,
    load,
    images: images.length,
    cosineOutRelu,
    cosineOrt,
    ortThreads: peers.info.ortThreads,
    tfBackend: peers.info.tf.backend,
    tfThreads: peers.info.tf.threads,
    simd: peers.info.tf.simd,
    crossOriginIsolated: self.crossOriginIsolated,
    userAgent: navigator.userAgent,
  };
};
