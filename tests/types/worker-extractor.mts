// The Web Worker variant in a page: createExtractor({ worker: true }) and createWorkerExtractor(),
// whose calls that are synchronous in the page's thread return Promises. lib "dom"; type-checked
// under --strict by tests/types.test.js (never run). Each @ts-expect-error marks a real mistake.
import {
  createExtractor,
  createWorkerExtractor,
  createClassifier,
  loadClassifier,
  ImprintError,
  WorkerExtractor,
  WorkerClassifier,
  type MemoryStats,
  type Prediction,
} from 'imprint/web/imprint.mjs';

const wex: WorkerExtractor = await createExtractor({
  worker: true,
  workerUrl: '/static/imprint-worker.js',
  onProgress: (e) => console.log(e.loaded),
});
const other = await createWorkerExtractor({ modelUrl: '/static/default.imprint' });
const img = document.createElement('img');
const v: Float32Array = await wex.embed(img);
const [plain, mirrored] = await wex.embedWithMirror(new Blob([]));
const all = await wex.embedBatch([img, document.createElement('video')], {
  onProgress: ({ done }) => console.log(done),
});
const features = await wex.features(img, wex.info.layers[0].name);
const decoded = await wex.decode('/photo.jpg');
const stats: MemoryStats = await wex.memory();
// @ts-expect-error the worker's memory() is a Promise
const inUse: number = wex.memory().inUse;
console.log(plain, mirrored, all, features, decoded.channels, stats.heapSize, inUse);

const wclf: WorkerClassifier = createClassifier(wex, { flipAugment: true });
await wclf.addExample(img, 'cat');
await wclf.addEmbedding(v, 'dog', mirrored);
const { trainAccuracy } = await wclf.train({ seed: 7 });
const p: Prediction = await wclf.predictEmbedding(v);
// @ts-expect-error predictEmbedding() in the worker returns a Promise of the prediction
console.log(wclf.predictEmbedding(v).label);
const byImage = await wclf.predict(img);
const evaluation = await wclf.evaluate([[img, 'cat']]);
const saved = await wclf.save({ examples: true });
const loaded = await loadClassifier(wex, new Blob([saved]));
const count: number = loaded.exampleCount('cat');
const labels: string[] = loaded.labels;
loaded.unknownThreshold = 0.95;
await wclf.removeClass('dog');
await wclf.clear();
console.log(trainAccuracy, p.label, byImage.unknown, evaluation.accuracy, count, labels, loaded.trained);

// Either kind from a runtime choice: narrow with instanceof.
const maybe = await createExtractor({ worker: navigator.hardwareConcurrency > 2 });
const anyClf = createClassifier(maybe);
if (anyClf instanceof WorkerClassifier) console.log(await anyClf.save());
else console.log(anyClf.save().length);
if (maybe instanceof WorkerExtractor) console.log((await maybe.memory()).inUse);
else console.log(maybe.memory().inUse);

try {
  await wclf.predict(img);
} catch (error) {
  if (error instanceof ImprintError && error.code === 'BACKEND_FAILED') console.log('the worker failed', error.message);
}
// @ts-expect-error a page-thread Extractor makes a Classifier, not a WorkerClassifier
const wrong: WorkerClassifier = createClassifier(await createExtractor());
console.log(wrong);
loaded.dispose();
wclf.dispose();
other.dispose();
wex.dispose();
