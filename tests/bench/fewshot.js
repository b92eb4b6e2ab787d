'use strict';
// Few-shot benchmark (a script, not a test): protocols A and B of BENCHMARKS.md, "Few-shot protocols" through
// imprint's public JS API (createExtractor + createClassifier, default options), next to the Teachable
// Machine head (tests/support/tm-head.js, TF.js) trained on the same shots in the same run on what
// Teachable Machine uses, GAP(out_relu) (taken from imprint's extractor: it matches TF.js to 1e-4).
//
//   node tests/bench/fewshot.js            # full protocols: A 30 draws, B 20 draws (~15 min)
//   node tests/bench/fewshot.js --quick    # A 5 draws, B 3 draws: a smoke run
//   options: --no-write (do not update tests/bench/results/fewshot.md), --only A|B (one protocol, no write),
//            --model <preset or file> (imprint's model; default: the default preset; no write unless default)
//
// Embeddings are computed once per image with ex.embedWithMirror() (plain and mirror image, as
// addExample/predict compute them) and cached in .cache/bench; each draw then adds the shots with
// clf.addEmbedding(plain, label, mirrored) — what clf.addExample(image, label) stores — and classifies
// test images with clf.predictEmbedding(), passing the mirror embedding exactly when the default
// clf.predict(image) uses it (checked on a real image at start-up).
// Also measured: training time on 200 examples (imprint's train() vs the TF.js head's fit, medians over
// the runs at protocol B k = 20), "unknown" rejection of held-out categories, and expected calibration
// error before (train({ calibrate: false })) and after (default) calibration.
const fs = require('fs');
const os = require('os');
const path = require('path');
const harness = require('./fewshot-harness');
const { cachedFeatures, CACHE_DIR } = require('./feature-cache');
const { teachableMachineHead } = require('../support/tm-head');
const imprint = require('../..');

const RESULTS = path.join(__dirname, 'results', 'fewshot.md');
const UNKNOWN_SPLITS = {
  A: { trained: [0, 1, 2, 3], k: 5 }, // mammals, birds, insects, fish; held out: flowers, fruit, vegetables
  B: { trained: [0, 1, 2, 3, 4], k: 10 }, // T-shirt/top .. Coat; held out: Sandal, Shirt, Sneaker, Bag, Ankle boot
};

function parseArgs(argv) {
  const args = { quick: false, write: true, only: null, model: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--no-write') args.write = false;
    else if (a === '--only') args.only = argv[++i].toUpperCase();
    else if (a === '--model') args.model = argv[++i];
    else throw new Error(`unknown argument ${a} (options: --quick, --no-write, --only A|B)`);
  }
  if (args.only) args.write = false; // a partial run never replaces the recorded tables
  return args;
}

const log = (s) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------
// Embeddings through the public API, cached

