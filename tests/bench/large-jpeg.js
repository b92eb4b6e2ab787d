#!/usr/bin/env node
'use strict';
// Large JPEGs to embedding (a script, not a test): a 12-megapixel JPEG against raw 224x224 pixels,
// in the same process, interleaved, after warm-up. The JPEG is a real photo upscaled here and
// encoded with jpeg-js (baseline 4:4:4, quality 90); nothing large is committed. Also the same
// JPEG decoded by decode() and embedded as raw pixels (decode + area resize in two calls), and
// smaller JPEGs for context. Prints ms (min / median) and
// the ratio the speed issue sets: 12 MP JPEG / raw 224x224 <= 2.5 (medians). Each case is timed
// on the wall clock and in CPU time (process.cpuUsage: user + system), which other processes on a
// busy shared machine disturb less; the ratio is given for both.
//
//   node tests/bench/large-jpeg.js [--rounds N]
const fs = require('node:fs');
const os = require('node:os');
const jpeg = require('jpeg-js');

const { createExtractor } = require('../..');
const testdata = require('../support/testdata');
const { resizeRgba: resize } = require('../support/resize-rgba');

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

async function main() {
  const extractor = await createExtractor();
  const photo = jpeg.decode(fs.readFileSync(testdata.photo('dog')), { useTArray: true, formatAsRGBA: true });
  const encode = (w, h) => Buffer.from(jpeg.encode(resize(photo, w, h), 90).data);
  const jpeg12mp = encode(4000, 3000);
  const jpeg1080 = encode(1920, 1080);
  const jpeg480 = encode(640, 480);
  const small = resize(photo, 224, 224);
  const raw = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, channels: 3 };
  for (let i = 0; i < 224 * 224; i++) raw.data.set(small.data.subarray(i * 4, i * 4 + 3), i * 3);

  const cases = {
    'raw 224x224 pixels': () => extractor.embed(raw),
    '12 MP JPEG (4000x3000)': () => extractor.embed(jpeg12mp),
    '12 MP JPEG, decode() + embed(pixels)': async () => extractor.embed(await extractor.decode(jpeg12mp)),
    '1920x1080 JPEG': () => extractor.embed(jpeg1080),
    '640x480 JPEG': () => extractor.embed(jpeg480),
  };
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const cpuTimes = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      await fn();
      const used = process.cpuUsage(cpu);
      times[name].push(performance.now() - t);
      cpuTimes[name].push((used.user + used.system) / 1000);
    }
  }
  extractor.dispose();

  console.log(`Node ${process.version}, ${os.cpus()[0].model}, ${rounds} rounds, ms per image (min / median)`);
  console.log(`12 MP JPEG: ${(jpeg12mp.length / 1e6).toFixed(2)} MB (jpeg-js, quality 90, 4:4:4)`);
  console.log('| input | wall ms (min / median) | / raw (median) | CPU ms (min / median) | / raw (median) |');
  console.log('|---|---|---|---|---|');
  const base = stats(times['raw 224x224 pixels']).median;
  const cpuBase = stats(cpuTimes['raw 224x224 pixels']).median;
  for (const name of Object.keys(cases)) {
    const s = stats(times[name]);
    const c = stats(cpuTimes[name]);
    console.log(
      `| ${name} | ${s.min.toFixed(1)} / ${s.median.toFixed(1)} | ${(s.median / base).toFixed(2)} | ` +
        `${c.min.toFixed(1)} / ${c.median.toFixed(1)} | ${(c.median / cpuBase).toFixed(2)} |`,
    );
  }
  const big = '12 MP JPEG (4000x3000)';
  const ratio = stats(times[big]).median / base;
  const cpuRatio = stats(cpuTimes[big]).median / cpuBase;
  console.log(
    `12 MP JPEG / raw 224x224 (median): ${ratio.toFixed(2)} wall, ${cpuRatio.toFixed(2)} CPU (target <= 2.5)`,
  );
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { resize };
