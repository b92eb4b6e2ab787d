'use strict';
// Head study: what makes the few-shot head best on imprint's default embedding features.
//
//   node tests/bench/head-study.js --protocol A [--draws 30] [--variants base,power,...] [--json out.json]
//
// Features: GAP(block_13_depthwise_relu) through imprint's extractor (raw, so the power transform can be
// applied before L2-normalisation), of each image and of its left-right mirror, cached once
// (tests/bench/feature-cache.js). Every variant sees the same fixed-seed draws of
// tests/bench/fewshot-harness.js; any hyper-parameter choice uses the training shots only (cross-validation
// over the shots), never test images. Prints a markdown table per protocol.
const path = require('path');
const fs = require('fs');
const harness = require('./fewshot-harness');
const { cachedFeatures } = require('./feature-cache');
const M = require('./head-math');

const LAYER = 'block_13_depthwise_relu';
let ECE = false;
const LAMBDAS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];

// A variant: feature transform + head + augmentation. Defaults are the baseline (harness head's recipe).
const BASE = { power: false, center: false, flip: false, tta: 'none', head: 'softmax', lambda: 1e-3, balanced: true };
const VARIANTS = {
  base: {},
  'lambda=1e-4': { lambda: 1e-4 },
  'lambda=3e-4': { lambda: 3e-4 },
  'lambda=3e-3': { lambda: 3e-3 },
  'lambda=1e-2': { lambda: 1e-2 },
  'lambda=cv': { lambda: 'cv' },
  unbalanced: { balanced: false },
  power: { power: true },
  center: { center: true },
  flip: { flip: true },
  'tta-prob': { tta: 'prob' },
  'tta-emb': { tta: 'emb' },
  'flip+tta-prob': { flip: true, tta: 'prob' },
  'flip+tta-emb': { flip: true, tta: 'emb' },
  ncm: { head: 'ncm' },
  'ncm+power+center': { head: 'ncm', power: true, center: true },
  'ncm+power+center+flip+tta-emb': { head: 'ncm', power: true, center: true, flip: true, tta: 'emb' },
  'power+center': { power: true, center: true },
  'power+flip+tta-emb': { power: true, flip: true, tta: 'emb' },
  'center+flip+tta-emb': { center: true, flip: true, tta: 'emb' },
  'power+center+flip': { power: true, center: true, flip: true },
  'power+center+flip+tta-emb': { power: true, center: true, flip: true, tta: 'emb' },
  'power+center+flip+tta-prob': { power: true, center: true, flip: true, tta: 'prob' },
  'power+center+flip+tta-emb, lambda=cv': { power: true, center: true, flip: true, tta: 'emb', lambda: 'cv' },
  'power+center+flip+tta-emb, lambda=3e-4': { power: true, center: true, flip: true, tta: 'emb', lambda: 3e-4 },
  'power+center+flip+tta-emb, lambda=3e-3': { power: true, center: true, flip: true, tta: 'emb', lambda: 3e-3 },
  'power+center+flip+tta-emb, lambda=1e-4': { power: true, center: true, flip: true, tta: 'emb', lambda: 1e-4 },
  'center, lambda=1e-4': { center: true, lambda: 1e-4 },
  'center, lambda=3e-4': { center: true, lambda: 3e-4 },
  'center, lambda=3e-3': { center: true, lambda: 3e-3 },
  'center+flip+tta-emb, lambda=cv': { center: true, flip: true, tta: 'emb', lambda: 'cv' },
  tm: { head: 'tm' },
};

