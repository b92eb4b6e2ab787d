'use strict';
// The reference runtime for TF.js graph models: the pinned @tensorflow/tfjs itself
// (tf.loadGraphModel, tfjs-converter's executors) on its plain-JavaScript cpu backend, or on the
// pinned @tensorflow/tfjs-backend-wasm (its .wasm files read from node_modules), loaded from memory
// (model.json's object and the weight bytes), so nothing is fetched. The cpu backend is the
// independent one (JavaScript loops, not XNNPACK) but takes ~15 s for one 224x224 image of a real
// model on a busy machine; the wasm backend takes ~0.1 s.
//
//   const { loadGraphReference } = require('./tfjs-graph-reference');
//   const ref = await loadGraphReference(modelJson, weightData, { backend: 'cpu' });
//   const [t] = ref.run(float32Input, [h, w], ['node/name']);   // { name, shape, data: Float32Array }
//   ref.dispose();
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasmBackend = require('@tensorflow/tfjs-backend-wasm');

const WASM_DIR = path.resolve(__dirname, '..', '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
wasmBackend.setWasmPaths(WASM_DIR + path.sep);

async function useBackend(backend) {
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js ${backend} backend failed to initialise`);
  await tf.ready();
}

/**
 * Loads a graph model into TF.js.
 * @param {object} modelJson  the parsed model.json (format 'graph-model')
 * @param {Uint8Array} weightData  its weight files' bytes, in manifest order
 * @param {{backend?: 'cpu'|'wasm', inputSize?: number[]}} [options]  backend: default cpu;
 *   inputSize [h, w]: the Placeholder's shape is set to [1, h, w, 3] in a copy of the graph (TF.js
 *   checks inputs against it; the other shapes follow)
 */
async function loadGraphReference(modelJson, weightData, { backend = 'cpu', inputSize } = {}) {
  await useBackend(backend);
  if (inputSize) {
    const topology = structuredClone(modelJson.modelTopology);
    for (const node of topology.node) {
      if (node.op === 'Placeholder')
        node.attr.shape = { shape: { dim: [1, ...inputSize, 3].map((d) => ({ size: String(d) })) } };
    }
    modelJson = { ...modelJson, modelTopology: topology, signature: undefined };
  }
  const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const bytes = Uint8Array.from(weightData);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData: bytes.buffer,
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy,
      signature: modelJson.signature,
    }),
  );
  return {
    /** Runs the graph on one NHWC float32 image; returns the named nodes' outputs. */
    async run(input, [h, w], names) {
      await useBackend(backend);
      const x = tf.tensor4d(input, [1, h, w, 3]);
      try {
        const out = model.execute(x, names);
        const list = Array.isArray(out) ? out : [out];
        const result = list.map((t, i) => ({ name: names[i], shape: t.shape, data: t.dataSync().slice() }));
        tf.dispose(list);
        return result;
      } finally {
        x.dispose();
      }
    },
    dispose() {
      model.dispose();
    },
  };
}

module.exports = { loadGraphReference };
