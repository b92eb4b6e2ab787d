// A classic page script after <script src="imprint.js">: the global `imprint` (dist/web/imprint.d.ts),
// lib "dom". Type-checked under --strict by tests/types.test.js (never run). Each @ts-expect-error
// marks a real mistake.

async function setUpPage(): Promise<void> {
  const ex: imprint.Extractor = await imprint.createExtractor({
    wasmUrl: '/static/imprint-core.wasm',
    modelUrl: new URL('/static/default.imprint', location.href),
    onProgress: (event: imprint.LoadProgress) =>
      console.log(event.stage, event.loaded.toFixed(0), event.total.toFixed(0)),
  });
  const img = document.querySelector('img')!;
  const canvas = document.createElement('canvas');
  const video = document.querySelector('video')!;
  const file = (document.querySelector('input[type=file]') as HTMLInputElement).files![0];
  const fromImg = await ex.embed(img);
  const fromCanvas = await ex.embed(canvas, { mirror: true });
  const fromImageData = await ex.embed(canvas.getContext('2d')!.getImageData(0, 0, 8, 8));
  const fromUrl = await ex.embed('/photos/dog.jpg');
  const vectors = await ex.embedBatch([video, file, await createImageBitmap(file), new OffscreenCanvas(4, 4)], {
    onProgress: ({ done, total }) => console.log(done, total),
  });
  const decoded = await ex.decode(file);
  const blob = new Blob([decoded.data], { type: 'application/octet-stream' });
  const pooled = await ex.features(img, ex.info.layers[0].name);
  console.log(
    imprint.cosineSimilarity(fromImg, fromCanvas),
    fromImageData,
    fromUrl,
    vectors,
    blob,
    pooled,
    ex.memory().heapSize,
  );

  const clf = imprint.createClassifier(ex, { testTimeFlip: true });
  await clf.addExample(img, 'cat');
  clf.addEmbedding(fromCanvas, 'dog');
  const trained = await clf.train({ onProgress: ({ step }) => console.log(step) });
  console.log(trained.trainAccuracy, trained.temperature);
  const prediction: imprint.Prediction = await clf.predict(video);
  console.log(prediction.label, prediction.scores, clf.predictEmbedding(fromUrl).unknown);
  const evaluation: imprint.Evaluation = await clf.evaluate([[img, 'cat'], { label: 'dog', embedding: fromUrl }]);
  console.log(evaluation.perClass);
  // The head file goes straight into a download link.
  const href = URL.createObjectURL(new Blob([clf.save()]));
  const again = await imprint.loadClassifier(ex, file);
  const fromServer = await window.imprint.loadClassifier(ex, '/heads/pets.imprint');
  // @ts-expect-error save() returns the bytes at once in the page's thread, not a Promise
  clf.save().then((bytes: Uint8Array) => console.log(bytes));
  console.log(href, again.exampleCount('cat'), fromServer.labels);

  try {
    await ex.embed(img);
  } catch (error) {
    if (error instanceof imprint.ImprintError) {
      switch (error.code) {
        case 'DECODE_FAILED':
        case 'UNSUPPORTED_FORMAT':
          console.log('cannot read', error.message);
          break;
        // @ts-expect-error not one of imprint's error codes
        case 'NETWORK_ERROR':
          break;
      }
    }
  }
  // @ts-expect-error `worker` is a boolean
  await imprint.createExtractor({ worker: 'yes' });
  again.dispose();
  fromServer.dispose();
  clf.dispose();
  ex.dispose();
}

void setUpPage();
