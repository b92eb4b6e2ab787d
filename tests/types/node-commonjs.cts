// A Node CommonJS consumer of require('imprint'), type-checked under --strict by tests/types.test.js
// (never run). Each @ts-expect-error marks a real mistake the declarations must refuse.
import imprint = require('imprint');
import fs = require('node:fs');

const { createExtractor, createClassifier, loadClassifier, createBatchEmbedder, ImprintError } = imprint;

async function main(): Promise<void> {
  const ex = await createExtractor({
    model: fs.readFileSync('model.imprint'),
    limits: { maxPixels: 4096 * 4096 },
    background: [0, 0, 0],
    // Every event has every field, in Node too: the model's bytes read and its size.
    onProgress: ({ stage, progress, loaded, total }) => console.log(stage, progress.toFixed(2), loaded / total),
  });
  const info: imprint.ExtractorInfo = ex.info;
  const [height, width] = info.inputSize;
  const fromPath: Float32Array = await ex.embed('photos/dog.jpg');
  const fromUrl = await ex.embed(new URL('file:///photos/cat.png'), { mirror: true });
  const fromBuffer = await ex.embed(fs.readFileSync('photos/dog.jpg'));
  const fromPixels = await ex.embed({ data: new Uint8Array(width * height * 3), width, height, channels: 3 });
  const [plain, mirrored] = await ex.embedWithMirror(fs.readFileSync('photos/dog.jpg').buffer);
  const batch: Float32Array[] = await ex.embedBatch(['a.jpg', 'b.png'], {
    threads: 2,
    onProgress: ({ done, total }) => console.log(`${done}/${total}`),
  });
  const lastLayer = info.layers[info.layers.length - 1];
  const pooled = await ex.features('photos/dog.jpg', lastLayer.name);
  const image = await ex.decode('photos/dog.jpg');
  const channels: 1 | 2 | 3 | 4 = image.channels;
  const { inUse, heapSize } = ex.memory();
  console.log(
    fromPath.length,
    fromUrl[0],
    fromBuffer[0],
    fromPixels[0],
    batch.length,
    pooled.length,
    channels,
    inUse,
    heapSize,
  );

  const clf = createClassifier(ex, { flipAugment: true, testTimeFlip: true, unknownThreshold: 0.99 });
  await clf.addExample('photos/dog.jpg', 'dog');
  clf.addEmbedding(plain, 'cat', mirrored);
  clf.addEmbedding(Array.from(plain), 'cat');
  const result: imprint.TrainResult = await clf.train({
    seed: 1,
    l2: 1e-3,
    calibrate: false,
    onProgress: ({ step, loss }) => console.log(step, loss),
  });
  console.log(result.loss, result.trainAccuracy, result.ms, result.steps, result.temperature, result.l2);
  // @ts-expect-error training keeps no validation split, so there is no validation accuracy
  console.log(result.validationAccuracy);
  const p: imprint.Prediction = await clf.predict('photos/x.jpg');
  const q = clf.predictEmbedding(plain, mirrored);
  console.log(p.label, p.confidence, p.scores[p.label], p.unknown, p.similarity, q.label);
  const evaluation = await clf.evaluate([
    { label: 'dog', input: 'photos/dog2.jpg' },
    { label: 'cat', embedding: fromPath },
    ['photos/cat2.jpg', 'cat'],
  ]);
  const row: number[] = evaluation.confusion.matrix[0];
  console.log(evaluation.accuracy, evaluation.count, evaluation.perClass.dog.correct, row);
  fs.writeFileSync('head.imprint', clf.save({ examples: false }));
  const fromFile = await loadClassifier(ex, 'head.imprint');
  const fromBytes = await loadClassifier(ex, fs.readFileSync('head.imprint'), { unknownThreshold: 0.5 });
  clf.removeClass('cat');
  clf.clear();
  clf.unknownThreshold = 0.98;
  const labels: string[] = fromFile.labels;
  console.log(labels, fromBytes.trained, fromBytes.exampleCount('dog'));

  const index = imprint.createIndex(ex);
  await index.add('photos/dog.jpg', 'dog.jpg');
  index.addEmbedding(fromPath, 'vector');
  const found: imprint.SearchResult[] = await index.query('photos/x.jpg', { k: 5 });
  const nearest: string = index.queryEmbedding(fromPath)[0].id;
  console.log(found[0].similarity, nearest, index.size, index.ids.length, index.has('dog.jpg'));
  // @ts-expect-error k is a number
  index.queryEmbedding(fromPath, { k: '5' });
  const forAVectorStore: Float32Array = index.transform(fromPath);
  console.log(forAVectorStore.length);
  index.remove('vector');
  fs.writeFileSync('photos.index', index.save());
  const reloaded: imprint.SimilarityIndex = await imprint.loadIndex(ex, 'photos.index');
  reloaded.dispose();

  try {
    await ex.embed('missing.jpg');
  } catch (error) {
    if (error instanceof ImprintError) {
      const code: imprint.ImprintErrorCode = error.code;
      if (error.code === 'FILE_NOT_FOUND') console.log('no such file', error.index);
      // @ts-expect-error not one of imprint's error codes
      if (error.code === 'ENOENT') console.log(code);
    }
  }

  // @ts-expect-error limits are numbers
  await createExtractor({ limits: { maxPixels: '10000000' } });

  const pool = createBatchEmbedder({ threads: 4, model: 'model.imprint', limits: { maxWidth: 8192 } });
  const poolInfo: imprint.ExtractorInfo = await pool.info;
  for await (const r of pool.embed(['a.jpg', 'b.jpg'], { onProgress: ({ done }) => console.log(done, pool.threads) })) {
    if (r.vector) console.log(r.index, r.vector.length, poolInfo.dim);
    else if (r.error) console.log(r.index, r.error.code);
  }
  await pool.close();
  fromFile.dispose();
  fromBytes.dispose();
  clf.dispose();
  ex.dispose();
}

void main();
