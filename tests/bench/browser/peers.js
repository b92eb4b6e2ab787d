// In a page or an iframe: the two peers, TF.js 4.22 (wasm backend, nsfwjs's MobileNetV2 handed to
// tf.io.fromMemory from /bench/) and ONNX Runtime Web (wasm backend, the networks exported by
// tests/bench/onnx-export.js), set up with `threads` threads each. Both fix their thread count once
// per instance (per page), so tests/bench/browser/threads-page.js loads this script in one iframe per
// thread count. window.createPeers(options) → { tf(layer, i), ort(kind, i), info }; the runs take
// the index of an image, because TF.js and ONNX Runtime test for typed arrays with instanceof, which
// fails on another frame's arrays: the images are copied into this frame once, outside the timing.
window.createPeers = async function createPeers({ images, threads, tfLayers, ortModels }) {
  const size = 224;
  const own = images.map((px) => new Uint8Array(px));
  const timed = async (fn) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  const load = {};

  // TF.js caps its XNNPACK pool at navigator.hardwareConcurrency / 2 (tfjs-backend-wasm's backend.cc
  // assumes two hyperthreads per core), whatever setThreadsCount asks: on a machine with 2 logical
  // cores it runs 1 thread. For its 2-thread figure it is shown 2 x threads logical cores while its
  // backend starts (the only moment it reads them), then the real value is back; the count it runs is
  // checked below, never assumed.
  let model;
  let tfInfo;
  const hardwareConcurrency = navigator.hardwareConcurrency;
  load.tfjs = await timed(async () => {
    tf.wasm.setWasmPaths('/tfjs-wasm/');
    tf.wasm.setThreadsCount(threads);
    if (threads > 1)
      Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
    try {
      if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the wasm backend did not start');
      await tf.ready();
    } finally {
      if (threads > 1) delete navigator.hardwareConcurrency;
    }
    const wasmModule = tf.backend().wasm;
    tfInfo = {
      backend: tf.getBackend(),
      threads: tf.wasm.getThreadsCount(), // the size of TF.js's XNNPACK thread pool
      threadedBinary: 'PThread' in wasmModule, // tfjs-backend-wasm-threaded-simd.wasm
      pthreadsRunning: wasmModule.PThread ? wasmModule.PThread.runningWorkers.length : 0,
      multithreadSupport: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      hardwareConcurrency,
    };
    if (tfInfo.backend !== 'wasm' || tfInfo.threads !== threads || tfInfo.pthreadsRunning < threads - 1) {
      throw new Error(
        `TF.js was asked for ${threads} thread(s) on its wasm backend and runs ${tfInfo.threads} on ${tfInfo.backend} ` +
          `(${tfInfo.pthreadsRunning} pthread worker(s) running, threaded binary ${tfInfo.threadedBinary}, crossOriginIsolated ${self.crossOriginIsolated})`,
      );
    }
    const topology = await (await fetch('/bench/model.json')).json();
    const weightData = await (await fetch('/bench/weights.bin')).arrayBuffer();
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs: topology.weightSpecs, weightData }),
    );
  });
  const cuts = Object.fromEntries(
    tfLayers.map((name) => [name, tf.model({ inputs: model.inputs, outputs: model.getLayer(name).output })]),
  );
  const tfRun = (layer, i) => {
    const pooled = tf.tidy(() =>
      cuts[layer].predict(tf.tensor4d(own[i], [1, size, size, 3], 'int32').toFloat().div(255)).mean([1, 2]),
    );
    const out = pooled.dataSync();
    pooled.dispose();
    return out;
  };

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
        // No spinning after a run on 2 threads: it would take a core from what the page times next
        // (as in tests/bench/speed.js).
        ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
      });
    }
  });
  // ONNX Runtime drops to 1 thread (with a warning) where threads cannot run: fail instead.
  if (ort.env.wasm.numThreads !== threads) {
    throw new Error(`ONNX Runtime Web was asked for ${threads} thread(s) and runs ${ort.env.wasm.numThreads}`);
  }
  const ortRun = async (kind, i) => {
    const result = await sessions[kind].run({ pixels: new ort.Tensor('uint8', own[i], [1, size, size, 3]) });
    return Object.values(result)[0].data;
  };

  return {
    tf: tfRun,
    ort: ortRun,
    info: { tf: tfInfo, ortThreads: ort.env.wasm.numThreads, load },
    async dispose() {
      for (const session of Object.values(sessions)) await session.release();
    },
  };
};
