#!/usr/bin/env node
'use strict';
// int8 vs float32 in headless Chromium (a script, not a test): imprint's <script> build running the
// default model and the same file with the int8 compute precision (models/MODEL_FORMAT.md, header
// `precision`), in the same page, on the same 224x224 pixels, interleaved, batch 1, single-threaded
// (the page is not cross-origin isolated). Served from 127.0.0.1 by demo/serve.js. The Node twin is
// tests/bench/int8.js.
//
//   node tests/bench/browser-int8.js [--rounds N]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createServer } = require('../../demo/serve.js');
const { buildWeb, launchBrowser, recordRequests } = require('../support/browser');
const { withPrecision, PRECISION } = require('../../models/model-format.js');
const testdata = require('../support/testdata');

const ROOT = path.join(__dirname, '..', '..');
const argRounds = process.argv.indexOf('--rounds');
const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 5;

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], n: sorted.length };
}

// Runs in the page.
async function runInPage({ photos, rounds, urls }) {
  const size = 224;
  const images = (await window.loadBenchImages(photos, size)).map((data) => ({
    data,
    width: size,
    height: size,
    channels: 3,
  }));
  const extractors = {};
  for (const [name, url] of Object.entries(urls)) extractors[name] = await imprint.createExtractor({ model: url });
  const times = Object.fromEntries(Object.keys(urls).map((k) => [k, []]));
  const cosines = [];
  for (const ex of Object.values(extractors)) await ex.embed(images[0]);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? Object.keys(urls).reverse() : Object.keys(urls);
    for (const px of images) {
      const out = {};
      for (const name of order) {
        const start = performance.now();
        out[name] = await extractors[name].embed(px);
        times[name].push(performance.now() - start);
      }
      if (r === 0) cosines.push(out.float32.reduce((s, x, i) => s + x * out.int8[i], 0));
    }
  }
  for (const ex of Object.values(extractors)) ex.dispose();
  return { times, cosines, userAgent: navigator.userAgent, images: images.length };
}

async function main() {
  buildWeb();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-int8-'));
  const f32 = fs.readFileSync(path.join(ROOT, 'dist', 'web', 'default.imprint'));
  fs.writeFileSync(path.join(scratch, 'default.imprint'), f32);
  fs.writeFileSync(path.join(scratch, 'default-int8.imprint'), withPrecision(f32, PRECISION.INT8));
  fs.writeFileSync(
    path.join(scratch, 'int8.html'),
    '<!doctype html>\n<meta charset="utf-8">\n<title>int8</title>\n<script src="/imprint/imprint.js"></script>\n<script src="/bench/bench-common.js"></script>\n',
  );
  // The same inputs as the speed pages: each photo decoded and resized once by the browser.
  fs.copyFileSync(path.join(__dirname, 'browser', 'bench-common.js'), path.join(scratch, 'bench-common.js'));
  const stampsDir = testdata.stampsDir();
  const photos = [
    ...testdata.PHOTO_NAMES.map((n) => `/photos/${n}.jpg`),
    ...testdata
      .stampCategories()
      .flatMap((c) => c.files.slice(0, 2))
      .map((f) => `/stamps/${path.relative(stampsDir, f).split(path.sep).join('/')}`),
  ];
  const server = await createServer({
    port: 0,
    mounts: { '/bench/': scratch, '/photos/': path.dirname(testdata.photo('dog')), '/stamps/': stampsDir },
  });
  const browser = await launchBrowser();
  const requests = recordRequests(browser.context);
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}bench/int8.html`);
    const r = await page.evaluate(runInPage, {
      photos,
      rounds,
      urls: { float32: '/bench/default.imprint', int8: '/bench/default-int8.imprint' },
    });
    const offsite = requests.filter((u) => !u.startsWith(server.url));
    if (offsite.length) throw new Error(`requests left 127.0.0.1: ${offsite.join(', ')}`);
    const chromium = /Chrome\/([\d.]+)/.exec(r.userAgent);
    console.log(
      `# int8 vs float32 in headless Chromium ${chromium ? chromium[1] : '?'}, ${new Date().toISOString()}, ${os.cpus()[0].model}, ${os.cpus().length} cores`,
    );
    console.log(`# ${r.images} images x ${rounds} rounds, interleaved, batch 1, one thread`);
    console.log('');
    console.log('| default model | ms/image min / median | images |');
    console.log('|---|---|---|');
    for (const [name, list] of Object.entries(r.times)) {
      const s = stats(list);
      console.log(`| ${name} | ${s.min.toFixed(1)} / ${s.median.toFixed(1)} | ${s.n} |`);
    }
    const [a, b] = [stats(r.times.float32), stats(r.times.int8)];
    console.log('');
    console.log(
      `speed-up float32 / int8: ${(a.median / b.median).toFixed(2)}x (medians), ${(a.min / b.min).toFixed(2)}x (minima)`,
    );
    const c = stats(r.cosines);
    console.log(`embedding cosine int8 vs float32: min ${c.min.toFixed(5)}, median ${c.median.toFixed(5)}`);
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
