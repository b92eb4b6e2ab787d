'use strict';
// "Unknown" study for the head recipe: train on some categories, look at the cosine similarity of test
// images to the nearest class mean (in the head's feature space: power transform, centring by the mean
// of class means, L2) for images of trained vs held-out categories, and at what each threshold costs.
//
//   node tests/bench/unknown-study.js [--protocol A|B] [--k 5] [--draws 30]
//
// Uses the cached features of tests/bench/feature-cache.js. Prints rejection rates per threshold.
const harness = require('./fewshot-harness');
const { cachedFeatures } = require('./feature-cache');
const M = require('./head-math');

const SPLITS = { A: [0, 1, 2, 3], B: [0, 1, 2, 3, 4] }; // trained categories; the others are held out

function parseArgs(argv) {
  const args = { protocol: 'A', k: 5, draws: 30, power: true, center: true, relative: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--protocol') args.protocol = argv[++i].toUpperCase();
    else if (a === '--k') args.k = Number(argv[++i]);
    else if (a === '--draws') args.draws = Number(argv[++i]);
    else if (a === '--no-power') args.power = false;
    else if (a === '--no-center') args.center = false;
    else if (a === '--relative') args.relative = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const data = args.protocol === 'A' ? harness.loadProtocolA() : harness.loadProtocolB();
  const { createExtractor } = require('../..');
  const ex = await createExtractor();
  const emb = {};
  for (const set of data.test ? ['pool', 'test'] : ['pool']) {
    const plain = await cachedFeatures(ex, data, set, 'block_13_depthwise_relu');
    const mirror = await cachedFeatures(ex, data, set, 'block_13_depthwise_relu', { mirror: true });
    emb[set] = plain.map((r, i) => {
      const a = M.embedFromRaw(r, { power: args.power });
      const b = M.embedFromRaw(mirror[i], { power: args.power });
      return { plain: a, mirror: b, avg: M.l2normalize(a.map((v, d) => v + b[d])) };
    });
  }
  ex.dispose();
  const trained = new Set(SPLITS[args.protocol]);
  const inSims = [];
  const outSims = [];
  for (let d = 0; d < args.draws; d++) {
    const { train, test, testFrom } = harness.draw(data, args.k, d);
    const shots = train.filter((i) => trained.has(data.pool[i].label));
    const points = [];
    const labels = [];
    for (const i of shots) {
      points.push(emb.pool[i].plain, emb.pool[i].mirror);
      labels.push(data.pool[i].label, data.pool[i].label);
    }
    // Centre by the mean of class means (class-balanced), then class means of centred points.
    const classes = [...trained];
    const classMean = (c, vs) => M.meanOf(vs.filter((_, j) => labels[j] === c));
    const center = args.center
      ? M.meanOf(classes.map((c) => classMean(c, points)))
      : new Float64Array(points[0].length);
    const centred = points.map((p) => M.centered(p, center));
    const means = classes.map((c) => M.l2normalize(classMean(c, centred)));
    const testSet = testFrom === 'test' ? 'test' : 'pool';
    // Relative mode: distance 1 - cos to the nearest class mean, divided by the median distance of the
    // training points to their own class mean (a scale that adapts to the embedding and the classes).
    let spread = 1;
    if (args.relative) {
      const own = centred.map((p, j) => 1 - M.dot(p, means[classes.indexOf(labels[j])])).sort((a, b) => a - b);
      spread = Math.max(1e-6, own[own.length >> 1]);
    }
    for (const i of test) {
      const x = M.centered(emb[testSet][i].avg, center);
      let sim = Math.max(...means.map((m) => M.dot(m, x)));
      if (args.relative) sim = -(1 - sim) / spread; // higher = more familiar, like a similarity
      (trained.has(data[testSet][i].label) ? inSims : outSims).push(sim);
    }
  }
  // AUROC: probability a held-out image is less similar than a trained-category image.
  let wins = 0;
  const sortedIn = inSims.slice().sort((a, b) => a - b);
  for (const s of outSims) {
    let lo = 0;
    let hi = sortedIn.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedIn[mid] <= s) lo = mid + 1;
      else hi = mid;
    }
    wins += sortedIn.length - lo;
  }
  const auroc = wins / (inSims.length * outSims.length);
  console.log(
    `Protocol ${data.name}: trained on ${[...trained].map((c) => data.classes[c]).join(', ')}; k=${args.k}, ${args.draws} draws; power ${args.power}, centre ${args.center}`,
  );
  console.log(`AUROC (held-out vs trained, by nearest-class-mean cosine): ${auroc.toFixed(3)}`);
  console.log('| threshold | held-out rejected % | trained-category images rejected % |');
  console.log('|---|---|---|');
  const q = (arr, p) => arr.slice().sort((a, b) => a - b)[Math.floor(p * (arr.length - 1))];
  const thresholds = args.relative
    ? [-1.5, -2, -2.5, -3, -4, -5, q(inSims, 0.05), q(inSims, 0.1)]
    : [0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, q(inSims, 0.05), q(inSims, 0.1)];
  for (const t of thresholds) {
    const rej = (arr) => ((100 * arr.filter((s) => s < t).length) / arr.length).toFixed(1);
    console.log(`| ${t.toFixed(3)} | ${rej(outSims)} | ${rej(inSims)} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
