#!/usr/bin/env node
'use strict';
// Soak run in headless Chromium (a script, not a test): 1,000 embeds through the Web Worker
// variant (createExtractor({ worker: true }) in the <script> build), cycling through photo bytes
// (JPEG), stamp bytes (PNG) and ImageData pixels, with a damaged input every 97 calls (it must be
// refused with an ImprintError, and the worker must keep working). Every --every embeds it samples
// the worker's wasm core (extractor.memory(): bytes in use, wasm memory size), the page's JS heap
// (performance.memory, precise with --enable-precise-memory-info) and the RSS of all Chromium
// processes this script started. Then checks that running out of wasm memory in the worker is
// OUT_OF_MEMORY as in Node (a 16384 x 16384 RGBA PNG, tests/memory.test.js) and that the worker
// then embeds a photo exactly as before. Prints a Markdown report and writes it to
// tests/bench/results/browser-soak.md.
//
//   nice -n 5 node tests/bench/browser-soak.js [--embeds 1000] [--every 50]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { createServer } = require('../../demo/serve.js');
const { buildWeb, launchBrowser } = require('../support/browser');
const testdata = require('../support/testdata');
const { slope } = require('../support/trend');
const { transparentPng } = require('../support/png-writer');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const EMBEDS = arg('--embeds', 1000);
const EVERY = arg('--every', 50);
const WARM_UP = 100;
const MB = 1024 * 1024;

/** RSS in bytes of every process descended from this one (Chromium and its helpers), from /proc. */
function descendantsRss() {
  const parent = new Map();
  const rss = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  for (const pid of rss.keys()) {
    for (let p = parent.get(pid); p; p = parent.get(p)) {
      if (p === process.pid) {
        total += rss.get(pid);
        break;
      }
    }
  }
  return total;
}

