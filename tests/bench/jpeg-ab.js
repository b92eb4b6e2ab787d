#!/usr/bin/env node
'use strict';
// Two builds of imprint side by side on one large JPEG (a script, not a test): an earlier checkout's
// package folder (its js/ and dist/, for instance a `git worktree` of an older commit after
// `npm run build`) against this one, each embedding raw 224x224 pixels and the JPEG in turn, round
// after round in one process. On a machine whose speed drifts between runs this shows what one
// change gains better than two runs of large-jpeg.js. Prints ms (min / median) and the ratio of
// the JPEG's time to raw pixels for each build.
//
//   node tests/bench/jpeg-ab.js OLD_PACKAGE_DIR [--jpeg FILE] [--rounds N]
// Without --jpeg: the 12 MP phone-like JPEG of large-jpeg.js (tests/support/phone-jpeg.js).
const fs = require('node:fs');
const path = require('node:path');

const { phoneJpeg } = require('../support/phone-jpeg');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

async function main() {
  const old = process.argv[2];
  if (!old || old.startsWith('--'))
    throw new Error('usage: node tests/bench/jpeg-ab.js OLD_PACKAGE_DIR [--jpeg FILE] [--rounds N]');
  const rounds = Number(option('--rounds', 30));
  const file = option('--jpeg', null);
  const bytes = file ? fs.readFileSync(file) : phoneJpeg(4000, 3000);
  const builds = { old: require(path.resolve(old)), new: require('../..') };
  const raw = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, channels: 3 };
  for (let i = 0; i < raw.data.length; i++) raw.data[i] = (i * 7) & 255;
  const runs = {};
  for (const [name, build] of Object.entries(builds)) {
    const extractor = await build.createExtractor();
    for (let i = 0; i < 2; i++) (await extractor.embed(raw), await extractor.embed(bytes)); // warm-up
    runs[name] = { extractor, raw: [], jpeg: [] };
  }
  for (let r = 0; r < rounds; r++)
    for (const run of Object.values(runs)) {
      let t0 = performance.now();
      await run.extractor.embed(raw);
      run.raw.push(performance.now() - t0);
      t0 = performance.now();
      await run.extractor.embed(bytes);
      run.jpeg.push(performance.now() - t0);
    }
  console.log(
    `# ${file || '12 MP phone-like JPEG'} (${(bytes.length / 1e6).toFixed(2)} MB), ${rounds} rounds, builds alternating`,
  );
  console.log('| build | raw 224x224 ms (min / median) | JPEG ms (min / median) | JPEG / raw (medians) |');
  console.log('|---|---|---|---|');
  for (const [name, run] of Object.entries(runs)) {
    const r = stats(run.raw),
      j = stats(run.jpeg);
    console.log(
      `| ${name} | ${r.min.toFixed(1)} / ${r.median.toFixed(1)} | ${j.min.toFixed(1)} / ${j.median.toFixed(1)} | ${(j.median / r.median).toFixed(2)} |`,
    );
  }
  for (const run of Object.values(runs)) run.extractor.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
