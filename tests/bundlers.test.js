'use strict';
// `import { createExtractor } from 'imprint'` in an app built by Vite, webpack 5, esbuild or Rollup:
// each bundler picks the browser build (the "browser" export condition), emits the wasm core, the
// worker and the default model with the app's own assets, and the page finds them there. The app
// is built as its author would, with only what each bundler's documentation gives for any wasm
// library (README.md, "With a bundler"), from the packed package (npm pack, unpacked into the app's
// node_modules; the bundlers themselves run from this repository's node_modules, offline). Each
// build is served from 127.0.0.1 under the demo server's strict Content-Security-Policy (and the
// app once more by Vite's dev server, which pre-bundles imprint); in Chromium the page embeds a
// photo in the page's thread and in the worker, and both must equal Node's embedding of the same
// bytes. Every request must go to the app's own server, and succeed. And TypeScript, set up for
// a bundler, reads the browser build's declarations.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { pathToFileURL } = require('node:url');

const { createExtractor } = require('..');
const testdata = require('./support/testdata');
const { buildWeb, launchBrowser, watchPage } = require('./support/browser');
const { createServer } = require('../demo/serve.js');

const ROOT = path.join(__dirname, '..');
const PHOTO = testdata.photo('dog');
/** Same wasm, same bytes: the vectors may differ only by float noise. */
const TOLERANCE = 1e-6;

let work; // temporary folder: the tarball, one app per bundler, their outputs
let browser;
let nodeVector;
let modelBytes;
let browserExports;

/** The app: embeds the photo at `photoUrl` in the page's thread and in a worker. */
function appSource(extraImports = '', options = '{}') {
  return `import * as imprint from 'imprint';
${extraImports}
window.embedPhoto = async (photoUrl) => {
  const bytes = new Uint8Array(await (await fetch(photoUrl)).arrayBuffer());
  const out = { exports: Object.keys(imprint).sort() };
  for (const worker of [false, true]) {
    const progress = [];
    const extractor = await imprint.createExtractor({ ...${options}, worker, onProgress: (e) => progress.push(e) });
    out[worker ? 'worker' : 'page'] = { vector: Array.from(await extractor.embed(bytes)), progress };
    extractor.dispose();
  }
  return out;
};
`;
}

