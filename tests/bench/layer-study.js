#!/usr/bin/env node
'use strict';
// Layer study: which pooled MobileNetV2 layers make the best few-shot embedding on photos?
//
// Runs few-shot protocol A (BENCHMARKS.md, "Few-shot protocols": 7 photo categories, k = 1, 3, 5, 30 draws) for
// the global-average-pooled activations of single layers and of concatenations (each part
// L2-normalised), all through the same fixed softmax-regression head, and records the cost of the
// backbone truncated at the deepest layer used. Features are computed once per image (one multi-output
// forward pass) and cached under .cache/bench/.
//
//   node tests/bench/layer-study.js                       # TF.js reference, writes results/layer-study.md
//   node tests/bench/layer-study.js --provider imprint    # imprint's own extractor (its default embedding)
//   node tests/bench/layer-study.js --protocol B          # sanity check of the top layers on Fashion-MNIST
//   options: --draws N  --ks 1,3,5  --head lr|lr-centred|imprint  --no-write  --no-timing  --no-cache
//   (--head lr-centred: the same softmax regression on features centred on the training shots' mean)
const fs = require('fs');
const path = require('path');
const harness = require('./fewshot-harness');

const ROOT = path.resolve(__dirname, '..', '..');
const CACHE_DIR = path.join(ROOT, '.cache', 'bench');
const RESULTS = path.join(__dirname, 'results', 'layer-study.md');

const LAYERS = [
  'block_6_project_BN',
  'block_8_project_BN',
  'block_9_project_BN',
  'block_9_add',
  'block_10_project_BN',
  'block_11_project_BN',
  'block_11_expand_relu',
  'block_11_add',
  'block_12_expand_relu',
  'block_12_project_BN',
  'block_12_add',
  'block_13_expand_relu',
  'block_13_depthwise_relu',
  'block_13_project_BN',
  'block_14_expand_relu',
  'block_15_add',
  'block_16_project_BN',
  'out_relu',
];
// The residual stream: block_N_project_BN of a block with a skip connection is only the block's update;
// block_N_add (update + input) is what the next block sees. block_10_project_BN starts a new stream
// (64 → 96 channels), so block_11_add = block_10 + block_11 updates, block_12_add adds block_12's.

// Feature sets: single layers, then concatenations of L2-normalised parts.
const FEATURE_SETS = [
  ...LAYERS.map((l) => [l]),
  ['block_9_project_BN', 'block_10_project_BN'],
  ['block_8_project_BN', 'block_10_project_BN'],
  ['block_10_project_BN', 'block_12_project_BN'],
  ['block_10_project_BN', 'block_13_expand_relu'],
  ['block_10_project_BN', 'out_relu'],
  ['block_6_project_BN', 'block_10_project_BN', 'block_13_project_BN'],
  ['block_8_project_BN', 'block_9_project_BN', 'block_10_project_BN'],
  ['block_10_project_BN', 'block_11_project_BN', 'block_12_project_BN'],
  ['block_12_project_BN', 'block_13_expand_relu'],
  ['block_9_add', 'block_12_add'],
  ['block_10_project_BN', 'block_12_add'],
  ['block_12_add', 'block_13_expand_relu'],
  ['block_9_add', 'block_10_project_BN', 'block_11_add', 'block_12_add'],
  ['block_11_add', 'block_13_expand_relu'],
  ['block_12_expand_relu', 'block_13_expand_relu'],
];

