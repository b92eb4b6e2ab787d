#!/usr/bin/env node
'use strict';
// The speed issue's whole table in one run: runs each speed benchmark (each measures imprint and
// its reference side by side, interleaved), prints their full output, then one summary table of
// every target with the measured value. Writes the lot to tests/bench/results/speed-table.md.
//
//   node tests/bench/speed-table.js
// Takes about 10-15 minutes on the 2-core machine; run it on an otherwise idle machine.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const HERE = __dirname;
const OUT = path.join(HERE, 'results', 'speed-table.md');

function runBench(script, args = []) {
  process.stderr.write(`speed-table: ${script} ${args.join(' ')}\n`);
  return execFileSync(process.execPath, [path.join(HERE, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** The first capture of `pattern` in `text` as a number; a benchmark whose output changed fails loudly. */
function number(text, pattern, what) {
  const match = pattern.exec(text);
  if (!match) throw new Error(`speed-table: could not find ${what} in the output:\n${text}`);
  return Number(match[1]);
}

const sections = {
  node: runBench('speed.js', ['--rounds', '3']),
  chromium: runBench('browser-speed.js', ['--rounds', '3']),
  gflops: runBench('gflops.js'),
  startup: runBench('startup.js'),
  batch: runBench('batch-speed.js'),
};

const ratioLine = /imprint \/ TF\.js \(median\), default embedding: ([\d.]+)/;
const rows = [
  [
    'Node, 1 thread, batch 1: imprint / TF.js wasm (median)',
    number(sections.node, ratioLine, 'the Node ratio'),
    '<=',
    0.5,
    '',
  ],
  [
    'Headless Chromium, no isolation: imprint / TF.js wasm (median)',
    number(sections.chromium, ratioLine, 'the Chromium ratio'),
    '<=',
    0.5,
    '',
  ],
  [
    "Backbone GFLOP/s / XNNPACK's 1x1 convolution (112x112x32->64), medians",
    number(sections.gflops, /reference 1x1 layer: \d+ % \(min times\), (\d+) % \(medians\)/, 'the GFLOP/s ratio'),
    '>=',
    70,
    ' %',
  ],
  [
    'Cold start in Node, process start -> first embedding (median)',
    number(sections.startup, /\| imprint \(default embedding[^|]*\| \d+ \/ (\d+) ms/, 'the cold start'),
    '<=',
    250,
    ' ms',
  ],
  [
    'Peak RSS at batch 1 (cold start run)',
    number(sections.startup, /\| imprint \(default embedding[^|]*\|[^|]*\| (\d+) MB/, 'the RSS'),
    '<=',
    100,
    ' MB',
  ],
  [
    'Runtime download of a page, JS + wasm, brotli',
    number(sections.startup, /runtime of a page: [^|]*\| \| ([\d.]+) KB/, 'the runtime size'),
    '<=',
    180,
    ' KB',
  ],
  [
    'Same with the default model, brotli',
    number(sections.startup, /page runtime with the default model \| \| ([\d.]+) KB/, 'the size with the model') / 1024,
    '<=',
    2.3,
    ' MB',
  ],
  [
    'embedBatch, 2 threads / 1 thread, images/s',
    number(sections.batch, /speed-up with \d+ threads: ([\d.]+)x/, 'the speed-up'),
    '>=',
    1.6,
    'x',
  ],
];

const lines = [];
lines.push(`# Speed targets, ${new Date().toISOString()}`);
lines.push(
  `${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}; command: node tests/bench/speed-table.js`,
);
lines.push('');
lines.push('| target | measured | goal | met |');
lines.push('|---|---|---|---|');
for (const [what, value, op, goal, unit] of rows) {
  const met = op === '<=' ? value <= goal : value >= goal;
  const shown = unit === 'x' || unit === '' || !Number.isInteger(value) ? value.toFixed(2) : value;
  lines.push(`| ${what} | ${shown}${unit} | ${op} ${goal}${unit} | ${met ? 'yes' : '**no**'} |`);
}
lines.push('');
const titles = {
  node: 'Node (tests/bench/speed.js --rounds 3)',
  chromium: 'Chromium (tests/bench/browser-speed.js --rounds 3)',
  gflops: 'Throughput (tests/bench/gflops.js)',
  startup: 'Cold start, memory, download (tests/bench/startup.js)',
  batch: 'Threads (tests/bench/batch-speed.js)',
};
for (const [key, text] of Object.entries(sections)) {
  lines.push(`## ${titles[key]}`, '', text.trim().replace(/^# /gm, '### '), '');
}
const report = lines.join('\n');
fs.writeFileSync(OUT, report);
console.log(report);
