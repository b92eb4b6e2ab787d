#!/usr/bin/env node
'use strict';
// A tiny static server for the browser demo, on 127.0.0.1 only:
//   /              the demo page (demo/index.html, demo/app.js, demo/app.css)
//   /imprint/...   the browser build (dist/web/: imprint.js, imprint.mjs, the worker, wasm, model)
// Every response carries a strict Content-Security-Policy: the page may load and connect to its
// own origin only, so no image, embedding or head can leave it. Files are sent with an ETag and
// Last-Modified and `no-cache` (the browser asks again and gets 304 Not Modified while a file is
// unchanged, so a rebuild is seen at once), compressed with brotli or gzip when the browser
// accepts it (Node's zlib; each file compressed once per version and kept in memory).
//
//   node demo/serve.js [--port 8080]        (0 picks a free port)
//   node demo/serve.js --isolated           also sends Cross-Origin-Opener-Policy: same-origin and
//                                           Cross-Origin-Embedder-Policy: require-corp, which make the
//                                           page cross-origin isolated: imprint then runs one image on
//                                           several threads (README: Threads)
// Tests use createServer({ port: 0, mounts: { '/fixture/': dir } }) to serve extra folders.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');

const ROOT = path.join(__dirname, '..');
const HOST = '127.0.0.1';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8', // source maps of the minified scripts
  '.wasm': 'application/wasm',
  '.imprint': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing: text, and the wasm and model files (22-70% smaller). */
const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.cjs',
  '.css',
  '.json',
  '.map',
  '.svg',
  '.txt',
  '.wasm',
  '.imprint',
]);

/** Compressors by Content-Encoding; brotli at quality 5 is within 1% of 9 here and 5x faster. */
const ENCODERS = {
  br: (bytes, done) =>
    zlib.brotliCompress(
      bytes,
      {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      },
      done,
    ),
  gzip: (bytes, done) => zlib.gzip(bytes, { level: 9 }, done),
};

