#!/usr/bin/env node
'use strict';
// Large JPEGs to embedding (a script, not a test): 12-megapixel JPEGs against raw 224x224 pixels,
// in the same process, interleaved, after warm-up. Three 12 MP JPEGs, made here (nothing large is
// committed):
//   - phone-like 4:2:0: a 4000x3000 mosaic of the real test photos at their native resolution,
//     encoded by cjpeg as phone cameras write (baseline, 4:2:0, quality 92; tests/support/phone-jpeg.js).
//     The speed issue's target (12 MP JPEG / raw 224x224 <= 2.5, medians) is judged on this one.
//   - the same mosaic, progressive (cjpeg -progressive), as some apps and editors write;
//   - 4:4:4 upscaled: the darknet dog photo upscaled to 4000x3000 and encoded with jpeg-js (baseline
//     4:4:4, quality 90): smooth at the 8x8 scale (little Huffman work) but with full-size chroma.
// Also the upscaled JPEG decoded by decode() and embedded as raw pixels (decode + area resize in
// two calls), and smaller JPEGs for context. Prints ms (min / median) and the ratio to raw pixels.
// Each case is timed on the wall clock and in CPU time (process.cpuUsage: user + system), which
// other processes on a busy shared machine disturb less; the ratio is given for both.
//
//   node tests/bench/large-jpeg.js [--rounds N]
const fs = require('node:fs');
const os = require('node:os');
const jpeg = require('jpeg-js');

const { createExtractor } = require('../..');
const testdata = require('../support/testdata');
const { resizeRgba: resize } = require('../support/resize-rgba');
const { phoneJpeg } = require('../support/phone-jpeg');

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
  const phone = phoneJpeg(4000, 3000);
  const phoneProgressive = phoneJpeg(4000, 3000, { progressive: true });
  const jpeg1080 = encode(1920, 1080);
  const jpeg480 = encode(640, 480);
  const small = resize(photo, 224, 224);
  const raw = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, channels: 3 };
  for (let i = 0; i < 224 * 224; i++) raw.data.set(small.data.subarray(i * 4, i * 4 + 3), i * 3);

  const big = {
    phone: '12 MP JPEG, phone-like 4:2:0 q92 (cjpeg)',
    progressive: '12 MP JPEG, phone-like progressive (cjpeg)',
    upscaled: '12 MP JPEG, 4:4:4 upscaled (jpeg-js q90)',
  };
  const cases = {
    'raw 224x224 pixels': () => extractor.embed(raw),
    [big.phone]: () => extractor.embed(phone),
    [big.progressive]: () => extractor.embed(phoneProgressive),
    [big.upscaled]: () => extractor.embed(jpeg12mp),
    '12 MP JPEG 4:4:4 upscaled, decode() + embed(pixels)': async () =>
      extractor.embed(await extractor.decode(jpeg12mp)),
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
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min) at the end`,
  );
  console.log(
    `12 MP JPEGs: phone-like 4:2:0 ${(phone.length / 1e6).toFixed(2)} MB, progressive ` +
      `${(phoneProgressive.length / 1e6).toFixed(2)} MB, 4:4:4 upscaled ${(jpeg12mp.length / 1e6).toFixed(2)} MB`,
  );
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
  console.log('12 MP JPEG / raw 224x224 (medians), wall | CPU:');
  for (const [key, name] of Object.entries(big)) {
    const ratio = stats(times[name]).median / base;
    const cpuRatio = stats(cpuTimes[name]).median / cpuBase;
    const target = key === 'phone' ? ' (the target, <= 2.5)' : ' (context)';
    console.log(`  ${name}: ${ratio.toFixed(2)} | ${cpuRatio.toFixed(2)}${target}`);
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { resize };
