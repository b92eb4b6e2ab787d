'use strict';
// Everything the build fetches is pinned: npm packages by exact version and lock-file integrity,
// the XNNPACK / pthreadpool / FXdiv source tarballs by Debian version and SHA-256; a tarball that
// does not match its pin stops the build. The browser scripts contain no eval / new Function.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');

function lockEntries() {
  return fs
    .readFileSync(path.join(ROOT, 'scripts', 'deps.lock'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [pkg, debianVersion, tarball, sha256, strip] = line.trim().split(/\s+/);
      return { pkg, debianVersion, tarball, sha256, strip };
    });
}

test('npm: every dependency has an exact version and every locked package an sha512 integrity', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    assert.match(version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, `${name}@${version} is not an exact version`);
  }
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  assert.ok(lock.lockfileVersion >= 2);
  const packages = Object.entries(lock.packages).filter(([key, entry]) => key && !entry.link);
  assert.ok(packages.length > 10);
  for (const [key, entry] of packages) {
    assert.match(entry.version, /^\d+\.\d+\.\d+/, `${key} has no exact version`);
    assert.match(entry.integrity || '', /^sha512-[A-Za-z0-9+/]+=*$/, `${key} has no sha512 integrity`);
  }
  for (const [name, version] of Object.entries(pkg.devDependencies)) {
    assert.equal(lock.packages[`node_modules/${name}`].version, version, `${name}: package.json and the lock disagree`);
  }
});

test('source tarballs: pinned by Debian version and SHA-256, and the copies in .deps/ match', () => {
  const entries = lockEntries();
  assert.deepEqual(entries.map((e) => e.pkg).sort(), ['fxdiv', 'pthreadpool', 'xnnpack']);
  for (const e of entries) {
    assert.match(e.debianVersion, /^[\w.~+]+-\d+$/, `${e.pkg}: Debian version`);
    assert.match(e.sha256, /^[0-9a-f]{64}$/, `${e.pkg}: sha256`);
    const file = path.join(ROOT, '.deps', e.tarball);
    assert.ok(fs.existsSync(file), `${file} was not fetched (scripts/fetch-deps.sh)`);
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'), e.sha256, e.tarball);
  }
});

test('a source tarball that does not match its pin stops the build at configure time', (t) => {
  const cmake = spawnSync('cmake', ['--version']);
  assert.equal(cmake.status, 0, 'cmake is installed by scripts/setup.sh');
  const xnnpack = lockEntries().find((e) => e.pkg === 'xnnpack');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-pin-'));
  t.after(() => fs.rmSync(scratch, { recursive: true, force: true }));
  // A tampered copy: the real tarball with one byte changed, in a deps directory of its own.
  const deps = path.join(scratch, 'deps');
  fs.mkdirSync(deps);
  const bytes = fs.readFileSync(path.join(ROOT, '.deps', xnnpack.tarball));
  bytes[bytes.length >> 1] ^= 0x01;
  fs.writeFileSync(path.join(deps, xnnpack.tarball), bytes);
  for (const e of lockEntries().filter((e) => e.pkg !== 'xnnpack')) {
    fs.copyFileSync(path.join(ROOT, '.deps', e.tarball), path.join(deps, e.tarball));
  }
  const configure = spawnSync(
    'emcmake',
    [
      'cmake',
      '-S',
      ROOT,
      '-B',
      path.join(scratch, 'build'),
      '-G',
      'Ninja',
      '-DCMAKE_BUILD_TYPE=Release',
      `-DIMPRINT_DEPS_DIR=${deps}`,
    ],
    { encoding: 'utf8', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } },
  );
  assert.notEqual(configure.status, 0, 'configure accepted a tampered XNNPACK tarball');
  const output = (configure.stdout + configure.stderr).replace(/\s+/g, ' '); // CMake wraps long messages
  assert.ok(output.includes(`${xnnpack.tarball}: sha256`), output);
  assert.match(output, new RegExp(`sha256 [0-9a-f]{64} does not match the pin ${xnnpack.sha256}`));
  assert.equal(fs.existsSync(path.join(scratch, 'build', 'third_party', 'xnnpack-src')), false, 'nothing was unpacked');
});

test('the browser scripts contain no eval and no new Function (a strict CSP needs neither)', () => {
  require('./support/browser').buildWeb();
  for (const name of ['imprint.js', 'imprint.mjs', 'imprint-worker.js']) {
    const text = fs.readFileSync(path.join(ROOT, 'dist', 'web', name), 'utf8');
    assert.doesNotMatch(text, /\beval\s*\(/, name);
    assert.doesNotMatch(text, /new\s+Function\s*\(/, name);
    assert.doesNotMatch(text, /\bFunction\s*\(\s*["'`]/, name);
  }
});
