'use strict';
// Reference values for tests/c/core_test.c, computed by the wasm build (dist/imprint-core.wasm,
// through the same C entry points the JS wrappers call): for each image, its embedding and the
// global-average-pooled features of one named layer.
//
//   node tests/c/native/wasm-reference.cjs OUT_DIR MODEL LAYER IMAGE...
//
// Writes OUT_DIR/reference.txt ("dim <d> layer <name> channels <c>", then one image path a line)
// and OUT_DIR/reference.bin (per image: d floats, then c floats; little-endian float32).
const fs = require('node:fs');
const path = require('node:path');
const { instantiateCore } = require('../../../js/core.cjs');

async function main() {
  const [outDir, modelPath, layer, ...images] = process.argv.slice(2);
  if (!images.length) throw new Error('usage: wasm-reference.cjs OUT_DIR MODEL LAYER IMAGE...');
  const core = await instantiateCore();
  const call = (bytes, fn) => {
    const ptr = core._malloc(Math.max(1, bytes.length));
    core.HEAPU8.set(bytes, ptr);
    try {
      return fn(ptr);
    } finally {
      core._free(ptr);
    }
  };
  const check = (status, what) => {
    if (status !== 0) throw new Error(`${what}: ${core.UTF8ToString(core._imprint_status_code(status))}`);
  };

  const outPtr = core._malloc(4);
  check(
    call(fs.readFileSync(modelPath), (p) => core._imprint_model_create(p, fs.statSync(modelPath).size, 0, 0, outPtr)),
    'model',
  );
  const model = core.HEAP32[outPtr >> 2];
  core._free(outPtr);
  const dim = core._imprint_model_embedding_dim(model);
  let channels = 0;
  for (let i = 0; i < core._imprint_model_layer_count(model); i++) {
    if (core.UTF8ToString(core._imprint_model_layer_name(model, i)) === layer)
      channels = core._imprint_model_layer_channels(model, i);
  }
  if (!channels) throw new Error(`no layer ${layer}`);

  const layerBytes = Buffer.from(layer + '\0');
  const floats = core._malloc(4 * Math.max(dim, channels));
  const chunks = [];
  for (const image of images) {
    check(
      call(fs.readFileSync(image), (p) => core._imprint_model_set_input_encoded(model, p, fs.statSync(image).size)),
      image,
    );
    check(core._imprint_model_embed(model, floats, dim), `embed ${image}`);
    chunks.push(Buffer.from(core.HEAPU8.slice(floats, floats + 4 * dim)));
    check(
      call(layerBytes, (p) => core._imprint_model_features(model, p, floats, channels)),
      `features ${image}`,
    );
    chunks.push(Buffer.from(core.HEAPU8.slice(floats, floats + 4 * channels)));
  }
  core._free(floats);
  core._imprint_model_destroy(model);

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'reference.bin'), Buffer.concat(chunks));
  fs.writeFileSync(
    path.join(outDir, 'reference.txt'),
    `dim ${dim} layer ${layer} channels ${channels}\n${images.join('\n')}\n`,
  );
}

main().catch((error) => {
  console.error(`wasm-reference: ${error.message}`);
  process.exit(1);
});
