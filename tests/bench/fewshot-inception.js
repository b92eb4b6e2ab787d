#!/usr/bin/env node
'use strict';
// Protocol A (photo stamps) with InceptionV3 converted by the library (GAP of mixed7, 768-d) and
// imprint's default classifier, through the public API — a figure, no target (a script, not a test).
//   node models/build-default.js --model inception_v3 && node tests/bench/fewshot-inception.js
const fs = require('node:fs');
const path = require('node:path');
const imprint = require('../..');
const harness = require('./fewshot-harness');

async function main() {
  const started = Date.now();
  const model = path.join(__dirname, '..', '..', 'dist', 'models', 'inception_v3.imprint');
  const ex = await imprint.createExtractor({ model });
  const data = harness.loadProtocolA();
  const vectors = [];
  for (const item of data.pool) vectors.push(await ex.embed(item.image()));
  const rows = [];
  for (const k of data.ks) {
    const accuracies = [];
    for (let d = 0; d < data.draws; d++) {
      const { train, test } = harness.draw(data, k, d);
      const clf = imprint.createClassifier(ex);
      for (const i of train) clf.addEmbedding(vectors[i], data.classes[data.pool[i].label]);
      await clf.train();
      const correct = test.filter(
        (i) => clf.predictEmbedding(vectors[i]).label === data.classes[data.pool[i].label],
      ).length;
      accuracies.push((100 * correct) / test.length);
      clf.dispose();
    }
    rows.push(`${harness.formatMeanStd(harness.meanStd(accuracies))}`);
  }
  const text = [
    '# Protocol A with InceptionV3 converted by imprint',
    '',
    `Made by \`node tests/bench/fewshot-inception.js\`, ${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    `Model: ${ex.info.name} (${ex.info.modelHash}), ${ex.info.inputSize.join('x')} input, embedding GAP(${ex.info.embeddingLayers.join(' + ')}) ${ex.info.dim}-d;`,
    'default classifier (addEmbedding of the plain embedding, as addExample stores it), 30 fixed-seed draws per k.',
    '',
    `| model | ${data.ks.map((k) => `k=${k}`).join(' | ')} |`,
    `|---|${data.ks.map(() => '---').join('|')}|`,
    `| InceptionV3, mixed7 | ${rows.join(' | ')} |`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, 'results', 'fewshot-inception.md'), text);
  process.stdout.write(text);
  ex.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