function parseArgs(argv) {
  const args = {
    provider: 'tfjs',
    head: 'lr',
    protocol: 'A',
    draws: null,
    ks: null,
    write: true,
    timing: true,
    cache: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--provider') args.provider = argv[++i];
    else if (a === '--draws') args.draws = Number(argv[++i]);
    else if (a === '--protocol') args.protocol = argv[++i].toUpperCase();
    else if (a === '--ks') args.ks = argv[++i].split(',').map(Number);
    else if (a === '--head') args.head = argv[++i];
    else if (a === '--no-write') args.write = false;
    else if (a === '--no-timing') args.timing = false;
    else if (a === '--no-cache') args.cache = false;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Feature providers: (items, { scale }) → { vectors: [{ [layer]: Float32Array }], layers, timing(set) }

/** TF.js reference: nsfwjs's resize (bilinear, align corners) then pooled activations of every layer. */
async function tfjsProvider() {
  const { loadReference } = require('../support/tfjs-reference');
  const ref = await loadReference('mobilenet_v2');
  const pixelsCache = new Map();
  const timings = new Map();
  return {
    description: 'TF.js 4.22.0 wasm backend, nsfwjs@4.4.0 mobilenet_v2 (uint8-quantized weights)',
    layers: LAYERS,
    preprocessing:
      'pngjs decode, alpha over white, tf.image.resizeBilinear to 224x224 (alignCorners), rounded to uint8',
    async embed(items, { scale }) {
      const out = [];
      const batch = 8;
      for (let i = 0; i < items.length; i += batch) {
        const chunk = items.slice(i, i + batch).map((item) => {
          if (!pixelsCache.has(item.id)) {
            const { data, width, height, channels } = item.image();
            pixelsCache.set(item.id, ref.preprocess(data, width, height, { channels }));
          }
          return pixelsCache.get(item.id);
        });
        out.push(...ref.features(chunk, LAYERS, { scale }));
        if ((i / batch) % 5 === 0)
          process.stderr.write(`  ${scale}: ${Math.min(i + batch, items.length)}/${items.length}\r`);
      }
      process.stderr.write('\n');
      return out;
    },
    /**
     * Cost of the backbone truncated at the deepest layer of each set: MACs, and ms per image at batch 1
     * (min and median, every cut timed round-robin so machine load hits all alike).
     */
    timing(sets) {
      const deepestOf = (set) => set.reduce((a, b) => (ref.depthOf(a) > ref.depthOf(b) ? a : b));
      const cuts = [...new Set(sets.map(deepestOf))];
      cuts.forEach((c) => timings.set(c, null));
      const measured = ref.timeFeaturesInterleaved(
        cuts.map((c) => [c]),
        { rounds: 15, perRound: 2 },
      );
      cuts.forEach((c, i) => timings.set(c, { ...measured[i], macs: ref.macsUpTo(c) }));
      return sets.map((set) => ({ layer: deepestOf(set), ...timings.get(deepestOf(set)) }));
    },
  };
}

/** imprint's own extractor: only its default embedding, as one "layer" named 'imprint'. */
async function imprintProvider() {
  let imprint;
  try {
    imprint = require(ROOT);
  } catch (e) {
    throw new Error(`cannot load imprint from ${ROOT} (build it first): ${e.message}`);
  }
  const ex = await imprint.createExtractor();
  imprintExtractor = ex;
  return {
    description: `imprint ${ex.info.name}, dim ${ex.info.dim}`,
    layers: ['imprint'],
    featureSets: [['imprint']],
    preprocessing: 'pngjs decode, alpha over white, raw RGB pixels to ex.embed()',
    async embed(items) {
      const out = [];
      for (const item of items) out.push({ imprint: await ex.embed(item.image()) });
      return out;
    },
    timing(sets) {
      return sets.map(() => null);
    },
    scales: ['model'],
  };
}

const PROVIDERS = { tfjs: tfjsProvider, imprint: imprintProvider };

// ---------------------------------------------------------------------------------------------
// Feature cache: one Float32 file + JSON index per provider and scale

function cachePaths(provider, scale) {
  const base = path.join(CACHE_DIR, `layer-study-${provider}-${scale}`);
  return { index: `${base}.json`, data: `${base}.f32` };
}

/** Cached embedding of items: computed once per provider, cache key and scale. */
async function embedCached(provider, providerName, key, items, scale, useCache) {
  const cacheKey = `${providerName}${key}`;
  let vectors = useCache ? loadCache(cacheKey, scale, items, provider.layers) : null;
  if (!vectors) {
    const t0 = Date.now();
    vectors = await provider.embed(items, { scale });
    process.stderr.write(
      `embedded ${items.length} images at scale ${scale} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    if (useCache) saveCache(cacheKey, scale, items, provider.layers, vectors);
  }
  return vectors;
}

function loadCache(provider, scale, items, layers) {
  const p = cachePaths(provider, scale);
  if (!fs.existsSync(p.index) || !fs.existsSync(p.data)) return null;
  const index = JSON.parse(fs.readFileSync(p.index, 'utf8'));
  if (JSON.stringify(index.ids) !== JSON.stringify(items.map((it) => it.id))) return null;
  if (JSON.stringify(index.layers) !== JSON.stringify(layers)) return null;
  const buf = fs.readFileSync(p.data);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const per = index.dims.reduce((s, d) => s + d, 0);
  return items.map((_, i) => {
    const v = {};
    let o = i * per;
    layers.forEach((l, j) => {
      v[l] = all.slice(o, o + index.dims[j]);
      o += index.dims[j];
    });
    return v;
  });
}

function saveCache(provider, scale, items, layers, vectors) {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const p = cachePaths(provider, scale);
  const dims = layers.map((l) => vectors[0][l].length);
  const per = dims.reduce((s, d) => s + d, 0);
  const all = new Float32Array(per * vectors.length);
  vectors.forEach((v, i) => {
    let o = i * per;
    layers.forEach((l) => {
      all.set(v[l], o);
      o += v[l].length;
    });
  });
  fs.writeFileSync(p.data, Buffer.from(all.buffer));
  fs.writeFileSync(p.index, JSON.stringify({ ids: items.map((it) => it.id), layers, dims }));
}

// ---------------------------------------------------------------------------------------------

function shortName(layer) {
  return layer.replace(/_project_BN$/, '');
}

/** Paired difference to a baseline row over the same draws, averaged over k: mean and standard error. */
function pairedDelta(row, baseline) {
  const diffs = [];
  row.softmax.forEach((r, ki) =>
    r.accuracies.forEach(
      (a, d) => (diffs[d] = (diffs[d] || 0) + (a - baseline.softmax[ki].accuracies[d]) / row.softmax.length),
    ),
  );
  const { mean, std } = harness.meanStd(diffs);
  return { mean, se: std / Math.sqrt(diffs.length) };
}

const HEADS = {
  lr: () => harness.softmaxRegressionHead(),
  'lr-centred': () => harness.softmaxRegressionHead({ center: true }),
  // imprint's own classifier (needs the built package); any features, the extractor only identifies the backbone.
  imprint: () => {
    const imprint = require(ROOT);
    if (!imprintExtractor) throw new Error('--head imprint needs --provider imprint');
    return harness.imprintHead(imprint, imprintExtractor);
  },
};
let imprintExtractor = null;
let headName = 'lr';

async function evaluate(data, vectors, set, draws, { testVectors = null, ks = data.ks } = {}) {
  const combine = (v) => harness.concatNormalized(set.map((l) => v[l]));
  const features = vectors.map(combine);
  const options = { draws, ks, testVectors: testVectors && testVectors.map(combine) };
  const softmax = await harness.runFewShot(data, features, HEADS[headName](), options);
  const ncm = await harness.runFewShot(data, features, harness.nearestClassMeanHead(), options);
  return { dim: features[0].length, softmax, ncm };
}

// Protocol B is a check that the chosen layer has no pathology on tiny grey product photos, not a
// criterion (BENCHMARKS.md, "Few-shot protocols": do not bend the embedding to win it).
const FEATURE_SETS_B = [
  ['block_10_project_BN'],
  ['block_12_add'],
  ['block_12_expand_relu'],
  ['block_13_expand_relu'],
  ['block_13_depthwise_relu'],
  ['out_relu'],
];

async function mainProtocolB(args) {
  const started = Date.now();
  const data = harness.loadProtocolB({ draws: args.draws || 20 });
  const ks = args.ks || [1, 5, 10, 20];
  const provider = await PROVIDERS[args.provider]();
  const scale = (provider.scales || ['0_1'])[0];
  const featureSets = provider.featureSets || FEATURE_SETS_B;
  const pool = await embedCached(provider, args.provider, '-B-pool', data.pool, scale, args.cache);
  const test = await embedCached(provider, args.provider, '-B-test', data.test, scale, args.cache);
  const rows = [];
  for (const set of featureSets) {
    const r = await evaluate(data, pool, set, data.draws, { testVectors: test, ks });
    rows.push({ set, ...r });
    process.stderr.write(`${set.join(' + ')}: ${r.softmax.map(harness.formatMeanStd).join(' | ')}\n`);
  }
  const lines = [
    `| features | dim | ${ks.map((k) => `k=${k}`).join(' | ')} | NCM ${ks.map((k) => `k=${k}`).join(' / ')} |`,
    `|---|---|${ks.map(() => '---|').join('')}---|`,
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.set.join(' + ')} | ${r.dim} | ${r.softmax.map(harness.formatMeanStd).join(' | ')} | ${r.ncm.map((x) => x.mean.toFixed(1)).join(' / ')} |`,
    );
  }
  const table = lines.join('\n');
  console.log(table);
  if (args.write && args.provider === 'tfjs') {
    const file = path.join(__dirname, 'results', `layer-study-fashion${args.head === 'lr' ? '' : `-${args.head}`}.md`);
    const md = [
      '# Layer study, sanity check on Fashion-MNIST (protocol B)',
      '',
      'Few-shot protocol B of "Few-shot protocols" of `BENCHMARKS.md`: pool = first 200 per class of the training file, test =',
      `first 100 per class of the test file, ${data.draws} fixed-seed draws per k, mean ± std accuracy in %. 28x28 grey`,
      `pixels given as 1-channel images, replicated to RGB and resized like any image. ${provider.description}, x/255.`,
      `Head: ${args.head === 'lr' ? 'the same fixed softmax regression' : "the same softmax regression on features centred on the training shots' mean, then L2-normalised again"} and NCM as \`layer-study.md\`.`,
      'A check for pathologies, not a criterion.',
      `Made by: \`node tests/bench/layer-study.js ${process.argv.slice(2).join(' ')}\`, ${new Date().toISOString().slice(0, 16)}Z, ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      '',
      table,
      '',
    ].join('\n');
    fs.writeFileSync(file, md);
    process.stderr.write(`wrote ${path.relative(ROOT, file)}\n`);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!HEADS[args.head]) throw new Error(`--head must be one of ${Object.keys(HEADS).join(', ')}`);
  headName = args.head;
  if (args.protocol === 'B') return mainProtocolB(args);
  if (args.protocol !== 'A') throw new Error(`--protocol must be A or B, got ${args.protocol}`);
  args.draws = args.draws || 30;
  const started = Date.now();
  const data = harness.loadProtocolA({ draws: args.draws, ks: args.ks || [1, 3, 5] });
  const provider = await PROVIDERS[args.provider]();
  const scales = provider.scales || ['0_1', '-1_1'];
  const featureSets = provider.featureSets || FEATURE_SETS;

  const vectorsByScale = {};
  for (const scale of scales) {
    vectorsByScale[scale] = await embedCached(provider, args.provider, '', data.pool, scale, args.cache);
  }

  const rows = [];
  const primaryScale = scales[0];
  for (const set of featureSets) {
    const r = await evaluate(data, vectorsByScale[primaryScale], set, args.draws);
    rows.push({ set, scale: primaryScale, ...r });
    process.stderr.write(
      `${set.map(shortName).join(' + ')} [${primaryScale}]: ${r.softmax.map(harness.formatMeanStd).join(' | ')}\n`,
    );
  }
  // The other scaling, for the best three candidates (mean over k) and for the two layers the notes cite.
  if (scales.length > 1) {
    const score = (r) => r.softmax.reduce((s, x) => s + x.mean, 0);
    const ranked = rows.slice().sort((a, b) => score(b) - score(a));
    const spot = new Map();
    for (const r of ranked.slice(0, 3)) spot.set(r.set.join('|'), r.set);
    spot.set('block_13_depthwise_relu', ['block_13_depthwise_relu']); // the chosen default
    spot.set('block_10_project_BN', ['block_10_project_BN']);
    spot.set('out_relu', ['out_relu']);
    for (const scale of scales.slice(1)) {
      for (const set of spot.values()) {
        const r = await evaluate(data, vectorsByScale[scale], set, args.draws);
        rows.push({ set, scale, ...r });
        process.stderr.write(
          `${set.map(shortName).join(' + ')} [${scale}]: ${r.softmax.map(harness.formatMeanStd).join(' | ')}\n`,
        );
      }
    }
  }
  if (args.timing) {
    const timings = provider.timing(rows.map((r) => r.set));
    rows.forEach((r, i) => (r.timing = timings[i]));
  }

  const baseline = rows.find((r) => r.scale === primaryScale && r.set.join() === 'block_10_project_BN');
  const scaleLabel = { '0_1': 'x/255', '-1_1': 'x/127.5-1', model: 'model' };
  const delta = (r) => {
    if (!baseline || r === baseline) return '—';
    const d = pairedDelta(r, baseline);
    return `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(1)} ± ${d.se.toFixed(1)}`;
  };
  const lines = [];
  lines.push(
    '| features (GAP of each, L2-normalised, concatenated) | input | dim | k=1 | k=3 | k=5 | Δ vs block_10 (paired, ± SE) | NCM k=1 / 3 / 5 | cut at | MMACs | ms/image min / median |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const t = r.timing
      ? `${shortName(r.timing.layer)} | ${(r.timing.macs / 1e6).toFixed(0)} | ${r.timing.min.toFixed(1)} / ${r.timing.median.toFixed(1)}`
      : 'n/a | n/a | n/a';
    lines.push(
      `| ${r.set.join(' + ')} | ${scaleLabel[r.scale]} | ${r.dim} | ${r.softmax.map(harness.formatMeanStd).join(' | ')} | ` +
        `${delta(r)} | ${r.ncm.map((x) => x.mean.toFixed(1)).join(' / ')} | ${t} |`,
    );
  }
  const table = lines.join('\n');
  console.log(table);

  if (args.write && args.provider === 'tfjs') {
    const results = args.head === 'lr' ? RESULTS : RESULTS.replace(/\.md$/, `-${args.head}.md`);
    const md = [
      '# Layer study: which pooled MobileNetV2 layers to embed with',
      '',
      'Few-shot protocol A of "Few-shot protocols" of `BENCHMARKS.md` (Tux Paint photo stamps, 7 categories, 220 images, alpha',
      `composited over white; k shots per class, ${args.draws} fixed-seed draws per k, every image not drawn is the`,
      'test set; mean ± std accuracy in %, chance 14%).',
      '',
      `- Features: ${provider.description}; ${provider.preprocessing}. GAP = global average pool over the`,
      '  spatial grid. Combinations: each layer L2-normalised, then concatenated (and normalised again by the head).',
      '- Head (the same for every row, fixed up front, nothing tuned on test images): softmax regression on',
      `  L2-normalised features${args.head === 'lr-centred' ? " (then centred on the training shots' mean and L2-normalised again)" : ''}, lambda = 1e-3 on mean cross-entropy, bias unpenalised, Nesterov gradient descent`,
      '  to gradient norm 1e-6 (max 3000 iterations). `NCM` = nearest class mean by cosine, no hyper-parameters,',
      '  as a second opinion.',
      "- Δ vs block_10: per draw, accuracy minus block_10_project_BN's (x/255) on the same shots, averaged over",
      '  k = 1, 3, 5; mean ± standard error over the draws (a paired comparison, tighter than the std columns).',
      '- Cost: the backbone cut at the deepest layer used. MMACs = millions of multiply-accumulates (convolutions',
      '  and depthwise convolutions up to that layer; machine-independent). ms/image = min / median of 30 batch-1',
      '  runs of the TF.js graph (plus pooling), all cuts timed round-robin, on the shared 2-core machine while',
      '  other jobs compiled: compare rows, not absolute figures.',
      `- Made by: \`node tests/bench/layer-study.js${args.head === 'lr' ? '' : ` --head ${args.head}`}\` (after \`scripts/fetch-testdata.sh\`), ${new Date().toISOString().slice(0, 16)}Z,`,
      `  ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      '',
      table,
      '',
    ].join('\n');
    // Keep the hand-written reading of the results (from the '## Reading' heading on) across reruns.
    const previous = fs.existsSync(results) ? fs.readFileSync(results, 'utf8') : '';
    const reading = previous.indexOf('\n## Reading');
    fs.mkdirSync(path.dirname(results), { recursive: true });
    fs.writeFileSync(results, md + (reading >= 0 ? previous.slice(reading) : ''));
    process.stderr.write(`wrote ${path.relative(ROOT, results)}\n`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { LAYERS, FEATURE_SETS, PROVIDERS };
