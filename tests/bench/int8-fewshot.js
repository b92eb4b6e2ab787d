#!/usr/bin/env node
'use strict';
// Few-shot accuracy of the default model in float32 and with the int8 compute precision
// (tests/bench/int8.js has the speed), protocols A and B of BENCHMARKS.md at one k, in one run,
// same draws, imprint's default classifier through the public API (createClassifier, addEmbedding,
// train, predictEmbedding; the default classifier uses no mirror images). Embeddings of each model
// are cached in .cache/bench under the model's hash.
//
//   node tests/bench/int8-fewshot.js [--k 5] [--only A|B]
const fs = require('node:fs');
const path = require('node:path');
const harness = require('./fewshot-harness');
const { CACHE_DIR } = require('./feature-cache');
const imprint = require('../..');
const { withPrecision, PRECISION } = require('../../models/model-format.js');

const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const K = Number(arg('--k')) || 5;
const ONLY = arg('--only')?.toUpperCase();

/** Plain embeddings of data[set], cached per model hash. */
async function embeddings(ex, data, set) {
  const tag = data.name.split(' ')[0];
  const base = path.join(CACHE_DIR, `int8-study-${ex.info.modelHash}-${tag}-${set}`);
  const dim = ex.info.dim;
  const ids = JSON.stringify(data[set].map((it) => it.id));
  if (
    fs.existsSync(`${base}.f32`) &&
    fs.existsSync(`${base}.json`) &&
    fs.readFileSync(`${base}.json`, 'utf8') === ids
  ) {
    const buf = fs.readFileSync(`${base}.f32`);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    return data[set].map((_, i) => all.subarray(i * dim, (i + 1) * dim));
  }
  // tests/bench/fewshot.js's cache (plain and mirror embeddings), when it holds this model's.
  const shared = path.join(CACHE_DIR, `embeddings-${tag}-${set}`);
  if (fs.existsSync(`${shared}.json`) && fs.existsSync(`${shared}.f32`)) {
    const key = JSON.parse(fs.readFileSync(`${shared}.json`, 'utf8'));
    if (key.modelHash === ex.info.modelHash && key.dim === dim && JSON.stringify(key.ids) === ids) {
      const buf = fs.readFileSync(`${shared}.f32`);
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      return data[set].map((_, i) => all.subarray(2 * i * dim, (2 * i + 1) * dim));
    }
  }
  const started = Date.now();
  const out = [];
  for (let i = 0; i < data[set].length; i++) {
    out.push(await ex.embed(data[set][i].image()));
    if (i % 100 === 99) process.stderr.write(`  ${data.name} ${set}: ${i + 1}/${data[set].length}\r`);
  }
  console.error(
    `  ${ex.info.modelHash}: embedded ${out.length} of ${data.name} ${set} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  const all = new Float32Array(out.length * dim);
  out.forEach((v, i) => all.set(v, i * dim));
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(`${base}.f32`, Buffer.from(all.buffer));
  fs.writeFileSync(`${base}.json`, ids);
  return out;
}

async function main() {
  const bytes = fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'models', 'default.imprint'));
  const models = {
    float32: await imprint.createExtractor({ model: bytes }),
    int8: await imprint.createExtractor({ model: withPrecision(bytes, PRECISION.INT8) }),
  };
  const protocols = [];
  if (!ONLY || ONLY === 'A') protocols.push(harness.loadProtocolA({ ks: [K] }));
  if (!ONLY || ONLY === 'B') protocols.push(harness.loadProtocolB({ ks: [K] }));
  console.log(
    `# few-shot accuracy at k = ${K}, default model, float32 vs int8 (same draws), ${new Date().toISOString()}`,
  );
  console.log('');
  console.log('| protocol | float32 | int8 | int8 − float32 (mean of paired draws) | draws |');
  console.log('|---|---|---|---|---|');
  for (const data of protocols) {
    const results = {};
    for (const [name, ex] of Object.entries(models)) {
      const pool = await embeddings(ex, data, 'pool');
      const testVectors = data.test ? await embeddings(ex, data, 'test') : null;
      [results[name]] = await harness.runFewShot(data, pool, harness.imprintHead(imprint, ex), { testVectors });
    }
    const diffs = results.int8.accuracies.map((a, i) => a - results.float32.accuracies[i]);
    const d = harness.meanStd(diffs);
    console.log(
      `| ${data.name} | ${harness.formatMeanStd(results.float32)} | ${harness.formatMeanStd(results.int8)} | ${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(2)} ± ${(d.std / Math.sqrt(diffs.length)).toFixed(2)} (s.e.) | ${diffs.length} |`,
    );
  }
  for (const ex of Object.values(models)) ex.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
