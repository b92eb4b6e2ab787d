'use strict';
// The browser builds in Debian's Chromium: window.imprint (<script>), the ES module, and the Web
// Worker variant compute the same embeddings as Node for the same bytes (cosine >= 0.9999), accept
// every browser input type, and work under the demo server's strict Content-Security-Policy
// (no eval, same origin only, no cross-origin isolation).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { createExtractor, createClassifier } = require('..');
const testdata = require('./support/testdata');
const { buildWeb, launchBrowser, recordRequests, watchPage, cosine } = require('./support/browser');
const { createServer, STRICT_CSP } = require('../demo/serve.js');

const ROOT = path.join(__dirname, '..');
const NAMES = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream'];
buildWeb();
const MODEL_BYTES = fs.statSync(path.join(ROOT, 'dist', 'web', 'default.imprint')).size;

let server;
let browser;
let requests;
const node = {};

test.before(async () => {
  const photos = path.dirname(testdata.photo('dog'));
  server = await createServer({
    port: 0,
    mounts: { '/fixture/': path.join(__dirname, 'browser'), '/photos/': photos },
  });
  browser = await launchBrowser();
  requests = recordRequests(browser.context);
  const extractor = await createExtractor();
  node.info = extractor.info;
  for (const name of NAMES) node[name] = await extractor.embed(fs.readFileSync(testdata.photo(name)));
  node.extractor = extractor;
});

test.after(async () => {
  if (node.extractor) node.extractor.dispose();
  if (browser) await browser.close();
  if (server) await server.close();
});

async function openPage(fixture) {
  const page = await browser.context.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.url}fixture/${fixture}`);
  return { page, problems };
}

function assertSameAsNode(vectors, what) {
  for (const name of NAMES) {
    assert.equal(vectors[name].length, node.info.dim, `${what}: ${name} has ${vectors[name].length} values`);
    const similarity = cosine(vectors[name], node[name]);
    assert.ok(similarity >= 0.9999, `${what}: ${name}.jpg cosine to Node's embedding is ${similarity}`);
  }
}

/** In the page: embeds every photo's bytes with `imprint`, returns info, vectors and progress events. */
async function embedPhotosInPage(page, expression, options) {
  return page.evaluate(
    async ({ names, expression, options }) => {
      const lib = expression === 'module' ? window.imprintModule.imprint : window.imprint;
      const progress = [];
      const extractor = await lib.createExtractor({ ...options, onProgress: (e) => progress.push(e) });
      const vectors = {};
      for (const name of names) {
        const bytes = new Uint8Array(await (await fetch(`/photos/${name}.jpg`)).arrayBuffer());
        vectors[name] = Array.from(await extractor.embed(bytes));
      }
      const info = extractor.info;
      extractor.dispose();
      return {
        info: { name: info.name, dim: info.dim, modelHash: info.modelHash, inputSize: info.inputSize },
        vectors,
        progress,
        csp: window.cspViolations,
      };
    },
    { names: NAMES, expression, options },
  );
}

test('the strict Content-Security-Policy is really enforced: eval, new Function and inline scripts are blocked, wasm compiles', async () => {
  const page = await browser.context.newPage(); // not watched: the probe's refusals are logged as errors on purpose
  const response = await page.goto(`${server.url}fixture/csp-probe.html`);
  assert.equal(response.headers()['content-security-policy'], STRICT_CSP);
  const probe = await page.evaluate(() => window.cspProbe);
  assert.deepEqual(probe, { evalBlocked: true, newFunctionBlocked: true, inlineScriptRan: false, wasmCompiles: true });
  await page.close();
});

