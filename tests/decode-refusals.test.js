'use strict';
// What the decoder refuses, and what it says: damaged JPEG data (stb_image alone decodes it with
// silent artifacts), formats it does not read (named, with advice, as UNSUPPORTED_FORMAT), and
// limits checked on the size decode() returns (after EXIF orientation), named with their values.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const { createExtractor } = require('..');
const testdata = require('./support/testdata');

let extractor;
test.before(async () => {
  extractor = await createExtractor();
});
test.after(() => extractor.dispose());

/** Both ways an encoded image is decoded: embed() and decode() must refuse it alike. */
async function expectRefused(bytes, code, pattern, what) {
  for (const [name, run] of [
    ['embed', () => extractor.embed(bytes)],
    ['decode', () => extractor.decode(bytes)],
  ]) {
    await assert.rejects(run(), (error) => {
      assert.equal(error.code, code, `${what} (${name}): ${error.message}`);
      assert.match(error.message, pattern, `${what} (${name})`);
      return true;
    });
  }
}

/** Offset of the first entropy-coded byte after the first SOS segment, and of the EOI marker. */
function entropyRange(bytes) {
  let pos = 2;
  for (;;) {
    assert.equal(bytes[pos], 0xff);
    const marker = bytes[pos + 1];
    const length = bytes.readUInt16BE(pos + 2);
    pos += 2 + length;
    if (marker === 0xda) return { start: pos, end: bytes.lastIndexOf(Buffer.from([0xff, 0xd9])) };
  }
}

test('JPEG photos with 500 zeroed bytes in their compressed data are DECODE_FAILED', async () => {
  for (const name of testdata.PHOTO_NAMES) {
    const original = fs.readFileSync(testdata.photo(name));
    const { start, end } = entropyRange(original);
    for (const fraction of [0.2, 0.5, 0.8]) {
      const damaged = Buffer.from(original);
      const at = Math.floor(start + (end - start - 500) * fraction);
      damaged.fill(0, at, at + 500);
      await expectRefused(damaged, 'DECODE_FAILED', /JPEG data is damaged/, `${name} zeroed at ${fraction}`);
    }
    // And the undamaged photo still decodes.
    assert.ok((await extractor.decode(original)).width > 0);
  }
});

test('JPEG damage other than zeros is DECODE_FAILED: random bytes, a missing restart marker, bytes cut out', async () => {
  const original = fs.readFileSync(testdata.photo('dog')); // has restart markers every 96 MCUs
  const { start, end } = entropyRange(original);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const scribbled = Buffer.from(original);
  for (let i = start + 5000; i < start + 5200; i++) {
    const value = random();
    scribbled[i] = value === 0xff ? 0xfe : value;
  }
  await expectRefused(scribbled, 'DECODE_FAILED', /damaged/, 'random bytes');

  const firstRestart = original.indexOf(Buffer.from([0xff, 0xd0]), start);
  assert.ok(firstRestart > 0 && firstRestart < end, 'dog.jpg has restart markers');
  const withoutRestart = Buffer.concat([original.subarray(0, firstRestart), original.subarray(firstRestart + 2)]);
  await expectRefused(withoutRestart, 'DECODE_FAILED', /damaged/, 'a restart marker removed');

  const cut = Buffer.concat([original.subarray(0, start + 3000), original.subarray(start + 3100)]);
  await expectRefused(cut, 'DECODE_FAILED', /damaged/, '100 bytes cut out');
});

/** A JPEG with its frame marker (SOF0) replaced, as another coding process would start. */
function withFrameMarker(bytes, marker) {
  const out = Buffer.from(bytes);
  out[out.indexOf(Buffer.from([0xff, 0xc0])) + 1] = marker;
  return out;
}

/** A BMP header (BITMAPINFOHEADER) with the given compression, and some pixel bytes. */
function bmp(compression) {
  const b = Buffer.alloc(54 + 64);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(8, 18);
  b.writeInt32LE(8, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(compression === 2 ? 4 : 8, 28);
  b.writeUInt32LE(compression, 30);
  return b;
}

test('formats imprint does not decode are UNSUPPORTED_FORMAT, named, with what to do', async () => {
  const dog = fs.readFileSync(testdata.photo('dog'));
  const cases = [
    ['arithmetic-coded JPEG', withFrameMarker(dog, 0xc9), /arithmetic-coded JPEG.*jpegtran/],
    ['progressive arithmetic JPEG', withFrameMarker(dog, 0xca), /arithmetic-coded JPEG/],
    ['lossless JPEG', withFrameMarker(dog, 0xc3), /lossless JPEG/],
    ['hierarchical JPEG', withFrameMarker(dog, 0xc5), /hierarchical JPEG/],
    ['RLE8 BMP', bmp(1), /RLE8-compressed BMP.*PNG/],
    ['RLE4 BMP', bmp(2), /RLE4-compressed BMP/],
    ['PBM P1', Buffer.from('P1\n2 2\n0 1\n1 0\n'), /plain-text PBM \(P1\).*P5\/P6/],
    ['PGM P2', Buffer.from('P2\n# comment\n2 1\n255\n0 255\n'), /plain-text PGM \(P2\)/],
    ['PPM P3', Buffer.from('P3 1 1 255 10 20 30\n'), /plain-text PPM \(P3\)/],
    ['PBM P4', Buffer.concat([Buffer.from('P4\n8 2\n'), Buffer.from([0xaa, 0x55])]), /1-bit PBM \(P4\)/],
    [
      'JPEG XL container',
      Buffer.concat([Buffer.from('0000000c4a584c200d0a870a', 'hex'), Buffer.alloc(32)]),
      /JPEG XL.*PNG or JPEG/,
    ],
    ['JPEG XL codestream', Buffer.concat([Buffer.from([0xff, 0x0a]), Buffer.alloc(32)]), /JPEG XL/],
    [
      'JPEG 2000 (JP2)',
      Buffer.concat([Buffer.from('0000000c6a5020200d0a870a', 'hex'), Buffer.alloc(32)]),
      /JPEG 2000.*<img>/,
    ],
    ['JPEG 2000 codestream', Buffer.concat([Buffer.from('ff4fff51', 'hex'), Buffer.alloc(32)]), /JPEG 2000/],
    [
      'SVG',
      Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'),
      /SVG.*render it to PNG/,
    ],
    ['SVG without a declaration', Buffer.from('\ufeff  <svg viewBox="0 0 1 1"></svg>'), /SVG/],
  ];
  for (const [what, bytes, pattern] of cases) await expectRefused(bytes, 'UNSUPPORTED_FORMAT', pattern, what);
  // Not every text starting with '<' is SVG.
  await expectRefused(Buffer.from('<html><body>not an image</body></html>'), 'DECODE_FAILED', /./, 'HTML');
});

/** Inserts an APP1 Exif segment with the given Orientation right after SOI. */
function withExifOrientation(jpegBytes, orientation) {
  const tiff = Buffer.from('4d4d002a000000080001011200030000000100000000000000', 'hex');
  tiff[19] = orientation;
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255]);
  return Buffer.concat([jpegBytes.subarray(0, 2), header, payload, jpegBytes.subarray(2)]);
}

