#!/usr/bin/env node
'use strict';
// Soak run (a script, not a test): does memory stay flat over a long session in one process?
// Phase 1: 10,000 embeds cycling through the darknet photos (JPEG), Tux Paint stamps (PNG) and
// raw pixels, with a damaged input every 97 operations (it must throw an ImprintError and leave the
// extractor usable). Phase 2: 1,000 classifier cycles (add examples, train, predict, save/load,
// remove a class; the classifier is disposed and recreated every 50 cycles). Phase 3: --extractors
// extractors created, used for one embed and disposed, one after another (each has its own wasm
// memory: what must not pile up is what the process keeps of them).
// Samples the wasm core's allocated bytes (extractor.memory().inUse), the size of its wasm memory
// and the process RSS every --every operations; prints a Markdown report and writes it to
// tests/bench/results/soak.md.
//
//   nice -n 5 node --expose-gc tests/bench/soak.js [--embeds 10000] [--cycles 1000] [--every 250] [--extractors 100]
//   nice -n 5 node --expose-gc tests/bench/soak.js --extractors-only [--extractors 100]   (phase 3 alone)
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const { createExtractor, createClassifier, loadClassifier, ImprintError } = require('../..');
const testdata = require('../support/testdata');
const { slope } = require('../support/trend');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const EMBEDS = arg('--embeds', 10000);
const CYCLES = arg('--cycles', 1000);
const EVERY = arg('--every', 250);
const EXTRACTORS = arg('--extractors', 100);
const WARM_UP = 1000; // operations before the baseline sample
const MB = 1024 * 1024;

/** Inputs that must be refused: each is [what, input]. */
function badInputs(jpegBytes, pngBytes) {
  const truncatedPng = pngBytes.subarray(0, Math.floor(pngBytes.length / 2));
  const flipped = Buffer.from(jpegBytes);
  flipped.fill(0xff, 2, 200); // the JPEG header segments destroyed
  return [
    ['empty buffer', new Uint8Array(0)],
    ['random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)],
    ['JPEG cut in half', jpegBytes.subarray(0, Math.floor(jpegBytes.length / 2))],
    ['PNG cut in half', truncatedPng],
    ['JPEG with damaged headers', flipped],
    ['raw pixels with 5 channels', { data: new Uint8Array(5 * 4 * 4), width: 4, height: 4, channels: 5 }],
    ['raw pixels larger than the limits', { data: new Uint8Array(3), width: 100000, height: 100000, channels: 3 }],
  ];
}

async function main() {
  if (process.argv.includes('--extractors-only')) {
    const report = `# Soak run (Node): extractors created and disposed\n\n\`nice -n 5 node --expose-gc tests/bench/soak.js --extractors-only --extractors ${EXTRACTORS}\`, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.\n\n${formatLifecycles(await extractorLifecycles(fs.readFileSync(testdata.photo(testdata.PHOTO_NAMES[0]))))}`;
    process.stdout.write(report);
    fs.writeFileSync(path.join(__dirname, 'results', 'soak-extractors.md'), report);
    return;
  }
  const extractor = await createExtractor();
  const photos = testdata.PHOTO_NAMES.map((n) => fs.readFileSync(testdata.photo(n)));
  const stamps = testdata
    .stampCategories()
    .flatMap((c) => c.files)
    .map((f) => fs.readFileSync(f));
  const raws = [];
  for (const bytes of [...photos, ...stamps.slice(0, 20)]) raws.push(await extractor.decode(bytes));
  const bad = badInputs(photos[0], stamps[0]);
  const inputs = []; // the cycle: 1 photo, 2 stamps, 1 raw image
  for (let i = 0; i < Math.max(photos.length, stamps.length, raws.length); i++) {
    inputs.push(
      photos[i % photos.length],
      stamps[i % stamps.length],
      stamps[(i * 7 + 3) % stamps.length],
      raws[i % raws.length],
    );
  }

  const samples = [];
  let ops = 0;
  const sample = (phase) => {
    const m = extractor.memory();
    samples.push({ phase, ops, inUse: m.inUse, heapSize: m.heapSize, rss: process.memoryUsage().rss });
  };
  const refused = new Map();
  let embedMs = 0;
  sample('start');

  // Phase 1: embeds.
  const t0 = performance.now();
  for (let i = 0; i < EMBEDS; i++) {
    if (i % 97 === 96) {
      const [what, input] = bad[((i / 97) % bad.length) | 0];
      try {
        await extractor.embed(input);
        throw new Error(`${what} was accepted`);
      } catch (error) {
        if (!(error instanceof ImprintError)) throw error;
        refused.set(`${what} → ${error.code}`, (refused.get(`${what} → ${error.code}`) || 0) + 1);
      }
    } else {
      const v = await extractor.embed(inputs[i % inputs.length]);
      if (v.length !== extractor.info.dim || !Number.isFinite(v[0])) throw new Error(`bad embedding at ${i}`);
    }
    ops++;
    if (ops % EVERY === 0) sample('embed');
  }
  embedMs = performance.now() - t0;

  // Phase 2: classifier cycles. Embeddings of the stamps of three categories, computed once.
  const categories = testdata.stampCategories().slice(0, 3);
  const examples = [];
  for (const { category, files } of categories) {
    for (const f of files.slice(0, 12))
      examples.push({ label: category, vector: await extractor.embed(fs.readFileSync(f)), file: f });
  }
  const probe = fs.readFileSync(categories[1].files[15]);
  const t1 = performance.now();
  let classifier = createClassifier(extractor);
  let correct = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    if (cycle % 50 === 49) {
      classifier.dispose();
      classifier = createClassifier(extractor);
    }
    // Each cycle adds 3 examples per class (one from an image, the rest as embeddings).
    for (let k = 0; k < categories.length; k++) {
      const start = (cycle * 3) % 12;
      for (let j = 0; j < 3; j++) {
        const e = examples[k * 12 + ((start + j) % 12)];
        if (j === 0 && cycle % 10 === 0) await classifier.addExample(fs.readFileSync(e.file), e.label);
        else classifier.addEmbedding(e.vector, e.label);
      }
    }
    await classifier.train({ seed: cycle });
    const p = await classifier.predict(probe);
    if (p.label === categories[1].category) correct++;
    const saved = classifier.save();
    classifier.dispose();
    classifier = await loadClassifier(extractor, saved);
    classifier.predictEmbedding(examples[0].vector);
    if (cycle % 4 === 3) classifier.removeClass(categories[cycle % 3].category);
    if (classifier.exampleCount(categories[0].category) > 60) classifier.clear();
    ops++;
    if (ops % Math.max(1, Math.floor(EVERY / 5)) === 0) sample('classifier');
  }
  classifier.dispose();
  const cycleMs = performance.now() - t1;
  sample('end');
  extractor.dispose();

  const lifecycle = await extractorLifecycles(photos[0]);
  const report = format({ samples, refused, embedMs, cycleMs, correct }) + formatLifecycles(lifecycle);
  process.stdout.write(report);
  const out = path.join(__dirname, 'results', 'soak.md');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, report);
}

