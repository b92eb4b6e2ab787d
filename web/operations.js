'use strict';
// The worker protocol, described once: every method that a WorkerExtractor or WorkerClassifier
// (web/worker-client.js) forwards to the same-named method of the real Extractor or Classifier in
// the worker (web/worker-host.js). Both sides are generated from this table; validation stays in
// the real methods (js/), so the worker variant refuses exactly what the in-thread one refuses.
//   on        the object that runs it in the worker: 'extractor', 'classifier' or 'index'
//   method    the name of the method on both sides, when it is not the operation's own name
//             (an index and a classifier both have addEmbedding and clear)
//   images    indices of arguments that are images: the page reads DOM inputs into pixels and
//             transfers bytes rather than copying them twice
//   imageList index of an argument that is a list of images
//   items     index of an evaluate() list, whose items' `input` are images
//   progress  index of an options argument whose onProgress is called back from the worker
//   returns   what the result is: 'vector', 'vectors' (an array of them), 'image' (decode()'s
//             { data }) and 'bytes' are transferred back rather than copied; 'prediction' and
//             'evaluation' hold objects keyed by label, which get their null prototype back

const OPERATIONS = Object.freeze({
  embed: { on: 'extractor', images: [0], returns: 'vector' },
  embedWithMirror: { on: 'extractor', images: [0], returns: 'vectors' },
  embedBatch: { on: 'extractor', imageList: 0, progress: 1, returns: 'vectors' },
  features: { on: 'extractor', images: [0], returns: 'vector' },
  decode: { on: 'extractor', images: [0], returns: 'image' },
  memory: { on: 'extractor' },
  addExample: { on: 'classifier', images: [0] },
  addEmbedding: { on: 'classifier' },
  removeClass: { on: 'classifier' },
  clear: { on: 'classifier' },
  train: { on: 'classifier', progress: 0 },
  predict: { on: 'classifier', images: [0], returns: 'prediction' },
  predictEmbedding: { on: 'classifier', returns: 'prediction' },
  evaluate: { on: 'classifier', items: 0, returns: 'evaluation' },
  save: { on: 'classifier', returns: 'bytes' },
  indexAdd: { on: 'index', method: 'add', images: [0] },
  indexAddEmbedding: { on: 'index', method: 'addEmbedding' },
  indexRemove: { on: 'index', method: 'remove' },
  indexClear: { on: 'index', method: 'clear' },
  indexHas: { on: 'index', method: 'has' },
  indexQuery: { on: 'index', method: 'query', images: [0] },
  indexQueryEmbedding: { on: 'index', method: 'queryEmbedding' },
  indexTransform: { on: 'index', method: 'transform', returns: 'vector' },
  indexSave: { on: 'index', method: 'save', returns: 'bytes' },
});

/** The buffers of an operation's result that can be transferred to the page. */
function transferablesOf(returns, value) {
  if (returns === 'vector' || returns === 'bytes') return [value.buffer];
  if (returns === 'vectors') return value.map((v) => v.buffer);
  if (returns === 'image') return [value.data.buffer];
  return [];
}

/**
 * A result as the real method returned it: objects keyed by label are made with a null prototype
 * (so that any label is a key), which a structured clone does not keep.
 */
function revived(returns, value) {
  if (returns === 'prediction') Object.setPrototypeOf(value.scores, null);
  if (returns === 'evaluation') Object.setPrototypeOf(value.perClass, null);
  return value;
}

module.exports = { OPERATIONS, transferablesOf, revived };
