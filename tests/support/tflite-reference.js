'use strict';
// The TFLite reference runtime: TensorFlow Lite itself, as compiled to WebAssembly in the pinned dev
// dependency @tensorflow/tfjs-tflite (wasm/tflite_web_api_cc_simd.{js,wasm}: TFLite's interpreter
// with its XNNPACK delegate, and a TFLiteWebModelRunner exposed through embind).
//
// How it runs in Node without any network: the Emscripten glue in that package was built for the web
// (it would fetch() its .wasm), so it is given the .wasm bytes read from node_modules
// (Module.wasmBinary), which skips every fetch. The package's own JS client (tflite_web_api_client)
// is not used: it loads the glue through a browser <script>/worker loader. The runner is used the way
// that client uses it: copy the model into the wasm heap, CreateFromBufferAndOptions(ptr, size,
// options), write the input tensor's data() view, Infer(), read the outputs' data() views.
//
// The runtime is not dependable when used twice in one process (it was seen to crash when a second
// model was run), so every call runs in a child process, and each model in that child gets a fresh
// module instance.
//
//   const { runTflite } = require('./support/tflite-reference');
//   const [outputs] = await runTflite([{ model: bytes, input: float32Array }]);
//   outputs[0]  // { name, shape: [1, h, w, c], data: Float32Array }, in the subgraph's output order
const fs = require('fs');
const path = require('path');
const { fork } = require('child_process');

const WASM_DIR = path.resolve(__dirname, '..', '..', 'node_modules', '@tensorflow', 'tfjs-tflite', 'wasm');
const GLUE = path.join(WASM_DIR, 'tflite_web_api_cc_simd.js');
const WASM = path.join(WASM_DIR, 'tflite_web_api_cc_simd.wasm');

/**
 * Runs TFLite models on float32 inputs in a child process.
 * @param {{model: Uint8Array, input: Float32Array}[]} jobs
 * @param {{timeoutMs?: number}} [options]
 * @returns {Promise<{name: string, shape: number[], data: Float32Array}[][]>} each job's outputs
 */
function runTflite(jobs, options = {}) {
  if (!fs.existsSync(GLUE) || !fs.existsSync(WASM)) {
    return Promise.reject(new Error(`${WASM_DIR} is missing: install the pinned dev dependencies (npm ci)`));
  }
  const timeoutMs = options.timeoutMs ?? 120000;
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child'], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let result = null;
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`TFLite reference timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m) => {
      result = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result && result.error) reject(new Error(`TFLite reference: ${result.error}`));
      else if (result && code === 0) resolve(result.outputs);
      else reject(new Error(`TFLite reference exited with ${signal || code}: ${stderr.trim().slice(-2000)}`));
    });
    child.send({
      jobs: jobs.map((j) => ({ model: Uint8Array.from(j.model), input: Float32Array.from(j.input) })),
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Child side.

async function runOne(factory, wasmBinary, job) {
  const log = [];
  const M = await factory({ wasmBinary, print: () => {}, printErr: (line) => log.push(line) });
  const ptr = M._malloc(job.model.length);
  M.HEAPU8.set(job.model, ptr);
  const created = M.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, job.model.length, {
    numThreads: 1,
    enableProfiling: false,
    maxProfilingBufferEntries: 1024,
  });
  if (!created.ok()) throw new Error(`cannot load the model: ${created.errorMessage()}\n${log.join('\n')}`);
  const runner = created.value();
  const list = (vector) => {
    const out = [];
    for (let i = 0; i < vector.size(); i++) out.push(vector.get(i));
    vector.delete();
    return out;
  };
  const inputs = list(runner.GetInputs());
  const outputs = list(runner.GetOutputs());
  if (inputs.length !== 1 || inputs[0].dataType !== 'float32') throw new Error('expected one float32 input');
  const view = inputs[0].data();
  if (view.length !== job.input.length)
    throw new Error(
      `input '${inputs[0].name}' [${inputs[0].shape}] has ${view.length} values, got ${job.input.length}`,
    );
  view.set(job.input);
  if (!runner.Infer()) throw new Error('Infer() failed');
  return outputs.map((o) => ({
    name: o.name,
    shape: o.shape.split(',').map(Number),
    data: Float32Array.from(o.data()), // copied out of the wasm heap
  }));
}

async function child() {
  const factory = require(GLUE);
  const wasmBinary = fs.readFileSync(WASM);
  process.once('message', async ({ jobs }) => {
    try {
      const outputs = [];
      for (const job of jobs) outputs.push(await runOne(factory, wasmBinary, job));
      process.send({ outputs }, () => process.exit(0));
    } catch (err) {
      process.send({ error: String((err && err.stack) || err) }, () => process.exit(1));
    }
  });
}

if (require.main === module && process.argv[2] === '--child') child();

module.exports = { runTflite };
