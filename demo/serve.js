#!/usr/bin/env node
'use strict';
// A tiny static server for the browser demo, on 127.0.0.1 only:
//   /              the demo page (demo/index.html, demo/app.js, demo/app.css)
//   /imprint/...   the browser build (dist/web/: imprint.js, imprint.mjs, the worker, wasm, model)
// Every response carries a strict Content-Security-Policy: the page may load and connect to its
// own origin only, so no image, embedding or head can leave it.
//
//   node demo/serve.js [--port 8080]        (0 picks a free port)
// Tests use createServer({ port: 0, mounts: { '/fixture/': dir } }) to serve extra folders.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

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
const DEMO_FILES = new Set(['index.html', 'app.js', 'app.css', 'project.js', 'icon.svg']);

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
  const server = http.createServer((req, res) => {
    const headers = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
      'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
    };
    if (csp) headers['Content-Security-Policy'] = csp;
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
      const type = MIME[path.extname(file).toLowerCase()] || 'application/octet-stream';
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': stat.size });
      if (req.method === 'HEAD') return res.end();
      fs.createReadStream(file).pipe(res);
      log(`200 GET ${req.url}`);
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
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--port' || args[i] === '-p') port = Number(args[++i]);
    else if (args[i].startsWith('--port=')) port = Number(args[i].slice(7));
    else if (args[i] === '--help' || args[i] === '-h') {
      console.log('usage: node demo/serve.js [--port N]   (serves the demo on http://127.0.0.1:N/)');
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
  createServer({ port, log: process.env.IMPRINT_SERVE_LOG ? console.log : undefined }).then(
    ({ url }) => console.log(`imprint demo: ${url}  (Ctrl-C to stop; nothing leaves this machine)`),
    (error) => {
      console.error(`serve: ${error.message}`);
      process.exit(1);
    },
  );
}

module.exports = { createServer, STRICT_CSP, MIME };