/** Phase 3: EXTRACTORS extractors created, used for one embed of `dog` and disposed in turn. */
async function extractorLifecycles(dog) {
  const lifecycles = [];
  const gc = () => global.gc && global.gc();
  const listeners = () => process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection');
  gc();
  lifecycles.push({ made: 0, rss: process.memoryUsage().rss, listeners: listeners() });
  let firstVector = null;
  let heapAfterEmbed = null;
  for (let i = 1; i <= EXTRACTORS; i++) {
    const e = await createExtractor();
    const v = await e.embed(dog);
    if (!firstVector) firstVector = v;
    else if (!v.every((x, k) => x === firstVector[k])) throw new Error(`extractor ${i} embeds differently`);
    const m = e.memory();
    if (heapAfterEmbed === null) heapAfterEmbed = m;
    else if (m.inUse !== heapAfterEmbed.inUse)
      throw new Error(`extractor ${i} holds ${m.inUse} B, the first ${heapAfterEmbed.inUse} B`);
    e.dispose();
    if (i % Math.max(1, Math.floor(EXTRACTORS / 5)) === 0) {
      gc();
      lifecycles.push({ made: i, rss: process.memoryUsage().rss, listeners: listeners() });
    }
  }

  return { lifecycles, heapAfterEmbed };
}

