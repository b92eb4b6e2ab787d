#!/usr/bin/env node
'use strict';
// The speed issues' whole table in one run (issue 12 section 2 and issue 13 item 5, with the default
// model): runs each speed benchmark (each measures imprint and its reference side by side,
// interleaved), prints their full output, then one summary table of every target with the measured
// value, and context rows without a target (the 'accurate' preset against TF.js, the same network in
// both runtimes, imprint against the second peer, ONNX Runtime Web, with 1 and 2 threads, and, in a
// cross-origin isolated Chromium page, imprint's default build and threads build against TF.js and ONNX
// Runtime Web on 1 thread each and on 2 threads each). Writes the lot to tests/bench/results/speed-table.md.
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

const loadBefore = os.loadavg();
const sections = {
  node: runBench('speed.js', ['--rounds', '3']),
  chromium: runBench('browser-speed.js', ['--rounds', '3']),
  gflops: runBench('gflops.js'),
  startup: runBench('startup.js'),
  batch: runBench('batch-speed.js'),
};

/** The `column`-th number (1: the first after the label) of the markdown table row labelled `label`. */
function cell(text, label, column) {
  const row = text.split('\n').find((l) => l.startsWith(`| ${label} |`));
  const value = row ? Number(row.split('|')[column + 1]) : NaN;
  if (!Number.isFinite(value))
    throw new Error(`speed-table: could not find "${label}", column ${column}, in the output:\n${text}`);
  return value;
}