/** The encoding to send for an Accept-Encoding header: 'br', 'gzip' or null (q=0 refuses one). */
function negotiate(header) {
  const accepted = new Map();
  for (const part of String(header || '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name, q ? Number(q.slice(2)) : 1);
  }
  const quality = (name) => (accepted.has(name) ? accepted.get(name) : accepted.has('*') ? accepted.get('*') : 0);
  const best = ['br', 'gzip'].filter((name) => quality(name) > 0).sort((a, b) => quality(b) - quality(a));
  return best[0] || null;
}

/** Validators of a file version; an encoded copy has its own entity tag. */
function entityTag(stat, encoding) {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`;
}

/** True when the request's validators say the browser already has this version (any of `etags`). */
function notModified(req, etags, stat) {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return (
      ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => etags.includes(tag.trim().replace(/^W\//, '')))
    );
  }
  const since = Date.parse(req.headers['if-modified-since'] || '');
  return Number.isFinite(since) && Math.floor(stat.mtimeMs / 1000) * 1000 <= since;
}

/** Same origin only. 'wasm-unsafe-eval' lets WebAssembly compile; JavaScript eval stays forbidden. */
const STRICT_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The demo page's files: demo/ also holds Node scripts, which are not served. */
const DEMO_FILES = new Set(['index.html', 'app.js', 'app.css', 'project.js', 'files.js', 'notes.js', 'icon.svg']);

function defaultMounts() {
  return { '/imprint/': path.join(ROOT, 'dist', 'web') };
}

/** The file for a URL path, or null; never outside the mounted folder. */
function lookup(pathname, mounts) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  for (const [prefix, dir] of Object.entries(mounts).sort((a, b) => b[0].length - a[0].length)) {
    if (!decoded.startsWith(prefix)) continue;
    const file = path.resolve(dir, `.${path.posix.normalize(`/${decoded.slice(prefix.length)}`)}`);
    return file.startsWith(path.resolve(dir) + path.sep) ? file : null;
  }
  const name = decoded === '/' ? 'index.html' : decoded.slice(1);
  return DEMO_FILES.has(name) ? path.join(__dirname, name) : null;
}

/**
 * @param {{ port?: number, mounts?: Record<string, string>, csp?: string | false, log?: (line: string) => void }} [options]
 * @returns {Promise<{ url: string, port: number, server: http.Server, close: () => Promise<void> }>}
 */
function createServer(options = {}) {
  const mounts = { ...defaultMounts(), ...(options.mounts || {}) };
  const csp = options.csp === undefined ? STRICT_CSP : options.csp;
  const log = options.log || (() => {});
  // Compressed copies by file, version and encoding (null when compression does not pay);
  // callers waiting for one being made share it.
  const cache = new Map();
  function compressed(file, stat, encoding, done) {
    const key = `${file}\0${entityTag(stat, encoding)}`;
    let entry = cache.get(key);
    if (!entry) {
      for (const old of cache.keys()) if (old.startsWith(`${file}\0`)) cache.delete(old); // older versions
      entry = { body: undefined, waiting: [] };
      cache.set(key, entry);
      fs.readFile(file, (readError, bytes) => {
        const finish = (failure, body) => {
          if (failure) cache.delete(key);
          entry.body = failure ? null : body;
          for (const callback of entry.waiting.splice(0)) callback(failure, entry.body);
        };
        if (readError) return finish(readError);
        ENCODERS[encoding](bytes, (zipError, body) =>
          finish(zipError, !zipError && body.length < bytes.length * 0.95 ? body : null),
        );
      });
    }
    if (entry.body !== undefined) return done(null, entry.body);
    entry.waiting.push(done);
  }
  const server = http.createServer((req, res) => {
    const headers = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
      'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
    };
    if (csp) headers['Content-Security-Policy'] = csp;
    // Cross-origin isolation (SharedArrayBuffer, so imprint's threads build). Every response already
    // carries Cross-Origin-Resource-Policy, which require-corp asks of what the page embeds.
    if (options.isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'only GET and HEAD\n');
    const { pathname } = new URL(req.url, `http://${HOST}`);
    if (pathname === '/favicon.ico') {
      // Browsers ask for it unprompted; the demo declares its icon in the page.
      res.writeHead(204, headers);
      return res.end();
    }
    const file = lookup(pathname, mounts);
    if (!file) return send(404, 'not found\n');
    fs.stat(file, (error, stat) => {
      if (error || !stat.isFile()) return send(404, 'not found\n');
      const extension = path.extname(file).toLowerCase();
      const type = MIME[extension] || 'application/octet-stream';
      const compressible = COMPRESSIBLE.has(extension);
      const encoding = compressible ? negotiate(req.headers['accept-encoding']) : null;
      const etag = entityTag(stat, encoding);
      const validators = { ETag: etag, 'Last-Modified': stat.mtime.toUTCString() };
      if (compressible) validators.Vary = 'Accept-Encoding';
      // The uncompressed copy of this version is as good as the compressed one.
      if (notModified(req, [etag, entityTag(stat, null)], stat)) {
        res.writeHead(304, { ...headers, ...validators });
        res.end();
        log(`304 ${req.method} ${req.url}`);
        return;
      }
      const plain = () => {
        res.writeHead(200, {
          ...headers,
          ...validators,
          ETag: entityTag(stat, null),
          'Content-Type': type,
          'Content-Length': stat.size,
        });
        if (req.method === 'HEAD') return res.end();
        fs.createReadStream(file).pipe(res);
        log(`200 ${req.method} ${req.url}`);
      };
      if (!encoding) return plain();
      compressed(file, stat, encoding, (failure, body) => {
        if (failure || !body) return plain(); // not smaller, or unreadable: the file as it is
        res.writeHead(200, {
          ...headers,
          ...validators,
          'Content-Type': type,
          'Content-Encoding': encoding,
          'Content-Length': body.length,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        log(`200 ${req.method} ${req.url} (${encoding})`);
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port === undefined ? 8080 : options.port, HOST, () => {
      const { port } = server.address();
      resolve({
        url: `http://${HOST}:${port}/`,
        port,
        server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  let port = 8080;
  let isolated = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--port' || args[i] === '-p') port = Number(args[++i]);
    else if (args[i] === '--isolated') isolated = true;
    else if (args[i].startsWith('--port=')) port = Number(args[i].slice(7));
    else if (args[i] === '--help' || args[i] === '-h') {
      console.log(
        'usage: node demo/serve.js [--port N] [--isolated]   (serves the demo on http://127.0.0.1:N/; --isolated: cross-origin isolated, so imprint uses threads)',
      );
      process.exit(0);
    } else {
      console.error(`serve: unknown argument ${args[i]}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('serve: --port needs a number 0..65535');
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'web', 'imprint.js'))) {
    console.error('serve: dist/web/ is missing; run scripts/build.sh (or node scripts/build-web.js) first');
    process.exit(1);
  }
  createServer({ port, isolated, log: process.env.IMPRINT_SERVE_LOG ? console.log : undefined }).then(
    ({ url }) =>
      console.log(
        `imprint demo: ${url}${isolated ? ' (cross-origin isolated: threads)' : ''}  (Ctrl-C to stop; nothing leaves this machine)`,
      ),
    (error) => {
      console.error(`serve: ${error.message}`);
      process.exit(1);
    },
  );
}

module.exports = { createServer, negotiate, STRICT_CSP, MIME };
