'use strict';
// Every input a JavaScript fuzz target (tests/fuzz/fuzz_<target>.js) ever failed on stays a test:
// the target's own fuzz() on each file in tests/fuzz/regressions/<target>/ must return (it throws on
// anything outside its contract). scripts/fuzz.sh replays the same files under libFuzzer; this runs
// them without the fuzz build, in the Node suite.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const FUZZ = path.join(__dirname, 'fuzz');
const targets = fs
  .readdirSync(FUZZ)
  .filter((f) => /^fuzz_\w+\.js$/.test(f))
  .map((f) => f.slice('fuzz_'.length, -'.js'.length));

test('the JavaScript fuzz targets exist and the TFLite and TF.js graph importers are among them', () => {
  assert.ok(targets.includes('tflite_import'), `targets: ${targets}`);
  assert.ok(targets.includes('tfjs_graph'), `targets: ${targets}`);
});

for (const target of targets) {
  const dir = path.join(FUZZ, 'regressions', target);
  const inputs = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  test(`fuzz_${target}: ${inputs.length} recorded regression input(s) stay within the contract`, () => {
    const { fuzz } = require(path.join(FUZZ, `fuzz_${target}.js`));
    for (const name of inputs) {
      const bytes = fs.readFileSync(path.join(dir, name));
      assert.doesNotThrow(() => fuzz(bytes), `${target}/${name}`);
    }
  });
}
