'use strict';
// A phone-like large JPEG for tests and benchmarks, made here (nothing large is committed): a
// mosaic of the real test photos at their native resolution (no upscaling, so every 8x8 block
// holds real detail), encoded by libjpeg-turbo's cjpeg (Debian's libjpeg-turbo-progs, installed
// by scripts/setup.sh) as phone cameras write: YCbCr with 4:2:0 chroma, quality 92, baseline
// (or progressive, for the variant some apps and editors write).
//
// The mosaic: rows 424 pixels high (the shortest darknet photo) of the 7 darknet photos, each
// cropped to the row's height about its middle, placed side by side in a different order on each
// row; then Tux Paint's photo stamps (objects cut out, with alpha) composited over it on a grid,
// each at its own size. A 4000x3000 mosaic encodes to about 3-4 MB at quality 92, as a 12 MP
// phone photo does.
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');

const testdata = require('./testdata');

const ROW_HEIGHT = 424;

/** width x height RGB (3 bytes a pixel) mosaic of the darknet photos and Tux Paint stamps. */
function mosaic(width, height) {
  const rgb = Buffer.alloc(width * height * 3);
  const photos = testdata.PHOTO_NAMES.map((name) =>
    jpeg.decode(fs.readFileSync(testdata.photo(name)), { useTArray: true, formatAsRGBA: true }),
  );
  for (let row = 0, top = 0; top < height; row++, top += ROW_HEIGHT) {
    const rows = Math.min(ROW_HEIGHT, height - top);
    for (let i = 0, left = 0; left < width; i++) {
      const p = photos[(row * 3 + i) % photos.length];
      const y0 = (p.height - ROW_HEIGHT) >> 1;
      const cols = Math.min(p.width, width - left);
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < cols; x++) {
          const s = ((y0 + y) * p.width + x) * 4;
          const o = ((top + y) * width + left + x) * 3;
          rgb[o] = p.data[s];
          rgb[o + 1] = p.data[s + 1];
          rgb[o + 2] = p.data[s + 2];
        }
      left += cols;
    }
  }
  // Stamps over it, one per cell of a 320-pixel grid, in protocol A's order (cycled).
  const stamps = testdata.stampCategories().flatMap((c) => c.files);
  const CELL = 320;
  let n = 0;
  for (let top = 0; top + CELL <= height; top += CELL)
    for (let left = (top / CELL) % 2 ? CELL / 2 : 0; left + CELL <= width; left += 2 * CELL, n++) {
      const png = PNG.sync.read(fs.readFileSync(stamps[(n * 7) % stamps.length]));
      const w = Math.min(png.width, CELL),
        h = Math.min(png.height, CELL);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const s = (y * png.width + x) * 4;
          const a = png.data[s + 3];
          if (!a) continue;
          const o = ((top + y) * width + left + x) * 3;
          for (let c = 0; c < 3; c++) rgb[o + c] = Math.round((png.data[s + c] * a + rgb[o + c] * (255 - a)) / 255);
        }
    }
  return rgb;
}

/**
 * The mosaic as a JPEG (Buffer) encoded by cjpeg: 4:2:0 (or `sample`, e.g. '1x1' for 4:4:4; or
 * gray), quality 92 (unless given), baseline with the standard Huffman tables as cameras write, or
 * progressive (cjpeg's default scan script: DC and AC scans with successive approximation);
 * `restart`: cjpeg's -restart (a restart interval in MCU rows, or blocks with a B after it).
 */
function phoneJpeg(
  width,
  height,
  { progressive = false, quality = 92, sample = '2x2', gray = false, restart = null } = {},
) {
  const rgb = mosaic(width, height);
  const ppm = Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`, 'latin1'), rgb]);
  const args = ['-quality', String(quality), '-sample', sample];
  if (progressive) args.push('-progressive');
  if (gray) args.push('-grayscale');
  if (restart !== null) args.push('-restart', String(restart));
  const run = spawnSync('cjpeg', args, { input: ppm, maxBuffer: 64 << 20 });
  if (run.error && run.error.code === 'ENOENT')
    throw new Error('cjpeg not found: install Debian libjpeg-turbo-progs (scripts/setup.sh does)');
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`cjpeg failed: ${run.stderr.toString()}`);
  return run.stdout;
}

module.exports = { phoneJpeg, mosaic };
