'use strict';
// libFuzzer target (JavaScript, run by tests/fuzz/node/run.js): bytes as a TF.js graph model →
// the importer, models/tfjs-graph.js, and the model file writer, models/convert.js. An input is
// model.json's text, a zero byte, then the weight file's bytes: JSON text holds no raw zero byte, so
// the split is unambiguous and survives mutation (no length field for the mutator to break); an
// input without a zero byte is model.json alone with no weights. The weights reach the reader as a
// view at an unaligned offset into the input, as a Uint8Array a caller passes may be.
// The mutation is libFuzzer's byte-level one, steered towards the format by a dictionary of every
// key and short string value of the generated test models (op names, attribute keys, dtypes):
// chosen over a JSON-structure-aware mutator because it also produces the malformed numbers,
// strings and nesting a damaged file has, and it needs no custom mutator in the addon.
// Text that is not JSON is refused before the reader by readModelJsonFile (a MODEL_CORRUPT
// TfjsGraphError), and JSON that is not a graph model goes to the layers reader, so both end here.
// The contract (as tests/tfjs-graph-damage.test.js): convertGraphModel() with the default
// embedding, then with a listed node as the embedding, and listTfjsGraphLayers() each
// return or throw a TfjsGraphError with one of its codes. Anything else is a finding: another
// exception, a hang (-timeout), memory growth (-rss_limit_mb), a written file the model file reader
// refuses, or more than MAX_ARRAY_BUFFERS of typed arrays alive after one input.
const fs = require('node:fs');
const path = require('node:path');
const { convertGraphModel, TfjsGraphError } = require('../../models/convert.js');
const { isGraphModelJson, listTfjsGraphLayers } = require('../../models/tfjs-graph.js');
const { readModelFile } = require('../../models/model-format.js');

const MAX_ARRAY_BUFFERS = 512 * 2 ** 20;
const CODES = new Set(['MODEL_CORRUPT', 'UNSUPPORTED_OP', 'TOO_LARGE', 'INVALID_ARGUMENT']);

function refusedOrDone(call) {
  try {
    return call();
  } catch (error) {
    if (error instanceof TfjsGraphError && CODES.has(error.code) && error.message.length > 10) return null;
    throw error;
  }
}

function split(bytes) {
  const zero = bytes.indexOf(0);
  const text = bytes.subarray(0, zero < 0 ? bytes.length : zero);
  const weights = zero < 0 ? new Uint8Array(0) : bytes.subarray(zero + 1);
  return { text: Buffer.from(text.buffer, text.byteOffset, text.length).toString('utf8'), weights };
}

function fuzz(bytes) {
  const { text, weights } = split(bytes);
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    return;
  }
  if (!isGraphModelJson(json)) return;
  const converted = refusedOrDone(() => convertGraphModel(json, weights));
  if (converted) readModelFile(converted.bytes);
  const layers = refusedOrDone(() => listTfjsGraphLayers(json, weights));
  if (layers && layers.length) {
    // One listed node as the embedding, chosen by the input's length. (Two names may be one node:
    // a passthrough such as Identity is its input's node, and writeGraph then refuses the repeat
    // with a plain Error: a known finding, left to the importer.)
    const chosen = refusedOrDone(() =>
      convertGraphModel(json, weights, { embed: [layers[bytes.length % layers.length].name] }),
    );
    if (chosen) readModelFile(chosen.bytes);
  }
  const arrayBuffers = process.memoryUsage().arrayBuffers;
  if (arrayBuffers > MAX_ARRAY_BUFFERS)
    throw new Error(`${(arrayBuffers / 2 ** 20).toFixed(0)} MiB of array buffers after one input`);
}

const generated = () => Object.entries(require('../support/make-tfjs-graph.js').testGraphModels());

// Seeds: the generated graph models (tests/support/make-tfjs-graph.js: every op the importer
// converts, float32 / float16 / uint8 weights), as model.json text, a zero byte and the weights.
function seeds(dir) {
  for (const [name, model] of generated()) {
    const text = Buffer.from(JSON.stringify(model.modelJson));
    fs.writeFileSync(path.join(dir, `${name}.graph`), Buffer.concat([text, Buffer.from([0]), model.weightData]));
  }
}

// Every key and short string value of the generated models, as JSON tokens.
function dictionary() {
  const tokens = new Set();
  const walk = (v) => {
    if (typeof v === 'string') {
      if (v.length <= 40) tokens.add(JSON.stringify(v));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        tokens.add(`${JSON.stringify(k)}:`);
        walk(x);
      }
    }
  };
  for (const [, model] of generated()) walk(model.modelJson);
  return [...tokens].sort();
}

module.exports = {
  instrument: ['models/tfjs-graph.js', 'models/tfjs-weights.js', 'models/convert.js', 'models/model-format.js'],
  fuzz,
  seeds,
  dictionary,
};
