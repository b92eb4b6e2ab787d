'use strict';
// The threads build in Debian's Chromium (issue 13): a cross-origin isolated page (demo/serve.js
// with isolated: true) runs one image on imprint-core-threads with the threads asked for, on the
// page's thread and in the worker variant, and its embeddings match the default build's in the same
// page (cosine >= 0.9999 and max |difference| <= 1e-4 per value, fixed tolerances); a page that is
// not isolated falls back to the default build without fetching any threads file, and refuses
// build: 'threads' with a coded error. Assertions only: the speed is tests/bench/browser-threads.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const testdata = require('./support/testdata');
const { buildWeb, launchBrowser, recordRequests, watchPage, cosine } = require('./support/browser');
const { createServer } = require('../demo/serve.js');

const NAMES = ['dog', 'giraffe', 'scream'];
const COSINE = 0.9999;
const MAX_ABS = 1e-4;
buildWeb();

let isolated;
let plain;
let browser;
let requests;

test.before(async () => {
  const mounts = { '/fixture/': path.join(__dirname, 'browser'), '/photos/': path.dirname(testdata.photo('dog')) };
  isolated = await createServer({ port: 0, isolated: true, mounts });
  plain = await createServer({ port: 0, mounts });
  browser = await launchBrowser();
  requests = recordRequests(browser.context);
});

test.after(async () => {
  if (browser) await browser.close();
  if (isolated) await isolated.close();
  if (plain) await plain.close();
});

async function openPage(server, fixture) {
  const page = await browser.context.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.url}fixture/${fixture}`);
  if (fixture === 'module.html') await page.waitForFunction(() => window.imprintModule);
  return { page, problems };
}

/** In the page: for each options object, an extractor's info and its embeddings of the photos. */
function embedWith(page, optionsList, expression = 'classic') {
  return page.evaluate(
    async ({ names, optionsList, expression }) => {
      const lib = expression === 'module' ? window.imprintModule.imprint : window.imprint;
      const photos = [];
      for (const name of names) photos.push(new Uint8Array(await (await fetch(`/photos/${name}.jpg`)).arrayBuffer()));
      const out = [];
      for (const options of optionsList) {
        const extractor = await lib.createExtractor(options);
        const vectors = [];
        for (const bytes of photos) vectors.push(Array.from(await extractor.embed(bytes.slice())));
        // A second run of the same image on the same runtime: threads must not make it drift.
        const again = Array.from(await extractor.embed(photos[0].slice()));
        const { build, threads, dim } = extractor.info;
        extractor.dispose();
        out.push({ build, threads, dim, vectors, again });
      }
      return { results: out, isolated: window.crossOriginIsolated === true, csp: window.cspViolations };
    },
    { names: NAMES, optionsList, expression },
  );
}

function assertClose(a, b, what) {
  assert.equal(a.length, b.length, `${what}: lengths`);
  const similarity = cosine(a, b);
  assert.ok(similarity >= COSINE, `${what}: cosine ${similarity} < ${COSINE}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= MAX_ABS, `${what}: max |difference| ${worst} > ${MAX_ABS}`);
}

function assertMatches(reference, other, what) {
  NAMES.forEach((name, i) => assertClose(other.vectors[i], reference.vectors[i], `${what}: ${name}.jpg`));
  assertClose(other.again, reference.vectors[0], `${what}: ${NAMES[0]}.jpg embedded again`);
}

const threadFiles = () => requests.filter((url) => /imprint-core-threads/.test(url));

