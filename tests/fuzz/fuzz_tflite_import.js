'use strict';
// libFuzzer target (JavaScript, run by tests/fuzz/node/run.js): bytes as a TensorFlow Lite file →
// the importer, models/tflite.js, and the model file writer, models/convert.js: convertTflite()
// with the default embedding, then with tensors the file names as embeddings, and the layer listing
// of `imprint info --layers`. The contract (the same as tests/tflite-damage.test.js): each call
// returns or throws a TfliteError. Anything else is a finding: another exception (RangeError,
// TypeError, a plain Error from the writer), a hang (-timeout), memory growth (-rss_limit_mb), a
// file written that the model file reader refuses, or more than MAX_ARRAY_BUFFERS of typed arrays
// alive after one input (a claim believed before its size was checked: zero-filled allocations do
// not show up in the resident size).
const fs = require('node:fs');
const path = require('node:path');
const { convertTflite, TfliteError } = require('../../models/convert.js');
const { listTfliteLayers } = require('../../models/tflite.js');
const { readModelFile } = require('../../models/model-format.js');

const MAX_ARRAY_BUFFERS = 512 * 2 ** 20;

function refusedOrDone(call) {
  try {
    return call();
  } catch (error) {
    if (error instanceof TfliteError && error.message.length > 10) return null;
    throw error;
  }
}

function fuzz(bytes) {
  const converted = refusedOrDone(() => convertTflite(bytes));
  if (converted) readModelFile(converted.bytes);
  const layers = refusedOrDone(() => listTfliteLayers(bytes));
  if (layers && layers.length) {
    // One or two computed tensors as the embedding, chosen by the input's length and last byte.
    const pick = (k) => layers[k % layers.length].outputs[0];
    const names = [pick(bytes.length), pick(bytes[bytes.length - 1] ?? 0)].filter(Boolean).map((o) => o.name);
    const chosen = refusedOrDone(() => convertTflite(bytes, { embed: [...new Set(names)] }));
    if (chosen) readModelFile(chosen.bytes);
  }
  const arrayBuffers = process.memoryUsage().arrayBuffers;
  if (arrayBuffers > MAX_ARRAY_BUFFERS)
    throw new Error(`${(arrayBuffers / 2 ** 20).toFixed(0)} MiB of array buffers after one input`);
}

// Seeds: the generated test models (tests/support/make-tflite.js: every operator the importer
// converts, float32 / float16 / int8 weights, a classifier head), two random seeds each.
function seeds(dir) {
  const { testModels } = require('../support/make-tflite.js');
  for (const seed of [20261202, 7]) {
    for (const [name, model] of Object.entries(testModels(seed))) {
      fs.writeFileSync(path.join(dir, `${name}-${seed}.tflite`), model.bytes);
    }
  }
}

module.exports = { instrument: ['models/tflite.js', 'models/convert.js', 'models/model-format.js'], fuzz, seeds };
