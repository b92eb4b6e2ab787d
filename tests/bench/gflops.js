#!/usr/bin/env node
'use strict';
// Effective throughput of the backbone against XNNPACK's own 1x1 convolution (a script, not a
// test). One wasm module (build/wasm/bench/imprint-gflops, built with the library's objects and
// link options) runs both, interleaved round by round, one thread:
//   - XNNPACK f32 1x1 convolutions: the 112x112x32->64 layer of MobileNetV2 (the reference
//     figure of the speed issue), and the 1x1 shapes MobileNetV2 itself runs up to the embedding;
//   - imprint_model_embed() on a real photo: the default embedding's whole backbone.
// Backbone GFLOP/s = 2 x MACs of the layers the embedding needs (convolutions and depthwise
// convolutions, counted from the TF.js model topology) / time per embedding.
//
//   node tests/bench/gflops.js [--rounds N]
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const BENCH = path.join(ROOT, 'build', 'wasm', 'bench', 'imprint-gflops');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 40;

// [label, height, width, in channels, out channels]
const REFERENCE = ['112x112x32 -> 64 (reference layer)', 112, 112, 32, 64];
const MOBILENET_1X1 = [
  ['56x56x24 -> 144 (block_2 expand)', 56, 56, 24, 144],
  ['28x28x192 -> 32 (block_4 project)', 28, 28, 192, 32],
  ['14x14x64 -> 384 (block_7 expand)', 14, 14, 64, 384],
  ['14x14x96 -> 576 (block_13 expand)', 14, 14, 96, 576],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs) => Math.min(...xs);

async function main() {
  if (!fs.existsSync(BENCH + '.wasm'))
    throw new Error('build/wasm/bench/imprint-gflops.wasm is missing: run scripts/build.sh');
  const createCore = require(BENCH + '.js');
  const core = await createCore({ wasmBinary: fs.readFileSync(BENCH + '.wasm'), print() {}, printErr() {} });

  const copyIn = (bytes) => {
    const ptr = core._malloc(bytes.length);
    core.HEAPU8.set(bytes, ptr);
    return ptr;
  };
  const modelBytes = fs.readFileSync(path.join(ROOT, 'dist', 'models', 'mobilenet_v2.imprint'));
  const bytesPtr = copyIn(modelBytes);
  const outPtr = core._malloc(4);
  const status = core._imprint_model_create(bytesPtr, modelBytes.length, 0, 0, outPtr);
  core._free(bytesPtr);
  if (status !== 0) throw new Error(`imprint_model_create failed with status ${status}`);
  const model = core.HEAP32[outPtr >> 2];
  const layer = core.UTF8ToString(core._imprint_model_embedding_layers(model));
  const dim = core._imprint_model_embedding_dim(model);
  const photo = fs.readFileSync(require('../support/testdata').photo('dog'));
  const photoPtr = copyIn(photo);
  if (core._imprint_model_set_input_encoded(model, photoPtr, photo.length) !== 0)
    throw new Error('photo did not decode');
  core._free(photoPtr);
  const embedding = core._malloc(dim * 4);

  const { loadReference } = require('../support/tfjs-reference');
  const ref = await loadReference('mobilenet_v2');
  const backboneMacs = ref.macsUpTo(layer);
  ref.dispose();

  const shapes = [REFERENCE, ...MOBILENET_1X1].map(([label, h, w, cin, cout]) => {
    const op = core._bench_conv1x1_create(h, w, cin, cout);
    if (!op) throw new Error(`XNNPACK could not create the ${label} convolution`);
    const macs = h * w * cin * cout;
    // Enough runs per round for ~10 ms, so the timer's resolution does not matter.
    const once = core._bench_conv1x1_run(op, 3);
    return { label, op, macs, runs: Math.max(1, Math.round(0.01 / once)), seconds: [] };
  });
  const embedSeconds = [];
  for (let i = 0; i < 3; i++) core._bench_embed(model, embedding, 1);
  for (let r = 0; r < rounds; r++) {
    for (const s of shapes) s.seconds.push(core._bench_conv1x1_run(s.op, s.runs));
    embedSeconds.push(core._bench_embed(model, embedding, 1));
  }
  if ([...embedSeconds, ...shapes.flatMap((s) => s.seconds)].some((x) => x < 0)) throw new Error('a run failed');

  const gflops = (macs, seconds) => (2 * macs) / seconds / 1e9;
  const rows = shapes.map((s) => ({
    label: `XNNPACK 1x1 convolution ${s.label}`,
    mflop: (2 * s.macs) / 1e6,
    ms: [min(s.seconds) * 1e3, median(s.seconds) * 1e3],
    gflops: [gflops(s.macs, min(s.seconds)), gflops(s.macs, median(s.seconds))],
  }));
  const backbone = {
    label: `imprint backbone (embedding: GAP of ${layer})`,
    mflop: (2 * backboneMacs) / 1e6,
    ms: [min(embedSeconds) * 1e3, median(embedSeconds) * 1e3],
    gflops: [gflops(backboneMacs, min(embedSeconds)), gflops(backboneMacs, median(embedSeconds))],
  };
  const reference = rows[0];
  const mobilenetRows = rows.slice(1);
  const weighted = (k) =>
    mobilenetRows.reduce((a, r) => a + r.mflop, 0) / mobilenetRows.reduce((a, r) => a + r.mflop / r.gflops[k], 0);

  console.log(`# backbone throughput vs XNNPACK's 1x1 convolution, ${new Date().toISOString()}`);
  console.log(
    `Node ${process.version}, one thread, ${rounds} interleaved rounds, wasm SIMD (same build options as dist/)`,
  );
  console.log('');
  console.log('| workload | MFLOP | ms min / median | GFLOP/s (min time) / (median time) |');
  console.log('|---|---|---|---|');
  for (const r of [...rows, backbone])
    console.log(
      `| ${r.label} | ${r.mflop.toFixed(1)} | ${r.ms[0].toFixed(2)} / ${r.ms[1].toFixed(2)} | ${r.gflops[0].toFixed(1)} / ${r.gflops[1].toFixed(1)} |`,
    );
  console.log('');
  const pct = (a, b) => `${((100 * a) / b).toFixed(0)} %`;
  console.log(
    `Backbone / reference 1x1 layer: ${pct(backbone.gflops[0], reference.gflops[0])} (min times), ${pct(backbone.gflops[1], reference.gflops[1])} (medians); target >= 70 %.`,
  );
  console.log(
    `Backbone / MobileNetV2's own 1x1 layers (FLOP-weighted): ${pct(backbone.gflops[0], weighted(0))} (min), ${pct(backbone.gflops[1], weighted(1))} (medians).`,
  );

  for (const s of shapes) core._bench_conv1x1_destroy(s.op);
  core._free(embedding);
  core._free(outPtr);
  core._imprint_model_destroy(model);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
