// In the page: 12 MP JPEGs to embedding, each from its bytes (imprint's decode) and from the
// browser's decode, against raw 224x224 pixels, interleaved. Called by
// tests/bench/browser-large-jpeg.js through window.runBenchmark({ images: [{ name, url }], rounds }).
window.runBenchmark = async function runBenchmark({ images, rounds }) {
  const loaded = [];
  for (const { name, url } of images) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    loaded.push({ name, bytes, blob: new Blob([bytes], { type: 'image/jpeg' }) });
  }
  const extractor = await imprint.createExtractor();
  const small = new OffscreenCanvas(224, 224);
  const context = small.getContext('2d', { willReadFrequently: true });
  const bitmap = await createImageBitmap(loaded[0].blob);
  context.drawImage(bitmap, 0, 0, 224, 224);
  bitmap.close();
  const raw = context.getImageData(0, 0, 224, 224);

  const cases = { 'raw 224x224 pixels (ImageData)': () => extractor.embed(raw) };
  for (const { name, bytes, blob } of loaded) {
    cases[`${name}: bytes (imprint decodes)`] = () => extractor.embed(bytes);
    cases[`${name}: the browser's decoder (createImageBitmap) + imprint's resize`] = async () => {
      const decoded = await createImageBitmap(blob);
      try {
        return await extractor.embed(decoded);
      } finally {
        decoded.close();
      }
    };
  }
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) await fn(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const start = performance.now();
      await fn();
      times[name].push(performance.now() - start);
    }
  }
  extractor.dispose();
  return {
    times,
    userAgent: navigator.userAgent,
    bytes: Object.fromEntries(loaded.map(({ name, bytes }) => [name, bytes.length])),
  };
};
