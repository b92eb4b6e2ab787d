#!/usr/bin/env node
'use strict';
// One image on several threads in headless Chromium (a script, not a test; issue 13): in one cross-
// origin isolated page (demo/serve.js, isolated: true), the default build (1 thread) against the
// threads build on 1 and on N threads (default 2), side by side and interleaved, batch 1, the default
// model: a 224x224 RGBA image (the backbone and preprocessing) and a JPEG photo (its decoding too:
// dog.jpg has restart intervals, so on 2 threads it is decoded in two parts, src/jpeg_split.h).
// Prints a table of per-image times, the ratios (the target: threads build at 2 threads <= 0.65x
// the default build at 1 thread) and what the photo adds to the pixels' time on each. Then two
// threads-build extractors (default and 'accurate') in the same page, taking turns image by image
// against each in a row: each has its own thread pool, and neither may slow the other.
//
//   node tests/bench/browser-threads.js [--rounds N] [--threads N]
const path = require('node:path');

const { createServer } = require('../../demo/serve.js');
const { buildWeb, launchBrowser } = require('../support/browser');
const testdata = require('../support/testdata');

const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const rounds = option('--rounds', 9);
const threads = option('--threads', 2);

async function main() {
  buildWeb();
  const server = await createServer({
    port: 0,
    isolated: true,
    mounts: { '/fixture/': path.join(__dirname, '..', 'browser'), '/photos/': path.dirname(testdata.photo('dog')) },
  });
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => console.error(`pageerror: ${error.message}`));
    await page.goto(`${server.url}fixture/classic.html`);
    const result = await page.evaluate(
      async ({ rounds, threads }) => {
        if (!window.crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
        const photo = new Uint8Array(await (await fetch('/photos/dog.jpg')).arrayBuffer());
        const size = 224;
        const data = new Uint8Array(size * size * 4);
        for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24; // fixed pseudo-random pixels
        const pixels = { data, width: size, height: size };
        const variants = [
          { name: 'default build, 1 thread', options: { build: 'default' } },
          { name: 'threads build, 1 thread', options: { build: 'threads', threads: 1 } },
          { name: `threads build, ${threads} threads`, options: { build: 'threads', threads } },
        ];
        for (const v of variants) {
          v.extractor = await window.imprint.createExtractor(v.options);
          v.info = { build: v.extractor.info.build, threads: v.extractor.info.threads };
          v.times = { pixels: [], photo: [] };
          for (let i = 0; i < 3; i++) {
            await v.extractor.embed(pixels); // warm-up: weights packed, pages touched
            await v.extractor.embed(photo.slice());
          }
        }
        // Each timed block starts after 60 ms idle, as a user's first image does: a threads build's
        // worker has gone to sleep (it spins at most 3 ms, cmake/pthreadpool-emscripten.patch) and
        // its first image pays the wake-up, whichever variant ran before it.
        const idle = () => new Promise((resolve) => setTimeout(resolve, 60));
        const perImage = async (extractor, input, count) => {
          await idle();
          const start = performance.now();
          for (let i = 0; i < count; i++) await extractor.embed(input === photo ? photo.slice() : input);
          return (performance.now() - start) / count;
        };
        for (let r = 0; r < rounds; r++) {
          // Interleaved, the order rotating each round, so a busy moment hits every variant alike.
          for (let k = 0; k < variants.length; k++) {
            const v = variants[(r + k) % variants.length];
            v.times.pixels.push(await perImage(v.extractor, pixels, 5));
            v.times.photo.push(await perImage(v.extractor, photo, 5));
          }
        }
        for (const v of variants) v.extractor.dispose();

        // Two threads-build extractors in one page (the default model and the 'accurate' preset),
        // each with its own wasm instance and thread pool: one image each in turn, against each
        // one's images in a row. A pool whose threads kept spinning after its image would slow the
        // other's next image (cmake/pthreadpool-emscripten.patch).
        const pair = [];
        for (const model of ['default', 'accurate']) {
          const extractor = await window.imprint.createExtractor({ build: 'threads', threads, model });
          for (let i = 0; i < 3; i++) await extractor.embed(pixels);
          pair.push({ model, extractor, alternating: [], inARow: [] });
        }
        const timeOne = async (extractor) => {
          const start = performance.now();
          await extractor.embed(pixels);
          return performance.now() - start;
        };
        for (let r = 0; r < rounds; r++) {
          await idle();
          for (let i = 0; i < 5; i++) for (const p of pair) p.alternating.push(await timeOne(p.extractor));
          for (const p of pair) {
            await idle();
            for (let i = 0; i < 5; i++) p.inARow.push(await timeOne(p.extractor));
          }
        }
        for (const p of pair) p.extractor.dispose();
        return {
          cores: navigator.hardwareConcurrency,
          variants: variants.map(({ name, info, times }) => ({ name, info, times })),
          pair: pair.map(({ model, alternating, inARow }) => ({ model, alternating, inARow })),
        };
      },
      { rounds, threads },
    );
    const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    console.log(
      `# one image on threads, Chromium ${browser.context.browser()?.version() || ''} (${result.cores} logical cores), ${new Date().toISOString()}`,
    );
    console.log(`${rounds} interleaved rounds of 5 images per variant; median ms per image`);
    console.log('');
    console.log('| variant | build / threads (info) | 224x224 pixels | JPEG photo (dog.jpg) |');
    console.log('|---|---|---|---|');
    const m = result.variants.map((v) => ({ pixels: median(v.times.pixels), photo: median(v.times.photo) }));
    result.variants.forEach((v, i) =>
      console.log(
        `| ${v.name} | ${v.info.build} / ${v.info.threads} | ${m[i].pixels.toFixed(1)} ms | ${m[i].photo.toFixed(1)} ms |`,
      ),
    );
    const ratio = (a, b, key) => (m[a][key] / m[b][key]).toFixed(2);
    console.log('');
    console.log(
      `ratio threads build ${threads} threads / default build 1 thread: pixels ${ratio(2, 0, 'pixels')}x, photo ${ratio(2, 0, 'photo')}x (target <= 0.65x)`,
    );
    console.log(
      `ratio threads build ${threads} threads / threads build 1 thread: pixels ${ratio(2, 1, 'pixels')}x, photo ${ratio(2, 1, 'photo')}x`,
    );
    console.log(
      `ratio threads build 1 thread / default build 1 thread: pixels ${ratio(1, 0, 'pixels')}x, photo ${ratio(1, 0, 'photo')}x`,
    );
    // What the photo adds to the pixels' time: its decoding and resize, split over the threads
    // only as far as its restart intervals allow.
    console.log(
      `photo - pixels (decoding and resize), ms: ${result.variants.map((v, i) => `${v.name} ${(m[i].photo - m[i].pixels).toFixed(1)}`).join(', ')}`,
    );
    console.log('');
    console.log(`two threads-build extractors on ${threads} threads in one page, median ms per image:`);
    for (const p of result.pair)
      console.log(
        `  ${p.model}: ${median(p.alternating).toFixed(1)} taking turns with the other, ${median(p.inARow).toFixed(1)} in a row (${(median(p.alternating) / median(p.inARow)).toFixed(2)}x)`,
      );
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error.stack || error.message || error);
  process.exit(1);
});
