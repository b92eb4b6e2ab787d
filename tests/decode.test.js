'use strict';
// Decoding: imprint's stb_image-based decoder against independent decoders on real photos.
// PNG must match exactly; JPEG within the IDCT/upsampling tolerance documented in the README
// (different decoders round the inverse DCT and chroma upsampling differently).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');

const { createExtractor } = require('..');
const testdata = require('./support/testdata');
const { encodePng } = require('./support/png-writer');

/** Expands 1..4-channel pixels to RGBA for comparison. */
function toRGBA({ data, width, height, channels }) {
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = data.subarray(i * channels, (i + 1) * channels);
    const [r, g, b] = channels >= 3 ? [p[0], p[1], p[2]] : [p[0], p[0], p[0]];
    const a = channels === 2 ? p[1] : channels === 4 ? p[3] : 255;
    out.set([r, g, b, a], i * 4);
  }
  return out;
}

function photoRGBA(name) {
  return jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
}

let extractor;
test.before(async () => {
  extractor = await createExtractor();
});
test.after(() => extractor.dispose());

test('PNG of every colour type decodes to exactly the pixels pngjs reads', async () => {
  const photo = photoRGBA('dog');
  const { width, height } = photo;
  const n = width * height;
  const rgb = new Uint8Array(n * 3),
    rgba = new Uint8Array(n * 4),
    gray = new Uint8Array(n);
  const indices = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = photo.data.subarray(i * 4, i * 4 + 3);
    rgb.set([r, g, b], i * 3);
    rgba.set([r, g, b, (i * 7) & 255], i * 4); // a real photo with a varying alpha channel
    gray[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    indices[i] = ((r >> 5) << 5) | ((g >> 5) << 2) | (b >> 6); // 3-3-2 bit palette
  }
  const palette = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) palette.set([(k >> 5) * 36, ((k >> 2) & 7) * 36, (k & 3) * 85], k * 3);
  const alpha = new Uint8Array(256).map((_, k) => (k % 3 === 0 ? 128 : 255));
  const variants = {
    gray: { colorType: 0, data: gray, channels: 1 },
    rgb: { colorType: 2, data: rgb, channels: 3 },
    rgba: { colorType: 6, data: rgba, channels: 4 },
    palette: { colorType: 3, data: indices, palette, channels: 3 },
    'palette+tRNS': { colorType: 3, data: indices, palette, alpha, channels: 4 },
  };
  for (const [name, v] of Object.entries(variants)) {
    const bytes = encodePng({ width, height, ...v });
    const ours = await extractor.decode(bytes);
    assert.equal(ours.width, width, name);
    assert.equal(ours.height, height, name);
    assert.equal(ours.channels, v.channels, `${name}: channels`);
    const theirs = PNG.sync.read(bytes);
    assert.deepEqual(Buffer.from(toRGBA(ours)), Buffer.from(theirs.data), `${name}: pixels differ from pngjs`);
  }
});

test('real RGBA photo stamps decode exactly as pngjs reads them', async () => {
  const files = testdata.stampCategories().flatMap((c) => c.files.slice(0, 2));
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const ours = await extractor.decode(bytes);
    const theirs = PNG.sync.read(bytes);
    assert.equal(ours.width, theirs.width, file);
    assert.equal(ours.height, theirs.height, file);
    assert.deepEqual(Buffer.from(toRGBA(ours)), Buffer.from(theirs.data), `${file}: pixels differ`);
  }
});

// stb_image and jpeg-js round the inverse DCT differently, and upsample 4:2:0 chroma differently
// (stb_image interpolates, as libjpeg's "fancy upsampling"; jpeg-js replicates), so colour edges
// differ. Measured on the 7 darknet photos: mean absolute difference 0.45-1.30 levels, 99th
// percentile 2-8, largest single difference 3-36 (photos without subsampled chroma: <= 4).
const JPEG_MEAN_TOLERANCE = 1.5;
const JPEG_P99_TOLERANCE = 10;
const JPEG_MAX_TOLERANCE = 48;

test('JPEG photos decode within the documented tolerance of jpeg-js', async () => {
  for (const name of testdata.PHOTO_NAMES) {
    const bytes = fs.readFileSync(testdata.photo(name));
    const ours = await extractor.decode(bytes);
    const theirs = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    assert.equal(ours.width, theirs.width, name);
    assert.equal(ours.height, theirs.height, name);
    const mine = toRGBA(ours);
    const hist = new Uint32Array(256);
    let sum = 0,
      count = 0;
    for (let i = 0; i < mine.length; i++) {
      if (i % 4 === 3) continue;
      const d = Math.abs(mine[i] - theirs.data[i]);
      hist[d]++;
      sum += d;
      count++;
    }
    let seen = 0,
      p99 = 0;
    while (seen < count * 0.99) seen += hist[p99++];
    let max = 255;
    while (!hist[max]) max--;
    const mean = sum / count;
    assert.ok(mean <= JPEG_MEAN_TOLERANCE, `${name}: mean difference ${mean.toFixed(3)}`);
    assert.ok(p99 - 1 <= JPEG_P99_TOLERANCE, `${name}: 99th percentile difference ${p99 - 1}`);
    assert.ok(max <= JPEG_MAX_TOLERANCE, `${name}: largest difference ${max}`);
  }
});

/** Inserts an APP1 Exif segment with the given Orientation right after SOI. */
function withExifOrientation(jpegBytes, orientation) {
  const tiff = Buffer.from([
    0x4d,
    0x4d,
    0,
    42,
    0,
    0,
    0,
    8,
    0,
    1,
    0x01,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    orientation,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255]);
  return Buffer.concat([jpegBytes.subarray(0, 2), header, payload, jpegBytes.subarray(2)]);
}

test('EXIF orientation is applied to JPEG photos (6 = rotate 90° clockwise, 3 = 180°)', async () => {
  const bytes = fs.readFileSync(testdata.photo('eagle'));
  const upright = await extractor.decode(bytes);
  const { width: w, height: h, channels } = upright;
  const px = (img, x, y) =>
    Array.from(img.data.subarray((y * img.width + x) * channels, (y * img.width + x + 1) * channels));

  const rotated = await extractor.decode(withExifOrientation(bytes, 6));
  assert.equal(rotated.width, h);
  assert.equal(rotated.height, w);
  // Viewed after a clockwise turn, the stored bottom-left corner is the new top-left.
  for (const [x, y] of [
    [0, 0],
    [10, 3],
    [h - 1, w - 1],
    [5, w - 7],
  ]) {
    assert.deepEqual(px(rotated, x, y), px(upright, y, h - 1 - x));
  }
  const flipped = await extractor.decode(withExifOrientation(bytes, 3));
  assert.equal(flipped.width, w);
  assert.deepEqual(px(flipped, 0, 0), px(upright, w - 1, h - 1));
  assert.deepEqual(px(flipped, 17, 9), px(upright, w - 18, h - 10));

  // And the embedding sees the photo upright: orientation 1 gives the plain embedding.
  const plain = await extractor.embed(bytes);
  const tagged = await extractor.embed(withExifOrientation(bytes, 1));
  assert.deepEqual(tagged, plain);
});
