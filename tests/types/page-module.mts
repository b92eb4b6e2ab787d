// A page ES module: import from 'imprint/web/imprint.mjs' (dist/web/imprint.d.mts), lib "dom".
// Type-checked under --strict by tests/types.test.js (never run). Each @ts-expect-error marks a
// real mistake.
import imprint, {
  createExtractor,
  createClassifier,
  loadClassifier,
  cosineSimilarity,
  ImprintError,
  type Classifier,
  type Extractor,
  type ImageInput,
  type TrainResult,
} from 'imprint/web/imprint.mjs';

const ex: Extractor = await createExtractor({
  model: await (await fetch('/m.imprint')).blob(),
  limits: { maxWidth: 4096 },
});
const inputs: ImageInput[] = [document.createElement('img'), new Uint8Array(10), new URL('/a.webp', location.href)];
const [first, second] = await ex.embedBatch(inputs);
console.log(cosineSimilarity(first, second), imprint.cosineSimilarity(first, [0.5, 0.5]));
// @ts-expect-error threads is a Node option; a page uses createExtractor({ worker: true })
await ex.embedBatch(inputs, { threads: 2 });

const clf: Classifier = createClassifier(ex);
clf.addEmbedding(first, 'a');
await clf.addExample(document.createElement('canvas'), 'b');
const result: TrainResult = await clf.train({ maxIterations: 100, tolerance: 1e-5 });
console.log(result.steps, result.l2, clf.predictEmbedding(second).confidence);
const bytes = clf.save();
const head = await loadClassifier(ex, new File([bytes], 'head.imprint'));
const outcome = await head.evaluate([{ label: 'a', input: '/a.jpg' }]);
console.log(outcome.accuracy, head.trained);
// @ts-expect-error the page-thread classifier wants an Extractor, not its info
createClassifier(ex.info);

try {
  await ex.features(first.length ? '/a.jpg' : '/b.jpg', 'no-such-layer');
} catch (error) {
  if (error instanceof ImprintError && error.code === 'UNKNOWN_LAYER') console.log(error.message);
}
window.imprint.createExtractor();
head.dispose();
clf.dispose();
ex.dispose();
