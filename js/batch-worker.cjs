'use strict';
// One thread of a BatchEmbedder: its own extractor; embeds what the parent posts, one at a time.
const { parentPort, workerData } = require('node:worker_threads');
const { createExtractor } = require('./extractor.cjs');
const { readFileReusing } = require('./platform.cjs');

const held = { buffer: null }; // the file buffer this thread reuses

function describe(error) {
  return { code: error.code || 'BACKEND_FAILED', message: error.message || String(error) };
}

createExtractor({ model: workerData.model, limits: workerData.limits, background: workerData.background }).then(
  (extractor) => {
    parentPort.postMessage({ info: JSON.parse(JSON.stringify(extractor.info)) });
    parentPort.on('message', async (input) => {
      try {
        let image = input.kind === 'encoded' ? input.bytes : input;
        // A file: read here into one reused buffer (embed() copies the bytes into the core).
        if (input.kind === 'file') image = readFileReusing(input.path, 'the image', held, input.shown);
        const vector = await extractor.embed(image);
        parentPort.postMessage({ vector: vector.buffer }, [vector.buffer]);
      } catch (error) {
        parentPort.postMessage({ error: describe(error) });
      }
    });
  },
  (error) => parentPort.postMessage({ error: describe(error) }),
);
