'use strict';
// The browser build's declarations (dist/web/imprint.d.ts / .d.mts, from web/imprint.d.ts) type-check
// a usage file: page and worker variants resolve to their own classes, browser inputs are accepted.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { buildWeb } = require('./support/browser');

test('dist/web type declarations check a usage of the page and worker APIs under --strict', () => {
  buildWeb();
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const usage = path.join(__dirname, 'browser', 'types-usage.mts');
  const args = [
    tsc,
    '--noEmit',
    '--strict',
    '--target',
    'es2022',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--lib',
    'es2022,dom',
    usage,
  ];
  try {
    execFileSync(process.execPath, args, { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    assert.fail(`tsc found errors:\n${error.stdout}${error.stderr}`);
  }
});
