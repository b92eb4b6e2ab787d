'use strict';
// The worker side of web/worker-client.js: owns one extractor and its classifiers, runs the calls
// it receives one at a time, in order, and posts results back (Float32Arrays and saved bytes are
// transferred). Classifier replies carry the classifier's state so the page's mirror stays exact.

const { ImprintError } = require('../js/errors.cjs');
const { createExtractor } = require('../js/extractor.cjs');
const { createClassifier, loadClassifier } = require('../js/classifier.cjs');

let extractor = null;
const classifiers = new Map(); // id → Classifier | ImprintError (creation failed)

function theExtractor() {
  if (!extractor) throw new ImprintError('DISPOSED', 'the worker has no extractor');
  return extractor;
}

function classifier(id) {
  const found = classifiers.get(id);
  if (found instanceof Error) throw found;
  if (!found) throw new ImprintError('DISPOSED', 'this classifier was disposed; create or load a new one');
  return found;
}

function stateOf(clf) {
  const labels = clf.labels;
  return { labels, counts: labels.map((l) => clf.exampleCount(l)), trained: clf.trained, unknownThreshold: clf.unknownThreshold };
}

/** A classifier reply: the value and the state after the call. */
function withState(clf, value, transfer = []) {
  return [{ value, state: stateOf(clf) }, transfer];
}

const ops = {
  async createExtractor([options], progress) {
    extractor = await createExtractor({ ...options, onProgress: progress });
    return [extractor.info];
  },
  async embed([input, options]) {
    const v = await theExtractor().embed(input, options);
    return [v, [v.buffer]];
  },
  async embedWithMirror([input]) {
    const pair = await theExtractor().embedWithMirror(input);
    return [pair, pair.map((v) => v.buffer)];
  },
  async embedBatch([inputs], progress) {
    const list = await theExtractor().embedBatch(inputs, { onProgress: progress });
    return [list, list.map((v) => v.buffer)];
  },
  async features([input, layer]) {
    const v = await theExtractor().features(input, layer);
    return [v, [v.buffer]];
  },
  async memory() {
    return [theExtractor().memory()];
  },
  async decode([input]) {
    const image = await theExtractor().decode(input);
    return [image, [image.data.buffer]];
  },
  async createClassifier([id, options]) {
    try {
      const clf = createClassifier(theExtractor(), options);
      classifiers.set(id, clf);
      return withState(clf);
    } catch (error) {
      classifiers.set(id, error);
      throw error;
    }
  },
  async loadClassifier([id, bytes, options]) {
    const data = typeof Blob === 'function' && bytes instanceof Blob ? new Uint8Array(await bytes.arrayBuffer()) : bytes;
    const clf = await loadClassifier(theExtractor(), data, options);
    classifiers.set(id, clf);
    return withState(clf);
  },
  async disposeClassifier([id]) {
    const found = classifiers.get(id);
    if (found && !(found instanceof Error)) found.dispose();
    classifiers.delete(id);
    return [undefined];
  },
  async setUnknownThreshold([id, value]) {
    const clf = classifier(id);
    clf.unknownThreshold = value;
    return withState(clf);
  },
  async addExample([id, input, label]) {
    const clf = classifier(id);
    await clf.addExample(input, label);
    return withState(clf);
  },
  async addEmbedding([id, vector, label, mirrored]) {
    const clf = classifier(id);
    clf.addEmbedding(vector, label, mirrored);
    return withState(clf);
  },
  async removeClass([id, label]) {
    const clf = classifier(id);
    clf.removeClass(label);
    return withState(clf);
  },
  async clear([id]) {
    const clf = classifier(id);
    clf.clear();
    return withState(clf);
  },
  async train([id, options], progress) {
    const clf = classifier(id);
    return withState(clf, await clf.train({ ...options, onProgress: progress }));
  },
  async predict([id, input]) {
    const clf = classifier(id);
    return withState(clf, await clf.predict(input));
  },
  async predictEmbedding([id, vector, mirrored]) {
    const clf = classifier(id);
    return withState(clf, clf.predictEmbedding(vector, mirrored));
  },
  async evaluate([id, items]) {
    const clf = classifier(id);
    return withState(clf, await clf.evaluate(items));
  },
  async save([id, options]) {
    const clf = classifier(id);
    const bytes = clf.save(options);
    return withState(clf, bytes, [bytes.buffer]);
  },
};

let queue = Promise.resolve();

async function run({ id, op, args }) {
  const progress = (event) => self.postMessage({ id, progress: event });
  try {
    const handler = Object.prototype.hasOwnProperty.call(ops, op) ? ops[op] : null;
    if (!handler) throw new ImprintError('INVALID_ARGUMENT', `the imprint worker has no operation ${op}`);
    const [value, transfer = []] = await handler(args, progress);
    self.postMessage({ id, value }, transfer);
  } catch (error) {
    const code = error && typeof error.code === 'string' ? error.code : 'BACKEND_FAILED';
    const message = error && error.message ? error.message : String(error);
    self.postMessage({ id, error: { code, message, index: error ? error.index : undefined } });
  }
}

self.onmessage = (event) => {
  queue = queue.then(() => run(event.data));
};
