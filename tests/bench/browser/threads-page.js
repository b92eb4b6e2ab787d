// In a cross-origin isolated page: imprint, TF.js and ONNX Runtime Web each on 1 and on `threads`
// threads, on the same 224x224 RGB pixels, interleaved image by image, batch 1. imprint: the default
// build (1 thread) and the threads build (`threads` threads), for its default embedding and for
// nsfwjs's MobileNetV2 as an imprint file (the same network as TF.js's). TF.js and ONNX Runtime fix
// their thread count once per instance, so each count runs in an iframe of its own (peers.js); the
// page calls into the frames directly and times every case with its own clock. Every runtime's
// thread count is checked, not assumed. Called by tests/bench/browser-speed.js through
// window.runThreadsBenchmark(options).
window.runThreadsBenchmark = async function runThreadsBenchmark({ photos, rounds, sameModelUrl, ortModels, threads }) {
  if (!self.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: no threads');
  const size = 224;
  const images = await loadBenchImages(photos, size);
  const raw = (px) => ({ data: px, width: size, height: size, channels: 3 });
  const frame = (count) =>
    new Promise((resolve, reject) => {
      const iframe = document.createElement('iframe');
      iframe.onload = () => resolve(iframe.contentWindow);
      iframe.onerror = () => reject(new Error(`peers.html (${count} threads) did not load`));
      iframe.src = `/bench/peers.html?threads=${count}`;
      document.body.appendChild(iframe);
    });

  const counts = [1, threads];
  const run = {}; // per thread count: imprint's two extractors, the peers, load times
  for (const count of counts) {
    const options = count === 1 ? { build: 'default' } : { build: 'threads', threads: count };
    const load = {};
    let embedder;
    let same;
    load.imprint = await timed(async () => (embedder = await imprint.createExtractor(options)));
    load.imprintSame = await timed(
      async () => (same = await imprint.createExtractor({ ...options, model: sameModelUrl })),
    );
    for (const ex of [embedder, same]) {
      if (ex.info.build !== options.build || ex.info.threads !== count)
        throw new Error(
          `imprint was asked for the ${options.build} build on ${count} thread(s) and runs ${ex.info.build} on ${ex.info.threads}`,
        );
    }
    const peers = await (await frame(count)).createPeers({ images, threads: count, tfLayers: ['out_relu'], ortModels });
    Object.assign(load, peers.info.load);
    run[count] = { embedder, same, peers, load };
  }

  const tag = (count) => `${count} thread${count > 1 ? 's' : ''}`;
  const names = {};
  const cases = {};
  for (const count of counts) {
    const { embedder, same, peers } = run[count];
    const build = count === 1 ? 'default build' : 'threads build';
    names[count] = {
      default: `imprint default embed (${embedder.info.dim}-d), ${build}, ${tag(count)}`,
      sameFull: `imprint mobilenet_v2.imprint features(out_relu), ${build}, ${tag(count)}`,
      tfFull: `TF.js wasm GAP(out_relu), nsfwjs MobileNetV2, ${tag(count)}`,
      ortDefault: `ONNX Runtime Web default embedding, ${tag(count)}`,
      ortFull: `ONNX Runtime Web mobilenet_v2 GAP(out_relu), ${tag(count)}`,
    };
    const n = names[count];
    Object.assign(cases, {
      [n.default]: (px) => embedder.embed(raw(px)),
      [n.sameFull]: (px) => same.features(raw(px), 'out_relu'),
      [n.tfFull]: (px, i) => peers.tf('out_relu', i),
      [n.ortDefault]: (px, i) => peers.ort('default', i),
      [n.ortFull]: (px, i) => peers.ort('full', i),
    });
  }
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(images[0], 0); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [i, px] of images.entries()) {
      for (const [name, fn] of Object.entries(cases)) times[name].push(await timed(() => fn(px, i)));
    }
  }

  // The same numbers on every thread count? (imprint's out_relu against each peer's, first image)
  const cosines = {};
  for (const count of counts) {
    const { embedder, same, peers } = run[count];
    const a = await same.features(raw(images[0]), 'out_relu');
    cosines[count] = {
      tfOutRelu: benchCosine(a, peers.tf('out_relu', 0)),
      ortOutRelu: benchCosine(a, await peers.ort('full', 0)),
      ortEmbedding: benchCosine(await embedder.embed(raw(images[0])), await peers.ort('default', 0)),
    };
  }
  const info = {};
  for (const count of counts) {
    const { embedder, same, peers, load } = run[count];
    info[count] = { imprint: embedder.info.build, tf: peers.info.tf, ortThreads: peers.info.ortThreads, load };
    embedder.dispose();
    same.dispose();
    await peers.dispose();
  }
  return {
    times,
    names,
    info,
    cosines,
    images: images.length,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated,
  };
};