function parseArgs(argv) {
  const args = { protocol: 'A', draws: null, ks: null, variants: null, json: null, ece: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--protocol') args.protocol = argv[++i].toUpperCase();
    else if (a === '--draws') args.draws = Number(argv[++i]);
    else if (a === '--ks') args.ks = argv[++i].split(',').map(Number);
    else if (a === '--variants') args.variants = argv[++i].split(';');
    else if (a === '--json') args.json = argv[++i];
    else if (a === '--ece') args.ece = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Embeddings of a set under a transform, memoised per (set, mirror, power). */
function makeEmbeddings(raw) {
  const memo = new Map();
  return (set, mirror, power) => {
    const key = `${set}|${mirror}|${power}`;
    if (!memo.has(key))
      memo.set(
        key,
        raw[set][mirror ? 'mirror' : 'plain'].map((r) => M.embedFromRaw(r, { power })),
      );
    return memo.get(key);
  };
}

/**
 * Trains the variant on training indices (with their class within-class positions for CV folds) and
 * returns logits(testVectorsPlain, testVectorsMirror) → logit rows (or probability rows for tta-prob).
 */
function fitVariant(v, plain, mirror, y, C, { lambda }) {
  const X = [];
  const Y = [];
  plain.forEach((x, i) => {
    X.push(x);
    Y.push(y[i]);
    if (v.flip) {
      X.push(mirror[i]);
      Y.push(y[i]);
    }
  });
  const mean = v.center ? M.meanOf(X) : null;
  const prep = (x) => (mean ? M.centered(x, mean) : x);
  const Xp = X.map(prep);
  let scoreOf;
  if (v.head === 'ncm') {
    const model = M.trainNearestMean(Xp, Y, C);
    // Cosine similarities as logits, at a fixed scale of 10 so probabilities are not flat (calibrated later).
    scoreOf = (x) => model.logits(x).map((s) => 10 * s);
  } else {
    const model = M.trainSoftmax(Xp, Int32Array.from(Y), C, { lambda, balanced: v.balanced });
    scoreOf = (x) => M.softmaxLogits(model, x);
  }
  return (testPlain, testMirror) =>
    testPlain.map((x, j) => {
      if (v.tta === 'emb') {
        const avg = M.l2normalize(x.map((value, d) => value + testMirror[j][d]));
        return scoreOf(prep(avg));
      }
      const logits = scoreOf(prep(x));
      if (v.tta !== 'prob') return logits;
      // Average the two probability vectors; return log-probabilities so argmax/softmax still work.
      const p = M.softmaxInPlace(Float64Array.from(logits));
      const q = M.softmaxInPlace(scoreOf(prep(testMirror[j])));
      return p.map((value, c) => Math.log((value + q[c]) / 2));
    });
}

/** Shots split into folds: fold f holds out the shots at within-class positions ≡ f (mod folds). */
function crossValidatedLogits(v, plain, mirror, y, C, lambda, folds) {
  const position = new Int32Array(y.length);
  const seen = new Map();
  y.forEach((c, i) => {
    position[i] = seen.get(c) || 0;
    seen.set(c, position[i] + 1);
  });
  const rows = new Array(y.length);
  for (let f = 0; f < folds; f++) {
    const trainIdx = [];
    const heldIdx = [];
    y.forEach((_, i) => (position[i] % folds === f ? heldIdx : trainIdx).push(i));
    const predict = fitVariant(
      v,
      trainIdx.map((i) => plain[i]),
      trainIdx.map((i) => mirror[i]),
      trainIdx.map((i) => y[i]),
      C,
      { lambda },
    );
    const out = predict(
      heldIdx.map((i) => plain[i]),
      heldIdx.map((i) => mirror[i]),
    );
    heldIdx.forEach((i, j) => (rows[i] = out[j]));
  }
  return rows;
}

function scoreRows(rows, labels) {
  let correct = 0;
  let nll = 0;
  rows.forEach((row, i) => {
    if (M.argmax(row) === labels[i]) correct++;
    const p = M.softmaxInPlace(Float64Array.from(row));
    nll -= Math.log(Math.max(p[labels[i]], 1e-12));
  });
  return { accuracy: correct / rows.length, nll: nll / rows.length };
}

async function runVariant(name, v, data, raw, emb, outRelu, ks, draws) {
  const C = data.classes.length;
  const results = [];
  for (const k of ks) {
    const accuracies = [];
    const chosen = [];
    const ece = { raw: [], calibrated: [] };
    const started = Date.now();
    for (let d = 0; d < draws; d++) {
      const { train, test, testFrom } = harness.draw(data, k, d);
      const y = train.map((i) => data.pool[i].label);
      const testSet = testFrom === 'test' ? 'test' : 'pool';
      const testLabels = test.map((i) => data[testSet][i].label);
      if (v.head === 'tm') {
        const { teachableMachineHead } = require('../support/tm-head');
        const head = await teachableMachineHead(
          train.map((i) => outRelu.pool[i]),
          Int32Array.from(y),
          C,
          { seed: harness.drawSeed(data.seed, k, d) },
        );
        const predicted = head.predict(test.map((i) => outRelu[testSet][i]));
        head.dispose();
        accuracies.push((100 * predicted.filter((p, j) => p === testLabels[j]).length) / test.length);
        continue;
      }
      const plain = train.map((i) => emb('pool', false, v.power)[i]);
      const mirror = train.map((i) => emb('pool', true, v.power)[i]);
      let lambda = v.lambda;
      const folds = Math.min(k, 5);
      if (lambda === 'cv') {
        if (k < 2) lambda = BASE.lambda;
        else {
          let best = null;
          for (const candidate of LAMBDAS) {
            const s = scoreRows(crossValidatedLogits(v, plain, mirror, y, C, candidate, folds), y);
            if (!best || s.accuracy > best.accuracy || (s.accuracy === best.accuracy && s.nll < best.nll))
              best = { ...s, lambda: candidate };
          }
          lambda = best.lambda;
        }
        chosen.push(lambda);
      }
      const predict = fitVariant(v, plain, mirror, y, C, { lambda });
      const rows = predict(
        test.map((i) => emb(testSet, false, v.power)[i]),
        test.map((i) => emb(testSet, true, v.power)[i]),
      );
      const { accuracy } = scoreRows(rows, testLabels);
      accuracies.push(100 * accuracy);
      // Calibration: temperature fitted on cross-validated logits of the shots (k ≥ 2 only).
      const confidences = (T) => rows.map((row) => Math.max(...M.softmaxInPlace(Float64Array.from(row, (x) => x / T))));
      const correct = rows.map((row, j) => M.argmax(row) === testLabels[j]);
      ece.raw.push(M.expectedCalibrationError(confidences(1), correct));
      if (ECE && k >= 2) {
        const cvRows = crossValidatedLogits(v, plain, mirror, y, C, lambda, folds);
        const T = M.fitTemperature(cvRows, y);
        ece.calibrated.push({ T, ece: M.expectedCalibrationError(confidences(T), correct) });
      }
    }
    const stats = harness.meanStd(accuracies);
    results.push({ k, ...stats, accuracies, chosen, ece, seconds: (Date.now() - started) / 1000 });
    process.stderr.write(
      `  ${name} k=${k}: ${stats.mean.toFixed(1)} ± ${stats.std.toFixed(1)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
  }
  return results;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  ECE = args.ece;
  const data = args.protocol === 'A' ? harness.loadProtocolA() : harness.loadProtocolB();
  const ks = args.ks || data.ks;
  const draws = args.draws || data.draws;
  const { createExtractor } = require('../..');
  const ex = await createExtractor();
  const sets = data.test ? ['pool', 'test'] : ['pool'];
  const raw = {};
  const outRelu = {};
  const names = args.variants || Object.keys(VARIANTS);
  for (const set of sets) {
    raw[set] = {
      plain: await cachedFeatures(ex, data, set, LAYER),
      mirror: await cachedFeatures(ex, data, set, LAYER, { mirror: true }),
    };
    if (names.includes('tm')) outRelu[set] = await cachedFeatures(ex, data, set, 'out_relu');
  }
  const emb = makeEmbeddings(raw);
  const all = {};
  for (const name of names) {
    if (!VARIANTS[name]) throw new Error(`unknown variant ${name}`);
    all[name] = await runVariant(name, { ...BASE, ...VARIANTS[name] }, data, raw, emb, outRelu, ks, draws);
  }
  // Table: mean ± std per k, paired Δ vs base averaged over k.
  const header = `| variant | ${ks.map((k) => `k=${k}`).join(' | ')} | Δ vs base (paired, ± SE) |`;
  const lines = [header, `|---|${ks.map(() => '---').join('|')}|---|`];
  for (const name of names) {
    const r = all[name];
    let delta = '—';
    if (all.base && name !== 'base') {
      const diffs = [];
      for (let d = 0; d < draws; d++)
        diffs.push(r.reduce((s, rk, j) => s + rk.accuracies[d] - all.base[j].accuracies[d], 0) / ks.length);
      const { mean, std } = harness.meanStd(diffs);
      delta = `${mean >= 0 ? '+' : ''}${mean.toFixed(1)} ± ${(std / Math.sqrt(draws)).toFixed(1)}`;
    }
    lines.push(`| ${name} | ${r.map(harness.formatMeanStd).join(' | ')} | ${delta} |`);
  }
  console.log(`\nProtocol ${data.name}, ${draws} draws\n`);
  console.log(lines.join('\n'));
  if (args.json) {
    fs.mkdirSync(path.dirname(args.json), { recursive: true });
    fs.writeFileSync(args.json, JSON.stringify({ protocol: data.name, ks, draws, results: all }, null, 1));
  }
  ex.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
