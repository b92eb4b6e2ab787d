#!/usr/bin/env node
'use strict';
// The main job on the embedded default model: embed photos and print, for each, its nearest
// neighbours by cosine similarity. With no arguments it uses the sample photos that
// scripts/fetch-testdata.sh unpacks (darknet's photos and a few Tux Paint photo stamps).
//
//   node demo/nearest.js [image or folder ...]
const fs = require('node:fs');
const path = require('node:path');
const { createExtractor } = require('..');

const IMAGE = /\.(jpe?g|png|bmp|gif|tga|psd|pnm|ppm|pgm|hdr)$/i;

function collect(paths) {
  const out = [];
  for (const p of paths) {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      out.push(
        ...collect(
          fs
            .readdirSync(p)
            .sort()
            .map((name) => path.join(p, name)),
        ).filter((f) => IMAGE.test(f)),
      );
    } else {
      out.push(p);
    }
  }
  return out;
}

function defaultImages() {
  const testdata = require('../tests/support/testdata');
  const photos = testdata.PHOTO_NAMES.map((n) => testdata.photo(n));
  const stamps = testdata.stampCategories().flatMap((c) => c.files.slice(0, 3));
  return [...photos, ...stamps];
}

function normalise(v) {
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function centre(vectors) {
  const powered = vectors.map((v) => normalise(v.map((x) => Math.sqrt(Math.max(0, x)))));
  const mean = new Float32Array(powered[0] ? powered[0].length : 0);
  for (const v of powered) v.forEach((x, k) => (mean[k] += x / powered.length));
  return powered.map((v) => normalise(v.map((x, k) => x - mean[k])));
}

async function main() {
  const files = process.argv.length > 2 ? collect(process.argv.slice(2)) : defaultImages();
  const started = performance.now();
  const extractor = await createExtractor();
  const loaded = performance.now();
  const { info } = extractor;
  console.log(
    `model ${info.name} (${info.modelHash}), embedding: ${info.embeddingLayers.join(' + ')} → ${info.dim} dims, loaded in ${(loaded - started).toFixed(0)} ms`,
  );
  const embeddings = [];
  const kept = [];
  for (const file of files) {
    try {
      embeddings.push(await extractor.embed(file));
      kept.push(file);
    } catch (error) {
      console.error(`skipped ${file}: ${error.code}: ${error.message}`);
    }
  }
  const ms = (performance.now() - loaded) / Math.max(1, kept.length);
  console.log(`embedded ${kept.length} images, ${ms.toFixed(1)} ms/image\n`);
  // Pooled ReLU features are all positive, so raw embeddings point in nearly the same direction
  // (cosines ~0.99). As the classifier does internally: square root (a power transform), centre on
  // the collection's mean, normalise again; cosines then spread over [-1, 1].
  const centred = centre(embeddings);
  const name = (f) => path.relative(process.cwd(), f);
  for (let i = 0; i < kept.length; i++) {
    const scored = [];
    for (let j = 0; j < kept.length; j++) {
      if (j === i) continue;
      let dot = 0;
      for (let k = 0; k < info.dim; k++) dot += centred[i][k] * centred[j][k];
      scored.push([dot, j]);
    }
    scored.sort((a, b) => b[0] - a[0]);
    const top = scored.slice(0, 3).map(([s, j]) => `${path.basename(kept[j])} (${s.toFixed(3)})`);
    console.log(`${name(kept[i])}\n    nearest: ${top.join(', ')}`);
  }
  extractor.dispose();
}

main().catch((error) => {
  console.error(error.code ? `${error.code}: ${error.message}` : error);
  process.exit(1);
});
