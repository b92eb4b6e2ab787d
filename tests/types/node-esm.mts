// A Node ES-module consumer of `import ... from 'imprint'`, type-checked under --strict by
// tests/types.test.js (never run). Each @ts-expect-error marks a real mistake.
import { readFile } from 'node:fs/promises';
import imprint, {
  createExtractor,
  createClassifier,
  loadClassifier,
  ImprintError,
  type Extractor,
  type Prediction,
} from 'imprint';
import { cosineSimilarity } from 'imprint';

async function classify(ex: Extractor, photos: string[]): Promise<Prediction[]> {
  const clf = createClassifier(ex);
  await clf.addExample(await readFile('photos/dog.jpg'), 'dog');
  await clf.addExample(new URL('file:///photos/cat.jpg'), 'cat');
  const { trainAccuracy, temperature } = await clf.train();
  console.log(trainAccuracy, temperature);
  const predictions: Prediction[] = [];
  for (const photo of photos) predictions.push(await clf.predict(photo));
  const saved = clf.save(); // a fresh Uint8Array<ArrayBuffer>: its .buffer is an ArrayBuffer
  const again = await loadClassifier(ex, saved.buffer);
  const [first, second] = await ex.embedBatch(photos);
  console.log(again.labels, cosineSimilarity(first, second));
  // @ts-expect-error a label is not a vector
  cosineSimilarity(first, 'dog');
  again.dispose();
  clf.dispose();
  return predictions;
}

const ex = await imprint.createExtractor({ model: 'models/other.imprint' });
const second = await createExtractor();
const vectors = await second.embedBatch([
  await readFile('a.jpg'),
  { data: new Uint8ClampedArray(16), width: 2, height: 2 },
]);
const features = await second.features('a.jpg', second.info.embeddingLayers[0]);
const decoded = await second.decode(await readFile('a.jpg'));
console.log(vectors.length, features.length, decoded.width * decoded.height, ex.memory().inUse);
await second.embed(new Blob([await readFile('a.jpg')]));
// @ts-expect-error embed() takes one image; a list goes to embedBatch()
await second.embed(['a.jpg', 'b.jpg']);
// @ts-expect-error wasmUrl is a browser option
await createExtractor({ wasmUrl: 'imprint-core.wasm' });

try {
  console.log(await classify(ex, ['x.jpg']));
} catch (error) {
  if (error instanceof ImprintError && (error.code === 'NO_EXAMPLES' || error.code === 'DECODE_FAILED'))
    console.log(error.message);
  else throw error;
} finally {
  second.dispose();
  ex.dispose();
}
