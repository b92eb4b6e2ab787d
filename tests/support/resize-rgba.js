'use strict';
// Bilinear resize of RGBA pixels (half-pixel centres, edges clamped), for tests and benchmarks that
// make large photos out of small real ones: smooth at the 8x8 scale, as a camera's large photo is.

/** { data: RGBA, width, height } resized to outWidth x outHeight. */
function resizeRgba({ data, width, height }, outWidth, outHeight) {
  const out = Buffer.alloc(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.max(0, ((y + 0.5) * height) / outHeight - 0.5));
    const y0 = Math.floor(sy),
      y1 = Math.min(height - 1, y0 + 1),
      wy = sy - y0;
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.min(width - 1, Math.max(0, ((x + 0.5) * width) / outWidth - 0.5));
      const x0 = Math.floor(sx),
        x1 = Math.min(width - 1, x0 + 1),
        wx = sx - x0;
      for (let c = 0; c < 4; c++) {
        const top = data[(y0 * width + x0) * 4 + c] * (1 - wx) + data[(y0 * width + x1) * 4 + c] * wx;
        const bottom = data[(y1 * width + x0) * 4 + c] * (1 - wx) + data[(y1 * width + x1) * 4 + c] * wx;
        out[(y * outWidth + x) * 4 + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

module.exports = { resizeRgba };
