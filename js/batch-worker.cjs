'use strict';
// One thread of a BatchEmbedder: its own extractor; embeds what the parent posts, one at a time.
const { parentPort, workerData } = require('node:worker_threads');
const { createExtractor } = require('./extractor.cjs');

function describe(error) {
  return { code: error.code || 'BACKEND_FAILED', message: error.message || String(error) };
}

createExtractor({ model: workerData.model, limits: workerData.limits, background: workerData.background }).then(
  (extractor) => {
    parentPort.postMessage({ info: JSON.parse(JSON.stringify(extractor.info)) });
    parentPort.on('message', async (input) => {
      try {
        const vector = await extractor.embed(input.kind === 'encoded' ? input.bytes : input);
        parentPort.postMessage({ vector: vector.buffer }, [vector.buffer]);
      } catch (error) {
        parentPort.postMessage({ error: describe(error) });
      }
    });
  },
  (error) => parentPort.postMessage({ error: describe(error) }),
);
