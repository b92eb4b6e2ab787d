'use strict';
// Large JPEGs are embedded from a 1/4-scale decode (each 8x8 block's four 4x4 quadrant means,
// exact from 25 of its coefficients) when that is still at least twice the model's input size:
// the area filter's boxes are then 4 pixels or more, averaged from those means (but boxes of 5
// pixels against 4 or 5 are too far from whole squares there); from a 1/8-scale decode (each
// block's mean, its DC coefficient) when the boxes are whole blocks (3584 pixels a side for a
// 224x224 input) or 16 pixels or more; and from a 1/2-scale decode (each block's sixteen 2x2
// means, from all its coefficients) when the boxes are 2 pixels or more on both axes and 1/4 is
// not taken (896 pixels a side and up: 1080p, 5 MP). The embedding must stay within a fixed cosine
// of the full-size decode followed by the same resize. Test photos are
// real photos upscaled here (nothing large is committed), encoded with jpeg-js (baseline, 4:4:4),
// and phone-like 12 MP JPEGs: a mosaic of the test photos at native resolution encoded by cjpeg
// (4:2:0, quality 92, baseline and progressive; tests/support/phone-jpeg.js). Progressive JPEGs
// take the same reduced decodes, their scans adding each coefficient's share to the means.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const jpeg = require('jpeg-js');

const { createExtractor } = require('..');
const testdata = require('./support/testdata');
const { resizeRgba: upscale } = require('./support/resize-rgba');
const { cosine } = require('./support/compare');
const { phoneJpeg } = require('./support/phone-jpeg');

/** The tolerance issue 13 sets: cosine to the full-resolution decode + resize. */
const MIN_COSINE = 0.999;

/** A large JPEG made from a real photo: `name` upscaled to width x height, quality 90. */
function largeJpeg(name, width, height) {
  const photo = jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true });
  return jpeg.encode(upscale(photo, width, height), 90).data;
}

/** Inserts an APP1 Exif segment with the given Orientation right after SOI. */
function withExifOrientation(jpegBytes, orientation) {
  const tiff = Buffer.from('4d4d002a000000080001011200030000000100000000000000', 'hex');
  tiff[19] = orientation;
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255]);
  return Buffer.concat([jpegBytes.subarray(0, 2), header, payload, jpegBytes.subarray(2)]);
}

let extractor;
test.before(async () => {
  extractor = await createExtractor();
});
test.after(() => extractor.dispose());

/** embed(bytes) and embed(the same image decoded at full size, as raw pixels). */
async function bothWays(bytes) {
  const fast = await extractor.embed(bytes);
  const full = await extractor.embed(await extractor.decode(bytes));
  return { fast, full, cosine: cosine(fast, full) };
}

/** Each [photo name, width, height, EXIF orientation] made large takes a reduced decode (not the
 * full one's embedding) within MIN_COSINE of the full one. */
async function reducedAndClose(cases) {
  for (const [name, width, height, orientation] of cases) {
    const bytes = largeJpeg(name, width, height);
    const {
      fast,
      full,
      cosine: c,
    } = await bothWays(orientation === 1 ? bytes : withExifOrientation(bytes, orientation));
    assert.ok(c >= MIN_COSINE, `${name} ${width}x${height} orientation ${orientation}: cosine ${c.toFixed(6)}`);
    assert.notDeepEqual(fast, full, `${name} ${width}x${height}: the reduced decode was not used`);
  }
}

test('a 12-megapixel JPEG embeds within cosine 0.999 of its full-size decode + resize', async () => {
  const bytes = largeJpeg('dog', 4000, 3000);
  const { fast, full, cosine: c } = await bothWays(bytes);
  assert.ok(c >= MIN_COSINE, `cosine ${c.toFixed(6)}`);
  // The reduced decode was taken: a different path, not the same pixels.
  assert.notDeepEqual(fast, full);
});

test('phone-like 12 MP JPEGs (4:2:0, quality 92, baseline and progressive) stay within cosine 0.999', async () => {
  const baseline = phoneJpeg(4000, 3000);
  const { fast, full, cosine: c } = await bothWays(baseline);
  assert.ok(c >= MIN_COSINE, `baseline: cosine ${c.toFixed(6)}`);
  assert.notDeepEqual(fast, full, 'baseline: the reduced decode was not used');
  const progressive = phoneJpeg(4000, 3000, { progressive: true });
  const p = await bothWays(progressive);
  assert.ok(p.cosine >= MIN_COSINE, `progressive: cosine ${p.cosine.toFixed(6)}`);
  assert.notDeepEqual(p.fast, p.full, 'progressive: the reduced decode was not used');
  // The same coefficients in another order: the same embedding but for float rounding.
  assert.ok(cosine(p.fast, fast) >= 0.99999, `progressive / baseline: cosine ${cosine(p.fast, fast).toFixed(6)}`);
  // Turned by EXIF (shown 3000x4000), and at 3584 pixels a side: the 1/8-scale decode's size.
  const turned = await bothWays(withExifOrientation(baseline, 6));
  assert.ok(turned.cosine >= MIN_COSINE, `baseline turned: cosine ${turned.cosine.toFixed(6)}`);
  const eighth = await bothWays(phoneJpeg(3584, 3584));
  assert.ok(eighth.cosine >= MIN_COSINE, `3584x3584: cosine ${eighth.cosine.toFixed(6)}`);
  assert.notDeepEqual(eighth.fast, eighth.full, '3584x3584: the reduced decode was not used');
});

