#!/usr/bin/env node
'use strict';
// Why a classifier saved without its examples refuses to learn (SAVED_WITHOUT_EXAMPLES): what
// learning did to it before the refusal. On few-shot protocol A's stamps, 10 random draws: train
// on 5 stamps per category, save with and without examples, load, add 1 more stamp per category,
// train again; accuracy on the remaining stamps. Before the refusal the no-examples head retrained
// from its class means alone; since, it reports the code.
//
//   node tests/bench/saved-without-examples.js [library folder, default: this repository]
//
// Run it with the folder of a build from before the refusal (commit 64db8a9 or older) to see the
// old behaviour; BENCHMARKS.md, "A classifier saved without examples", has both.
const path = require('node:path');
const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
const lib = require(root);
const h = require(path.join(root, 'tests', 'bench', 'fewshot-harness'));
(async () => {
  const data = h.loadProtocolA();
  const ex = await lib.createExtractor();
  const vecs = [];
  for (const it of data.pool) vecs.push(await ex.embed(it.image()));
  const res = { saved: [], addedNoExamples: [], addedWithExamples: [] };
  for (let seed = 0; seed < 10; seed++) {
    const random = h.seededRandom(500 + seed);
    const train = [],
      extra = [],
      test = [];
    data.classes.forEach((_, c) => {
      const m = h.shuffled(
        data.pool.map((p, i) => i).filter((i) => data.pool[i].label === c),
        random,
      );
      train.push(...m.slice(0, 5));
      extra.push(...m.slice(5, 6));
      test.push(...m.slice(6));
    });
    const items = test.map((i) => ({ label: data.classes[data.pool[i].label], embedding: vecs[i] }));
    const clf = lib.createClassifier(ex);
    for (const i of train) clf.addEmbedding(vecs[i], data.classes[data.pool[i].label]);
    await clf.train();
    res.saved.push((await clf.evaluate(items)).accuracy);
    for (const [key, examples] of [
      ['addedNoExamples', false],
      ['addedWithExamples', true],
    ]) {
      const l = await lib.loadClassifier(ex, clf.save({ examples }));
      try {
        for (const i of extra) l.addEmbedding(vecs[i], data.classes[data.pool[i].label]);
        await l.train();
        res[key].push((await l.evaluate(items)).accuracy);
      } catch (e) {
        res[key].push(e.code);
      }
      l.dispose();
    }
    clf.dispose();
  }
  const m = (a) => (typeof a[0] === 'string' ? a[0] : ((100 * a.reduce((x, y) => x + y, 0)) / a.length).toFixed(1));
  console.log(
    JSON.stringify({
      saved: m(res.saved),
      addedToHeadSavedWithoutExamples: m(res.addedNoExamples),
      addedToHeadSavedWithExamples: m(res.addedWithExamples),
    }),
  );
  ex.dispose();
})();
