// What the benchmark pages share (speed-page.js, threads-page.js): identical inputs, a timer and a
// cosine to check that two runtimes computed the same numbers.

/** Each photo decoded by the browser and resized once to 224x224 RGB on a canvas. */
window.loadBenchImages = async function loadBenchImages(photos, size = 224) {
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const images = [];
  for (const url of photos) {
    const bitmap = await createImageBitmap(await (await fetch(url)).blob());
    context.drawImage(bitmap, 0, 0, size, size);
    const rgba = context.getImageData(0, 0, size, size).data;
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i];
      rgb[j + 1] = rgba[i + 1];
      rgb[j + 2] = rgba[i + 2];
    }
    images.push(rgb);
  }
  return images;
};

/** Milliseconds that `fn` (sync or async) takes. */
window.timed = async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

window.benchCosine = function benchCosine(x, y) {
  let d = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    d += x[i] * y[i];
    nx += x[i] * x[i];
    ny += y[i] * y[i];
  }
  return d / Math.sqrt(nx * ny);
};
