'use strict';
// demo/serve.js: the demo's static server binds to 127.0.0.1, serves the page and dist/web/ with
// the right MIME types and a strict Content-Security-Policy, and nothing outside them; it sends
// validators (ETag, Last-Modified) and answers 304 while a file is unchanged, and compresses.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const { createServer, negotiate, STRICT_CSP } = require('../demo/serve.js');
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
      '/files.js': 'text/javascript; charset=utf-8',
      '/notes.js': 'text/javascript; charset=utf-8',
      '/icon.svg': 'image/svg+xml',
      '/imprint/imprint.js': 'text/javascript; charset=utf-8',
      '/imprint/imprint.mjs': 'text/javascript; charset=utf-8',
      '/imprint/imprint-worker.js': 'text/javascript; charset=utf-8',
      '/imprint/imprint.js.map': 'application/json; charset=utf-8',
      '/imprint/imprint-core.wasm': 'application/wasm',
      '/imprint/default.imprint': 'application/octet-stream',
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

function get(url, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function decoded(res) {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'br') return zlib.brotliDecompressSync(res.body);
  if (encoding === 'gzip') return zlib.gunzipSync(res.body);
  assert.equal(encoding, undefined);
  return res.body;
}

test('the demo server compresses with brotli or gzip as the browser accepts, and only where it pays', async () => {
  buildWeb();
  const server = await createServer({ port: 0 });
  const root = path.join(__dirname, '..');
  try {
    const cases = [
      ['br', 'br'],
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0.5, br;q=0.4', 'gzip'],
      ['*', 'br'],
      ['identity', undefined],
      [undefined, undefined],
    ];
    for (const [file, local] of [
      ['/imprint/imprint.js', 'dist/web/imprint.js'],
      ['/imprint/imprint-core.wasm', 'dist/web/imprint-core.wasm'],
      ['/app.js', 'demo/app.js'],
    ]) {
      const original = fs.readFileSync(path.join(root, local));
      for (const [accept, expected] of cases) {
        const res = await get(new URL(file, server.url), accept === undefined ? {} : { 'Accept-Encoding': accept });
        assert.equal(res.status, 200, `${file} ${accept}`);
        assert.equal(res.headers['content-encoding'], expected, `${file} with Accept-Encoding ${accept}`);
        assert.equal(res.headers.vary, 'Accept-Encoding', file);
        assert.equal(Number(res.headers['content-length']), res.body.length, file);
        assert.ok(decoded(res).equals(original), `${file} ${accept}: the bytes of the file`);
        if (expected)
          assert.ok(res.body.length < original.length * 0.8, `${file} ${expected}: ${res.body.length} bytes`);
        assert.equal(res.headers['content-security-policy'], STRICT_CSP);
      }
    }
    // HEAD: the headers of the GET, no body.
    const head = await get(new URL('/imprint/imprint.js', server.url), { 'Accept-Encoding': 'br' }, 'HEAD');
    assert.equal(head.headers['content-encoding'], 'br');
    assert.ok(Number(head.headers['content-length']) > 0);
    assert.equal(head.body.length, 0);
    // Already compressed formats are sent as they are.
    const fixture = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-serve-'));
    try {
      fs.copyFileSync(path.join(__dirname, '..', 'demo', 'icon.svg'), path.join(fixture, 'icon.svg'));
      fs.writeFileSync(path.join(fixture, 'photo.png'), crypto.randomBytes(4096));
      const mounted = await createServer({ port: 0, mounts: { '/fixture/': fixture } });
      try {
        const png = await get(new URL('/fixture/photo.png', mounted.url), { 'Accept-Encoding': 'br, gzip' });
        assert.equal(png.headers['content-encoding'], undefined);
        assert.equal(png.headers.vary, undefined);
        assert.ok(png.headers.etag);
      } finally {
        await mounted.close();
      }
    } finally {
      fs.rmSync(fixture, { recursive: true, force: true });
    }
    assert.equal(negotiate('gzip;q=0, br;q=0'), null);
    assert.equal(negotiate('BR'), 'br');
  } finally {
    await server.close();
  }
});

test('the demo server revalidates: ETag and Last-Modified, 304 while a file is unchanged, the new bytes once it changes', async () => {
  const fixture = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-serve-'));
  const file = path.join(fixture, 'app.js');
  const first = `'use strict';\n${'console.log("first version");\n'.repeat(200)}`;
  fs.writeFileSync(file, first);
  fs.utimesSync(file, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
  const server = await createServer({ port: 0, mounts: { '/fixture/': fixture } });
  const url = new URL('/fixture/app.js', server.url);
  try {
    for (const accept of ['br', 'gzip', 'identity']) {
      const res = await get(url, { 'Accept-Encoding': accept });
      assert.equal(res.status, 200);
      assert.equal(decoded(res).toString(), first);
      assert.equal(res.headers['last-modified'], 'Thu, 01 Jan 2026 00:00:00 GMT');
      assert.equal(res.headers['cache-control'], 'no-cache', 'always revalidated, so a rebuild shows at once');
      const etag = res.headers.etag;
      assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+(-br|-gzip)?"$/);
      const again = await get(url, { 'Accept-Encoding': accept, 'If-None-Match': etag });
      assert.equal(again.status, 304, `If-None-Match with ${accept}`);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, etag);
      assert.equal(again.headers['content-security-policy'], STRICT_CSP);
      const since = await get(url, { 'Accept-Encoding': accept, 'If-Modified-Since': res.headers['last-modified'] });
      assert.equal(since.status, 304, `If-Modified-Since with ${accept}`);
      const older = await get(url, { 'Accept-Encoding': accept, 'If-Modified-Since': 'Wed, 31 Dec 2025 00:00:00 GMT' });
      assert.equal(older.status, 200);
    }
    const before = (await get(url, { 'Accept-Encoding': 'br' })).headers.etag;
    const second = first.replace(/first/g, 'second');
    fs.writeFileSync(file, second);
    fs.utimesSync(file, new Date('2026-02-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
    const changed = await get(url, { 'Accept-Encoding': 'br', 'If-None-Match': before });
    assert.equal(changed.status, 200, 'a changed file is sent again');
    assert.notEqual(changed.headers.etag, before);
    assert.equal(decoded(changed).toString(), second, 'not a stale compressed copy');
  } finally {
    await server.close();
    fs.rmSync(fixture, { recursive: true, force: true });
  }
});

test('demo/serve.js --isolated: COOP and COEP (with CORP) on every response, including 404s; not without it', async () => {
  buildWeb();
  const isolated = await createServer({ port: 0, isolated: true });
  const plain = await createServer({ port: 0 });
  try {
    for (const path of [
      '/',
      '/app.js',
      '/imprint/imprint.js',
      '/imprint/imprint-core-threads.js',
      '/imprint/imprint-core-threads.worker.js',
      '/imprint/imprint-core-threads.wasm',
      '/nothing.html',
    ]) {
      const res = await request(new URL(path, isolated.url).href);
      assert.equal(res.status, path === '/nothing.html' ? 404 : 200, path);
      assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', path);
      assert.equal(res.headers['cross-origin-embedder-policy'], 'require-corp', path);
      assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin', path);
      assert.equal(res.headers['content-security-policy'], STRICT_CSP, path);
      const without = await request(new URL(path, plain.url).href);
      assert.equal(without.headers['cross-origin-opener-policy'], undefined, path);
      assert.equal(without.headers['cross-origin-embedder-policy'], undefined, path);
    }
  } finally {
    await isolated.close();
    await plain.close();
  }
});
