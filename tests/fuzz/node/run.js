'use strict';
// Runs a JavaScript libFuzzer target, tests/fuzz/fuzz_<target>.js, under libFuzzer
// (tests/fuzz/node/libfuzzer_node.c, built by cmake/Fuzz.cmake into the fuzz build directory):
//
//   node tests/fuzz/node/run.js <addon.node> <target> [libFuzzer arguments: corpus dirs, files, -flags]
//   node tests/fuzz/node/run.js --seeds <target> <dir>     (writes the target's seed corpus)
//
// A target module exports { instrument: [source files, relative to the repository], fuzz(bytes),
// seeds(dir) }, and optionally dictionary(): strings libFuzzer should insert whole (-dict). The
// files it names are instrumented for coverage (instrument.js) before anything loads them; fuzz()
// must return for every input, or throw only what the target allows itself.
// Defaults before the given arguments (which override them): -timeout=10 -rss_limit_mb=1024.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { instrument, GLOBAL } = require('./instrument.js');

const ROOT = path.join(__dirname, '..', '..', '..');
const targetPath = (name) => path.join(ROOT, 'tests', 'fuzz', `fuzz_${name}.js`);

function main(argv) {
  if (argv[0] === '--seeds') {
    const [, name, dir] = argv;
    fs.mkdirSync(dir, { recursive: true });
    require(targetPath(name)).seeds(dir);
    return;
  }
  const [addonPath, name, ...args] = argv;
  if (!addonPath || !name) throw new Error('usage: run.js <addon.node> <target> [libFuzzer arguments]');
  const fuzzer = require(path.resolve(addonPath));
  // The list of files to instrument is the target's; what reading it loaded is loaded again below.
  const loaded = new Set(Object.keys(require.cache));
  const spec = require(targetPath(name)).instrument.map((f) => path.join(ROOT, f));
  for (const key of Object.keys(require.cache)) if (!loaded.has(key)) delete require.cache[key];

  // Instrument every listed file up front: libFuzzer needs the counters' number before it starts.
  const rewritten = new Map();
  let count = 0;
  for (const file of spec) {
    const { code, count: n } = instrument(fs.readFileSync(file, 'utf8'), count);
    rewritten.set(file, code);
    count += n;
  }
  globalThis[GLOBAL] = new Uint8Array(fuzzer.counters(count));
  const load = Module._extensions['.js'];
  Module._extensions['.js'] = (module, filename) => {
    if (rewritten.has(filename)) module._compile(rewritten.get(filename), filename);
    else load(module, filename);
  };
  // The target (and through it the instrumented files) loads only now.
  const target = require(targetPath(name));
  console.error(`fuzz_${name}: ${count} coverage counters in ${spec.length} files`);
  const defaults = ['-timeout=10', '-rss_limit_mb=1024'];
  if (target.dictionary) {
    // libFuzzer's -dict format: one quoted string a line. libFuzzer ends the process with exit(),
    // past Node's exit handlers, so the file has a fixed name (the same content each run).
    const file = path.join(require('node:os').tmpdir(), `imprint-fuzz-${name}.dict`);
    const quote = (token) =>
      Array.from(Buffer.from(token), (b) =>
        b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c
          ? String.fromCharCode(b)
          : `\\x${b.toString(16).padStart(2, '0')}`,
      ).join('');
    fs.writeFileSync(
      file,
      target
        .dictionary()
        .map((t) => `"${quote(t)}"\n`)
        .join(''),
    );
    defaults.push(`-dict=${file}`);
  }
  const code = fuzzer.run([`fuzz_${name}`, ...defaults, ...args], (bytes) => target.fuzz(bytes));
  process.exitCode = code;
}

main(process.argv.slice(2));
