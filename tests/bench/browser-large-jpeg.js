#!/usr/bin/env node
'use strict';
// Large JPEGs in headless Chromium (a script, not a test): three 12 MP JPEGs, made here and written
// to a scratch folder (as in tests/bench/large-jpeg.js: the phone-like 4:2:0 mosaic of the test
// photos encoded by cjpeg at quality 92, on which the target is judged; the same progressive; the
// darknet dog photo upscaled, jpeg-js baseline 4:4:4 quality 90), each embedded from its bytes
// (imprint's wasm decode) and from the browser's own decode (createImageBitmap, then imprint's
// resize of the bitmap's pixels), and raw 224x224 pixels, interleaved in one page served from
// 127.0.0.1. Prints ms (min / median) and ratios to raw pixels.
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
const { phoneJpeg } = require('../support/phone-jpeg');

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
  const images = [
    { name: '12 MP phone-like 4:2:0 q92', file: 'phone.jpg', bytes: phoneJpeg(4000, 3000) },
    {
      name: '12 MP phone-like progressive',
      file: 'progressive.jpg',
      bytes: phoneJpeg(4000, 3000, { progressive: true }),
    },
    { name: '12 MP 4:4:4 upscaled', file: 'upscaled.jpg', bytes: jpeg.encode(resize(photo, 4000, 3000), 90).data },
  ];
  for (const { file, bytes } of images) fs.writeFileSync(path.join(scratch, file), bytes);

  const server = await createServer({ port: 0, mounts: { '/bench/': scratch } });
  const browser = await launchBrowser();
  const requests = recordRequests(browser.context);
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(`${server.url}bench/large-jpeg.html`);
    const r = await page.evaluate((options) => window.runBenchmark(options), {
      images: images.map(({ name, file }) => ({ name, url: `/bench/${file}` })),
      rounds,
    });
    const offsite = requests.filter((u) => !u.startsWith(server.url));
    if (offsite.length) throw new Error(`requests left 127.0.0.1: ${offsite.join(', ')}`);
    const chromium = /Chrome\/([\d.]+)/.exec(r.userAgent);
    console.log(`# headless Chromium ${chromium ? chromium[1] : '?'}, ${os.cpus()[0].model}, ${rounds} rounds`);
    console.log(
      `# load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (1, 5, 15 min) at the end`,
    );
    console.log(
      `# ${Object.entries(r.bytes)
        .map(([name, n]) => `${name}: ${(n / 1e6).toFixed(2)} MB`)
        .join(', ')}`,
    );
    console.log('| input | ms (min / median) | / raw (median) |');
    console.log('|---|---|---|');
    const medians = Object.fromEntries(Object.entries(r.times).map(([name, list]) => [name, stats(list).median]));
    const base = medians['raw 224x224 pixels (ImageData)'];
    for (const [name, list] of Object.entries(r.times)) {
      const s = stats(list);
      console.log(`| ${name} | ${s.min.toFixed(1)} / ${s.median.toFixed(1)} | ${(s.median / base).toFixed(2)} |`);
    }
    // The two ratios the speed issue sets, for each image (the target is judged on the first).
    for (const [i, { name }] of images.entries()) {
      const bytes = medians[`${name}: bytes (imprint decodes)`];
      const browserDecode = medians[`${name}: the browser's decoder (createImageBitmap) + imprint's resize`];
      console.log(
        `${name}: / raw 224x224 ${(bytes / base).toFixed(2)}${i === 0 ? ' (the target, <= 2.5)' : ' (context)'}; ` +
          `imprint's decode / the browser's decode + the same resize ${(bytes / browserDecode).toFixed(2)} (target <= 1)`,
      );
    }
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
