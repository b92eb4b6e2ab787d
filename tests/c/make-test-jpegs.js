'use strict';
// Small phone-like JPEGs for the native JPEG test (tests/c/jpeg_decode_test.c, the ctest fixture
// jpeg-test-images in cmake/Native.cmake), made with cjpeg from the mosaic of the test photos
// (tests/support/phone-jpeg.js): progressive ones (successive approximation: refinement scans),
// 4:2:0, 4:4:4 and gray, and a baseline 4:2:0 one at quality 92 (dense codes); and a baseline and
// a progressive one at quality 100 (quantisation 1: coefficients of -1023..1023, so many too large
// for the table steps, and long codes); and baseline ones with restart intervals, which decode in
// two parts on two threads (src/jpeg_split.h): 4:2:0 and gray with a restart every MCU row, 4:4:4
// with one every 62 MCUs (two rows of 31).
//   node tests/c/make-test-jpegs.js OUT_DIR
const fs = require('node:fs');
const path = require('node:path');
const { phoneJpeg } = require('../support/phone-jpeg');

const out = process.argv[2];
if (!out) throw new Error('usage: make-test-jpegs.js OUT_DIR');
fs.mkdirSync(out, { recursive: true });
const images = {
  'phone-420.jpg': phoneJpeg(320, 240),
  'phone-progressive-420.jpg': phoneJpeg(320, 240, { progressive: true }),
  'phone-progressive-444.jpg': phoneJpeg(240, 176, { progressive: true, sample: '1x1' }),
  'phone-progressive-gray.jpg': phoneJpeg(200, 152, { progressive: true, gray: true }),
  'phone-420-q100.jpg': phoneJpeg(320, 240, { quality: 100 }),
  'phone-progressive-420-q100.jpg': phoneJpeg(320, 240, { progressive: true, quality: 100 }),
  'phone-420-restart.jpg': phoneJpeg(320, 240, { restart: 1 }),
  'phone-gray-restart.jpg': phoneJpeg(200, 152, { gray: true, restart: 1 }),
  'phone-444-restart-2-rows.jpg': phoneJpeg(248, 200, { sample: '1x1', restart: '62B' }),
};
for (const [name, bytes] of Object.entries(images)) fs.writeFileSync(path.join(out, name), bytes);