test('cross-origin isolated page: the threads build on 2 threads (auto), embeddings as the default build', async () => {
  const { page, problems } = await openPage(isolated, 'classic.html');
  const {
    results,
    isolated: wasIsolated,
    csp,
  } = await embedWith(page, [{ build: 'default' }, { threads: 2 }, { build: 'threads', threads: 1 }]);
  assert.equal(wasIsolated, true, 'the page is cross-origin isolated');
  const [single, threaded, threadsBuildOne] = results;
  assert.deepEqual([single.build, single.threads], ['default', 1]);
  assert.deepEqual([threaded.build, threaded.threads], ['threads', 2]);
  assert.deepEqual([threadsBuildOne.build, threadsBuildOne.threads], ['threads', 1]);
  assertMatches(single, threaded, 'threads build, 2 threads');
  assertMatches(single, threadsBuildOne, 'threads build, 1 thread');
  assert.ok(threadFiles().some((url) => url.endsWith('/imprint/imprint-core-threads.worker.js')));
  assert.deepEqual(csp, []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('cross-origin isolated page: the ES module and the worker variant take the threads build too', async () => {
  const { page, problems } = await openPage(isolated, 'module.html');
  const { results: fromModule } = await embedWith(page, [{ build: 'default' }, { threads: 2 }], 'module');
  assert.deepEqual([fromModule[1].build, fromModule[1].threads], ['threads', 2]);
  assertMatches(fromModule[0], fromModule[1], 'ES module, threads build');
  const { results: inWorker } = await embedWith(page, [{ worker: true, threads: 2 }], 'module');
  assert.deepEqual([inWorker[0].build, inWorker[0].threads], ['threads', 2]);
  assertMatches(fromModule[0], inWorker[0], 'worker variant, threads build');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a page that is not cross-origin isolated falls back to the default build, fetches no threads file, refuses build: threads', async () => {
  const before = threadFiles().length;
  const { page, problems } = await openPage(plain, 'classic.html');
  const { results, isolated: wasIsolated } = await embedWith(page, [{ threads: 2 }, { worker: true, threads: 2 }]);
  assert.equal(wasIsolated, false);
  for (const result of results) assert.deepEqual([result.build, result.threads], ['default', 1]);
  const refused = await page.evaluate(async () => {
    try {
      await window.imprint.createExtractor({ build: 'threads' });
      return null;
    } catch (error) {
      return { code: error.code, message: error.message };
    }
  });
  assert.equal(refused.code, 'INVALID_ARGUMENT');
  assert.match(refused.message, /Cross-Origin-Opener-Policy: same-origin/);
  assert.match(refused.message, /Cross-Origin-Embedder-Policy: require-corp/);
  const bad = await page.evaluate(async () => {
    const codes = [];
    for (const options of [{ threads: 0 }, { threads: 1.5 }, { build: 'fast' }]) {
      try {
        await window.imprint.createExtractor(options);
        codes.push(null);
      } catch (error) {
        codes.push(error.code);
      }
    }
    return codes;
  });
  assert.deepEqual(bad, ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  assert.equal(threadFiles().length, before, `threads files fetched: ${threadFiles().slice(before).join(' ')}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('threads build on 2 threads: a JPEG is checked while it is decoded, with the same refusals and pixels as the default build', async () => {
  const { page, problems } = await openPage(isolated, 'classic.html');
  const outcome = await page.evaluate(async () => {
    const dog = new Uint8Array(await (await fetch('/photos/dog.jpg')).arrayBuffer());
    // The entropy-coded data: after the first SOS segment, up to the EOI marker.
    let start = 2;
    for (;;) {
      const marker = dog[start + 1];
      start += 2 + ((dog[start + 2] << 8) | dog[start + 3]);
      if (marker === 0xda) break;
    }
    const end = dog.length - 2;
    const zeroed = dog.slice();
    zeroed.fill(0, Math.floor((start + end) / 2), Math.floor((start + end) / 2) + 500);
    const stray = new Uint8Array(dog.length + 1);
    stray.set(dog.subarray(0, end));
    stray[end] = 0x12;
    stray.set(dog.subarray(end), end + 1);
    const out = {};
    for (const options of [{ build: 'default' }, { threads: 2 }]) {
      const extractor = await window.imprint.createExtractor(options);
      const result = { build: extractor.info.build, threads: extractor.info.threads, refusals: [] };
      for (const bytes of [zeroed, stray]) {
        try {
          await extractor.embed(bytes.slice());
          result.refusals.push(null);
        } catch (error) {
          result.refusals.push({ code: error.code, message: error.message });
        }
      }
      // Still usable after the refusals: the photo's pixels, and its embedding.
      const image = await extractor.decode(dog.slice());
      let hash = 0x811c9dc5; // FNV-1a of the pixels
      for (const byte of image.data) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
      result.pixels = { width: image.width, height: image.height, channels: image.channels, hash };
      result.vector = Array.from(await extractor.embed(dog.slice()));
      extractor.dispose();
      out[options.build || 'auto'] = result;
    }
    return out;
  });
  const { default: single, auto: threaded } = outcome;
  assert.deepEqual([single.build, single.threads], ['default', 1]);
  assert.deepEqual([threaded.build, threaded.threads], ['threads', 2]);
  assert.equal(single.refusals[0].code, 'DECODE_FAILED');
  assert.match(single.refusals[0].message, /JPEG data is damaged/);
  assert.match(single.refusals[1].message, /1 byte of compressed data is left over/);
  assert.deepEqual(threaded.refusals, single.refusals);
  assert.equal(threaded.pixels.width, 768);
  assert.deepEqual(threaded.pixels, single.pixels);
  assertClose(threaded.vector, single.vector, 'dog.jpg after the refusals');
  assert.deepEqual(problems, []);
  await page.close();
});