function format({ samples, refused, embedMs, cycleMs, correct }) {
  const lines = [];
  const base = samples.find((s) => s.ops >= WARM_UP) || samples[0];
  const lastEmbed = [...samples].reverse().find((s) => s.phase === 'embed') || base;
  const end = samples[samples.length - 1];
  const after = samples.filter((s) => s.ops >= WARM_UP);
  const rssSlope = slope(after.map((s) => [s.ops, s.rss / MB])) * 1000;
  const embedAfter = after.filter((s) => s.phase === 'embed');
  const cycleAfter = samples.filter((s) => s.phase === 'classifier' || s.phase === 'end');
  lines.push('# Soak run (Node)', '');
  lines.push(
    `\`nice -n 5 node --expose-gc tests/bench/soak.js --embeds ${EMBEDS} --cycles ${CYCLES} --every ${EVERY} --extractors ${EXTRACTORS}\`, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores (shared).`,
    '',
  );
  lines.push(
    `- ${EMBEDS} embeds in ${(embedMs / 1000).toFixed(0)} s (JPEG photos, PNG stamps, raw pixels; every 97th a damaged input), then ${CYCLES} classifier cycles in ${(cycleMs / 1000).toFixed(0)} s (add 9 examples, train, predict, save, load, remove a class; recreated every 50 cycles); the probe was predicted correctly in ${correct} of ${CYCLES} cycles.`,
  );
  lines.push(
    `- Damaged inputs refused (each left the extractor usable): ${[...refused].map(([k, n]) => `${k} ×${n}`).join('; ')}.`,
  );
  lines.push(
    `- Wasm heap in use after warm-up (op ${base.ops}): ${base.inUse} B; at the end of the embeds (op ${lastEmbed.ops}): ${lastEmbed.inUse} B (${signed(lastEmbed.inUse - base.inUse)} B); after the classifier cycles (classifier disposed): ${end.inUse} B (${signed(end.inUse - base.inUse)} B).`,
  );
  lines.push(`- Wasm memory size: ${base.heapSize / MB} MB after warm-up, ${end.heapSize / MB} MB at the end.`);
  lines.push(
    `- RSS: ${(base.rss / MB).toFixed(1)} MB after warm-up, ${(end.rss / MB).toFixed(1)} MB at the end; least-squares trend after warm-up ${rssSlope.toFixed(2)} MB per 1000 operations (embeds only: ${(slope(embedAfter.map((s) => [s.ops, s.rss / MB])) * 1000).toFixed(2)}; classifier cycles only: ${(slope(cycleAfter.map((s) => [s.ops, s.rss / MB])) * 1000).toFixed(2)}).`,
  );
  const inUseValues = after.filter((s) => s.phase === 'embed').map((s) => s.inUse);
  const cycleInUse = cycleAfter.filter((s) => s.phase === 'classifier').map((s) => s.inUse);
  lines.push(
    `- Heap in use over the embed samples after warm-up: min ${Math.min(...inUseValues)}, max ${Math.max(...inUseValues)} B; over the classifier samples (a live classifier of varying size): min ${Math.min(...cycleInUse)}, max ${Math.max(...cycleInUse)} B.`,
  );
  const grew = end.inUse > base.inUse || end.heapSize > base.heapSize;
  lines.push(
    `- Verdict: ${grew ? '**the wasm heap grew after warm-up**' : 'no growth of the wasm heap after warm-up'}; RSS ${Math.abs(rssSlope) < 1 ? 'flat (trend under 1 MB per 1000 operations)' : `trend ${rssSlope.toFixed(2)} MB per 1000 operations`}.`,
    '',
  );
  lines.push(
    '| phase | operations | wasm heap in use (B) | wasm memory (MB) | RSS (MB) |',
    '|---|---:|---:|---:|---:|',
  );
  for (const s of samples) {
    lines.push(`| ${s.phase} | ${s.ops} | ${s.inUse} | ${s.heapSize / MB} | ${(s.rss / MB).toFixed(1)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function formatLifecycles({ lifecycles, heapAfterEmbed }) {
  const lines = [];
  if (lifecycles.length > 1) {
    lines.push(`## ${EXTRACTORS} extractors created, used and disposed in turn`, '');
    lines.push(
      `Each held ${heapAfterEmbed.inUse} B of C heap in ${heapAfterEmbed.heapSize / MB} MB of wasm memory after one embed (identical for all) and embedded dog.jpg identically. ${global.gc ? 'RSS after a forced garbage collection' : 'RSS (run with --expose-gc for the figures after a forced collection)'}; process-level error listeners:`,
      '',
    );
    lines.push('| extractors made | RSS (MB) | uncaughtException + unhandledRejection listeners |', '|---:|---:|---:|');
    for (const l of lifecycles) lines.push(`| ${l.made} | ${(l.rss / MB).toFixed(1)} | ${l.listeners} |`);
    lines.push('');
  }
  return lines.join('\n');
}

const signed = (n) => (n >= 0 ? `+${n}` : `${n}`);

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