async function main() {
  buildWeb();
  const stampsDir = testdata.stampsDir();
  const urls = [
    ...testdata.PHOTO_NAMES.map((n) => `/photos/${n}.jpg`),
    ...testdata
      .stampCategories()
      .flatMap((c) => c.files.slice(0, 4))
      .map((f) => `/stamps/${path.relative(stampsDir, f).split(path.sep).join('/')}`),
  ];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-soak-'));
  fs.writeFileSync(path.join(scratch, 'huge.png'), transparentPng(16384, 16384));
  const server = await createServer({
    port: 0,
    mounts: {
      '/fixture/': path.join(__dirname, '..', 'browser'),
      '/photos/': path.dirname(testdata.photo('dog')),
      '/stamps/': stampsDir,
      '/scratch/': scratch,
    },
  });
  const browser = await launchBrowser({ args: ['--enable-precise-memory-info'] });
  const samples = [];
  let refused = {};
  let ms = 0;
  try {
    const page = await browser.context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}fixture/classic.html`);
    const version = await page.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)[0]);
    await page.evaluate(async (list) => {
      const bytes = [];
      for (const url of list) bytes.push(new Uint8Array(await (await fetch(url)).arrayBuffer()));
      const pixels = [];
      for (const b of bytes.slice(0, 10)) {
        const bitmap = await createImageBitmap(new Blob([b]));
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        canvas.getContext('2d').drawImage(bitmap, 0, 0);
        pixels.push(canvas.getContext('2d').getImageData(0, 0, bitmap.width, bitmap.height));
      }
      const inputs = [];
      for (let i = 0; i < bytes.length; i++) inputs.push(bytes[i], pixels[i % pixels.length]);
      const jpeg = bytes[0];
      const damaged = jpeg.slice();
      damaged.fill(0xff, 2, 200);
      const bad = [
        new Uint8Array(0),
        jpeg.subarray(0, jpeg.length >> 1),
        damaged,
        { data: new Uint8Array(16), width: 4, height: 4, channels: 5 },
      ];
      window.soak = {
        inputs,
        bad,
        done: 0,
        refused: {},
        ms: 0,
        extractor: await imprint.createExtractor({ worker: true }),
      };
    }, urls);
    const sample = async () => {
      const s = await page.evaluate(async () => {
        const m = await window.soak.extractor.memory();
        return { ops: window.soak.done, ...m, pageHeap: performance.memory.usedJSHeapSize };
      });
      samples.push({ ...s, rss: descendantsRss() });
    };
    await sample();
    while (samples[samples.length - 1].ops < EMBEDS) {
      await page.evaluate(
        async (count) => {
          const s = window.soak;
          const t = performance.now();
          for (let k = 0; k < count; k++, s.done++) {
            if (s.done % 97 === 96) {
              const input = s.bad[((s.done / 97) % s.bad.length) | 0];
              try {
                await s.extractor.embed(input);
                throw new Error(`damaged input ${s.done} was accepted`);
              } catch (error) {
                if (!(error instanceof imprint.ImprintError)) throw error;
                s.refused[error.code] = (s.refused[error.code] || 0) + 1;
              }
            } else {
              const v = await s.extractor.embed(s.inputs[s.done % s.inputs.length]);
              if (v.length !== s.extractor.info.dim || !Number.isFinite(v[0]))
                throw new Error(`bad embedding at ${s.done}`);
            }
          }
          s.ms += performance.now() - t;
        },
        Math.min(EVERY, EMBEDS - samples[samples.length - 1].ops),
      );
      await sample();
    }
    ({ refused, ms } = await page.evaluate(() => ({ refused: window.soak.refused, ms: window.soak.ms })));
    await page.evaluate(() => window.soak.extractor.dispose());
    const oom = await page.evaluate(async () => {
      const huge = new Uint8Array(await (await fetch('/scratch/huge.png')).arrayBuffer());
      const dog = new Uint8Array(await (await fetch('/photos/dog.jpg')).arrayBuffer());
      const ex = await imprint.createExtractor({
        worker: true,
        limits: { maxWidth: 1 << 20, maxHeight: 1 << 20, maxPixels: 2 ** 40 },
      });
      const before = await ex.embed(dog);
      const error = await ex.embed(huge).then(
        () => null,
        (e) => ({ code: e.code, message: e.message, isImprintError: e instanceof imprint.ImprintError }),
      );
      const memory = await ex.memory();
      const after = await ex.embed(dog);
      ex.dispose();
      return { error, memory, same: before.every((v, i) => v === after[i]) };
    });
    if (!oom.error || oom.error.code !== 'OUT_OF_MEMORY' || !oom.error.isImprintError || !oom.same) {
      throw new Error(`worker out of memory: ${JSON.stringify(oom)}`);
    }
    if (problems.length) throw new Error(`page errors: ${problems.join('; ')}`);
    const report = format({ samples, refused, ms, version, oom });
    process.stdout.write(report);
    const out = path.join(__dirname, 'results', 'browser-soak.md');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, report);
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function format({ samples, refused, ms, version, oom }) {
  const base = samples.find((s) => s.ops >= WARM_UP) || samples[0];
  const end = samples[samples.length - 1];
  const after = samples.filter((s) => s.ops >= WARM_UP);
  const rssSlope = slope(after.map((s) => [s.ops, s.rss / MB])) * 1000;
  const heapSlope = slope(after.map((s) => [s.ops, s.pageHeap / MB])) * 1000;
  const grew = end.inUse > base.inUse || end.heapSize > base.heapSize;
  const lines = [
    '# Soak run (Chromium, worker variant)',
    '',
    `\`nice -n 5 node tests/bench/browser-soak.js --embeds ${EMBEDS} --every ${EVERY}\`, ${new Date().toISOString().slice(0, 10)}, headless ${version} (Debian), ${os.cpus().length} cores (shared).`,
    '',
    `- ${EMBEDS} embeds in the worker in ${(ms / 1000).toFixed(0)} s: JPEG and PNG bytes and ImageData, every 97th a damaged input (refused: ${Object.entries(
      refused,
    )
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')}; the worker kept working).`,
    `- Worker's wasm heap in use after warm-up (embed ${base.ops}): ${base.inUse} B; at the end: ${end.inUse} B (${end.inUse - base.inUse >= 0 ? '+' : ''}${end.inUse - base.inUse} B). Wasm memory: ${base.heapSize / MB} MB, then ${end.heapSize / MB} MB.`,
    `- Page JS heap (performance.memory.usedJSHeapSize): ${(base.pageHeap / MB).toFixed(1)} MB after warm-up, ${(end.pageHeap / MB).toFixed(1)} MB at the end (trend ${heapSlope.toFixed(2)} MB per 1000 embeds; it rises and falls with garbage collection).`,
    `- RSS of all Chromium processes: ${(base.rss / MB).toFixed(0)} MB after warm-up, ${(end.rss / MB).toFixed(0)} MB at the end; trend ${rssSlope.toFixed(1)} MB per 1000 embeds.`,
    `- Out of memory in the worker: a 16384 x 16384 RGBA PNG (1 GiB of pixels, decoded twice over) with raised limits is \`${oom.error.code}\` ("${oom.error.message}") after the worker's wasm memory grew to ${(oom.memory.heapSize / MB).toFixed(0)} MB; the same worker then embeds dog.jpg ${oom.same ? 'bit for bit as before' : 'DIFFERENTLY'}.`,
    `- Verdict: ${grew ? "**the worker's wasm heap grew after warm-up**" : "no growth of the worker's wasm heap after warm-up"}.`,
    '',
    '| embeds | worker wasm heap in use (B) | worker wasm memory (MB) | page JS heap (MB) | Chromium RSS (MB) |',
    '|---:|---:|---:|---:|---:|',
    ...samples.map(
      (s) =>
        `| ${s.ops} | ${s.inUse} | ${s.heapSize / MB} | ${(s.pageHeap / MB).toFixed(1)} | ${(s.rss / MB).toFixed(0)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