const PAGE = (script) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>app</title><link rel="icon" href="data:,"><script type="module" src="${script}"></script></head><body></body></html>\n`;

/** A build's output served from 127.0.0.1 under the demo server's strict CSP, the photo beside it. */
async function serveBuild(out) {
  const server = await createServer({ port: 0, mounts: { '/': out, '/photo/': path.dirname(PHOTO) } });
  return { url: `${server.url}index.html`, close: () => server.close() };
}

/** A folder with the app's sources and node_modules/imprint unpacked from the tarball. */
function makeApp(name, source) {
  const app = path.join(work, `app-${name}`);
  const pkg = path.join(app, 'node_modules', 'imprint');
  fs.mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(work, 'imprint.tgz'), '-C', pkg, '--strip-components=1']);
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: `app-${name}`, private: true, type: 'module' }),
  );
  fs.writeFileSync(path.join(app, 'main.js'), source);
  return { app, out: path.join(work, `out-${name}`) };
}

/** Each bundler's build of the app, as its documentation has it, served: resolves to { url, close }. */
const BUILDS = {
  async vite() {
    const { app, out } = makeApp('vite', appSource());
    fs.writeFileSync(path.join(app, 'index.html'), PAGE('/main.js'));
    const { build } = await import('vite');
    await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    return serveBuild(out);
  },

  async 'vite dev server'() {
    // No build: Vite serves the app's sources and pre-bundles imprint into its cache folder.
    const { app } = makeApp('vite-dev', appSource());
    fs.writeFileSync(path.join(app, 'index.html'), PAGE('/main.js'));
    fs.mkdirSync(path.join(app, 'public', 'photo'), { recursive: true });
    fs.copyFileSync(PHOTO, path.join(app, 'public', 'photo', path.basename(PHOTO)));
    const { createServer: createViteServer } = await import('vite');
    const server = await createViteServer({
      root: app,
      configFile: false,
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0, hmr: false },
    });
    await server.listen();
    return { url: server.resolvedUrls.local[0], close: () => server.close() };
  },

  async webpack() {
    const { app, out } = makeApp('webpack', appSource());
    const webpack = require('webpack');
    const stats = await new Promise((resolve, reject) =>
      webpack({ mode: 'production', context: app, entry: './main.js', output: { path: out } }, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
    const { errors, warnings } = stats.toJson({ all: false, errors: true, warnings: true });
    assert.deepEqual(errors, [], 'webpack reported errors');
    // Only the size advice for the model and the wasm (the app's own affair), nothing about imprint's code.
    for (const warning of warnings) assert.match(warning.message, /size limit|performance recommendations/);
    fs.writeFileSync(path.join(out, 'index.html'), PAGE('main.js'));
    return serveBuild(out);
  },

  async esbuild() {
    // esbuild does not rewrite new URL(..., import.meta.url): its file loader gives the core's and the
    // model's URLs, and the worker is one more entry point, written beside the app's script.
    const imports = `import wasmUrl from 'imprint/web/imprint-core.wasm';\nimport modelUrl from 'imprint/web/default.imprint';`;
    const { app, out } = makeApp('esbuild', appSource(imports, '{ wasmUrl, modelUrl }'));
    await require('esbuild').build({
      absWorkingDir: app,
      entryPoints: ['main.js', { in: 'imprint/web/imprint-worker.js', out: 'imprint-worker' }],
      bundle: true,
      format: 'esm',
      outdir: out,
      loader: { '.wasm': 'file', '.imprint': 'file' },
      logLevel: 'error',
    });
    fs.writeFileSync(path.join(out, 'index.html'), PAGE('main.js'));
    return serveBuild(out);
  },

  async rollup() {
    const { app, out } = makeApp('rollup', appSource());
    const { rollup } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const { importMetaAssets } = await import('@web/rollup-plugin-import-meta-assets');
    const warnings = [];
    const bundle = await rollup({
      input: path.join(app, 'main.js'),
      plugins: [nodeResolve({ browser: true }), importMetaAssets()],
      onwarn: (warning) => warnings.push(warning.message),
    });
    await bundle.write({ dir: out, format: 'es' });
    await bundle.close();
    assert.deepEqual(warnings, [], 'rollup warned');
    fs.writeFileSync(path.join(out, 'index.html'), PAGE('main.js'));
    return serveBuild(out);
  },
};

test.before(async () => {
  buildWeb();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-bundlers-'));
  // prepack (the full build) is skipped: buildWeb() above brought dist/web/ up to date.
  const report = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  fs.renameSync(path.join(work, JSON.parse(report)[0].filename), path.join(work, 'imprint.tgz'));
  modelBytes = fs.statSync(path.join(ROOT, 'dist', 'web', 'default.imprint')).size;
  browserExports = Object.keys(await import(pathToFileURL(path.join(ROOT, 'dist', 'web', 'imprint.mjs')))).sort();
  const extractor = await createExtractor();
  nodeVector = await extractor.embed(fs.readFileSync(PHOTO));
  extractor.dispose();
  browser = await launchBrowser();
});

test.after(async () => {
  if (browser) await browser.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

for (const [bundler, build] of Object.entries(BUILDS)) {
  test(`${bundler}: the app finds imprint's files and embeds a photo as Node does`, { timeout: 180000 }, async () => {
    const server = await build();
    const page = await browser.context.newPage();
    const problems = watchPage(page);
    const urls = [];
    const requests = [];
    const onRequest = (request) => urls.push(request.url());
    const onResponse = (response) => requests.push({ url: response.url(), status: response.status() });
    browser.context.on('request', onRequest);
    browser.context.on('response', onResponse);
    try {
      await page.goto(server.url);
      await page.waitForFunction(() => typeof window.embedPhoto === 'function', null, { timeout: 30000 });
      const result = await page.evaluate((url) => window.embedPhoto(url), `/photo/${path.basename(PHOTO)}`);
      assert.deepEqual(problems, []);

      // The browser build, not Node's: its exports, no createBatchEmbedder.
      assert.deepEqual(result.exports, browserExports);
      assert.ok(result.exports.includes('createWorkerExtractor') && !result.exports.includes('createBatchEmbedder'));

      for (const where of ['page', 'worker']) {
        const { vector, progress } = result[where];
        assert.equal(vector.length, nodeVector.length, `${where}: dimension`);
        const worst = Math.max(...vector.map((v, i) => Math.abs(v - nodeVector[i])));
        assert.ok(worst <= TOLERANCE, `${where}: differs from Node's embedding by up to ${worst}`);
        // onProgress: every event has every field; the model's bytes end whole.
        for (const event of progress) {
          assert.deepEqual(Object.keys(event).sort(), ['loaded', 'progress', 'stage', 'total'], JSON.stringify(event));
        }
        assert.deepEqual(progress[0], { stage: 'model', progress: 0, loaded: 0, total: 0 });
        assert.deepEqual(progress.at(-1), { stage: 'ready', progress: 1, loaded: modelBytes, total: modelBytes });
      }

      // Nothing but the app's own server, and every file was where the page looked for it.
      for (const url of urls) assert.equal(new URL(url).origin, new URL(server.url).origin, `a request left: ${url}`);
      for (const { url, status } of requests) assert.ok([200, 304].includes(status), `${url} answered ${status}`);
      const fetched = (suffix) => requests.filter((r) => new URL(r.url).pathname.endsWith(suffix)).length;
      assert.ok(fetched('.wasm') >= 1 && fetched('.imprint') >= 1, 'the core and the model came from the build output');
    } finally {
      browser.context.off('request', onRequest);
      browser.context.off('response', onResponse);
      await page.close();
      await server.close();
    }
  });
}

test("TypeScript in a bundled app: customConditions ['browser'] gives import 'imprint' the browser build's declarations", () => {
  const { app } = makeApp('typescript', '');
  fs.writeFileSync(
    path.join(app, 'app.ts'),
    `import { createExtractor, createWorkerExtractor, type WorkerExtractor } from 'imprint';
const extractor: WorkerExtractor = await createExtractor({ worker: true, wasmUrl: '/static/imprint-core.wasm' });
const memory: Promise<{ inUse: number }> = extractor.memory();
console.log(createWorkerExtractor, memory);
`,
  );
  const options = {
    strict: true,
    module: 'esnext',
    moduleResolution: 'bundler',
    target: 'es2022',
    lib: ['es2022', 'dom'],
    types: [],
    noEmit: true,
  };
  const tsc = (customConditions) => {
    const config = {
      compilerOptions: { ...options, ...(customConditions ? { customConditions } : {}) },
      files: ['app.ts'],
    };
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(config));
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', '.'], { cwd: app, stdio: 'pipe' });
      return '';
    } catch (error) {
      return String(error.stdout);
    }
  };
  assert.equal(tsc(['browser']), '');
  // Without the condition TypeScript reads Node's declarations, which have no worker variant.
  assert.match(tsc(null), /createWorkerExtractor/);
});
