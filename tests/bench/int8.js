#!/usr/bin/env node
'use strict';
// int8 benchmark (a script, not a test): the default model in float32 against the same file with
// the int8 compute precision (models/MODEL_FORMAT.md, header `precision`), side by side in one
// process, interleaved, batch 1, one thread, on the same 224x224 RGB pixels (real photos and photo
// stamps). Prints ms/image (min / median), the speed-up of the medians, the embedding cosine
// between the two (min / median) and the download sizes (raw and brotli).
// Few-shot accuracy is measured separately: node tests/bench/fewshot.js --only A|B --model <int8 file>
// (write the int8 file with --write <file>).
//
//   node tests/bench/int8.js [--rounds N] [--write <file>]
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const zlib = require('node:zlib');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');

const { createExtractor } = require('../..');
const { withPrecision, PRECISION } = require('../../models/model-format.js');
const testdata = require('../support/testdata');
const { resizeRgba } = require('../support/resize-rgba');

const ROOT = path.join(__dirname, '..', '..');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(arg('--rounds')) || 5;

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], n: sorted.length };
}

function rgb224(rgba, width, height) {
  const small = resizeRgba({ data: rgba, width, height }, 224, 224).data;
  const out = new Uint8Array(224 * 224 * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
    out[i] = small[j];
    out[i + 1] = small[j + 1];
    out[i + 2] = small[j + 2];
  }
  return { data: out, width: 224, height: 224, channels: 3 };
}

async function main() {
  const f32Bytes = fs.readFileSync(path.join(ROOT, 'dist', 'models', 'default.imprint'));
  const int8Bytes = withPrecision(f32Bytes, PRECISION.INT8);
  if (arg('--write')) fs.writeFileSync(arg('--write'), int8Bytes);
  const f32 = await createExtractor({ model: f32Bytes });
  const int8 = await createExtractor({ model: int8Bytes });

  const images = [];
  for (const name of testdata.PHOTO_NAMES) {
    const d = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
    images.push(rgb224(d.data, d.width, d.height));
  }
  for (const file of testdata.stampCategories().flatMap((c) => c.files.slice(0, 4))) {
    const png = PNG.sync.read(fs.readFileSync(file));
    images.push(rgb224(png.data, png.width, png.height));
  }

  const cases = { float32: f32, int8 };
  const times = { float32: [], int8: [] };
  const cpu = { float32: [], int8: [] }; // process CPU time: less disturbed than wall time on a busy machine
  const cosines = [];
  for (const ex of Object.values(cases)) await ex.embed(images[0]); // warm-up: runtimes built, weights packed
  for (let r = 0; r < rounds; r++) {
    for (const px of images) {
      const out = {};
      // Alternate which goes first so neither always runs on a warm cache.
      const order = r % 2 ? ['int8', 'float32'] : ['float32', 'int8'];
      for (const name of order) {
        const start = performance.now();
        const cpuStart = process.cpuUsage();
        out[name] = await cases[name].embed(px);
        const used = process.cpuUsage(cpuStart);
        times[name].push(performance.now() - start);
        cpu[name].push((used.user + used.system) / 1000);
      }
      if (r === 0) cosines.push(out.float32.reduce((s, x, i) => s + x * out.int8[i], 0));
    }
  }
  const brotli = (b) =>
    zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length / 1024;
  const c = stats(cosines);
  console.log(
    `# imprint int8 vs float32, ${new Date().toISOString()}, Node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} cores`,
  );
  console.log(`# ${images.length} images x ${rounds} rounds, interleaved, batch 1, one thread`);
  console.log('');
  console.log('| default model | wall ms/image min / median | CPU ms/image min / median | images |');
  console.log('|---|---|---|---|');
  for (const name of Object.keys(times)) {
    const [w, u] = [stats(times[name]), stats(cpu[name])];
    console.log(
      `| ${name} | ${w.min.toFixed(1)} / ${w.median.toFixed(1)} | ${u.min.toFixed(1)} / ${u.median.toFixed(1)} | ${w.n} |`,
    );
  }
  console.log('');
  const speedUp = (t, key) => (stats(t.float32)[key] / stats(t.int8)[key]).toFixed(2);
  console.log(
    `speed-up float32 / int8: wall ${speedUp(times, 'median')}x (medians), ${speedUp(times, 'min')}x (minima); CPU time ${speedUp(cpu, 'median')}x (medians), ${speedUp(cpu, 'min')}x (minima)`,
  );
  console.log(`embedding cosine int8 vs float32: min ${c.min.toFixed(5)}, median ${c.median.toFixed(5)}`);
  console.log(
    `download: float32 ${(f32Bytes.length / 1024).toFixed(0)} KiB (brotli ${brotli(f32Bytes).toFixed(0)} KiB), int8 ${(int8Bytes.length / 1024).toFixed(0)} KiB (brotli ${brotli(int8Bytes).toFixed(0)} KiB)`,
  );
  f32.dispose();
  int8.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
