'use strict';
// The JS view of the C ABI is generated from include/imprint.h (scripts/gen-abi.js); these checks
// hold it to the compiled core and to the rule that js/ and web/ write no ABI number by hand.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createExtractor } = require('..');
const { parseHeader } = require('../scripts/gen-abi.js');
const abi = require('../dist/imprint-abi.cjs');

const ROOT = path.join(__dirname, '..');

test('every status the header declares has the name and value the compiled core gives it', async () => {
  const extractor = await createExtractor();
  const { core } = extractor._handles;
  try {
    const names = Object.keys(abi.status);
    assert.ok(names.length >= 14, `only ${names.length} statuses`);
    for (const [name, value] of Object.entries(abi.status)) {
      assert.equal(core.UTF8ToString(core._imprint_status_code(value)), name);
    }
  } finally {
    extractor.dispose();
  }
});

test('every function the header declares is exported by the core, and the built ABI matches the header', async () => {
  const header = parseHeader(path.join(ROOT, 'include', 'imprint.h'));
  assert.deepEqual(abi.status, header.status);
  assert.deepEqual(abi.structs, header.structs);
  assert.deepEqual(abi.constants, header.constants);
  const extractor = await createExtractor();
  const { core } = extractor._handles;
  try {
    for (const name of header.functions) assert.equal(typeof core[`_${name}`], 'function', `${name} is not exported`);
  } finally {
    extractor.dispose();
  }
});

test('struct layouts follow the C rules for wasm32 (the build also asserts them with the compiler)', () => {
  const { train_options: options, train_progress: progress, limits } = abi.structs;
  assert.equal(options.size, 20);
  assert.equal(options.fields.seed.offset, 12);
  assert.equal(progress.fields.done.offset, 24);
  assert.equal(limits.fields.max_pixels.offset, 8); // a uint64_t after two uint32_t
  assert.equal(limits.size, 16);
});

test('js/ and web/ hold no hand-written struct offset, struct size or status number', () => {
  const files = ['js', 'web'].flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir))
      .filter((f) => /\.(c?js|mjs)$/.test(f))
      .map((f) => path.join(dir, f)),
  );
  const patterns = [
    [/\._(?:malloc|free)\(/, 'heap memory managed outside js/wasm.cjs'],
    [/HEAP(?:U?8|U?16|U?32|F32|F64)\[/, 'a heap word read at a computed address'],
    [/status\s*[!=]==?\s*\d/, 'a status compared with a number'],
    [/\b(?:ptr|Ptr|out)\s*\+\s*\d/, 'a struct field offset by hand'],
    [/\b(?:get|set)(?:Uint32|Int32|Float32|BigUint64)\(\s*\d+/, 'a DataView access at a fixed offset'],
  ];
  for (const file of files) {
    if (file === path.join('js', 'wasm.cjs')) continue; // reads the generated layouts
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const [pattern, what] of patterns) assert.doesNotMatch(text, pattern, `${file}: ${what}`);
  }
});
