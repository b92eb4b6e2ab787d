#!/usr/bin/env node
'use strict';
// The main job on the embedded default model: embed photos and print, for each, its nearest
// neighbours, from a similarity index (createIndex). With no arguments it uses the sample photos that
// scripts/fetch-testdata.sh unpacks (darknet's photos and a few Tux Paint photo stamps).
//
//   node demo/nearest.js [image or folder ...]
const fs = require('node:fs');
const path = require('node:path');
const { createExtractor, createIndex } = require('..');

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

async function main() {
  const files = process.argv.length > 2 ? collect(process.argv.slice(2)) : defaultImages();
  const started = performance.now();
  const extractor = await createExtractor();
  const loaded = performance.now();
  const { info } = extractor;
  console.log(
    `model ${info.name} (${info.modelHash}), embedding: ${info.embeddingLayers.join(' + ')} → ${info.dim} dims, loaded in ${(loaded - started).toFixed(0)} ms`,
  );
  const index = createIndex(extractor);
  const kept = [];
  const embeddings = new Map();
  for (const file of files) {
    try {
      embeddings.set(file, await extractor.embed(file));
      index.addEmbedding(embeddings.get(file), file);
      kept.push(file);
    } catch (error) {
      console.error(`skipped ${file}: ${error.code}: ${error.message}`);
    }
  }
  const ms = (performance.now() - loaded) / Math.max(1, kept.length);
  console.log(`embedded ${kept.length} images, ${ms.toFixed(1)} ms/image\n`);
  // Raw embeddings point in nearly the same direction (cosines ~0.99); the index compares them as
  // the classifier does (square root, centred on the collection's mean), so similarities spread
  // over [-1, 1]. Each image's own entry comes first (similarity 1) and is skipped.
  const name = (f) => path.relative(process.cwd(), f);
  for (const file of kept) {
    const results = index
      .queryEmbedding(embeddings.get(file), { k: 4 })
      .filter((r) => r.id !== file)
      .slice(0, 3);
    const top = results.map((r) => `${path.basename(r.id)} (${r.similarity.toFixed(3)})`);
    console.log(`${name(file)}\n    nearest: ${top.join(', ')}`);
  }
  index.dispose();
  extractor.dispose();
}

main().catch((error) => {
  console.error(error.code ? `${error.code}: ${error.message}` : error);
  process.exit(1);
});
