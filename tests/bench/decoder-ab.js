#!/usr/bin/env node
'use strict';
// The image decoding for a model (JPEG scan, Huffman pass, scaled decode, area boxes) of an earlier
// revision against the working tree's, alone (no backbone) in one wasm program, alternating round
// by round on one file (a script, not a test). Smaller changes show here than in jpeg-ab.js, whose
// whole embeddings carry the backbone's run-to-run spread. Prints each version's min / median, the
// median of the paired differences (new - old) and a hash of each version's output pixels (equal
// when a change keeps the pixels).
//
//   node tests/bench/decoder-ab.js OLD_REVISION [--jpeg FILE] [--rounds N]
// Without --jpeg: the 12 MP phone-like JPEG of large-jpeg.js (tests/support/phone-jpeg.js). Needs
// the toolchain of scripts/setup.sh (emcc); builds in a scratch folder.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { phoneJpeg } = require('../support/phone-jpeg');

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
// The files of the decoding whose versions are compared, and the functions they define (renamed
// per version so both link into one program).
// (A revision from before jpeg_split.c simply has none.)
const VERSIONED_SOURCES = ['jpeg_decode.c', 'jpeg_image.c', 'image_decode.c', 'jpeg_scan.c', 'jpeg_split.c'];
const VERSIONED_HEADERS = [
  'jpeg_decode.h',
  'jpeg_image.h',
  'jpeg_scan.h',
  'jpeg_split.h',
  'image.h',
  'lanes.h',
  'byte_order.h',
];
const DEFINED = [
  'jpeg_check_data',
  'jpeg_decode_data',
  'jpeg_image_boxes',
  'jpeg_image_scaled',
  'image_apply_orientation',
  'image_check_limits',
  'image_decode',
  'image_decode_for_model',
  'image_set_pair_runner',
  'jpeg_scale_for',
  'exif_orientation',
  'jpeg_scan',
  'jpeg_split_rows',
];
// As CMakeLists.txt compiles them: the hot decoding for speed, the rest for size.
const SPEED = new Set(['jpeg_decode.c', 'jpeg_image.c', 'preprocess.c']);
const COMMON = ['stb_image_impl.c', 'preprocess.c', 'status.c', 'checks.c'];

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
}

function emcc(args) {
  execFileSync('emcc', args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_PATH: '/usr/share/nodejs' }, // Debian's emscripten needs its modules
  });
}

function compile(source, out, includeFirst, defines = []) {
  const name = path.basename(source);
  emcc([
    SPEED.has(name) ? '-O3' : '-Os',
    '-msimd128',
    ...(name === 'stb_image_impl.c' ? ['-msse2'] : []),
    ...defines,
    `-I${includeFirst}`,
    `-I${SRC}`,
    `-I${path.join(ROOT, 'include')}`,
    '-I/usr/include/stb',
    '-c',
    source,
    '-o',
    out,
  ]);
}

function main() {
  const oldRevision = process.argv[2];
  if (!oldRevision || oldRevision.startsWith('--'))
    throw new Error('usage: node tests/bench/decoder-ab.js OLD_REVISION [--jpeg FILE] [--rounds N]');
  const rounds = Number(option('--rounds', 40));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-decoder-ab-'));
  try {
    let file = option('--jpeg', null);
    if (!file) {
      file = path.join(scratch, 'phone-4000x3000.jpg');
      fs.writeFileSync(file, phoneJpeg(4000, 3000));
    }
    // The earlier revision's decoding sources with its own headers, from git.
    const oldDir = path.join(scratch, 'old');
    fs.mkdirSync(oldDir);
    const missing = new Set();
    for (const name of [...VERSIONED_SOURCES, ...VERSIONED_HEADERS]) {
      try {
        const text = execFileSync('git', ['-C', ROOT, 'show', `${oldRevision}:src/${name}`], {
          maxBuffer: 1 << 26,
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        fs.writeFileSync(path.join(oldDir, name), text);
      } catch {
        missing.add(name);
      }
    }
    const objects = [];
    for (const [prefix, dir] of [
      ['old', oldDir],
      ['new', SRC],
    ]) {
      const defines = DEFINED.map((symbol) => `-D${symbol}=${prefix}_${symbol}`);
      for (const name of VERSIONED_SOURCES) {
        if (prefix === 'old' && missing.has(name)) continue;
        const object = path.join(scratch, `${prefix}-${name}.o`);
        compile(path.join(dir, name), object, dir, defines);
        objects.push(object);
      }
    }
    for (const name of COMMON) {
      const object = path.join(scratch, `common-${name}.o`);
      compile(path.join(SRC, name), object, SRC);
      objects.push(object);
    }
    const program = path.join(scratch, 'decoder-ab.js');
    emcc([
      '-O3',
      '-msimd128',
      `-I${SRC}`,
      `-I${path.join(ROOT, 'include')}`,
      path.join(__dirname, 'decoder-ab.c'),
      ...objects,
      '-o',
      program,
      '-sALLOW_MEMORY_GROWTH=1',
      '-sENVIRONMENT=node',
      '-sNODERAWFS=1',
      '-sEXIT_RUNTIME=1',
    ]);
    const size = (fs.statSync(file).size / 1e6).toFixed(2);
    console.log(
      `# ${option('--jpeg', '12 MP phone-like JPEG')} (${size} MB), ${rounds} rounds, ${oldRevision} against the working tree`,
    );
    const output = execFileSync(process.execPath, ['--no-experimental-fetch', program, file, String(rounds)], {
      encoding: 'utf8',
    });
    process.stdout.write(output);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
