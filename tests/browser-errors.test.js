'use strict';
// What a web developer most often gets wrong is an ImprintError with a code and a sentence saying
// what to do, not a raw browser error: a Content-Security-Policy without 'wasm-unsafe-eval', a page
// opened from a file:// address, an image URL on another origin. Every request stays on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { createServer } = require('../demo/serve.js');
const { launchBrowser, recordRequests, buildWeb } = require('./support/browser');
const testdata = require('./support/testdata');

buildWeb();

let server;
let other; // a second origin: the same files on another port
let browser;
let requests;

test.before(async () => {
  const mounts = { '/fixture/': path.join(__dirname, 'browser'), '/photos/': path.dirname(testdata.photo('dog')) };
  server = await createServer({ port: 0, mounts });
  other = await createServer({ port: 0, mounts });
  browser = await launchBrowser();
  requests = recordRequests(browser.context);
});

test.after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
  if (other) await other.close();
});

/** Opens `url`, runs `pageFunction(arg)` there and returns its result (a description of the error it caught). */
async function failureIn(url, pageFunction, arg) {
  const page = await browser.context.newPage();
  try {
    await page.goto(url);
    return await page.evaluate(pageFunction, arg);
  } finally {
    await page.close();
  }
}

/** Runs in the page: createExtractor(), and a description of the error it ends in. */
async function createExtractorInPage() {
  try {
    await imprint.createExtractor();
    return 'no error';
  } catch (error) {
    return { imprintError: error instanceof imprint.ImprintError, code: error.code, message: error.message };
  }
}

test("a page whose Content-Security-Policy lacks 'wasm-unsafe-eval' is told to add it", async () => {
  const failure = await failureIn(`${server.url}fixture/no-wasm-csp.html`, createExtractorInPage);
  assert.equal(failure.imprintError, true, JSON.stringify(failure));
  assert.equal(failure.code, 'BACKEND_FAILED');
  assert.match(failure.message, /Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval'/);
});

test('a page opened from a file:// address is told to serve it over http', async () => {
  const page = pathToFileURL(path.join(__dirname, 'browser', 'file-page.html')).href;
  const failure = await failureIn(page, createExtractorInPage);
  assert.equal(failure.imprintError, true, JSON.stringify(failure));
  assert.equal(failure.code, 'FILE_NOT_FOUND');
  assert.match(failure.message, /file:\/\/ address cannot fetch files; serve the page and imprint over http/);
});

test('an image URL on another origin is INVALID_ARGUMENT naming CORS, and the extractor goes on', async () => {
  const failure = await failureIn(
    `${server.url}fixture/classic.html`,
    async (url) => {
      const extractor = await imprint.createExtractor();
      try {
        await extractor.embed(url);
        return 'no error';
      } catch (error) {
        const usable = (await extractor.embed('/photos/dog.jpg')).length === extractor.info.dim;
        return {
          imprintError: error instanceof imprint.ImprintError,
          code: error.code,
          message: error.message,
          usable,
        };
      } finally {
        extractor.dispose();
      }
    },
    `${other.url}photos/dog.jpg`,
  );
  assert.equal(failure.imprintError, true, JSON.stringify(failure));
  assert.equal(failure.code, 'INVALID_ARGUMENT');
  assert.match(failure.message, /another origin than the page .* CORS headers \(Access-Control-Allow-Origin\)/);
  assert.equal(failure.usable, true, 'the extractor embeds from its own origin afterwards');
});

test('every request stayed on this machine (127.0.0.1 or a file)', () => {
  assert.ok(requests.length > 0);
  assert.deepEqual(
    requests.filter((url) => !url.startsWith('http://127.0.0.1:') && !url.startsWith('file://')),
    [],
  );
});