test('<script> build: window.imprint embeds the sample photos exactly as Node does, with model download progress in bytes', async () => {
  const { page, problems } = await openPage('classic.html');
  const api = await page.evaluate(() => Object.keys(window.imprint).sort());
  for (const name of [
    'createExtractor',
    'createClassifier',
    'loadClassifier',
    'ImprintError',
    'createWorkerExtractor',
  ]) {
    assert.ok(api.includes(name), `window.imprint lacks ${name}`);
  }
  const result = await embedPhotosInPage(page, 'classic', {});
  assert.deepEqual(result.info, {
    name: node.info.name,
    dim: node.info.dim,
    modelHash: node.info.modelHash,
    inputSize: [...node.info.inputSize],
  });
  assertSameAsNode(result.vectors, '<script> build');
  const bytes = result.progress.filter((e) => e.stage === 'model' && e.loaded !== undefined);
  assert.ok(bytes.length >= 2, `expected byte progress events, got ${JSON.stringify(result.progress)}`);
  assert.equal(bytes.at(-1).loaded, MODEL_BYTES);
  assert.equal(bytes.at(-1).total, MODEL_BYTES);
  assert.ok(result.progress.some((e) => e.stage === 'ready'));
  assert.deepEqual(result.csp, [], 'Content-Security-Policy violations');
  assert.deepEqual(problems, []);
  await page.close();
});