test('phone-like JPEGs of the common camera sizes stay within cosine 0.999', async () => {
  // 8 MP (3264x2448: boxes of 7x5 pixels), 6x4, 4x4 boxes: the 1/4-scale decode; 5 MP (2592x1944:
  // boxes of 5x4 pixels, measured 0.9988 from 4x4 means), 5x5, 1080p (4x2) and 1280x960 (2x2):
  // the 1/2-scale decode.
  for (const [width, height] of [
    [3264, 2448],
    [2688, 2016],
    [1792, 1792],
    [2592, 1944],
    [2400, 2400],
    [1920, 1080],
    [1280, 960],
  ]) {
    const { fast, full, cosine: c } = await bothWays(phoneJpeg(width, height));
    assert.ok(c >= MIN_COSINE, `${width}x${height}: cosine ${c.toFixed(6)}`);
    assert.notDeepEqual(fast, full, `${width}x${height}: the reduced decode was not used`);
  }
});

test('the 1/2-scale decode: real photos from 896 pixels a side, turned by EXIF, stay within cosine 0.999', async () => {
  await reducedAndClose([
    ['dog', 896, 896, 1],
    ['eagle', 1920, 1080, 1],
    ['giraffe', 1080, 1920, 1],
    ['horses', 1344, 1008, 6], // boxes of 3 pixels: a square and a half
    ['kite', 1600, 1200, 3],
    ['person', 1440, 1080, 8],
    ['scream', 2400, 1800, 1],
  ]);
});

test('a progressive 1080p JPEG takes the 1/2-scale decode too, its scans adding up to the baseline file', async () => {
  const baseline = await bothWays(phoneJpeg(1920, 1080));
  const progressive = await bothWays(phoneJpeg(1920, 1080, { progressive: true }));
  assert.ok(progressive.cosine >= MIN_COSINE, `cosine ${progressive.cosine.toFixed(6)}`);
  assert.notDeepEqual(progressive.fast, progressive.full, 'the 1/2-scale decode was not used');
  // The same coefficients in another order: the same embedding but for float rounding.
  const same = cosine(progressive.fast, baseline.fast);
  assert.ok(same >= 0.99999, `progressive / baseline: cosine ${same.toFixed(6)}`);
});

test('damage in a 1080p JPEG is found on the 1/2-scale path, and the extractor goes on', async () => {
  const good = Buffer.from(phoneJpeg(1920, 1080));
  const middle = Math.floor(good.length / 2);
  const scribbled = Buffer.from(good);
  for (let i = 0; i < 500; i++) scribbled[middle + i] = ((i * 97 + 13) & 255) === 255 ? 254 : (i * 97 + 13) & 255;
  await assert.rejects(extractor.embed(scribbled), { code: 'DECODE_FAILED', message: /JPEG data is damaged/ });
  await assert.rejects(extractor.embed(good.subarray(0, Math.floor(good.length * 0.7))), { code: 'DECODE_FAILED' });
  const { cosine: c } = await bothWays(good);
  assert.ok(c >= MIN_COSINE, `after the failures: cosine ${c.toFixed(6)}`);
});

test('damage in a phone-like JPEG is found (baseline and progressive)', async () => {
  // Scribbled bytes and a marker in the middle of the data. (Zeroed bytes are not always damage
  // here: with the standard Huffman tables cjpeg writes, zero bits decode as valid codes, and in
  // the baseline file the decode falls back in step after them: a limit of any Huffman check.)
  for (const progressive of [false, true]) {
    const good = Buffer.from(phoneJpeg(1920, 1440, { progressive }));
    const middle = Math.floor(good.length / 2);
    const scribbled = Buffer.from(good);
    for (let i = 0; i < 500; i++) scribbled[middle + i] = ((i * 97 + 13) & 255) === 255 ? 254 : (i * 97 + 13) & 255;
    await assert.rejects(extractor.embed(scribbled), { code: 'DECODE_FAILED', message: /JPEG data is damaged/ });
    const cut = Buffer.from(good);
    cut[middle] = 0xff;
    cut[middle + 1] = 0xd9;
    await assert.rejects(extractor.embed(cut), { code: 'DECODE_FAILED' });
  }
});

