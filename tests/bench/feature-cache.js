'use strict';
// Pooled features of the few-shot protocols' images, computed once through imprint's public extractor
// API and cached under .cache/bench/, so head experiments and the benchmark do not re-run the backbone.
//
//   const { cachedFeatures } = require('./feature-cache');
//   const f = await cachedFeatures(ex, data, 'pool', 'block_13_depthwise_relu', { mirror: true });
//   // f: Float32Array[] in data.pool order: GAP of that layer (raw, not normalised) of each image,
//   // mirrored left-right first when mirror is true.
//
// The cache key holds the model hash, the layer, the mirror flag and the item ids: a rebuilt model or a
// different data set recomputes instead of reusing stale vectors.
const fs = require('fs');
const path = require('path');

const CACHE_DIR = path.resolve(__dirname, '..', '..', '.cache', 'bench');

/** Left-right mirror of raw pixels { data, width, height, channels }. */
function mirrorPixels({ data, width, height, channels }) {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const to = (row + x) * channels;
      const from = (row + width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = data[from + c];
    }
  }
  return { data: out, width, height, channels };
}

function cacheFiles(protocolName, set, layer, mirror) {
  const tag = protocolName.split(' ')[0];
  // Layer names of converted graph models hold '/' (scopes): one file name per layer all the same.
  const safe = layer.replace(/[^A-Za-z0-9_.-]/g, '_');
  const base = path.join(CACHE_DIR, `features-${tag}-${set}-${safe}${mirror ? '-mirror' : ''}`);
  return { index: `${base}.json`, data: `${base}.f32` };
}

/**
 * GAP features of every item of data[set] ('pool' or 'test') at `layer`, through ex.features().
 * Mirrored images are flipped in JS before the library sees them.
 */
async function cachedFeatures(ex, data, set, layer, { mirror = false, log = process.stderr } = {}) {
  const items = data[set];
  const files = cacheFiles(data.name, set, layer, mirror);
  const key = { modelHash: ex.info.modelHash, layer, mirror, ids: items.map((it) => it.id) };
  if (fs.existsSync(files.index) && fs.existsSync(files.data)) {
    const index = JSON.parse(fs.readFileSync(files.index, 'utf8'));
    if (JSON.stringify(index.key) === JSON.stringify(key)) {
      const buf = fs.readFileSync(files.data);
      const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      return items.map((_, i) => all.subarray(i * index.dim, (i + 1) * index.dim));
    }
  }
  const started = Date.now();
  const out = [];
  for (let i = 0; i < items.length; i++) {
    const pixels = items[i].image();
    out.push(await ex.features(mirror ? mirrorPixels(pixels) : pixels, layer));
    if (log && (i % 100 === 99 || i === items.length - 1)) {
      log.write(`  ${data.name} ${set} ${layer}${mirror ? ' mirrored' : ''}: ${i + 1}/${items.length}\r`);
    }
  }
  if (log) log.write(`\n  ${items.length} images in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const dim = out[0].length;
  const all = new Float32Array(items.length * dim);
  out.forEach((v, i) => all.set(v, i * dim));
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(files.data, Buffer.from(all.buffer));
  fs.writeFileSync(files.index, JSON.stringify({ key, dim }));
  return out;
}

module.exports = { cachedFeatures, mirrorPixels, CACHE_DIR };

// `node tests/bench/feature-cache.js [A|B] [layer...]` fills the cache ahead of time.
if (require.main === module) {
  (async () => {
    const { createExtractor } = require('../..');
    const harness = require('./fewshot-harness');
    const ex = await createExtractor();
    const protocol = (process.argv[2] || 'A').toUpperCase();
    const layers = process.argv.slice(3);
    const data = protocol === 'A' ? harness.loadProtocolA() : harness.loadProtocolB();
    const sets = data.test ? ['pool', 'test'] : ['pool'];
    for (const spec of layers.length
      ? layers
      : ['block_13_depthwise_relu', 'block_13_depthwise_relu:mirror', 'out_relu']) {
      const [layer, flag] = spec.split(':');
      for (const set of sets) await cachedFeatures(ex, data, set, layer, { mirror: flag === 'mirror' });
    }
    ex.dispose();
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
