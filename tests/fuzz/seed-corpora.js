'use strict';
// Seed corpora for the fuzzers (the ctest fixture fuzz-seeds, cmake/Fuzz.cmake): small real files,
// since the fuzzer mutates them and big ones only slow it down.
//   node tests/fuzz/seed-corpora.js OUT_DIR [TESTDATA_DIR, default .cache/testdata]
// Writes OUT_DIR/corpus/<target>/ (for the JavaScript targets: their own seeds()) and OUT_DIR/head-backbone ("<dim> <model hash>" of the backbone
// the seed heads and indexes were saved with, for the head-file and index-file fuzzers).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const jpeg = require('jpeg-js');
const { encodePng } = require('../support/png-writer');
const { phoneJpeg } = require('../support/phone-jpeg');
const { createExtractor, createClassifier, createIndex } = require('../..');

async function main(out, testdata = '.cache/testdata') {
  if (!out) throw new Error('usage: seed-corpora.js OUT_DIR [TESTDATA_DIR]');
  const corpus = (target) => {
    const dir = path.join(out, 'corpus', target);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  const photos = path.join(testdata, 'photos');
  const birds = path.join(testdata, 'stamps/animals/birds');
  const jpegs = fs
    .readdirSync(photos)
    .filter((f) => f.endsWith('.jpg'))
    .sort();

  // Image decode: the test photos, a few stamps, and small PNGs of two colour types.
  const images = corpus('image_decode');
  for (const f of jpegs) fs.copyFileSync(path.join(photos, f), path.join(images, f));
  const pngs = fs
    .readdirSync(birds)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .slice(0, 8);
  for (const f of pngs) fs.copyFileSync(path.join(birds, f), path.join(images, f));
  // A 4:4:4 baseline JPEG without restart markers (jpeg-js; the photos are 4:2:0 with them), more
  // than 64 pixels a side so that the fuzzer's 8x8 model input takes the 1/4-scale decode.
  const dog = jpeg.decode(fs.readFileSync(path.join(photos, 'dog.jpg')), { useTArray: true, formatAsRGBA: true });
  const crop = Buffer.alloc(96 * 80 * 4);
  for (let y = 0; y < 80; y++) crop.set(dog.data.subarray(y * dog.width * 4, (y * dog.width + 96) * 4), y * 96 * 4);
  fs.writeFileSync(path.join(images, 'dog-444.jpg'), jpeg.encode({ data: crop, width: 96, height: 80 }, 80).data);
  // And 128 pixels or more a side: boxes of 8 pixels for the 8x8 input, the 1/8-scale decode.
  const wide = Buffer.alloc(136 * 128 * 4);
  for (let y = 0; y < 128; y++) wide.set(dog.data.subarray(y * dog.width * 4, (y * dog.width + 136) * 4), y * 136 * 4);
  fs.writeFileSync(
    path.join(images, 'dog-444-eighth.jpg'),
    jpeg.encode({ data: wide, width: 136, height: 128 }, 80).data,
  );
  // Phone-like JPEGs (the mosaic of tests/support/phone-jpeg.js, cjpeg 4:2:0 quality 92): dense
  // codes for the multi-code table steps, baseline at 1/4 and 1/8 scale, and progressive.
  fs.writeFileSync(path.join(images, 'phone-420.jpg'), phoneJpeg(96, 80));
  fs.writeFileSync(path.join(images, 'phone-420-eighth.jpg'), phoneJpeg(136, 128));
  fs.writeFileSync(path.join(images, 'phone-progressive.jpg'), phoneJpeg(96, 80, { progressive: true }));
  fs.writeFileSync(path.join(images, 'phone-progressive-eighth.jpg'), phoneJpeg(136, 128, { progressive: true }));
  const px = new Uint8Array(16 * 16 * 4).map((_, i) => (i * 37) & 255);
  fs.writeFileSync(path.join(images, 'rgba.png'), encodePng({ width: 16, height: 16, colorType: 6, data: px }));
  fs.writeFileSync(
    path.join(images, 'gray.png'),
    encodePng({ width: 16, height: 16, colorType: 0, data: px.subarray(0, 256) }),
  );

  // Model file: a small model with every op kind (mutating the 2.6 MB MobileNet is too slow).
  execFileSync(
    process.execPath,
    [path.join(__dirname, 'small-model.js'), path.join(corpus('model_file'), 'small.imprint')],
    { stdio: 'inherit' },
  );
  // ... and one with the newer ops (codes 15-20) and every binary-op form.
  fs.writeFileSync(
    path.join(corpus('model_file'), 'ops.imprint'),
    require('../support/make-ops-model.js').makeOpsModel().bytes,
  );

  // Head file: trained by the library on real embeddings, saved with and without its examples.
  const heads = corpus('head_file');
  const extractor = await createExtractor();
  const classifier = createClassifier(extractor);
  for (const [i, f] of jpegs.entries()) await classifier.addExample(path.join(photos, f), i % 2 ? 'odd' : 'even');
  await classifier.train();
  fs.writeFileSync(path.join(heads, 'trained.imprint'), classifier.save());
  fs.writeFileSync(path.join(heads, 'no-examples.imprint'), classifier.save({ examples: false }));
  fs.writeFileSync(path.join(out, 'head-backbone'), `${extractor.info.dim} ${extractor.info.modelHash}`);

  // Index file: the test photos' embeddings under their names (one with a non-ASCII id), and an
  // empty index.
  const indexes = corpus('index_file');
  const index = createIndex(extractor);
  fs.writeFileSync(path.join(indexes, 'empty.index'), index.save());
  for (const [i, f] of jpegs.entries()) await index.add(path.join(photos, f), i ? f : `café ${f}`);
  fs.writeFileSync(path.join(indexes, 'photos.index'), index.save());
  index.dispose();
  classifier.dispose();
  extractor.dispose();

  // The JavaScript targets (tests/fuzz/fuzz_<target>.js) write their own seeds.
  for (const f of fs.readdirSync(__dirname).filter((n) => /^fuzz_\w+\.js$/.test(n))) {
    require(path.join(__dirname, f)).seeds(corpus(f.slice('fuzz_'.length, -'.js'.length)));
  }
}

main(...process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
