// Type-checked by tests/browser-types.test.js against dist/web/imprint.d.mts (never run).
import imprint, {
  createExtractor,
  createClassifier,
  loadClassifier,
  createIndex,
  loadIndex,
  ImprintError,
} from '../../dist/web/imprint.mjs';
const ex = await createExtractor({ modelUrl: '/m.imprint', onProgress: (e) => console.log(e.loaded, e.total) });
const v: Float32Array = await ex.embed(new Blob([]));
const clf = createClassifier(ex);
clf.addEmbedding(v, 'a');
const p = clf.predictEmbedding(v);
const bytes: Uint8Array = clf.save();
const wex = await createExtractor({ worker: true });
const wclf = createClassifier(wex);
await wclf.addEmbedding(v, 'a');
const wp: Promise<unknown> = wclf.predictEmbedding(v);
const saved = await wclf.save();
const loaded = await loadClassifier(wex, new Blob([saved]));
const n: number = loaded.exampleCount('a');
const inPage: number = ex.memory().inUse;
const inWorker: number = (await wex.memory()).heapSize;
const index = createIndex(ex);
index.addEmbedding(v, 'a');
const inPageIds: string[] = index.ids;
const windex = createIndex(wex);
await windex.addEmbedding(v, 'a');
const inWorkerIds: string[] = await windex.ids;
const results = await windex.query(new Blob([]), { k: 3 });
const size: number = windex.size;
const transformed: Float32Array = await windex.transform(v);
const wloaded = await loadIndex(wex, new Blob([await windex.save()]));
console.log(inPageIds, inWorkerIds, results[0].id, size, transformed.length, await wloaded.has('a'));
const img = document.createElement('img');
await ex.embed(img);
window.imprint.createExtractor();
const e = new ImprintError('DISPOSED', 'x');
console.log(p.label, bytes.length, wp, n, inPage, inWorker, e.code, imprint.cosineSimilarity(v, v));
