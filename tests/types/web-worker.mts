// imprint inside a Web Worker of your own (lib "webworker", no DOM): import from
// 'imprint/web/imprint.mjs'. Type-checked under --strict by tests/types.test.js (never run).
// Each @ts-expect-error marks a real mistake.
import { createExtractor, createClassifier, ImprintError, type ImageInput } from 'imprint/web/imprint.mjs';

const ex = await createExtractor({ modelUrl: '/static/default.imprint', wasmUrl: '/static/imprint-core.wasm' });
const clf = createClassifier(ex);

self.onmessage = async (event: MessageEvent<{ image: ImageBitmap | Blob; label?: string }>) => {
  const input: ImageInput = event.data.image;
  try {
    if (event.data.label) {
      await clf.addExample(input, event.data.label);
      const { loss } = await clf.train();
      self.postMessage({ loss });
    } else {
      const frame = new OffscreenCanvas(64, 64);
      const [embedding] = await ex.embedBatch([input, frame]);
      self.postMessage({ prediction: clf.predictEmbedding(embedding), memory: ex.memory() });
    }
  } catch (error) {
    if (error instanceof ImprintError) self.postMessage({ code: error.code, message: error.message });
  }
};
// @ts-expect-error raw pixels need their data (and page-only element types are not `unknown` here)
await ex.embed({ width: 2, height: 2 });
// @ts-expect-error the model is a file source (bytes, Blob or URL), not a number
await createExtractor({ model: 42 });
