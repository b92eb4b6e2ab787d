'use strict';
// A BatchEmbedder's worker threads never keep a program alive by themselves, and closing one while
// it embeds ends the loop with an error instead of a promise that never settles. Each case runs as
// its own Node process with a hard timeout: a hang fails the test instead of hanging the suite.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const testdata = require('./support/testdata');

const LIBRARY = path.join(__dirname, '..');
const TIMEOUT_MS = 60000;

/** Runs `body` (an async function body with `imprint` and `photos` in scope) in a fresh process. */
function run(body) {
  const photos = ['dog', 'eagle', 'giraffe', 'horses', 'kite', 'person', 'scream'].map((n) => testdata.photo(n));
  const script = `const imprint = require(${JSON.stringify(LIBRARY)});
const photos = ${JSON.stringify(photos)};
(async () => {
${body}
})();`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: TIMEOUT_MS });
  assert.notEqual(result.signal, 'SIGTERM', `the process did not end within ${TIMEOUT_MS} ms:\n${result.stderr}`);
  return result;
}

test('a batch embedder that is created and never used lets the process end', () => {
  const result = run(`const batch = imprint.createBatchEmbedder({ threads: 2 });
  console.log('dim', (await batch.info).dim);`);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /dim \d+/);
});

test('a break out of the loop, or an exception before close(), lets the process end', () => {
  const broke = run(`const batch = imprint.createBatchEmbedder({ threads: 2 });
  for await (const { index, vector } of batch.embed(photos)) {
    console.log('got', index, vector.length);
    break;
  }
  console.log('after the loop');`);
  assert.equal(broke.status, 0, broke.stderr);
  assert.match(broke.stdout, /got 0 \d+\nafter the loop/);

  const threw = run(`const batch = imprint.createBatchEmbedder({ threads: 2 });
  for await (const result of batch.embed(photos)) {
    if (result.index === 1) throw new Error('the caller failed here');
  }`);
  assert.equal(threw.status, 1);
  assert.match(threw.stderr, /the caller failed here/);
});

test('close() while a loop embeds ends the loop with DISPOSED, and the code after it runs', () => {
  const result = run(`const batch = imprint.createBatchEmbedder({ threads: 2 });
  let seen = 0;
  try {
    for await (const result of batch.embed([...photos, ...photos, ...photos])) {
      seen++;
      if (seen === 2) batch.close();
    }
    console.log('the loop ended without an error');
  } catch (error) {
    console.log('caught', error.code, error instanceof imprint.ImprintError, seen);
  }
  console.log('after the loop');`);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /caught DISPOSED true 2\nafter the loop/);
});

test('an embedder keeps working for a second loop after the first was left early', () => {
  const result = run(`const batch = imprint.createBatchEmbedder({ threads: 2 });
  for await (const first of batch.embed(photos)) break;
  const vectors = [];
  for await (const { vector, error } of batch.embed(photos)) vectors.push(error ? error.code : vector.length);
  await batch.close();
  console.log(JSON.stringify(vectors));`);
  assert.equal(result.status, 0, result.stderr);
  const lengths = JSON.parse(result.stdout.trim());
  assert.equal(lengths.length, 7);
  assert.ok(
    lengths.every((n) => typeof n === 'number' && n > 0),
    result.stdout,
  );
});
