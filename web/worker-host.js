'use strict';
// The worker side of web/worker-client.js: owns one extractor, its classifiers and indexes, runs the calls
// it receives one at a time, in order (the operations of web/operations.js, plus the lifetimes of
// the objects), and posts results back (Float32Arrays and saved bytes are transferred). Classifier
// replies carry the classifier's state (an index's: its size) so the page's mirror stays exact.

const { ImprintError } = require('../js/errors.cjs');
const { createExtractor } = require('../js/extractor.cjs');
const { createClassifier, loadClassifier } = require('../js/classifier.cjs');
const { createIndex, loadIndex } = require('../js/index-search.cjs');
const { OPERATIONS, transferablesOf } = require('./operations.js');

let extractor = null;
const classifiers = new Map(); // id → Classifier | ImprintError (creation failed)
const indexes = new Map(); // id → SimilarityIndex | ImprintError (creation failed)

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

function theIndex(id) {
  const found = indexes.get(id);
  if (found instanceof Error) throw found;
  if (!found) throw new ImprintError('DISPOSED', 'this index was disposed; create or load a new one');
  return found;
}

function stateOf(clf) {
  const labels = clf.labels;
  return {
    labels,
    counts: labels.map((l) => clf.exampleCount(l)),
    trained: clf.trained,
    unknownThreshold: clf.unknownThreshold,
    unknownRate: clf.unknownRate,
  };
}

/** A classifier reply: the value and the state after the call. */
function withState(clf, value, transfer = []) {
  return [{ value, state: stateOf(clf) }, transfer];
}

/** What the host does besides forwarding: the extractor's and classifiers' lifetimes. */
const ops = {
  async createExtractor([options], progress) {
    extractor = await createExtractor(progress ? { ...options, onProgress: progress } : options);
    return [extractor.info];
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
    const clf = await loadClassifier(theExtractor(), bytes, options);
    classifiers.set(id, clf);
    return withState(clf);
  },
  async disposeClassifier([id]) {
    const found = classifiers.get(id);
    if (found && !(found instanceof Error)) found.dispose();
    classifiers.delete(id);
    return [undefined];
  },
  async createIndex([id]) {
    try {
      const index = createIndex(theExtractor());
      indexes.set(id, index);
      return [{ state: { size: index.size } }];
    } catch (error) {
      indexes.set(id, error);
      throw error;
    }
  },
  async loadIndex([id, bytes]) {
    const index = await loadIndex(theExtractor(), bytes);
    indexes.set(id, index);
    return [{ state: { size: index.size } }];
  },
  async disposeIndex([id]) {
    const found = indexes.get(id);
    if (found && !(found instanceof Error)) found.dispose();
    indexes.delete(id);
    return [undefined];
  },
  async indexIds([id]) {
    const index = theIndex(id);
    return [{ value: index.ids, state: { size: index.size } }];
  },
  async setUnknownThreshold([id, value]) {
    const clf = classifier(id);
    clf.unknownThreshold = value;
    return withState(clf);
  },
  async setUnknownRate([id, value]) {
    const clf = classifier(id);
    clf.unknownRate = value;
    return withState(clf);
  },
};

// Every operation of the table: the method of the extractor, or of the classifier or index whose
// id comes first; classifier and index replies carry their state.
for (const [name, op] of Object.entries(OPERATIONS)) {
  ops[name] = async (args, progress) => {
    const target = op.on === 'extractor' ? theExtractor() : op.on === 'index' ? theIndex(args[0]) : classifier(args[0]);
    const rest = op.on === 'extractor' ? [...args] : args.slice(1);
    if (progress && op.progress !== undefined) rest[op.progress] = { ...rest[op.progress], onProgress: progress };
    const value = await target[op.method || name](...rest);
    const transfer = transferablesOf(op.returns, value);
    if (op.on === 'extractor') return [value, transfer];
    if (op.on === 'index') return [{ value, state: { size: target.size } }, transfer];
    return withState(target, value, transfer);
  };
}

let queue = Promise.resolve();

async function run({ id, op, args, progress: reportsProgress }) {
  const progress = reportsProgress ? (event) => self.postMessage({ id, progress: event }) : null;
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
