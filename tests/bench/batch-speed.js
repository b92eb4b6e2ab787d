#!/usr/bin/env node
'use strict';
// Batch throughput of `imprint embed` (a script, not a test): the same 1000 real photos (Tux Paint
// stamps, all categories, PNG) embedded by the CLI with 1 thread and with every core, in one run,
// alternating, each a fresh process. Prints images/second, the speed-up and the peak RSS.
// --large: 12-megapixel JPEGs instead (the 7 darknet photos upscaled to 4000x3000, jpeg-js quality
// 90, written to a scratch folder; 60 images by default), where the speed issue asks 2 threads to
// reach 1.7x of 1.
//
//   node tests/bench/batch-speed.js [--images N] [--rounds R] [--large]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const testdata = require('../support/testdata');

const arg = (name, fallback) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const large = process.argv.includes('--large');
const count = arg('--images', large ? 60 : 1000);
const rounds = arg('--rounds', 2);
const CLI = path.join(__dirname, '..', '..', 'js', 'cli.cjs');

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.png')) out.push(p);
  }
  return out;
}

/** The 7 darknet photos as 12 MP JPEGs in `dir`. */
function largeJpegs(dir) {
  const jpeg = require('jpeg-js');
  const { resizeRgba } = require('../support/resize-rgba');
  return testdata.PHOTO_NAMES.map((name) => {
    const photo = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
    const file = path.join(dir, `${name}-4000x3000.jpg`);
    fs.writeFileSync(file, jpeg.encode(resizeRgba(photo, 4000, 3000), 90).data);
    return file;
  });
}

const scratch = large ? fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-batch-large-')) : null;
const all = large ? largeJpegs(scratch) : walk(testdata.stampsDir());
const files = Array.from({ length: count }, (_, i) => all[i % all.length]);
const list = path.join(os.tmpdir(), `imprint-batch-${process.pid}.txt`);
const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;

function run(threads) {
  const start = process.hrtime.bigint();
  // /usr/bin/time is not guaranteed; the child reports its own peak RSS through a tiny wrapper.
  const wrapper = `process.on('exit', () => process.stderr.write('\\nRSS ' + process.resourceUsage().maxRSS + '\\n'));
    require(${JSON.stringify(CLI)}).main(['embed', '--threads', '${threads}', '--out', '/dev/null', ...require('fs').readFileSync(${JSON.stringify(list)}, 'utf8').split('\\n').filter(Boolean)]).then((c) => { process.exitCode = c; });`;
  const result = spawnSync(process.execPath, ['-e', wrapper], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`imprint embed --threads ${threads} failed: ${result.stderr.slice(-2000)}`);
  const lines = result.stdout.trim().split('\n').length;
  const rss = Number((result.stderr.match(/RSS (\d+)/) || [0, 0])[1]) / 1024;
  return { seconds, lines, rss };
}

fs.writeFileSync(list, files.join('\n'));
try {
  const results = { 1: [], [cores]: [] };
  for (let r = 0; r < rounds; r++) for (const t of [1, cores]) results[t].push(run(t));
  const what = large
    ? `${all.length} distinct 12 MP JPEGs, the darknet photos upscaled, jpeg-js quality 90`
    : `${all.length} distinct Tux Paint stamps, PNG`;
  console.log(
    `# imprint embed over ${count} real photos (${what}, decoded + resized in C), ${new Date().toISOString()}`,
  );
  console.log(
    `# ${os.cpus()[0].model}, ${cores} cores, Node ${process.version}; best of ${rounds} alternating runs, each a fresh process (includes model load per thread)`,
  );
  console.log('');
  console.log('| threads | seconds | images/s | peak RSS of the main process |');
  console.log('|---|---|---|---|');
  const best = {};
  for (const t of [1, cores]) {
    best[t] = results[t].reduce((a, b) => (a.seconds < b.seconds ? a : b));
    if (best[t].lines !== count) throw new Error(`expected ${count} embeddings, got ${best[t].lines}`);
    console.log(
      `| ${t} | ${best[t].seconds.toFixed(1)} | ${(count / best[t].seconds).toFixed(1)} | ${best[t].rss.toFixed(0)} MB |`,
    );
  }
  console.log('');
  const ratio = best[1].seconds / best[cores].seconds;
  console.log(
    `speed-up with ${cores} threads: ${ratio.toFixed(2)}x${large && cores === 2 ? ' (2t/1t, target >= 1.7)' : ''}`,
  );
} finally {
  fs.rmSync(list, { force: true });
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
