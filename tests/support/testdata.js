'use strict';
// Paths of the real test data fetched by scripts/fetch-testdata.sh (Debian packages, unpacked into
// .cache/testdata/). Every accessor checks the data is there and says how to get it if not.
const fs = require('fs');
const path = require('path');

const root = process.env.IMPRINT_TESTDATA || path.resolve(__dirname, '..', '..', '.cache', 'testdata');

/** The 7 photo categories of few-shot protocol A (BENCHMARKS.md, "Few-shot protocols"), sub-folders included. */
const STAMP_CATEGORIES = [
  'animals/mammals',
  'animals/birds',
  'animals/insects',
  'animals/fish',
  'plants/flowers',
  'food/fruit',
  'food/vegetables',
];

/** Sample photos shipped by Debian's darknet package. */
const PHOTO_NAMES = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream'];

class MissingTestDataError extends Error {
  constructor(what) {
    super(`test data missing: ${what} not found; run scripts/fetch-testdata.sh`);
    this.name = 'MissingTestDataError';
  }
}

function need(p) {
  if (!fs.existsSync(p)) throw new MissingTestDataError(p);
  return p;
}

/** True when scripts/fetch-testdata.sh has run (lets tests skip with a reason instead of failing). */
function available() {
  return ['stamps', 'photos', 'fashion-mnist'].every((d) => fs.existsSync(path.join(root, d)));
}

function walkPngs(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walkPngs(p, out);
    else if (entry.name.endsWith('.png')) out.push(p);
  }
  return out;
}

/** Folder holding Tux Paint's stamps (usr/share/tuxpaint/stamps). */
function stampsDir() {
  return need(path.join(root, 'stamps'));
}

/**
 * Protocol A's images: [{ category, files: [absolute .png paths, sorted] }] in STAMP_CATEGORIES order.
 * 220 images: 67 mammals, 38 birds, 20 insects, 11 fish, 25 flowers, 41 fruit, 18 vegetables.
 */
function stampCategories() {
  const base = stampsDir();
  return STAMP_CATEGORIES.map((category) => ({
    category,
    files: walkPngs(need(path.join(base, category)), []),
  }));
}

/** Path of a darknet sample photo, e.g. photo('dog') → .../dog.jpg. */
function photo(name) {
  return need(path.join(root, 'photos', `${name}.jpg`));
}

/** Paths of Fashion-MNIST's four gzipped idx files. */
function fashionMnist() {
  const dir = need(path.join(root, 'fashion-mnist'));
  return {
    trainImages: need(path.join(dir, 'train-images-idx3-ubyte.gz')),
    trainLabels: need(path.join(dir, 'train-labels-idx1-ubyte.gz')),
    testImages: need(path.join(dir, 't10k-images-idx3-ubyte.gz')),
    testLabels: need(path.join(dir, 't10k-labels-idx1-ubyte.gz')),
  };
}

module.exports = {
  root,
  available,
  stampsDir,
  stampCategories,
  photo,
  fashionMnist,
  STAMP_CATEGORIES,
  PHOTO_NAMES,
  MissingTestDataError,
};