// Each row: what, measured value, comparison, goal (shown as written), unit. Rows with a null goal are context (no target).
const line = (label) => new RegExp(`${label.replace(/[()/.]/g, '\\$&')}: ([\\d.]+)`);
const tfjsMobileNet = 'TF.js wasm MobileNetV2 (nsfwjs, full network to GAP(out_relu))';
const rows = [
  [
    `Node, 1 thread, batch 1: imprint default embedding / ${tfjsMobileNet}, medians`,
    number(sections.node, line('imprint default / TF.js MobileNetV2 (median)'), 'the Node ratio'),
    '<=',
    0.5,
    '',
  ],
  [
    `Headless Chromium, no isolation: imprint default embedding / ${tfjsMobileNet}, medians`,
    number(sections.chromium, line('imprint default / TF.js MobileNetV2 (median)'), 'the Chromium ratio'),
    '<=',
    0.5,
    '',
  ],
  [
    "Node: imprint 'accurate' / imprint default embedding, medians",
    number(sections.node, line('imprint accurate / imprint default (median)'), 'the Node accurate ratio'),
    '<=',
    2.5,
    '',
  ],
  [
    "Chromium: imprint 'accurate' / imprint default embedding, medians",
    number(sections.chromium, line('imprint accurate / imprint default (median)'), 'the Chromium accurate ratio'),
    '<=',
    2.5,
    '',
  ],
  [
    "Node: imprint 'accurate' / TF.js wasm MobileNetV2, medians",
    number(sections.node, line('imprint accurate / TF.js MobileNetV2 (median)'), 'the Node accurate/TF.js ratio'),
    null,
    null,
    '',
  ],
  [
    "Chromium: imprint 'accurate' / TF.js wasm MobileNetV2, medians",
    number(
      sections.chromium,
      line('imprint accurate / TF.js MobileNetV2 (median)'),
      'the Chromium accurate/TF.js ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Node, same network (mobilenet_v2.imprint vs TF.js): GAP(out_relu), medians',
    number(sections.node, line('same network, imprint / TF.js (median), out_relu'), 'the Node same-network ratio'),
    null,
    null,
    '',
  ],
  [
    'Node, same network: GAP(block_13_depthwise_relu), medians',
    number(
      sections.node,
      line('same network, imprint / TF.js (median), block_13_depthwise_relu'),
      'the Node same-network block_13 ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Chromium, same network: GAP(out_relu), medians',
    number(
      sections.chromium,
      line('same network, imprint / TF.js (median), out_relu'),
      'the Chromium same-network ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Chromium, same network: GAP(block_13_depthwise_relu), medians',
    number(
      sections.chromium,
      line('same network, imprint / TF.js (median), block_13_depthwise_relu'),
      'the Chromium same-network block_13 ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Node: imprint default embedding / ONNX Runtime Web (wasm, 1 thread) on the same exported network, medians',
    number(
      sections.node,
      line('imprint default / ONNX Runtime Web default, ORT 1 thread (median)'),
      'the Node imprint/ORT 1 thread ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Node, same network: imprint / ONNX Runtime Web (wasm, 1 thread), GAP(out_relu), medians',
    number(
      sections.node,
      line('same network, imprint / ONNX Runtime Web (median), out_relu, ORT 1 thread'),
      'the Node same-network imprint/ORT 1 thread ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Node: imprint default embedding / ONNX Runtime Web (wasm, 2 threads) on the same exported network, medians',
    number(
      sections.node,
      line('imprint default / ONNX Runtime Web default, ORT 2 threads (median)'),
      'the Node imprint/ORT 2 threads ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Node, same network: imprint / ONNX Runtime Web (wasm, 2 threads), GAP(out_relu), medians',
    number(
      sections.node,
      line('same network, imprint / ONNX Runtime Web (median), out_relu, ORT 2 threads'),
      'the Node same-network imprint/ORT 2 threads ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Chromium, no isolation: imprint default embedding / ONNX Runtime Web (wasm, 1 thread) on the same exported network, medians',
    number(
      sections.chromium,
      line('imprint default / ONNX Runtime Web default, ORT 1 thread (median)'),
      'the Chromium imprint/ORT 1 thread ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Chromium, no isolation, same network: imprint / ONNX Runtime Web (wasm, 1 thread), GAP(out_relu), medians',
    number(
      sections.chromium,
      line('same network, imprint / ONNX Runtime Web (median), out_relu, ORT 1 thread'),
      'the Chromium same-network imprint/ORT 1 thread ratio',
    ),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 1 thread each: imprint default embedding (default build) / TF.js wasm MobileNetV2 GAP(out_relu) (1 thread), medians',
    cell(sections.chromium, 'imprint default embedding / TF.js MobileNetV2 GAP(out_relu)', 1),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 2 threads each: imprint default embedding (threads build) / TF.js wasm MobileNetV2 GAP(out_relu) (2 threads), medians',
    cell(sections.chromium, 'imprint default embedding / TF.js MobileNetV2 GAP(out_relu)', 2),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 1 thread each, same network: imprint / TF.js, GAP(out_relu), medians',
    cell(sections.chromium, 'same network, imprint / TF.js, GAP(out_relu)', 1),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 2 threads each, same network: imprint / TF.js, GAP(out_relu), medians',
    cell(sections.chromium, 'same network, imprint / TF.js, GAP(out_relu)', 2),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 1 thread each: imprint default embedding / ONNX Runtime Web on the same exported network, medians',
    cell(sections.chromium, 'imprint default embedding / ONNX Runtime Web, same exported network', 1),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 2 threads each: imprint default embedding / ONNX Runtime Web on the same exported network, medians',
    cell(sections.chromium, 'imprint default embedding / ONNX Runtime Web, same exported network', 2),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 1 thread each, same network: imprint / ONNX Runtime Web, GAP(out_relu), medians',
    cell(sections.chromium, 'same network, imprint / ONNX Runtime Web, GAP(out_relu)', 1),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, 2 threads each, same network: imprint / ONNX Runtime Web, GAP(out_relu), medians',
    cell(sections.chromium, 'same network, imprint / ONNX Runtime Web, GAP(out_relu)', 2),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, imprint default embedding, threads build on 2 threads / default build, medians',
    cell(sections.chromium, 'imprint default embedding (threads build / default build)', 1),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, TF.js GAP(out_relu), 2 threads / 1 thread, medians',
    cell(sections.chromium, 'TF.js GAP(out_relu)', 1),
    null,
    null,
    '',
  ],
  [
    'Chromium, cross-origin isolated page, ONNX Runtime Web default embedding, 2 threads / 1 thread, medians',
    cell(sections.chromium, 'ONNX Runtime Web default embedding', 1),
    null,
    null,
    '',
  ],
  [
    "nsfwjs MobileNetV2 backbone GFLOP/s / XNNPACK's 1x1 convolution (112x112x32->64), medians",
    number(sections.gflops, /reference 1x1 layer: \d+ % \(min times\), (\d+) % \(medians\)/, 'the GFLOP/s ratio'),
    '>=',
    70,
    ' %',
  ],
  [
    'Cold start in Node, process start -> first embedding, default model (median)',
    number(sections.startup, /\| imprint \(default model[^|]*\| \d+ \/ (\d+) ms/, 'the cold start'),
    '<=',
    250,
    ' ms',
  ],
  [
    'Peak RSS at batch 1 (cold start run), default model',
    number(sections.startup, /\| imprint \(default model[^|]*\|[^|]*\| (\d+) MB/, 'the RSS'),
    '<=',
    100,
    ' MB',
  ],
  [
    "Cold start, 'accurate' preset (median)",
    number(sections.startup, /\| imprint \('accurate' preset[^|]*\| \d+ \/ (\d+) ms/, 'the accurate cold start'),
    null,
    null,
    ' ms',
  ],
  [
    "Peak RSS at batch 1, 'accurate' preset",
    number(sections.startup, /\| imprint \('accurate' preset[^|]*\|[^|]*\| (\d+) MB/, 'the accurate RSS'),
    null,
    null,
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
    'Page download, JS + wasm + default model, brotli (MB = 10^6 bytes)',
    number(sections.startup, /page runtime with the default model \| \| [\d.]+ KB \((\d+) bytes/, 'the page size') /
      1e6,
    '<=',
    '3.0', // as issue 12 writes it
    ' MB',
  ],
  [
    "Same with the 'accurate' model instead, brotli",
    number(
      sections.startup,
      /with the 'accurate' model instead \| \| [\d.]+ KB \((\d+) bytes/,
      'the accurate page size',
    ) / 1e6,
    null,
    null,
    ' MB',
  ],
  [
    'embedBatch (default model), 2 threads / 1 thread, images/s',
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
const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
lines.push('');
lines.push(`Load average (1, 5, 15 min) at the start: ${load(loadBefore)}; at the end: ${load(os.loadavg())}.`);
lines.push('');
lines.push('| target | measured | goal | met |');
lines.push('|---|---|---|---|');
for (const [what, value, op, goal, unit] of rows) {
  const shown = unit === 'x' || unit === '' || !Number.isInteger(value) ? value.toFixed(2) : value;
  if (goal === null) {
    lines.push(`| ${what} | ${shown}${unit} | (context) | |`);
    continue;
  }
  const met = op === '<=' ? value <= Number(goal) : value >= Number(goal);
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
