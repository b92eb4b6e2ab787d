#!/usr/bin/env node
'use strict';
// Similarity search on few-shot protocol A's 220 photo stamps (7 categories; BENCHMARKS.md,
// "Few-shot protocols"): how often the nearest images of a stamp are of its category, ranking by
// plain cosine similarity of the embeddings vs by imprint's index (createIndex), side by side on
// the same embeddings in one run. Prints markdown tables.
//
//   node tests/bench/retrieval.js [--splits 10] [--items 10000]
//
// Metrics, for each query (leave-one-out: every stamp queries all the others; held-out: an index of
// a random half of each category, queried with the other half, --splits random halves):
//   recall@k     fraction of queries with at least one image of their category among the first k
//                (the metric-learning definition, e.g. Oh Song et al., CVPR 2016)
//   precision@k  fraction of the first k results that are of the query's category
//   mAP          mean average precision over the whole ranking
//   pair AUC     probability that a same-category pair has a higher similarity than a
//                different-category pair: how well one threshold on the similarity separates them
// Then the time of one query over --items items (embeddings of the stamps, repeated), imprint's
// index vs a plain JavaScript loop of dot products over Float32Arrays keeping the best 10.
const { parseArgs } = require('node:util');
const { createExtractor, createIndex } = require('../..');
const h = require('./fewshot-harness');

const KS = [1, 5, 10];

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Metrics of rankings: queries = [{ label, ranked: [{ label, similarity }] best first }]. */
function metrics(queries, relevantCount) {
  const out = { recall: {}, precision: {} };
  for (const k of KS) {
    out.recall[k] = mean(queries.map((q) => (q.ranked.slice(0, k).some((r) => r.label === q.label) ? 1 : 0)));
    out.precision[k] = mean(queries.map((q) => q.ranked.slice(0, k).filter((r) => r.label === q.label).length / k));
  }
  out.map = mean(
    queries.map((q) => {
      let hits = 0;
      let sum = 0;
      q.ranked.forEach((r, i) => {
        if (r.label === q.label) sum += ++hits / (i + 1);
      });
      return sum / relevantCount(q);
    }),
  );
  const same = [];
  const different = [];
  for (const q of queries) for (const r of q.ranked) (r.label === q.label ? same : different).push(r.similarity);
  out.auc = pairAuc(same, different);
  out.sameMean = mean(same);
  out.differentMean = mean(different);
  return out;
}

function mean(a) {
  return a.reduce((x, y) => x + y, 0) / a.length;
}

/** Mann-Whitney AUC by sorting: ties count half. */
function pairAuc(same, different) {
  const all = [...same.map((s) => [s, 1]), ...different.map((s) => [s, 0])].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const rank = (i + j + 1) / 2; // average 1-based rank of the tie group
    for (let t = i; t < j; t++) if (all[t][1]) rankSum += rank;
    i = j;
  }
  return (rankSum - (same.length * (same.length + 1)) / 2) / (same.length * different.length);
}

/** Rankings of `queryIds` against `itemIds` by plain cosine (the embeddings are L2-normalised). */
function rawRankings(vectors, labels, queryIds, itemIds) {
  return queryIds.map((q) => ({
    label: labels[q],
    ranked: itemIds
      .filter((i) => i !== q)
      .map((i) => ({ label: labels[i], similarity: dot(vectors[q], vectors[i]), i }))
      .sort((a, b) => b.similarity - a.similarity || a.i - b.i),
  }));
}

/** The same rankings from an imprint index holding `itemIds` (the query itself left out). */
function indexRankings(extractor, vectors, labels, queryIds, itemIds) {
  const index = createIndex(extractor);
  for (const i of itemIds) index.addEmbedding(vectors[i], String(i));
  const out = queryIds.map((q) => ({
    label: labels[q],
    ranked: index
      .queryEmbedding(vectors[q], { k: itemIds.length })
      .filter((r) => r.id !== String(q))
      .map((r) => ({ label: labels[Number(r.id)], similarity: r.similarity })),
  }));
  index.dispose();
  return out;
}

function addMetrics(total, m) {
  if (!total) return JSON.parse(JSON.stringify(m));
  for (const k of KS) {
    total.recall[k] += m.recall[k];
    total.precision[k] += m.precision[k];
  }
  for (const key of ['map', 'auc', 'sameMean', 'differentMean']) total[key] += m[key];
  return total;
}

function scaleMetrics(m, by) {
  for (const k of KS) {
    m.recall[k] /= by;
    m.precision[k] /= by;
  }
  for (const key of ['map', 'auc', 'sameMean', 'differentMean']) m[key] /= by;
  return m;
}

