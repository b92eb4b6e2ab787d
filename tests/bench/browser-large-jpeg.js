#!/usr/bin/env node
'use strict';
// Large JPEGs in headless Chromium (a script, not a test): a 12 MP JPEG (the darknet dog photo
// upscaled here, jpeg-js baseline 4:4:4 quality 90, written to a scratch folder) embedded from its
// bytes (imprint's wasm decode at reduced scale), from the browser's own decode (createImageBitmap, then
// imprint's resize of the bitmap's pixels), and raw 224x224 pixels, interleaved in one page served
// from 127.0.0.1. Prints ms (min / median) and ratios to raw pixels.
//
//   node tests/bench/browser-large-jpeg.js [--rounds N]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const jpeg = require('jpeg-js');

const { createServer } = require('../../demo/serve.js');
const { buildWeb, launchBrowser, recordRequests } = require('../support/browser');
const testdata = require('../support/testdata');
const { resize } = require('./large-jpeg.js');

const argRounds = process.argv.indexOf('--rounds');
const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 7;

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

async function main() {
  buildWeb();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-large-jpeg-'));
  for (const name of ['large-jpeg.html', 'large-jpeg-page.js'])
    fs.copyFileSync(path.join(__dirname, 'browser', name), path.join(scratch, name));
  const photo = jpeg.decode(fs.readFileSync(testdata.photo('dog')), { useTArray: true, formatAsRGBA: true });
  fs.writeFileSync(path.join(scratch, '12mp.jpg'), jpeg.encode(resize(photo, 4000, 3000), 90).data);

  const server = await createServer({ port: 0, mounts: { '/bench/': scratch } });
  const browser = await launchBrowser();
  const requests = recordRequests(browser.context);
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}bench/large-jpeg.html`);
    const r = await page.evaluate((options) => window.runBenchmark(options), { url: '/bench/12mp.jpg', rounds });
    const offsite = requests.filter((u) => !u.startsWith(server.url));
    if (offsite.length) throw new Error(`requests left 127.0.0.1: ${offsite.join(', ')}`);
    const chromium = /Chrome\/([\d.]+)/.exec(r.userAgent);
    console.log(`# headless Chromium ${chromium ? chromium[1] : '?'}, ${os.cpus()[0].model}, ${rounds} rounds`);
    console.log(`# 12 MP JPEG: ${(r.bytes / 1e6).toFixed(2)} MB (jpeg-js, quality 90, 4:4:4)`);
    console.log('| input | ms (min / median) | / raw (median) |');
    console.log('|---|---|---|');
    const base = stats(Object.values(r.times)[0]).median;
    for (const [name, list] of Object.entries(r.times)) {
      const s = stats(list);
      console.log(`| ${name} | ${s.min.toFixed(1)} / ${s.median.toFixed(1)} | ${(s.median / base).toFixed(2)} |`);
    }
    // The two ratios the speed issue sets, from the medians above (cases in the page's order: raw
    // pixels, imprint's decode of the bytes, the browser's decode + imprint's resize).
    const [raw, bytes, browserDecode] = Object.values(r.times).map((list) => stats(list).median);
    console.log(`12 MP JPEG / raw 224x224 (median): ${(bytes / raw).toFixed(2)} (target <= 2.5)`);
    console.log(
      `imprint's decode / the browser's decode + the same resize (median): ${(bytes / browserDecode).toFixed(2)} (target <= 1)`,
    );
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