/** [plain, mirrored] embeddings of every item of data[set] via ex.embedWithMirror(), cached on disk. */
async function cachedEmbeddings(ex, data, set) {
  const tag = data.name.split(' ')[0];
  const base = path.join(CACHE_DIR, `embeddings-${tag}-${set}`);
  const key = { modelHash: ex.info.modelHash, dim: ex.info.dim, ids: data[set].map((it) => it.id) };
  const dim = ex.info.dim;
  if (fs.existsSync(`${base}.json`) && fs.existsSync(`${base}.f32`)) {
    if (JSON.stringify(JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'))) === JSON.stringify(key)) {
      const buf = fs.readFileSync(`${base}.f32`);
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      return data[set].map((_, i) => [
        all.subarray(2 * i * dim, (2 * i + 1) * dim),
        all.subarray((2 * i + 1) * dim, (2 * i + 2) * dim),
      ]);
    }
  }
  const started = Date.now();
  const out = [];
  for (let i = 0; i < data[set].length; i++) {
    out.push(await ex.embedWithMirror(data[set][i].image()));
    if (i % 100 === 99) process.stderr.write(`  ${data.name} ${set}: ${i + 1}/${data[set].length}\r`);
  }
  log(
    `  embedded ${data[set].length} images (and mirrors) of ${data.name} ${set} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const all = new Float32Array(2 * out.length * dim);
  out.forEach(([p, m], i) => {
    all.set(p, 2 * i * dim);
    all.set(m, (2 * i + 1) * dim);
  });
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(`${base}.f32`, Buffer.from(all.buffer));
  fs.writeFileSync(`${base}.json`, JSON.stringify(key));
  return out;
}

/** Everything a protocol needs: embeddings (imprint) and GAP(out_relu) (TM head) of pool and test. */
// Teachable Machine's features: GAP(out_relu) of a MobileNetV2, from nsfwjs's model converted by
// imprint (models/build-default.js --model mobilenet_v2), whatever imprint's own model is.
const TM_MODEL = path.join(__dirname, '..', '..', 'dist', 'models', 'mobilenet_v2.imprint');
let tmExtractor = null;

async function loadFeatures(ex, data) {
  const sets = data.test ? ['pool', 'test'] : ['pool'];
  const f = { embeddings: {}, outRelu: {} };
  tmExtractor ??= await imprint.createExtractor({ model: TM_MODEL });
  for (const set of sets) {
    f.embeddings[set] = await cachedEmbeddings(ex, data, set);
    f.outRelu[set] = await cachedFeatures(tmExtractor, data, set, 'out_relu');
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// imprint through the public API

/**
 * Does the default clf.predict(image) use the mirror image (test-time flip)? Compared on a real image:
 * predict(image) must equal predictEmbedding(plain) or predictEmbedding(plain, mirrored).
 */
async function defaultUsesMirror(ex, data, features) {
  const clf = imprint.createClassifier(ex);
  try {
    const { train } = harness.draw(data, 3, 0);
    for (const i of train) addShot(clf, data, features, i);
    await clf.train();
    const item = data.pool.find((_, i) => !train.includes(i));
    const index = data.pool.indexOf(item);
    const viaImage = await clf.predict(item.image());
    const [plain, mirrored] = features.embeddings.pool[index];
    const gap = (r) => Math.max(...data.classes.map((c) => Math.abs((r.scores[c] ?? 0) - (viaImage.scores[c] ?? 0))));
    const plainGap = gap(clf.predictEmbedding(plain));
    const mirrorGap = gap(clf.predictEmbedding(plain, mirrored));
    if (Math.min(plainGap, mirrorGap) > 1e-4) {
      throw new Error(
        `predict(image) matches neither predictEmbedding(plain) (${plainGap}) nor (plain, mirrored) (${mirrorGap})`,
      );
    }
    return mirrorGap < plainGap;
  } finally {
    clf.dispose();
  }
}

/**
 * Adds pool item i as addExample(image, label) would: its embedding, plus its mirror image's when the
 * default classifier trains on mirror images (then addExample computes and stores it; see mirrorUsed).
 */
let addMirror = true;
function addShot(clf, data, features, i) {
  const [plain, mirrored] = features.embeddings.pool[i];
  if (addMirror) clf.addEmbedding(plain, data.classes[data.pool[i].label], mirrored);
  else clf.addEmbedding(plain, data.classes[data.pool[i].label]);
}

/**
 * Does the default classifier learn from mirror images (flip augmentation)? addExample(image) is what
 * users call: a default classifier fed through it is compared with one fed addEmbedding(plain) and
 * one fed addEmbedding(plain, mirrored) on the same shots; the benchmark then adds shots the way
 * addExample stores them.
 */
async function defaultTrainsOnMirror(ex, data, features) {
  const { train, test } = harness.draw(data, 3, 0);
  const scoresOf = async (add) => {
    const clf = imprint.createClassifier(ex);
    for (const i of train) await add(clf, i);
    await clf.train();
    const scores = test
      .slice(0, 20)
      .map((i) => Object.values(clf.predictEmbedding(features.embeddings.pool[i][0]).scores));
    clf.dispose();
    return scores;
  };
  const label = (i) => data.classes[data.pool[i].label];
  const viaExample = await scoresOf((clf, i) => clf.addExample(data.pool[i].image(), label(i)));
  const plainOnly = await scoresOf((clf, i) => clf.addEmbedding(features.embeddings.pool[i][0], label(i)));
  const withMirror = await scoresOf((clf, i) =>
    clf.addEmbedding(features.embeddings.pool[i][0], label(i), features.embeddings.pool[i][1]),
  );
  const same = (a, b) => a.every((row, j) => row.every((p, c) => Math.abs(p - b[j][c]) <= 1e-6));
  if (same(viaExample, plainOnly)) return false;
  if (same(viaExample, withMirror)) return true;
  throw new Error('addExample() matches neither addEmbedding(plain) nor addEmbedding(plain, mirrored)');
}

/** Trains a default classifier on the given pool indices; returns it and train()'s result. */
async function trainImprint(ex, data, features, indices, trainOptions) {
  const clf = imprint.createClassifier(ex);
  for (const i of indices) addShot(clf, data, features, i);
  const t0 = performance.now();
  const result = await clf.train(trainOptions);
  return { clf, result, wallMs: performance.now() - t0 };
}

function classify(clf, features, set, index, useMirror) {
  const [plain, mirrored] = features.embeddings[set][index];
  return useMirror ? clf.predictEmbedding(plain, mirrored) : clf.predictEmbedding(plain);
}

/** Expected calibration error, 15 equal-width confidence bins (Guo et al., ICML 2017). */
function expectedCalibrationError(confidences, correct, bins = 15) {
  const count = new Float64Array(bins);
  const gap = new Float64Array(bins);
  confidences.forEach((p, i) => {
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]++;
    gap[b] += (correct[i] ? 1 : 0) - p;
  });
  return gap.reduce((s, g) => s + Math.abs(g), 0) / confidences.length;
}

const median = (values) => {
  const s = values.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---------------------------------------------------------------------------------------------
// Protocol run: imprint and TM on the same shots

async function runProtocol(ex, data, features, { draws, useMirror }) {
  const rows = [];
  const timing = { imprint: [], imprintWall: [], tm: [], examples: null, sets: [] };
  for (const k of data.ks) {
    const acc = { imprint: [], tm: [] };
    const ece = { before: [], after: [], confBefore: [], confAfter: [] };
    const temperatures = [];
    const started = Date.now();
    for (let d = 0; d < draws; d++) {
      const { train, test, testFrom } = harness.draw(data, k, d);
      const testSet = testFrom === 'test' ? 'test' : 'pool';
      const truth = test.map((i) => data.classes[data[testSet][i].label]);

      // imprint, uncalibrated then default (calibrated): same examples, same seed, same argmax.
      const raw = await trainImprint(ex, data, features, train, { calibrate: false });
      const before = test.map((i) => classify(raw.clf, features, testSet, i, useMirror));
      raw.clf.dispose();
      const { clf, result, wallMs } = await trainImprint(ex, data, features, train);
      const after = test.map((i) => classify(clf, features, testSet, i, useMirror));
      clf.dispose();
      const correct = after.map((r, j) => r.label === truth[j]);
      acc.imprint.push((100 * correct.filter(Boolean).length) / test.length);
      ece.before.push(
        expectedCalibrationError(
          before.map((r) => r.confidence),
          before.map((r, j) => r.label === truth[j]),
        ),
      );
      ece.after.push(
        expectedCalibrationError(
          after.map((r) => r.confidence),
          correct,
        ),
      );
      ece.confBefore.push((100 * before.reduce((s, r) => s + r.confidence, 0)) / test.length);
      ece.confAfter.push((100 * after.reduce((s, r) => s + r.confidence, 0)) / test.length);
      if (result.temperature !== undefined) temperatures.push(result.temperature);

      // Teachable Machine head on the same shots.
      const y = Int32Array.from(train, (i) => data.pool[i].label);
      const tm = await teachableMachineHead(
        train.map((i) => features.outRelu.pool[i]),
        y,
        data.classes.length,
        { seed: harness.drawSeed(data.seed, k, d) },
      );
      const predicted = tm.predict(test.map((i) => features.outRelu[testSet][i]));
      tm.dispose();
      acc.tm.push((100 * predicted.filter((p, j) => data.classes[p] === truth[j]).length) / test.length);

      if (train.length === 200) {
        timing.examples = 200;
        timing.sets.push(train);
        timing.tm.push(tm.ms);
      }
    }
    const diffs = acc.imprint.map((a, i) => a - acc.tm[i]);
    const diff = harness.meanStd(diffs);
    rows.push({
      k,
      imprint: harness.meanStd(acc.imprint),
      tm: harness.meanStd(acc.tm),
      diff: { mean: diff.mean, se: diff.std / Math.sqrt(draws) },
      ece: {
        before: harness.meanStd(ece.before).mean,
        after: harness.meanStd(ece.after).mean,
        confBefore: harness.meanStd(ece.confBefore).mean,
        confAfter: harness.meanStd(ece.confAfter).mean,
      },
      temperature: temperatures.length ? median(temperatures) : null,
    });
    const r = rows[rows.length - 1];
    log(
      `  ${data.name} k=${k}: imprint ${harness.formatMeanStd(r.imprint)}, TM ${harness.formatMeanStd(r.tm)} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  // imprint's train() on the same 200-example draws, timed in a phase of its own in this run, after
  // the accuracy runs (the TF.js fits were timed in the loop).
  for (const train of timing.sets) {
    const { clf, result, wallMs } = await trainImprint(ex, data, features, train);
    clf.dispose();
    timing.imprint.push(result.ms);
    timing.imprintWall.push(wallMs);
  }
  return { rows, timing };
}

/** Trains on some categories; how often are held-out-category images called unknown, and at what cost. */
async function runUnknown(ex, data, features, { draws, useMirror, split }) {
  const trained = new Set(split.trained);
  let heldOut = 0;
  let rejected = 0;
  let inClass = 0;
  let correct = 0;
  let correctAccepted = 0;
  let falseRejected = 0;
  let threshold = null;
  for (let d = 0; d < draws; d++) {
    const { train, test, testFrom } = harness.draw(data, split.k, d);
    const testSet = testFrom === 'test' ? 'test' : 'pool';
    const shots = train.filter((i) => trained.has(data.pool[i].label));
    const { clf } = await trainImprint(ex, data, features, shots);
    threshold = clf.unknownThreshold;
    for (const i of test) {
      const r = classify(clf, features, testSet, i, useMirror);
      const label = data[testSet][i].label;
      if (trained.has(label)) {
        inClass++;
        const ok = r.label === data.classes[label];
        correct += ok;
        correctAccepted += ok && !r.unknown;
        falseRejected += r.unknown;
      } else {
        heldOut++;
        rejected += r.unknown;
      }
    }
    clf.dispose();
  }
  return {
    trained: split.trained.map((c) => data.classes[c]),
    heldOutClasses: data.classes.filter((_, c) => !trained.has(c)),
    k: split.k,
    draws,
    threshold,
    rejection: (100 * rejected) / heldOut,
    accuracy: (100 * correct) / inClass,
    accuracyWithUnknown: (100 * correctAccepted) / inClass,
    falseRejection: (100 * falseRejected) / inClass,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const pm = (r) => `${r.mean.toFixed(1)} ± ${r.std.toFixed(1)}`;
const signed = (v, digits = 1) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

function protocolTable(data, run, draws) {
  const ks = run.rows.map((r) => r.k);
  const lines = [
    `### Protocol ${data.name}: accuracy %, mean ± std over ${draws} draws`,
    '',
    `| head | ${ks.map((k) => `k=${k}`).join(' | ')} |`,
    `|---|${ks.map(() => '---').join('|')}|`,
    `| imprint (default classifier, default embedding) | ${run.rows.map((r) => pm(r.imprint)).join(' | ')} |`,
    `| Teachable Machine head (TF.js, GAP(out_relu)) | ${run.rows.map((r) => pm(r.tm)).join(' | ')} |`,
    `| difference (paired, ± SE) | ${run.rows.map((r) => `${signed(r.diff.mean)} ± ${r.diff.se.toFixed(1)}`).join(' | ')} |`,
    `| imprint ECE before → after calibration (%) | ${run.rows.map((r) => `${(100 * r.ece.before).toFixed(1)} → ${(100 * r.ece.after).toFixed(1)}`).join(' | ')} |`,
    `| imprint mean confidence before → after calibration (%; compare with its accuracy) | ${run.rows.map((r) => `${r.ece.confBefore.toFixed(1)} → ${r.ece.confAfter.toFixed(1)}`).join(' | ')} |`,
  ];
  if (run.rows.some((r) => r.temperature !== null)) {
    lines.push(
      `| imprint fitted temperature (median) | ${run.rows.map((r) => (r.temperature === null ? '—' : r.temperature.toFixed(2))).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function report({ args, ex, useMirror, results, unknown, timing, seconds }) {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const command = `node tests/bench/fewshot.js${args.quick ? ' --quick' : ''}`;
  const t = timing;
  const out = [
    '# Few-shot benchmark: imprint vs the Teachable Machine head',
    '',
    `Made by \`${command}\` (after \`sh scripts/fetch-testdata.sh\` and the build), ${date}, ${seconds.toFixed(0)} s;`,
    `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0].model.trim()}), shared with other jobs.`,
    '',
    `- imprint: \`createExtractor()\` (${ex.info.name}, ${ex.info.dim}-d embedding), \`createClassifier(ex)\` with default`,
    `  options, \`train()\` with default options. Shots are added with \`addEmbedding(plain, label${addMirror ? ', mirrored' : ''})\` from`,
    `  \`embedWithMirror()\` (what \`addExample\` stores: the default classifier ${addMirror ? 'trains on' : 'ignores'} mirror images, checked at`,
    '  start-up), test images classified with `predictEmbedding`',
    `  ${useMirror ? 'with the mirror embedding (the default `predict(image)` uses the mirror image: checked at start-up)' : 'without the mirror embedding (the default `predict(image)` does not use it: checked at start-up)'}.`,
    '- Teachable Machine head: Dense(100, ReLU) → Dense(softmax), Adam 1e-3, 50 epochs, batch 16, in',
    "  @tensorflow/tfjs (wasm backend), on GAP(out_relu) from imprint's `features()`, trained on the same shots",
    '  in the same run (`tests/support/tm-head.js`).',
    '- Protocols of "Few-shot protocols" of `BENCHMARKS.md`: A = Tux Paint photo stamps (7 categories, alpha over white in',
    '  the harness, test = every image not drawn), B = Fashion-MNIST (raw 28x28 pixels, first 200/class of train',
    '  as the pool, first 100/class of t10k as the test set). Fixed-seed draws (`tests/bench/fewshot-harness.js`).',
    '- ECE = expected calibration error of the top-class confidence, 15 equal-width bins, mean over draws;',
    '  "before" = `train({ calibrate: false })`, "after" = default `train()` on the same examples.',
    '',
  ];
  for (const { data, run, draws } of results) out.push(protocolTable(data, run, draws), '');
  if (t) {
    out.push(
      `### Training time on ${t.examples} examples (protocol B, k = 20, 10 classes), median over ${t.imprint.length} runs in this run (imprint timed in a phase of its own after the accuracy runs; the TF.js fits timed as they ran)`,
      '',
      '| head | median ms | min – max ms |',
      '|---|---|---|',
      `| imprint \`train()\` (its own \`ms\`) | ${median(t.imprint).toFixed(1)} | ${Math.min(...t.imprint).toFixed(1)} – ${Math.max(...t.imprint).toFixed(1)} |`,
      `| imprint \`train()\` (wall clock around the await) | ${median(t.imprintWall).toFixed(1)} | ${Math.min(...t.imprintWall).toFixed(1)} – ${Math.max(...t.imprintWall).toFixed(1)} |`,
      `| Teachable Machine head fit (TF.js) | ${median(t.tm).toFixed(0)} | ${Math.min(...t.tm).toFixed(0)} – ${Math.max(...t.tm).toFixed(0)} |`,
      '',
    );
  }
  out.push(
    '### "Unknown": trained on some categories, tested on trained and held-out ones',
    '',
    '| protocol | trained on | held out | k | draws | threshold (default) | held-out rejected | in-class accuracy | in-class accuracy counting "unknown" as wrong | in-class images called unknown |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const u of unknown) {
    out.push(
      `| ${u.protocol} | ${u.trained.join(', ')} | ${u.heldOutClasses.join(', ')} | ${u.k} | ${u.draws} | ${u.threshold === null ? '—' : Number(u.threshold).toFixed(4)} | ${u.rejection.toFixed(1)} % | ${u.accuracy.toFixed(1)} % | ${u.accuracyWithUnknown.toFixed(1)} % (${signed(u.accuracyWithUnknown - u.accuracy)}) | ${u.falseRejection.toFixed(1)} % |`,
    );
  }
  return out.join('\n') + '\n';
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const ex = await imprint.createExtractor(args.model ? { model: args.model } : {});
  if (args.model && args.model !== 'default') args.write = false;
  const protocols = [
    { data: harness.loadProtocolA(), draws: args.quick ? 5 : 30, split: UNKNOWN_SPLITS.A, tag: 'A' },
    { data: harness.loadProtocolB(), draws: args.quick ? 3 : 20, split: UNKNOWN_SPLITS.B, tag: 'B' },
  ].filter((p) => !args.only || p.tag === args.only);
  const results = [];
  const unknown = [];
  let timing = null;
  let useMirror = null;
  for (const { data, draws, split, tag } of protocols) {
    log(`${data.name}: features`);
    const features = await loadFeatures(ex, data);
    if (useMirror === null) {
      addMirror = await defaultTrainsOnMirror(ex, data, features);
      useMirror = await defaultUsesMirror(ex, data, features);
      log(
        `default classifier: ${addMirror ? 'trains on' : 'ignores'} mirror images, ${useMirror ? 'uses' : 'does not use'} the mirror image at prediction`,
      );
    }
    const run = await runProtocol(ex, data, features, { draws, useMirror });
    results.push({ data, run, draws });
    if (run.timing.examples) timing = run.timing;
    unknown.push({ protocol: tag, ...(await runUnknown(ex, data, features, { draws, useMirror, split })) });
  }
  const markdown = report({ args, ex, useMirror, results, unknown, timing, seconds: (Date.now() - started) / 1000 });
  console.log(markdown);
  if (args.write) {
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, markdown);
    log(`wrote ${path.relative(process.cwd(), RESULTS)}`);
  }
  ex.dispose();
  tmExtractor?.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