test('limits apply to the size decode() returns (EXIF rotation applied), and the message names it and the limit', async () => {
  const dog = fs.readFileSync(testdata.photo('dog')); // stored 768x576
  const turned = withExifOrientation(dog, 6); // shown 576x768
  const narrow = await createExtractor({ limits: { maxWidth: 600 } });
  const short = await createExtractor({ limits: { maxHeight: 700 } });
  const few = await createExtractor({ limits: { maxPixels: 400000 } });
  try {
    const shown = await narrow.decode(turned);
    assert.deepEqual([shown.width, shown.height], [576, 768]);
    assert.equal((await narrow.embed(turned)).length, narrow.info.dim);
    await assert.rejects(narrow.embed(dog), { code: 'IMAGE_TOO_LARGE', message: /768x576.*maxWidth = 600/ });
    for (const run of [() => short.decode(turned), () => short.embed(turned)]) {
      await assert.rejects(run(), {
        code: 'IMAGE_TOO_LARGE',
        message:
          /576x768 pixels once turned upright by its EXIF orientation; its height is over the limit maxHeight = 700/,
      });
    }
    await assert.rejects(few.decode(dog), { code: 'IMAGE_TOO_LARGE', message: /442368 in all.*maxPixels = 400000/ });
  } finally {
    narrow.dispose();
    short.dispose();
    few.dispose();
  }
});

test('padding of 1-bits after the last block is not damage (a whole 0xFF byte, as jpeg-js writes)', async () => {
  const dog = fs.readFileSync(testdata.photo('dog'));
  const end = dog.lastIndexOf(Buffer.from([0xff, 0xd9]));
  const padded = Buffer.concat([dog.subarray(0, end), Buffer.from([0xff, 0x00, 0xff, 0x00]), dog.subarray(end)]);
  assert.deepEqual(await extractor.embed(padded), await extractor.embed(dog));
  // A byte that is not padding, there, is data the decode never reached.
  const extra = Buffer.concat([dog.subarray(0, end), Buffer.from([0x12]), dog.subarray(end)]);
  await expectRefused(extra, 'DECODE_FAILED', /1 byte of compressed data is left over/, 'a stray byte');
});

test('a Huffman table with more codes than its lengths hold is DECODE_FAILED (found by fuzzing)', async () => {
  const dir = require('node:path').join(__dirname, 'fuzz', 'regressions', 'image_decode');
  const bytes = fs.readFileSync(require('node:path').join(dir, 'jpeg-dht-code-lengths-overflow.jpg'));
  await expectRefused(bytes, 'DECODE_FAILED', /damaged/, 'overflowing code lengths');
});

test('a PNM header number over what stb_image holds is refused before it reads it (found by fuzzing)', async () => {
  const dir = require('node:path').join(__dirname, 'fuzz', 'regressions', 'image_decode');
  const found = fs.readFileSync(require('node:path').join(dir, 'ppm-width-digits-over-int-max.ppm'));
  await expectRefused(found, 'IMAGE_TOO_LARGE', /PNM header states an enormous size/, "the fuzzer's PPM");
  const pixels = Buffer.alloc(2 * 2 * 3, 128);
  const ppm = (header) => Buffer.concat([Buffer.from(header, 'latin1'), pixels]);
  await expectRefused(ppm('P6\n2 99999999999\n255\n'), 'IMAGE_TOO_LARGE', /enormous size/, 'an 11-digit height');
  await expectRefused(ppm('P6 2 2\n# a comment\n4294967296\n'), 'DECODE_FAILED', /over 65535/, 'a 10-digit maximum');
  // Within range, the same header decodes as before; a maximum of 65536 or more is refused as
  // stb_image refuses it, in imprint's words.
  const image = await extractor.decode(ppm('P6\n# made by hand\n2 2\n255\n'));
  assert.deepEqual([image.width, image.height, image.channels], [2, 2, 3]);
  await expectRefused(ppm('P6 2 2 65536\n'), 'DECODE_FAILED', /over 65535/, 'maximum 65536');
});
