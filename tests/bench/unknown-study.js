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
  const args = { protocol: 'A', k: 5, draws: 30, power: true, center: true, relative: false, knn: false, model: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--protocol') args.protocol = argv[++i].toUpperCase();
    else if (a === '--k') args.k = Number(argv[++i]);
    else if (a === '--draws') args.draws = Number(argv[++i]);
    else if (a === '--no-power') args.power = false;
    else if (a === '--no-center') args.center = false;
    else if (a === '--relative') args.relative = true;
    else if (a === '--knn') args.knn = true;
    else if (a === '--reverse') args.reverse = true;
    else if (a === '--plain') args.plain = true;
    else if (a === '--model') args.model = argv[++i];
    else if (a === '--layer') args.layer = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const data = args.protocol === 'A' ? harness.loadProtocolA() : harness.loadProtocolB();
  const { createExtractor } = require('../..');
  const ex = await createExtractor(args.model ? { model: args.model } : {});
  const layer = args.layer || ex.info.embeddingLayers.join(',');
  const emb = {};
  for (const set of data.test ? ['pool', 'test'] : ['pool']) {
    // Several layers (--layer a,b): each part L2-normalised and concatenated, as a model file's
    // embedding is.
    const layers = layer.split(',');
    const joined = async (mirror) => {
      const parts = [];
      for (const l of layers) parts.push(await cachedFeatures(ex, data, set, l, { mirror }));
      return parts[0].map((_, i) =>
        parts.length === 1 ? parts[0][i] : harness.concatNormalized(parts.map((p) => p[i])),
      );
    };
    const plain = await joined(false);
    const mirror = await joined(true);
    emb[set] = plain.map((r, i) => {
      const a = M.embedFromRaw(r, { power: args.power });
      const b = M.embedFromRaw(mirror[i], { power: args.power });
      return { plain: a, mirror: b, avg: M.l2normalize(a.map((v, d) => v + b[d])) };
    });
  }
  ex.dispose();
  // --reverse: teach the held-out categories and hold out the taught ones (protocol A: flowers,
  // fruit, vegetables seen; animals unseen), to choose a threshold without the evaluated split.
  const all = data.classes.map((_, c) => c);
  const trained = new Set(args.reverse ? all.filter((c) => !SPLITS[args.protocol].includes(c)) : SPLITS[args.protocol]);
  const inSims = [];
  const outSims = [];
  for (let d = 0; d < args.draws; d++) {
    const { train, test, testFrom } = harness.draw(data, args.k, d);
    const shots = train.filter((i) => trained.has(data.pool[i].label));
    const points = [];
    const labels = [];
    // --plain: what the default classifier does (flipAugment and testTimeFlip off): examples and
    // queries are the plain images' embeddings only.
    for (const i of shots) {
      points.push(emb.pool[i].plain);
      labels.push(data.pool[i].label);
      if (!args.plain) {
        points.push(emb.pool[i].mirror);
        labels.push(data.pool[i].label);
      }
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
    // kNN mode: the cosine to the nearest training point (plain or mirrored view); with --relative,
    // 1 − that over the median leave-one-class-member-out nearest distance of the training points.
    if (args.knn && args.relative) {
      const nn = centred.map((p, j) => {
        let best = -2;
        centred.forEach((q, k) => {
          if (k >> 1 !== j >> 1 && labels[k] === labels[j]) best = Math.max(best, M.dot(p, q));
        });
        return 1 - best;
      });
      nn.sort((a, b) => a - b);
      spread = Math.max(1e-6, nn[nn.length >> 1]);
    }
    for (const i of test) {
      const x = M.centered(args.plain ? emb[testSet][i].plain : emb[testSet][i].avg, center);
      let sim = args.knn ? Math.max(...centred.map((p) => M.dot(p, x))) : Math.max(...means.map((m) => M.dot(m, x)));
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