test('ES module build: a plain <script type="module"> import embeds the photos exactly as Node does', async () => {
  const { page, problems } = await openPage('module.html');
  await page.waitForFunction(() => window.imprintModule);
  const result = await embedPhotosInPage(page, 'module', {});
  assertSameAsNode(result.vectors, 'ES module build');
  assert.equal(
    await page.evaluate(() => window.imprintModule.createExtractor === window.imprintModule.imprint.createExtractor),
    true,
  );
  assert.deepEqual(result.csp, []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('worker variant: createExtractor({ worker: true }) embeds the photos exactly as Node does, and the page keeps running meanwhile', async (t) => {
  const { page, problems } = await openPage('classic.html');
  const result = await embedPhotosInPage(page, 'classic', { worker: true });
  assertSameAsNode(result.vectors, 'worker');
  assert.ok(
    result.progress.some((e) => e.stage === 'model' && e.loaded === MODEL_BYTES),
    'model progress crosses from the worker',
  );

  // The page's own timer keeps firing while the worker embeds a batch of decoded photos; the same
  // batch in the page's thread blocks it from the first image to the last.
  const timing = await page.evaluate(async (names) => {
    const images = [];
    for (const n of names) {
      const bitmap = await createImageBitmap(await (await fetch(`/photos/${n}.jpg`)).blob());
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      context.drawImage(bitmap, 0, 0);
      images.push(context.getImageData(0, 0, bitmap.width, bitmap.height));
    }
    const measure = async (extractor) => {
      let last = performance.now();
      let longest = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 5);
      const progress = [];
      const vectors = await extractor.embedBatch([...images, ...images], { onProgress: (e) => progress.push(e.done) });
      clearInterval(timer);
      longest = Math.max(longest, performance.now() - last);
      return { count: vectors.length, longest, progress };
    };
    const inWorker = await imprint.createExtractor({ worker: true });
    const worker = await measure(inWorker);
    const inPage = await imprint.createExtractor();
    const page = await measure(inPage);
    inPage.dispose();
    inWorker.dispose();
    let disposed = null;
    await inWorker.embed(images[0]).catch((e) => (disposed = e.code));
    return { worker, page, disposed };
  }, NAMES);
  assert.equal(timing.worker.count, 2 * NAMES.length);
  assert.deepEqual(
    timing.worker.progress,
    Array.from({ length: 2 * NAMES.length }, (_, i) => i + 1),
  );
  t.diagnostic(
    `longest stall of the page's thread during a 14-photo batch: ${timing.worker.longest.toFixed(0)} ms with the worker, ${timing.page.longest.toFixed(0)} ms in the page`,
  );
  assert.ok(
    timing.worker.longest < 300 && timing.worker.longest * 3 < timing.page.longest,
    `longest stall of the page's thread: ${timing.worker.longest.toFixed(0)} ms with the worker, ${timing.page.longest.toFixed(0)} ms without`,
  );
  assert.equal(timing.disposed, 'DISPOSED');
  assert.deepEqual(problems, []);
  await page.close();
});

test('browser inputs: Blob, File, <img>, canvas, OffscreenCanvas, ImageBitmap, ImageData, <video> frame, URL, WebP via the browser decoder', async () => {
  const { page, problems } = await openPage('classic.html');
  const result = await page.evaluate(async () => {
    const ex = await imprint.createExtractor();
    const out = {};
    const bytes = await (await fetch('/photos/dog.jpg')).arrayBuffer();
    const blob = new Blob([bytes], { type: 'image/jpeg' });
    const take = async (name, input) => (out[name] = Array.from(await ex.embed(input)));
    await take('bytes', new Uint8Array(bytes));
    await take('arrayBuffer', bytes);
    await take('blob', blob);
    await take('file', new File([bytes], 'dog.jpg', { type: 'image/jpeg' }));
    await take('url', '/photos/dog.jpg');
    const img = new Image();
    img.src = '/photos/dog.jpg';
    await take('img', img); // not loaded yet: embed waits for it
    const canvas = document.getElementById('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext('2d').drawImage(img, 0, 0);
    await take('canvas', canvas);
    const offscreen = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    offscreen.getContext('2d').drawImage(img, 0, 0);
    await take('offscreen', offscreen);
    const bitmap = await createImageBitmap(blob);
    await take('bitmap', bitmap);
    const imageData = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    await take('imageData', imageData);
    // A <video> showing the canvas: its current frame. Canvas streams only carry frames painted
    // after they start, so keep painting until the video has one.
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = canvas.captureStream(10);
    document.body.append(video);
    const painter = setInterval(() => canvas.getContext('2d').drawImage(img, 0, 0), 50);
    video.play().catch(() => {});
    await new Promise((resolve) =>
      video.readyState >= 2 ? resolve() : video.addEventListener('loadeddata', resolve, { once: true }),
    );
    clearInterval(painter);
    await take('video', video);
    video.srcObject.getTracks().forEach((t) => t.stop());
    // WebP: stb_image cannot read it; the browser decodes it instead.
    const webp = await new Promise((resolve) => canvas.toBlob(resolve, 'image/webp', 1));
    out.webpType = webp.type;
    await take('webp', webp);
    const errors = {};
    for (const [name, bad] of [
      ['garbage', new Uint8Array([1, 2, 3, 4])],
      ['object', { nope: true }],
      ['emptyImg', new Image()],
    ]) {
      try {
        await ex.embed(bad);
        errors[name] = 'no error';
      } catch (e) {
        errors[name] = { code: e.code, isImprintError: e instanceof imprint.ImprintError, message: e.message };
      }
    }
    out.errors = errors;
    out.afterErrors = Array.from(await ex.embed(blob)); // still usable
    ex.dispose();
    return out;
  });
  const dog = node.dog;
  for (const name of ['bytes', 'arrayBuffer', 'blob', 'file', 'url', 'afterErrors']) {
    assert.ok(cosine(result[name], dog) >= 0.9999, `${name}: cosine to Node ${cosine(result[name], dog)}`);
  }
  // Browser-decoded pixels (libjpeg-turbo in Chromium) agree with each other exactly, and closely
  // with stb_image's decode of the same JPEG.
  for (const name of ['canvas', 'offscreen', 'bitmap', 'imageData']) {
    assert.ok(cosine(result[name], result.img) >= 0.9999, `${name} vs <img>: ${cosine(result[name], result.img)}`);
  }
  assert.ok(
    cosine(result.img, dog) >= 0.98,
    `<img> (browser JPEG decoder) vs Node (stb_image): ${cosine(result.img, dog)}`,
  );
  assert.ok(
    cosine(result.video, result.canvas) >= 0.95,
    `<video> frame vs canvas: ${cosine(result.video, result.canvas)}`,
  );
  assert.equal(result.webpType, 'image/webp');
  assert.ok(
    cosine(result.webp, result.canvas) >= 0.99,
    `WebP (browser-decoded) vs canvas: ${cosine(result.webp, result.canvas)}`,
  );
  assert.equal(result.errors.garbage.code, 'DECODE_FAILED');
  assert.equal(result.errors.garbage.isImprintError, true);
  assert.equal(result.errors.object.code, 'INVALID_ARGUMENT');
  assert.match(result.errors.object.message, /Blob/);
  assert.equal(result.errors.emptyImg.code, 'DECODE_FAILED');
  assert.deepEqual(problems, []);
  await page.close();
});

test('<img> pixels: the page and Node give the same embedding for the same decoded pixels', async () => {
  const { page } = await openPage('classic.html');
  const { width, height, base64, vector } = await page.evaluate(async () => {
    const ex = await imprint.createExtractor();
    const img = new Image();
    img.src = '/photos/eagle.jpg';
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    const vector = Array.from(await ex.embed(img));
    ex.dispose();
    return { width: canvas.width, height: canvas.height, base64: btoa(binary), vector };
  });
  const data = Buffer.from(base64, 'base64');
  const fromNode = await node.extractor.embed({ data, width, height, channels: 4 });
  assert.ok(cosine(vector, fromNode) >= 0.9999, `cosine ${cosine(vector, fromNode)}`);
  await page.close();
});

test('classifier in the page and in the worker: same predictions as Node, training progress, save in one and load in the other', async () => {
  // Node reference: two classes from the sample photos.
  const clf = createClassifier(node.extractor);
  const plan = [
    ['dog', 'animal'],
    ['horses', 'animal'],
    ['giraffe', 'animal'],
    ['person', 'person'],
    ['scream', 'person'],
  ];
  for (const [name, label] of plan) clf.addEmbedding(node[name], label);
  await clf.train();
  clf.unknownRate = 0.25;
  const nodeEagle = clf.predictEmbedding(node.eagle);
  const nodeUnknown = { rate: clf.unknownRate, threshold: clf.unknownThreshold };
  clf.dispose();

  const { page, problems } = await openPage('classic.html');
  const result = await page.evaluate(async (plan) => {
    const run = async (worker) => {
      const ex = await imprint.createExtractor({ worker });
      const clf = imprint.createClassifier(ex);
      for (const [name, label] of plan) await clf.addExample(await (await fetch(`/photos/${name}.jpg`)).blob(), label);
      const counts = { animal: clf.exampleCount('animal'), person: clf.exampleCount('person') };
      const progress = [];
      const trained = await clf.train({ onProgress: (e) => progress.push(e) });
      clf.unknownRate = 0.25; // the worker's copy follows with the next reply
      const eagle = await clf.predict(await (await fetch('/photos/eagle.jpg')).blob());
      const unknown = { rate: clf.unknownRate, threshold: clf.unknownThreshold };
      const saved = await clf.save();
      return { ex, clf, labels: clf.labels, counts, progress, trained, eagle, unknown, saved, isTrained: clf.trained };
    };
    const inPage = await run(false);
    const inWorker = await run(true);
    // A head saved in the worker loads in the page, and the other way round.
    const eagleBytes = new Uint8Array(await (await fetch('/photos/eagle.jpg')).arrayBuffer());
    const fromWorker = await imprint.loadClassifier(inPage.ex, inWorker.saved);
    const fromPage = await imprint.loadClassifier(inWorker.ex, new Blob([inPage.saved]));
    const crossed = {
      inPage: await fromWorker.predict(eagleBytes),
      inWorker: await fromPage.predict(eagleBytes),
      labels: fromPage.labels,
    };
    let mismatch = null;
    try {
      await inWorker.clf.predict(new Uint8Array([9, 9, 9]));
    } catch (e) {
      mismatch = { code: e.code, isImprintError: e instanceof imprint.ImprintError };
    }
    const strip = ({ ex, clf, saved, ...rest }) => ({ ...rest, savedBytes: saved.length });
    const out = { inPage: strip(inPage), inWorker: strip(inWorker), crossed, workerError: mismatch };
    inPage.ex.dispose();
    inWorker.ex.dispose();
    return out;
  }, plan);
  for (const where of ['inPage', 'inWorker']) {
    const r = result[where];
    assert.deepEqual(r.labels, ['animal', 'person'], where);
    assert.deepEqual(r.counts, { animal: 3, person: 2 }, where);
    assert.equal(r.isTrained, true, where);
    assert.ok(
      r.progress.length >= 1 && r.progress.every((e) => Number.isFinite(e.loss) && e.step > 0),
      `${where} training progress ${JSON.stringify(r.progress)}`,
    );
    assert.equal(r.eagle.label, nodeEagle.label, where);
    assert.ok(
      Math.abs(r.eagle.confidence - nodeEagle.confidence) < 1e-3,
      `${where}: ${r.eagle.confidence} vs Node ${nodeEagle.confidence}`,
    );
    assert.ok(r.savedBytes > 0);
    assert.deepEqual(r.unknown, nodeUnknown, where);
  }
  assert.equal(result.crossed.inPage.label, nodeEagle.label);
  assert.equal(result.crossed.inWorker.label, nodeEagle.label);
  assert.deepEqual(result.crossed.labels, ['animal', 'person']);
  assert.deepEqual(result.workerError, { code: 'DECODE_FAILED', isImprintError: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('worker variant: errors cross with their codes, and dispose() is safe in any order', async () => {
  const { page, problems } = await openPage('classic.html');
  const codes = await page.evaluate(async () => {
    const code = async (fn) => {
      try {
        await fn();
        return 'no error';
      } catch (e) {
        return e instanceof imprint.ImprintError ? e.code : `not an ImprintError: ${e}`;
      }
    };
    const ex = await imprint.createExtractor({ worker: true });
    const clf = imprint.createClassifier(ex);
    const photo = await (await fetch('/photos/dog.jpg')).blob();
    const out = {
      predictEmpty: await code(() => clf.predict(photo)),
      removeUnknown: await code(() => clf.removeClass('nothing')),
      wrongLength: await code(() => clf.addEmbedding(new Float32Array(3), 'a')),
      notAnImage: await code(() => ex.embed({ nope: 1 })),
      // Validated by the real methods in the worker, as in the page's thread.
      batchNotAList: await code(() => ex.embedBatch(5)),
      batchProgressNotAFunction: await code(() => ex.embedBatch([photo], { onProgress: 5 })),
      trainProgressNotAFunction: await code(() => clf.train({ onProgress: 'no' })),
      evaluateNotAList: await code(() => clf.evaluate(5)),
      thresholdOutOfRange: await code(() => {
        clf.unknownThreshold = 2;
      }),
      rateOutOfRange: await code(() => {
        clf.unknownRate = 0.9;
      }),
      labelNotCloneable: await code(() => clf.addEmbedding(new Float32Array(ex.info.dim), () => 'a')),
      floatPixels: await code(() => ex.embed({ data: new Float32Array(48), width: 4, height: 4, channels: 3 })),
      stillWorks: (await ex.embed(photo)).length,
    };
    // Labels that are names of Object.prototype's members stay keys of the results.
    const odd = imprint.createClassifier(ex);
    await odd.addExample(photo, '__proto__');
    await odd.addExample(
      { data: new Uint8Array(32 * 32 * 3).fill(200), width: 32, height: 32, channels: 3 },
      'constructor',
    );
    const { scores } = await odd.predict(photo);
    const { perClass } = await odd.evaluate([{ label: '__proto__', input: photo }]);
    out.oddLabels = {
      nullPrototypes: Object.getPrototypeOf(scores) === null && Object.getPrototypeOf(perClass) === null,
      keys: Object.keys(scores),
      scoreTypes: [typeof scores['__proto__'], typeof scores['constructor']],
      perClassKeys: Object.keys(perClass),
    };
    odd.dispose();
    ex.dispose();
    out.labelsAfterDispose = await code(() => clf.labels);
    out.embedAfterDispose = await code(() => ex.embed(photo));
    out.disposeTwice = await code(() => {
      clf.dispose();
      clf.dispose();
      ex.dispose();
    });
    out.missingModel = await code(() => imprint.createExtractor({ worker: true, modelUrl: '/nowhere/model.imprint' }));
    out.missingWorker = await code(() => imprint.createExtractor({ worker: true, workerUrl: '/nowhere/worker.js' }));
    return out;
  });
  assert.deepEqual(codes, {
    predictEmpty: 'NO_EXAMPLES',
    removeUnknown: 'UNKNOWN_LABEL',
    wrongLength: 'MODEL_MISMATCH',
    notAnImage: 'INVALID_ARGUMENT',
    batchNotAList: 'INVALID_ARGUMENT',
    batchProgressNotAFunction: 'INVALID_ARGUMENT',
    trainProgressNotAFunction: 'INVALID_ARGUMENT',
    evaluateNotAList: 'INVALID_ARGUMENT',
    thresholdOutOfRange: 'INVALID_ARGUMENT',
    rateOutOfRange: 'INVALID_ARGUMENT',
    labelNotCloneable: 'INVALID_ARGUMENT',
    floatPixels: 'INVALID_ARGUMENT',
    oddLabels: {
      nullPrototypes: true,
      keys: ['__proto__', 'constructor'],
      scoreTypes: ['number', 'number'],
      perClassKeys: ['__proto__'],
    },
    stillWorks: node.info.dim,
    labelsAfterDispose: 'DISPOSED',
    embedAfterDispose: 'DISPOSED',
    disposeTwice: 'no error',
    missingModel: 'FILE_NOT_FOUND',
    missingWorker: 'BACKEND_FAILED',
  });
  // The 404s above are the point of the test; anything else is not.
  assert.deepEqual(
    problems.filter((p) => !/404/.test(p)),
    [],
  );
  await page.close();
});

test('similarity index in the page and in the worker: same results as Node, save in one and load in the other, coded errors', async () => {
  const { createIndex } = require('..');
  const reference = createIndex(node.extractor);
  for (const name of NAMES) reference.addEmbedding(node[name], name);
  const nodeResults = reference.queryEmbedding(node.eagle, { k: 4 });
  reference.dispose();

  const { page, problems } = await openPage('classic.html');
  const result = await page.evaluate(async (names) => {
    const run = async (worker) => {
      const ex = await imprint.createExtractor({ worker });
      const index = imprint.createIndex(ex);
      for (const name of names) await index.add(await (await fetch(`/photos/${name}.jpg`)).blob(), name);
      const eagleBlob = await (await fetch('/photos/eagle.jpg')).blob();
      const found = await index.query(eagleBlob, { k: 4 });
      const transformed = await index.transform(await ex.embed(eagleBlob));
      const selfSimilarity = transformed.reduce((sum, x) => sum + x * x, 0);
      await index.remove('kite');
      let unknown = null;
      try {
        await index.remove('kite');
      } catch (e) {
        unknown = { code: e.code, isImprintError: e instanceof imprint.ImprintError };
      }
      return {
        ex,
        index,
        found,
        size: index.size,
        ids: await index.ids,
        has: await index.has('dog'),
        unknown,
        transformed: { isFloat32Array: transformed instanceof Float32Array, selfSimilarity },
      };
    };
    const inPage = await run(false);
    const inWorker = await run(true);
    const fromWorker = await imprint.loadIndex(inPage.ex, await inWorker.index.save());
    const fromPage = await imprint.loadIndex(inWorker.ex, new Blob([await inPage.index.save()]));
    const eagle = new Uint8Array(await (await fetch('/photos/eagle.jpg')).arrayBuffer());
    const crossed = {
      inPage: await fromWorker.query(eagle, { k: 2 }),
      inWorker: await fromPage.query(eagle, { k: 2 }),
    };
    let damaged = null;
    try {
      await imprint.loadIndex(inWorker.ex, new Uint8Array(80));
    } catch (e) {
      damaged = e.code;
    }
    const strip = ({ ex, index, ...rest }) => rest;
    const out = { inPage: strip(inPage), inWorker: strip(inWorker), crossed, damaged };
    inPage.ex.dispose();
    inWorker.ex.dispose();
    return out;
  }, NAMES);
  for (const where of ['inPage', 'inWorker']) {
    const r = result[where];
    assert.deepEqual(
      r.found.map((f) => f.id),
      nodeResults.map((f) => f.id),
      where,
    );
    r.found.forEach((f, i) =>
      assert.ok(Math.abs(f.similarity - nodeResults[i].similarity) < 1e-3, `${where}: ${f.similarity}`),
    );
    assert.equal(r.size, NAMES.length - 1, where);
    assert.deepEqual(
      r.ids,
      NAMES.filter((n) => n !== 'kite'),
      where,
    );
    assert.equal(r.has, true, where);
    assert.deepEqual(r.unknown, { code: 'UNKNOWN_ID', isImprintError: true }, where);
    assert.equal(r.transformed.isFloat32Array, true, where);
    assert.ok(Math.abs(r.transformed.selfSimilarity - 1) < 1e-5, where);
  }
  assert.equal(result.crossed.inPage[0].id, 'eagle');
  assert.equal(result.crossed.inWorker[0].id, 'eagle');
  assert.equal(result.damaged, 'INDEX_CORRUPT');
  assert.deepEqual(problems, []);
  await page.close();
});

test('every request of the browser tests stayed on the test server (127.0.0.1)', () => {
  assert.ok(requests.length > 0);
  const elsewhere = requests.filter((url) => !url.startsWith(server.url));
  assert.deepEqual(elsewhere, []);
});
