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
