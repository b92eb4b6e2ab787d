'use strict';
// "Unknown" with a rate: the threshold is the rate-quantile of the examples' leave-one-out
// similarities (src/head.c, head_refresh_rate_threshold), so it adapts to the classes taught. This
// measures, for several rates, how many images of untaught categories and of held-out images of
// taught ones fall below it, on fixed and random splits of both protocols. It computes in plain
// JS on cached features (tests/bench/feature-cache.js); tests/bench/fewshot.js measures the default
// through the public API.
//
//   node tests/bench/unknown-rate.js [--protocol A|B] [--split fixed|reverse|random] [--k 5]
//                                    [--draws 30] [--model default]
//
// fixed: protocol A teaches mammals, birds, insects and fish (B: its first 5 classes); reverse
// teaches the others; random draws a different subset of 4 of 7 (B: 5 of 10) per draw.
const harness = require('./fewshot-harness');
const { cachedFeatures } = require('./feature-cache');
const M = require('./head-math');

const RATES = [0.05, 0.075, 0.1, 0.125, 0.15];

function parseArgs(argv) {
  const args = { protocol: 'A', split: 'fixed', k: 5, draws: 30, model: 'default' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--protocol') args.protocol = argv[++i].toUpperCase();
    else if (a === '--split') args.split = argv[++i];
    else if (a === '--k') args.k = Number(argv[++i]);
    else if (a === '--draws') args.draws = Number(argv[++i]);
    else if (a === '--model') args.model = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

function subsets(n, r) {
  const out = [];
  const walk = (start, current) => {
    if (current.length === r) return void out.push(current.slice());
    for (let i = start; i < n; i++) walk(i + 1, [...current, i]);
  };
  walk(0, []);
  return out;
}

/** The q-quantile of values with linear interpolation, as src/head.c computes it. */
function quantile(values, q) {
  const s = values.slice().sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const data = args.protocol === 'A' ? harness.loadProtocolA() : harness.loadProtocolB();
  const { createExtractor } = require('../..');
  const ex = await createExtractor({ model: args.model });
  const layers = ex.info.embeddingLayers;
  const emb = {};
  for (const set of data.test ? ['pool', 'test'] : ['pool']) {
    const parts = [];
    for (const l of layers) parts.push(await cachedFeatures(ex, data, set, l));
    // As the extractor's embedding (each layer L2-normalised, concatenated), then the head's
    // transform (signed square root, L2).
    emb[set] = parts[0].map((_, i) =>
      M.embedFromRaw(parts.length === 1 ? parts[0][i] : harness.concatNormalized(parts.map((p) => p[i])), {
        power: true,
      }),
    );
  }
  ex.dispose();
  const n = data.classes.length;
  const taughtCount = args.protocol === 'A' ? 4 : 5;
  const fixed = [...Array(taughtCount).keys()];
  const all = [...Array(n).keys()];
  const randomSplits = subsets(n, taughtCount);
  const counts = RATES.map(() => ({ seen: 0, seenUnknown: 0, unseen: 0, unseenUnknown: 0 }));
  const seenSims = [];
  const unseenSims = [];
  for (let d = 0; d < args.draws; d++) {
    const taught = new Set(
      args.split === 'random'
        ? randomSplits[d % randomSplits.length]
        : args.split === 'reverse'
          ? all.filter((c) => !fixed.includes(c))
          : fixed,
    );
    const { train, test, testFrom } = harness.draw(data, args.k, d);
    const classes = [...taught];
    const members = classes.map((c) => train.filter((i) => data.pool[i].label === c).map((i) => emb.pool[i]));
    const means = members.map((m) => M.l2normalize(M.meanOf(m)));
    const loo = [];
    members.forEach((m, c) =>
      m.forEach((v, j) => {
        if (m.length < 2) return;
        const own = M.l2normalize(M.meanOf(m.filter((_, q) => q !== j)));
        loo.push(Math.max(...means.map((mean, cc) => M.dot(cc === c ? own : mean, v))));
      }),
    );
    const thresholds = RATES.map((r) => quantile(loo, r));
    for (const i of test) {
      const sim = Math.max(...means.map((m) => M.dot(m, emb[testFrom][i])));
      const seen = taught.has(data[testFrom][i].label);
      (seen ? seenSims : unseenSims).push(sim);
      thresholds.forEach((t, r) => {
        const c = counts[r];
        if (seen) (c.seen++, (c.seenUnknown += sim < t));
        else (c.unseen++, (c.unseenUnknown += sim < t));
      });
    }
  }
  seenSims.sort((a, b) => a - b);
  let wins = 0;
  let lo = 0;
  for (const s of unseenSims.sort((a, b) => a - b)) {
    while (lo < seenSims.length && seenSims[lo] <= s) lo++;
    wins += seenSims.length - lo;
  }
  console.log(
    `Protocol ${data.name}, model ${args.model}, ${args.split} split, k = ${args.k}, ${args.draws} draws: AUROC of the similarity ${(wins / (seenSims.length * unseenSims.length)).toFixed(3)}`,
  );
  console.log('| rate | untaught-category images called unknown | held-out taught images called unknown |');
  console.log('|---|---|---|');
  RATES.forEach((r, i) => {
    const c = counts[i];
    console.log(
      `| ${r} | ${((100 * c.unseenUnknown) / c.unseen).toFixed(1)} % | ${((100 * c.seenUnknown) / c.seen).toFixed(1)} % |`,
    );
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