function table(title, rows) {
  const pct = (x) => (100 * x).toFixed(1);
  const lines = [
    `### ${title}`,
    '',
    '| ranking by | recall@1 | recall@5 | recall@10 | precision@1 | precision@5 | precision@10 | mAP | pair AUC | mean similarity, same / other category |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, m] of rows) {
    lines.push(
      `| ${name} | ${KS.map((k) => pct(m.recall[k])).join(' | ')} | ${KS.map((k) => pct(m.precision[k])).join(' | ')} | ${pct(m.map)} | ${m.auc.toFixed(3)} | ${m.sameMean.toFixed(3)} / ${m.differentMean.toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const { values } = parseArgs({
    options: { splits: { type: 'string', default: '10' }, items: { type: 'string', default: '10000' } },
    strict: true,
  });
  const splits = Number(values.splits);
  const items = Number(values.items);
  const data = h.loadProtocolA();
  const extractor = await createExtractor();
  const vectors = [];
  for (const item of data.pool) vectors.push(await extractor.embed(item.image()));
  const labels = data.pool.map((p) => p.label);
  const all = labels.map((_, i) => i);
  const perClass = data.classes.map((_, c) => labels.filter((l) => l === c).length);

  // Leave-one-out over all 220.
  const loo = [
    ['plain cosine of the embeddings', metrics(rawRankings(vectors, labels, all, all), (q) => perClass[q.label] - 1)],
    [
      'imprint index (createIndex)',
      metrics(indexRankings(extractor, vectors, labels, all, all), (q) => perClass[q.label] - 1),
    ],
  ];

  // Held-out: index a random half of each category, query with the other half.
  let rawTotal = null;
  let indexTotal = null;
  for (let s = 0; s < splits; s++) {
    const random = h.seededRandom(1000 + s);
    const indexed = [];
    const queries = [];
    data.classes.forEach((_, c) => {
      const members = h.shuffled(
        all.filter((i) => labels[i] === c),
        random,
      );
      const half = Math.ceil(members.length / 2);
      indexed.push(...members.slice(0, half));
      queries.push(...members.slice(half));
    });
    const inIndex = data.classes.map((_, c) => indexed.filter((i) => labels[i] === c).length);
    rawTotal = addMetrics(
      rawTotal,
      metrics(rawRankings(vectors, labels, queries, indexed), (q) => inIndex[q.label]),
    );
    indexTotal = addMetrics(
      indexTotal,
      metrics(indexRankings(extractor, vectors, labels, queries, indexed), (q) => inIndex[q.label]),
    );
  }
  const heldOut = [
    ['plain cosine of the embeddings', scaleMetrics(rawTotal, splits)],
    ['imprint index (createIndex)', scaleMetrics(indexTotal, splits)],
  ];

  // Query time over `items` items.
  const index = createIndex(extractor);
  const plain = [];
  for (let i = 0; i < items; i++) {
    index.addEmbedding(vectors[i % vectors.length], `item ${i}`);
    plain.push(vectors[i % vectors.length]);
  }
  index.queryEmbedding(vectors[0], { k: 10 }); // the first query after a change computes the centre
  const indexMs = [];
  const plainMs = [];
  for (let r = 0; r < 30; r++) {
    const q = vectors[(r * 7) % vectors.length];
    let t = performance.now();
    index.queryEmbedding(q, { k: 10 });
    indexMs.push(performance.now() - t);
    t = performance.now();
    const top = []; // the 10 best [score, i], kept sorted: no sort of all items
    for (let i = 0; i < items; i++) {
      const score = dot(q, plain[i]);
      if (top.length < 10 || score > top[top.length - 1][0]) {
        let at = top.length < 10 ? top.length : 9;
        while (at > 0 && top[at - 1][0] < score) at--;
        top.splice(at, 0, [score, i]);
        if (top.length > 10) top.pop();
      }
    }
    plainMs.push(performance.now() - t);
    if (top.length !== 10) throw new Error('unreachable');
  }
  index.dispose();
  extractor.dispose();

  console.log(
    `model ${extractor.info.name} (${extractor.info.modelHash}), ${extractor.info.dim}-d embeddings, ${vectors.length} stamps, ${data.classes.length} categories\n`,
  );
  console.log(table('Leave-one-out: every stamp queries the 219 others (%, similarity as is)', loo));
  console.log('');
  console.log(
    table(
      `Held-out queries: an index of half of each category, queried with the other half (mean of ${splits} random halves)`,
      heldOut,
    ),
  );
  console.log('');
  console.log(`### One query (k = 10) over ${items} items of ${extractor.info.dim} floats, median of 30\n`);
  console.log('| imprint index (C, wasm) | plain JavaScript: dot products, best 10 kept |');
  console.log('|---|---|');
  console.log(`| ${median(indexMs).toFixed(2)} ms | ${median(plainMs).toFixed(2)} ms |`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