test('large JPEGs of every photo, at and above the 1/4-scale threshold, stay within cosine 0.999', async () => {
  // 1792 / 4 = 448 = 2 x 224: the smallest side that takes the 1/4-scale decode for a 224x224 model.
  const sizes = [
    [1792, 1792],
    [2688, 2016],
    [2016, 2688],
  ];
  for (const [i, name] of testdata.PHOTO_NAMES.entries()) {
    const [width, height] = sizes[i % sizes.length];
    const { fast, full, cosine: c } = await bothWays(largeJpeg(name, width, height));
    assert.ok(c >= MIN_COSINE, `${name} ${width}x${height}: cosine ${c.toFixed(6)}`);
    assert.notDeepEqual(fast, full, `${name}: the 1/4-scale decode was not used`);
  }
});

test('EXIF orientation is applied to the 1/4-scale decode as to the full one', async () => {
  const bytes = largeJpeg('eagle', 3000, 2400);
  for (const orientation of [3, 6, 8]) {
    const turned = withExifOrientation(bytes, orientation);
    const { cosine: c } = await bothWays(turned);
    assert.ok(c >= MIN_COSINE, `orientation ${orientation}: cosine ${c.toFixed(6)}`);
  }
});

test('JPEGs under the thresholds are decoded at full size (identical to their raw pixels)', async () => {
  // 1792 / 4 = 448 wide is enough for 1/4, 1788 / 4 = 447 high is not: 1/2 (boxes of 4x3 pixels).
  const half = await bothWays(largeJpeg('horses', 1792, 1788));
  assert.notDeepEqual(half.fast, half.full, '1792x1788: the 1/2-scale decode was not used');
  assert.ok(half.cosine >= MIN_COSINE, `1792x1788: cosine ${half.cosine.toFixed(6)}`);
  // Under 896 pixels on one side (boxes of 1 pixel along it), the full decode.
  for (const [width, height] of [
    [1792, 895],
    [895, 1200],
  ]) {
    const { fast, full } = await bothWays(largeJpeg('horses', width, height));
    assert.deepEqual(fast, full, `${width}x${height}`);
  }
});

test('damage in a large JPEG is found on the 1/4-scale path too', async () => {
  const bytes = Buffer.from(largeJpeg('kite', 3000, 2400));
  const middle = Math.floor(bytes.length / 2);
  bytes.fill(0, middle, middle + 500);
  await assert.rejects(extractor.embed(bytes), { code: 'DECODE_FAILED', message: /JPEG data is damaged/ });
});

// 4000 / (2 x 224) = 8 against 2400 / 448 = 5: boxes of whole blocks along one axis only, so the
// 1/4-scale decode gives each block's two halves along it their mean (jpeg_decode.h, whole_axes);
// turned, that axis is the other stored one, or runs from the far end. 3996 is no multiple of 8:
// the plain 1/4-scale decode.
test('JPEGs whose boxes are whole blocks along one axis stay within cosine 0.999, turned or not', async () => {
  const cases = [
    ['dog', 4000, 2400, 1],
    ['eagle', 4000, 2400, 3],
    ['horses', 2400, 4000, 6],
    ['giraffe', 4000, 2400, 8],
    ['kite', 3996, 2400, 1],
  ];
  for (const [name, width, height, orientation] of cases) {
    const bytes = largeJpeg(name, width, height);
    const { cosine: c } = await bothWays(orientation === 1 ? bytes : withExifOrientation(bytes, orientation));
    assert.ok(c >= MIN_COSINE, `${name} ${width}x${height} orientation ${orientation}: cosine ${c.toFixed(6)}`);
  }
});

// 3584 / (2 x 224) = 8: the smallest side whose boxes cover whole blocks.
test('JPEGs whose area boxes are whole blocks (the 1/8-scale decode) stay within cosine 0.999', async () => {
  await reducedAndClose([
    ['giraffe', 3584, 3584, 1],
    ['kite', 4000, 3590, 1],
    ['scream', 3590, 4000, 6], // shown 4000x3590 once turned: the boxes start at the far end of an axis
    ['person', 4000, 3600, 3], // turned 180 degrees: the boxes start at both far ends
  ]);
});

test('damaged and truncated JPEGs on the 1/8-scale path give DECODE_FAILED and leave the extractor usable', async () => {
  const good = Buffer.from(largeJpeg('dog', 3584, 3584));
  const zeroed = Buffer.from(good);
  const middle = Math.floor(zeroed.length / 2);
  zeroed.fill(0, middle, middle + 500);
  await assert.rejects(extractor.embed(zeroed), { code: 'DECODE_FAILED', message: /JPEG data is damaged/ });
  const truncated = good.subarray(0, Math.floor(good.length * 0.6));
  await assert.rejects(extractor.embed(truncated), { code: 'DECODE_FAILED' });
  // A marker in the middle of the entropy-coded data: its scan ends early.
  const cut = Buffer.from(good);
  cut[middle] = 0xff;
  cut[middle + 1] = 0xd9;
  await assert.rejects(extractor.embed(cut), { code: 'DECODE_FAILED' });
  const after = await extractor.embed(good);
  const { full } = await bothWays(good);
  assert.ok(cosine(after, full) >= MIN_COSINE, 'the extractor still embeds after the failures');
});
