'use strict';
// demo/serve.js: the demo's static server binds to 127.0.0.1, serves the page and dist/web/ with
// the right MIME types and a strict Content-Security-Policy, and nothing outside them.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');

const { createServer, STRICT_CSP } = require('../demo/serve.js');
const { buildWeb } = require('./support/browser');

function request(url, { method = 'GET', path: rawPath } = {}) {
  return new Promise((resolve, reject) => {
    const { hostname, port, pathname } = new URL(url);
    const req = http.request({ hostname, port, method, path: rawPath || pathname }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the demo server: MIME types, strict CSP on every response, 127.0.0.1 only, nothing outside the page and dist/web', async () => {
  buildWeb();
  const server = await createServer({ port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(server.server.address().address, '127.0.0.1');
    const expect = {
      '/': 'text/html; charset=utf-8',
      '/app.js': 'text/javascript; charset=utf-8',
      '/app.css': 'text/css; charset=utf-8',
      '/project.js': 'text/javascript; charset=utf-8',
      '/icon.svg': 'image/svg+xml',
      '/imprint/imprint.js': 'text/javascript; charset=utf-8',
      '/imprint/imprint.mjs': 'text/javascript; charset=utf-8',
      '/imprint/imprint-worker.js': 'text/javascript; charset=utf-8',
      '/imprint/imprint.js.map': 'application/json; charset=utf-8',
      '/imprint/imprint-core.wasm': 'application/wasm',
      '/imprint/mobilenet_v2.imprint': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(expect)) {
      const res = await request(new URL(path, server.url).href);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], type, path);
      assert.equal(res.headers['content-security-policy'], STRICT_CSP, path);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(Number(res.headers['content-length']), res.body.length, path);
    }
    // The minified script names its source map...
    const script = (await request(new URL('/imprint/imprint.js', server.url).href)).body.toString();
    assert.match(script, /\/\/# sourceMappingURL=imprint\.js\.map\s*$/);
    const map = JSON.parse((await request(new URL('/imprint/imprint.js.map', server.url).href)).body.toString());
    // ... which maps back to the library's own files, relative to dist/web/.
    assert.ok(
      map.sources.includes('../../web/index.js') && map.sources.includes('../../js/extractor.cjs'),
      map.sources.join(' '),
    );
    assert.match(map.sourcesContent[map.sources.indexOf('../../js/extractor.cjs')], /async function createExtractor/);
    assert.match(STRICT_CSP, /default-src 'none'/);
    assert.match(STRICT_CSP, /connect-src 'self'/);
    assert.doesNotMatch(STRICT_CSP, /'unsafe-eval'|'unsafe-inline'|\*/);
    for (const path of [
      '/serve.js',
      '/nearest.js',
      '/imprint/../../package.json',
      '/imprint/%2e%2e/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/imprint/',
      '/nothing.html',
    ]) {
      const res = await request(server.url, { path });
      assert.equal(res.status, 404, path);
    }
    assert.equal((await request(server.url, { method: 'POST' })).status, 405);
    const head = await request(new URL('/imprint/imprint-core.wasm', server.url).href, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  } finally {
    await server.close();
  }
});
