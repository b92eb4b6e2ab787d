'use strict';
// Fidelity: imprint's XNNPACK backbone computes what TF.js computes for the same nsfwjs model.
// Both runtimes get identical 224x224 RGB pixels (decoded once with jpeg-js, resized once by
// TF.js as nsfwjs does), and the reference values are computed here, in this run.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const jpeg = require('jpeg-js');

const { createExtractor } = require('..');
const { loadReference } = require('./support/tfjs-reference');
const testdata = require('./support/testdata');
const { cosine, maxRelativeError } = require('./support/compare');

const LAYERS = ['block_10_project_BN', 'out_relu'];
// The nsfwjs model TF.js runs, as models/build-default.js converts it (not the default model).
const NSFWJS_MODEL = path.join(__dirname, '..', 'dist', 'models', 'mobilenet_v2.imprint');

test('features() matches TF.js 4.22 (wasm) on the darknet photos for block_10_project_BN and out_relu', async (t) => {
  let worstCosine = 1;
  let worstRelative = 0;
  const reference = await loadReference('mobilenet_v2');
  const extractor = await createExtractor({ model: NSFWJS_MODEL });
  try {
    assert.equal(
      extractor.info.preprocessing.resize.startsWith('bilinear') ||
        extractor.info.preprocessing.resize.startsWith('area'),
      true,
    );
    const names = testdata.PHOTO_NAMES.filter((n) => fs.existsSync(testdata.photo(n)));
    assert.ok(names.length >= 5, `expected the darknet sample photos, found ${names.length}`);
    for (const name of names) {
      const decoded = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
      const pixels = reference.preprocess(decoded.data, decoded.width, decoded.height); // 224x224x3 uint8
      const scale = extractor.info.preprocessing.bias[0] < 0 ? '-1_1' : '0_1';
      const expected = reference.features(pixels, LAYERS, { scale });
      for (const layer of LAYERS) {
        const actual = await extractor.features({ data: pixels, width: 224, height: 224, channels: 3 }, layer);
        assert.equal(actual.length, expected[layer].length, `${name} ${layer}: length`);
        const cos = cosine(actual, expected[layer]);
        const rel = maxRelativeError(actual, expected[layer]);
        assert.ok(cos >= 0.9999, `${name} ${layer}: cosine ${cos} < 0.9999`);
        assert.ok(rel <= 1e-3, `${name} ${layer}: max relative error ${rel} > 1e-3`);
        worstCosine = Math.min(worstCosine, cos);
        worstRelative = Math.max(worstRelative, rel);
      }
    }
    t.diagnostic(
      `worst cosine ${worstCosine.toFixed(8)}, worst max relative error ${worstRelative.toExponential(2)} over ${names.length} photos`,
    );
  } finally {
    extractor.dispose();
  }
});

test('InceptionV3 converted by the library runs and matches TF.js (concat, max and average pooling with padding)', async () => {
  const path = require('node:path');
  const { execFileSync } = require('node:child_process');
  const modelPath = path.join(__dirname, '..', 'dist', 'models', 'inception_v3.imprint');
  execFileSync(
    process.execPath,
    [path.join(__dirname, '..', 'models', 'build-default.js'), '--model', 'inception_v3'],
    { stdio: 'pipe' },
  );
  const reference = await loadReference('inception_v3');
  const extractor = await createExtractor({ model: modelPath });
  try {
    assert.deepEqual(extractor.info.inputSize, [299, 299]);
    const layers = ['mixed2', 'mixed7', 'mixed10'];
    for (const name of ['dog', 'eagle']) {
      const decoded = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
      const pixels = reference.preprocess(decoded.data, decoded.width, decoded.height);
      const expected = reference.features(pixels, layers, { scale: '0_1' });
      for (const layer of layers) {
        const actual = await extractor.features({ data: pixels, width: 299, height: 299, channels: 3 }, layer);
        const cos = cosine(actual, expected[layer]);
        const rel = maxRelativeError(actual, expected[layer]);
        assert.ok(cos >= 0.9999, `${name} ${layer}: cosine ${cos}`);
        assert.ok(rel <= 1e-3, `${name} ${layer}: max relative error ${rel}`);
      }
      assert.equal(
        (await extractor.embed({ data: pixels, width: 299, height: 299, channels: 3 })).length,
        extractor.info.dim,
      );
    }
  } finally {
    extractor.dispose();
  }
});
