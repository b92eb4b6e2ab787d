'use strict';
// The command-line tool on a real labelled folder tree (Fashion-MNIST images written as PNG files).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');

const { createExtractor, loadClassifier } = require('..');
const testdata = require('./support/testdata');
const { encodePng } = require('./support/png-writer');

const CLI = path.join(__dirname, '..', 'js', 'cli.cjs');
const CLASSES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];

function readIdx(file) {
  const bytes = zlib.gunzipSync(fs.readFileSync(file));
  const dims = bytes[3];
  const shape = Array.from({ length: dims }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  return { shape, data: bytes.subarray(4 + 4 * dims) };
}

// Every run has a hard timeout: a CLI that hangs fails its test (code null, signal SIGTERM) instead
// of hanging the suite.
function imprint(args, options = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000, ...options });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

const PHOTO = path.join(__dirname, '..', '.cache', 'testdata', 'photos', 'dog.jpg');

let work;
test.before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-cli-'));
  const paths = testdata.fashionMnist();
  const images = readIdx(paths.trainImages),
    labels = readIdx(paths.trainLabels);
  const wanted = { train: 6, test: 4 }; // per class, for 4 classes
  const chosen = [0, 1, 7, 8];
  const counts = new Map();
  for (let i = 0; i < labels.shape[0]; i++) {
    const label = labels.data[i];
    if (!chosen.includes(label)) continue;
    const n = counts.get(label) || 0;
    if (n >= wanted.train + wanted.test) continue;
    counts.set(label, n + 1);
    const split = n < wanted.train ? 'train' : 'test';
    const dir = path.join(work, split, CLASSES[label]);
    fs.mkdirSync(dir, { recursive: true });
    const pixels = images.data.subarray(i * 784, (i + 1) * 784);
    fs.writeFileSync(path.join(dir, `${i}.png`), encodePng({ width: 28, height: 28, colorType: 0, data: pixels }));
  }
});
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test('--help explains every command; an unknown command is a usage error (exit 2)', () => {
  const help = imprint(['--help']);
  assert.equal(help.code, 0);
  for (const c of ['embed', 'train', 'predict', 'eval', 'index', 'search', 'info', 'convert'])
    assert.match(help.stdout, new RegExp(`\\b${c}\\b`));
  assert.equal(imprint(['train', '--help']).code, 0);
  const bad = imprint(['frobnicate']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command/);
});

test('train then eval: accuracy matches the library API on the same files', async () => {
  const head = path.join(work, 'head.imprint');
  const trained = imprint(['train', path.join(work, 'train'), '-o', head]);
  assert.equal(trained.code, 0, trained.stderr);
  const summary = JSON.parse(trained.stdout);
  assert.deepEqual(Object.keys(summary.classes).sort(), ['bag', 'sneaker', 't-shirt', 'trouser']);
  assert.ok(fs.existsSync(head));

  const evaluated = imprint(['eval', head, path.join(work, 'test'), '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const cliResult = JSON.parse(evaluated.stdout);
  assert.equal(cliResult.count, 16);

  const extractor = await createExtractor();
  try {
    const classifier = await loadClassifier(extractor, fs.readFileSync(head));
    let correct = 0,
      total = 0;
    for (const label of fs.readdirSync(path.join(work, 'test'))) {
      for (const file of fs.readdirSync(path.join(work, 'test', label))) {
        const p = await classifier.predict(path.join(work, 'test', label, file));
        correct += p.label === label;
        total++;
      }
    }
    assert.equal(cliResult.accuracy, correct / total);
    classifier.dispose();
  } finally {
    extractor.dispose();
  }
  const text = imprint(['eval', head, path.join(work, 'test')]);
  assert.match(text.stdout, /accuracy \d+\.\d%/);
  assert.match(text.stdout, /confusion/);
});

test('predict --json gives one parseable line per image; bad files are reported and skipped (exit 1)', () => {
  const head = path.join(work, 'head.imprint');
  if (!fs.existsSync(head)) assert.equal(imprint(['train', path.join(work, 'train'), '-o', head]).code, 0);
  const notImage = path.join(work, 'notes.png');
  fs.writeFileSync(notImage, 'this is not a picture');
  const dir = path.join(work, 'test', 'bag');
  const result = imprint(['predict', head, dir, notImage, path.join(work, 'missing.jpg'), '--json']);
  assert.equal(result.code, 1);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, fs.readdirSync(dir).length);
  for (const line of lines) {
    assert.equal(typeof line.label, 'string');
    assert.ok(line.confidence >= 0 && line.confidence <= 1);
    assert.equal(typeof line.unknown, 'boolean');
  }
  assert.match(result.stderr, /notes\.png: DECODE_FAILED/);
  assert.match(result.stderr, /missing\.jpg: FILE_NOT_FOUND/);
});

test('embed writes JSON lines or a float32 file in input order; a damaged head is refused with its name', () => {
  const dir = path.join(work, 'train', 'bag');
  const files = fs
    .readdirSync(dir)
    .sort()
    .map((f) => path.join(dir, f));
  const json = imprint(['embed', ...files, '--threads', '2']);
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.path),
    files,
  );
  const out = path.join(work, 'vectors.f32');
  const binary = imprint(['embed', ...files, '--out', out, '--threads', '1']);
  assert.equal(binary.code, 0, binary.stderr);
  const floats = new Float32Array(fs.readFileSync(out).buffer.slice(0));
  assert.equal(floats.length, files.length * lines[0].dim);
  assert.deepEqual(
    Array.from(floats.subarray(0, lines[0].dim)),
    lines[0].vector.map((v) => Math.fround(v)),
  );

  const damaged = path.join(work, 'damaged.imprint');
  const bytes = fs.readFileSync(path.join(work, 'head.imprint'));
  bytes[Math.floor(bytes.length / 2)] ^= 1;
  fs.writeFileSync(damaged, bytes);
  const refused = imprint(['predict', damaged, files[0]]);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /damaged\.imprint/);
  assert.match(refused.stderr, /HEAD_CORRUPT/);
});

test('info describes the default model', () => {
  const result = imprint(['info']);
  assert.equal(result.code, 0);
  const info = JSON.parse(result.stdout);
  assert.equal(info.dim, 1920);
  assert.equal(info.name, 'ssd-mobilenet_v2-224');
  assert.deepEqual(info.inputSize, [224, 224]);
});

test('train --seed seeds training: the same seed gives the same file, another seed another calibration; a seed that is not a number is a usage error', () => {
  // 10 examples per class: enough for the calibration folds that the seed shuffles.
  const folder = path.join(work, 'seeded');
  for (const label of ['trouser', 'bag']) {
    fs.mkdirSync(path.join(folder, label), { recursive: true });
    for (const split of ['train', 'test']) {
      for (const file of fs.readdirSync(path.join(work, split, label))) {
        fs.copyFileSync(path.join(work, split, label, file), path.join(folder, label, `${split}-${file}`));
      }
    }
  }
  const heads = [1, 1, 2].map((seed, i) => {
    const out = path.join(work, `seeded-${i}.imprint`);
    const result = imprint(['train', folder, '-o', out, '--seed', String(seed)]);
    assert.equal(result.code, 0, result.stderr);
    return fs.readFileSync(out);
  });
  assert.ok(heads[0].equals(heads[1]), 'the same seed must give the same head file');
  assert.ok(!heads[0].equals(heads[2]), 'another seed must shuffle the calibration folds differently');
  const refused = imprint(['train', folder, '-o', path.join(work, 'never.imprint'), '--seed', 'abc']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--seed/);
});

test('every usage error exits 2 with one line on stderr naming the problem', () => {
  const folder = path.join(work, 'train');
  const head = path.join(work, 'no-such-head.imprint');
  const cases = [
    [['embed', PHOTO, '--out'], /--out/],
    [['embed', PHOTO, '--out='], /--out needs a value/],
    [['embed', PHOTO, '--threads', '0'], /--threads .*'0'/],
    [['embed', PHOTO, '--threads', 'abc'], /--threads .*'abc'/],
    [['embed', PHOTO, '--threads', '2.5'], /--threads/],
    [['embed', PHOTO, '--bogus'], /Unknown option '--bogus'/],
    [
      ['embed', PHOTO, '--model', path.join(work, 'no-such-model.imprint')],
      /cannot read the model file .*no-such-model/,
    ],
    [['train', folder, '-o', path.join(work, 'x.imprint'), '--seed', '-3'], /--seed/],
    [['train', folder, '-o', path.join(work, 'x.imprint'), '--seed=-3'], /--seed .*'-3'/],
    [['train', folder, '-o', path.join(work, 'x.imprint'), '--seed', 'abc'], /--seed .*'abc'/],
    [['train', folder], /-o/],
    [['train', folder, '-o', 'a', '--out', 'b'], /once/],
    [['info', '--json'], /Unknown option '--json'/],
    [['info', path.join(work, 'no-such-model.imprint')], /cannot read the model file/],
    [['info', 'a', 'b'], /at most one/],
    [['predict', head, PHOTO], /cannot read the classifier file .*no-such-head/],
    [['predict', head], /predict needs/],
    [['eval', head], /eval needs/],
    [['predict', head, PHOTO, '--layers'], /Unknown option '--layers'/],
  ];
  for (const [args, message] of cases) {
    const result = imprint(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '', args.join(' '));
    assert.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line, got ${result.stderr}`);
    assert.match(result.stderr, /^imprint: /);
    assert.match(result.stderr, message, args.join(' '));
  }
  assert.ok(!fs.existsSync(path.join(work, 'x.imprint')), 'a refused command writes nothing');
});

test('embed -o is --out, as the help says', () => {
  const out = path.join(work, 'short-o.f32');
  const result = imprint(['embed', PHOTO, '-o', out, '--threads', '1']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(imprint(['embed', '--help']).stdout, /-o, --out <file>/);
  assert.equal(fs.statSync(out).size, JSON.parse(result.stdout).dim * 4);
});

test('an output that cannot be written is one line and exit 3, never a hang or a stack trace', (t) => {
  const missing = path.join(work, 'missing-folder', 'x.f32');
  const embed = imprint(['embed', PHOTO, '--out', missing, '--threads', '2'], { timeout: 30000 });
  assert.equal(embed.signal, null, 'embed --out into a missing folder must exit, not hang');
  assert.equal(embed.code, 3, embed.stderr);
  assert.equal(embed.stderr.trim().split('\n').length, 1, embed.stderr);
  assert.match(embed.stderr, /^imprint: cannot write .*missing-folder.*ENOENT: no such file/);
  assert.doesNotMatch(embed.stderr, /ENOENT: ENOENT/);

  const train = imprint(['train', path.join(work, 'train'), '-o', path.join(work, 'missing-folder', 'h.imprint')]);
  assert.equal(train.code, 3, train.stderr);
  assert.match(train.stderr, /cannot write .*missing-folder/);

  if (fs.existsSync('/dev/full')) {
    const full = fs.openSync('/dev/full', 'w');
    try {
      const toStdout = imprint(['embed', PHOTO, '--threads', '1'], { stdio: ['ignore', full, 'pipe'] });
      assert.equal(toStdout.code, 3, toStdout.stderr);
      assert.match(toStdout.stderr, /imprint: cannot write the output: ENOSPC/);
      assert.doesNotMatch(toStdout.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      fs.closeSync(full);
    }
    const toFile = imprint(['embed', PHOTO, '--threads', '1', '--out', '/dev/full']);
    assert.equal(toFile.code, 3, toFile.stderr);
    assert.match(toFile.stderr, /imprint: cannot write \/dev\/full: ENOSPC/);
  } else {
    t.diagnostic('no /dev/full here: the full-disk checks are skipped');
  }
});

test('a reader that stops early (| head -1) ends the run quietly with exit 0', async () => {
  const { spawn } = require('node:child_process');
  const files = Array.from({ length: 8 }, () => PHOTO);
  const child = spawn(process.execPath, [CLI, 'embed', ...files, '--threads', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Like head -1: read the first chunk, then close the pipe while the CLI still has lines to write.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the CLI did not exit within 60 s of its reader going away'));
    }, 60000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});

/** A folder of real inputs and bad entries: each bad entry must be reported and skipped. */
function scanFolder() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-scan-'));
  fs.chmodSync(root, 0o755); // readable by the unprivileged user of the unreadable-folder check
  const png = path.join(work, 'train', 'bag', fs.readdirSync(path.join(work, 'train', 'bag'))[0]);
  fs.mkdirSync(path.join(root, 'sub'));
  fs.copyFileSync(PHOTO, path.join(root, 'a.jpg'));
  fs.copyFileSync(PHOTO, path.join(root, 'sub', 'b.jfif'));
  fs.copyFileSync(PHOTO, path.join(root, 'sub', 'c.jpe'));
  fs.copyFileSync(png, path.join(root, 'sub', 'd.PNG'));
  fs.symlinkSync('nowhere.jpg', path.join(root, 'dangling.jpg'));
  fs.symlinkSync('..', path.join(root, 'sub', 'loop'));
  fs.symlinkSync('sub', path.join(root, 'sub-again'));
  fs.writeFileSync(path.join(root, 'notes.txt'), 'not a picture');
  // Magic bytes are enough: the scan and the decoder both look at them.
  fs.writeFileSync(path.join(root, 'w1.webp'), Buffer.from('RIFF\0\0\0\0WEBPVP8 '));
  fs.writeFileSync(path.join(root, 'w2.webp'), Buffer.from('RIFF\0\0\0\0WEBPVP8 '));
  fs.writeFileSync(path.join(root, 'scan-0001'), Buffer.from('II*\0\x08\0\0\0\0\0\0\0\0\0\0\0', 'latin1'));
  return root;
}

test('a folder scan reports and skips a dangling symlink and a symlink loop, reads each folder once, and says what it left out (exit 1)', () => {
  const root = scanFolder();
  try {
    const result = imprint(['embed', root, '--threads', '1']);
    assert.equal(result.signal, null, 'must not hang');
    assert.equal(result.code, 1, result.stderr);
    const paths = result.stdout
      .trim()
      .split('\n')
      .map((l) => path.relative(root, JSON.parse(l).path));
    assert.deepEqual(paths, [
      'a.jpg',
      path.join('sub', 'b.jfif'),
      path.join('sub', 'c.jpe'),
      path.join('sub', 'd.PNG'),
    ]);
    assert.match(result.stderr, /dangling\.jpg: ENOENT: dangling symlink to nowhere\.jpg, skipped/);
    assert.match(result.stderr, /sub[/\\]loop: ELOOP: symlink loop back to /);
    assert.match(result.stderr, /sub-again: already read as /);
    assert.match(result.stderr, /w1\.webp: UNSUPPORTED_FORMAT/);
    assert.match(result.stderr, /scan-0001: UNSUPPORTED_FORMAT: TIFF/);
    assert.match(
      result.stderr,
      /skipped 4 files: 2 WebP \(UNSUPPORTED_FORMAT\), 1 TIFF \(UNSUPPORTED_FORMAT\), 1 not an image/,
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a sub-folder that cannot be read is reported and skipped (run as an unprivileged user)', (t) => {
  const root = scanFolder();
  try {
    fs.mkdirSync(path.join(root, 'locked'));
    fs.copyFileSync(PHOTO, path.join(root, 'locked', 'e.jpg'));
    fs.chmodSync(path.join(root, 'locked'), 0o000);
    const asNobody = ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups']];
    const probe = spawnSync(asNobody[0], [...asNobody[1], process.execPath, '-e', `require(${JSON.stringify(CLI)})`], {
      timeout: 30000,
    });
    if (probe.status !== 0) {
      t.diagnostic('cannot run the CLI as an unprivileged user here (setpriv failed): check skipped');
      return;
    }
    const result = spawnSync(asNobody[0], [...asNobody[1], process.execPath, CLI, 'embed', root, '--threads', '1'], {
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(result.signal, null, 'must not hang');
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /locked: EACCES: cannot read this folder, skipped/);
    assert.equal(result.stdout.trim().split('\n').length, 4);
  } finally {
    fs.chmodSync(path.join(root, 'locked'), 0o755);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a folder with no usable input is an error, not a silent success', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-empty-'));
  try {
    const empty = imprint(['embed', root]);
    assert.equal(empty.code, 3, empty.stderr);
    assert.match(empty.stderr, /no image to read in/);
    fs.writeFileSync(path.join(root, 'only.webp'), Buffer.from('RIFF\0\0\0\0WEBPVP8 '));
    fs.writeFileSync(path.join(root, 'only.txt'), 'text');
    const unusable = imprint(['embed', root]);
    assert.equal(unusable.code, 3, unusable.stderr);
    assert.match(unusable.stderr, /only\.webp: UNSUPPORTED_FORMAT/);
    assert.match(unusable.stderr, /skipped 2 files: 1 WebP \(UNSUPPORTED_FORMAT\), 1 not an image/);
    assert.equal(unusable.stdout, '');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('train warns about empty label folders and top-level files, and refuses a single label unless --allow-one-label', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-labels-'));
  try {
    for (const label of ['bag', 'trouser']) {
      fs.mkdirSync(path.join(root, label));
      for (const file of fs.readdirSync(path.join(work, 'train', label)))
        fs.copyFileSync(path.join(work, 'train', label, file), path.join(root, label, file));
    }
    fs.mkdirSync(path.join(root, 'empty'));
    fs.copyFileSync(PHOTO, path.join(root, 'stray.jpg'));
    const head = path.join(root, 'head.imprint');
    const two = imprint(['train', root, '-o', head]);
    assert.equal(two.code, 0, two.stderr);
    assert.deepEqual(Object.keys(JSON.parse(two.stdout).classes), ['bag', 'trouser']);
    assert.match(two.stderr, /warning: .*empty: label folder without images; ignored/);
    assert.match(two.stderr, /warning: .*stray\.jpg: a file at the top level/);

    fs.rmSync(path.join(root, 'trouser'), { recursive: true });
    fs.rmSync(head);
    const one = imprint(['train', root, '-o', head]);
    assert.equal(one.code, 2, one.stderr);
    assert.match(one.stderr, /at least two labels .*--allow-one-label/);
    assert.ok(!fs.existsSync(head));
    const allowed = imprint(['train', root, '-o', head, '--allow-one-label']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual(Object.keys(JSON.parse(allowed.stdout).classes), ['bag']);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('predict prints fixed tab-separated columns under a header, with tabs and newlines in names escaped', () => {
  const head = path.join(work, 'head.imprint');
  if (!fs.existsSync(head)) assert.equal(imprint(['train', path.join(work, 'train'), '-o', head]).code, 0);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-tsv-'));
  try {
    const source = path.join(work, 'test', 'bag');
    const names = ['tab\there.png', 'new\nline.png', 'back\\slash.png', 'plain.png'];
    fs.readdirSync(source)
      .slice(0, names.length)
      .forEach((file, i) => fs.copyFileSync(path.join(source, file), path.join(root, names[i])));
    const result = imprint(['predict', head, root]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines[0], 'path\tlabel\tconfidence\tunknown');
    assert.equal(lines.length, 1 + names.length);
    const unescape = (field) => field.replace(/\\(.)/g, (_, c) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c]);
    const seen = lines.slice(1).map((line) => {
      const columns = line.split('\t');
      assert.equal(columns.length, 4, line);
      assert.ok(['t-shirt', 'trouser', 'sneaker', 'bag'].includes(columns[1]), line);
      assert.match(columns[2], /^[01]\.\d{3}$/);
      assert.match(columns[3], /^(true|false)$/);
      return path.basename(unescape(columns[0]));
    });
    assert.deepEqual(seen.sort(), [...names].sort());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('progress: off when stderr is not a terminal, --progress shows rate and ETA, --no-progress hides it', (t) => {
  const files = fs.readdirSync(path.join(work, 'train', 'bag')).map((f) => path.join(work, 'train', 'bag', f));
  const quiet = imprint(['embed', ...files, '--threads', '1']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '', 'no progress on a pipe by default');
  const shown = imprint(['embed', ...files, '--threads', '1', '--progress']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stderr, /embed \(1 thread\) \[#+\] 6\/6 \d+\.\d\/s in \d+:\d\d\n$/);
  assert.match(shown.stderr, /\/s ETA \d+:\d\d\n/);
  assert.equal(imprint(['embed', ...files, '--progress', '--no-progress']).code, 2);
  if (spawnSync('script', ['--version']).status === 0) {
    // A terminal on stderr turns it on by default, drawn in place.
    const command = [process.execPath, CLI, 'embed', files[0], '--threads', '1']
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(' ');
    const tty = spawnSync('script', ['-qec', `${command} >/dev/null`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /\rembed \(1 thread\) \[#+\] 1\/1 /);
  } else {
    t.diagnostic('no script(1) here: the terminal default is not checked');
  }
});

test('embed --resume skips inputs already in the output and drops what an interruption left half-written', () => {
  const files = ['bag', 'trouser'].flatMap((label) =>
    fs
      .readdirSync(path.join(work, 'train', label))
      .sort()
      .map((f) => path.join(work, 'train', label, f)),
  );
  const full = path.join(work, 'full.f32');
  const whole = imprint(['embed', ...files, '--out', full, '--threads', '1']);
  assert.equal(whole.code, 0, whole.stderr);
  const index = fs.readFileSync(`${full}.index.jsonl`, 'utf8');
  assert.equal(index, whole.stdout, 'the index holds the lines printed');
  const dim = JSON.parse(index.split('\n')[0]).dim;

  // An interruption: 5 whole vectors and half of the 6th; 4 whole index lines and half of the 5th.
  const partial = path.join(work, 'partial.f32');
  fs.writeFileSync(partial, fs.readFileSync(full).subarray(0, 5.5 * dim * 4));
  const lines = index.split('\n');
  fs.writeFileSync(`${partial}.index.jsonl`, `${lines.slice(0, 4).join('\n')}\n${lines[4].slice(0, 20)}`);

  const resumed = imprint(['embed', ...files, '--out', partial, '--threads', '2', '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming .*partial\.f32: 4 of the inputs are in it already, 8 to go/);
  const printed = resumed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    printed.map((l) => [l.path, l.index]),
    files.slice(4).map((f, i) => [f, 4 + i]),
  );
  assert.ok(fs.readFileSync(partial).equals(fs.readFileSync(full)), 'the resumed file is the uninterrupted one');
  assert.equal(fs.readFileSync(`${partial}.index.jsonl`, 'utf8'), index);

  const again = imprint(['embed', ...files, '--out', partial, '--resume']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /12 of the inputs are in it already, 0 to go/);
  assert.ok(fs.readFileSync(partial).equals(fs.readFileSync(full)));

  assert.equal(imprint(['embed', ...files, '--resume']).code, 2, '--resume needs --out');
  fs.rmSync(`${partial}.index.jsonl`);
  const orphan = imprint(['embed', ...files, '--out', partial, '--resume']);
  assert.equal(orphan.code, 3);
  assert.match(orphan.stderr, /cannot resume .*index\.jsonl is missing/);
});

test('embed --resume after a real kill: every input once, whole vectors only, each equal to an uninterrupted run', async (t) => {
  const { spawn } = require('node:child_process');
  const files = Array.from({ length: 4 }, () => PHOTO).concat(
    fs.readdirSync(path.join(work, 'train', 'bag')).map((f) => path.join(work, 'train', 'bag', f)),
  );
  const out = path.join(work, 'killed.f32');
  const child = spawn(process.execPath, [CLI, 'embed', ...files, '--out', out, '--threads', '1']);
  const killed = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no output within 60 s')), 60000);
    child.stdout.once('data', () => child.kill('SIGKILL'));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });
  const resumed = imprint(['embed', ...files, '--out', out, '--threads', '1', '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const reference = path.join(work, 'unkilled.f32');
  assert.equal(imprint(['embed', ...files, '--out', reference, '--threads', '1']).code, 0);
  // Duplicate inputs (the same photo 4 times) count as done once embedded.
  const expected = fs.readFileSync(reference);
  const got = fs.readFileSync(out);
  const dim = 1920 * 4;
  if (killed === 'SIGKILL')
    t.diagnostic(`killed after ${got.length / dim - resumed.stdout.trim().split('\n').length} vectors`);
  assert.equal(got.length % dim, 0, 'whole vectors only');
  const indexLines = fs
    .readFileSync(`${out}.index.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(indexLines.length, got.length / dim);
  indexLines.forEach((line, i) => assert.equal(line.index, i));
  for (const [i, line] of indexLines.entries()) {
    const at = files.indexOf(line.path);
    assert.ok(got.subarray(i * dim, (i + 1) * dim).equals(expected.subarray(at * dim, (at + 1) * dim)), line.path);
  }
  assert.deepEqual(new Set(indexLines.map((l) => l.path)), new Set(files));
});

test('train and eval scan label folders the same way: a loop or dangling link is reported and skipped, a second link to a label folder is read once', () => {
  const head = path.join(work, 'head.imprint');
  if (!fs.existsSync(head)) assert.equal(imprint(['train', path.join(work, 'train'), '-o', head]).code, 0);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-eval-scan-'));
  try {
    for (const label of ['bag', 'trouser'])
      fs.cpSync(path.join(work, 'test', label), path.join(root, label), { recursive: true });
    fs.symlinkSync('..', path.join(root, 'bag', 'loop'));
    fs.symlinkSync('bag', path.join(root, 'bag-again'));
    fs.symlinkSync('nowhere', path.join(root, 'dangling'));
    const result = imprint(['eval', head, root, '--json']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(JSON.parse(result.stdout).count, 8);
    assert.match(result.stderr, /bag[/\\]loop: ELOOP: symlink loop back to /);
    assert.match(result.stderr, /bag-again: already read as /);
    assert.match(result.stderr, /dangling: ENOENT: dangling symlink to nowhere, skipped/);
    assert.doesNotMatch(result.stderr, /bag-again: label folder without images/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a damaged model is fatal (exit 3) for every command, names the file, and never hangs', () => {
  const model = path.join(__dirname, '..', 'dist', 'models', 'default.imprint');
  const bytes = fs.readFileSync(model);
  bytes[Math.floor(bytes.length / 2)] ^= 1;
  const damaged = path.join(work, 'damaged-model.imprint');
  fs.writeFileSync(damaged, bytes);
  const head = path.join(work, 'head.imprint');
  if (!fs.existsSync(head)) assert.equal(imprint(['train', path.join(work, 'train'), '-o', head]).code, 0);
  for (const args of [
    ['embed', PHOTO, '--model', damaged, '--threads', '2'],
    ['embed', PHOTO, '--model', damaged, '--out', path.join(work, 'never.f32')],
    ['predict', head, PHOTO, '--model', damaged],
    ['info', damaged],
  ]) {
    const result = imprint(args, { timeout: 30000 });
    assert.equal(result.signal, null, `${args.join(' ')} must not hang`);
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^imprint: MODEL_CORRUPT: .*damaged-model\.imprint.*checksum/);
  }
});

/** A folder with a few of the sample photos (the package's own folder holds hundreds of images). */
function samplePhotos() {
  const photos = path.join(work, 'photos');
  fs.mkdirSync(photos, { recursive: true });
  for (const name of ['dog', 'eagle', 'giraffe', 'horses', 'kite'])
    fs.copyFileSync(testdata.photo(name), path.join(photos, `${name}.jpg`));
  return photos;
}

test('index then search: the index file answers as the library does, best first, tab-separated or JSON', async () => {
  const photos = samplePhotos();
  const PHOTO = path.join(photos, 'dog.jpg');
  const indexFile = path.join(work, 'photos.index');
  const built = imprint(['index', photos, '-o', indexFile, '--threads', '2']);
  assert.equal(built.code, 0, built.stderr);
  const summary = JSON.parse(built.stdout);
  const jpegs = fs.readdirSync(photos).filter((f) => f.endsWith('.jpg'));
  assert.deepEqual(summary, { output: indexFile, items: jpegs.length, added: jpegs.length, failed: 0 });

  // The same as the library on the same file: ids are the paths, results identical.
  const { loadIndex } = require('..');
  const extractor = await createExtractor();
  const index = await loadIndex(extractor, indexFile);
  assert.deepEqual(index.ids.sort(), jpegs.map((f) => path.join(photos, f)).sort());
  const expected = await index.query(PHOTO, { k: 3 });
  index.dispose();
  extractor.dispose();

  const tsv = imprint(['search', indexFile, PHOTO, '-k', '3']);
  assert.equal(tsv.code, 0, tsv.stderr);
  const lines = tsv.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'query\trank\tid\tsimilarity');
  assert.deepEqual(
    lines.slice(1),
    expected.map((r, i) => `${PHOTO}\t${i + 1}\t${r.id}\t${r.similarity.toFixed(3)}`),
  );
  assert.equal(expected[0].id, PHOTO, 'an indexed image finds itself first');

  const json = imprint(['search', indexFile, PHOTO, path.join(photos, 'eagle.jpg'), '--json', '--top', '2']);
  assert.equal(json.code, 0, json.stderr);
  const rows = json.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 2);
  assert.equal(rows[0].query, PHOTO);
  assert.equal(rows[0].results.length, 2);
  assert.ok(Math.abs(rows[0].results[0].similarity - expected[0].similarity) < 1e-6);
  assert.equal(rows[1].results[0].id, path.join(photos, 'eagle.jpg'));

  // A query that cannot be read is reported, the others answered (exit 1).
  const bad = path.join(work, 'not-an-image.jpg');
  fs.writeFileSync(bad, 'not an image');
  const partial = imprint(['search', indexFile, bad, PHOTO, '-k', '1']);
  assert.equal(partial.code, 1);
  assert.match(partial.stderr, /not-an-image\.jpg: DECODE_FAILED/);
  assert.equal(partial.stdout.trimEnd().split('\n').length, 2);
});

test('index --update adds to an existing index; a damaged index is fatal; misuse is a usage error', () => {
  const photos = samplePhotos();
  const indexFile = path.join(work, 'update.index');
  assert.equal(imprint(['index', PHOTO, '-o', indexFile]).code, 0);
  const updated = imprint(['index', path.join(photos, 'eagle.jpg'), PHOTO, '-o', indexFile, '--update']);
  assert.equal(updated.code, 0, updated.stderr);
  assert.deepEqual(JSON.parse(updated.stdout), { output: indexFile, items: 2, added: 1, failed: 0 });

  const bytes = fs.readFileSync(indexFile);
  bytes[100] ^= 1;
  const damaged = path.join(work, 'damaged.index');
  fs.writeFileSync(damaged, bytes);
  const result = imprint(['search', damaged, PHOTO]);
  assert.equal(result.code, 3);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /^imprint: INDEX_CORRUPT: .*damaged\.index/);

  for (const [args, message] of [
    [['index', PHOTO], /index needs -o/],
    [['index', '-o', indexFile], /index needs at least one image/],
    [['index', PHOTO, '-o', path.join(work, 'none.index'), '--update'], /cannot read the index file to update/],
    [['search', indexFile], /search needs/],
    [['search', path.join(work, 'none.index'), PHOTO], /cannot read the index file/],
    [['search', indexFile, PHOTO, '-k', '0'], /-k\/--top .*'0'/],
    [['search', indexFile, PHOTO, '--top', 'many'], /-k\/--top .*'many'/],
    [['search', indexFile, PHOTO, '--threads', '2'], /Unknown option '--threads'/],
  ]) {
    const r = imprint(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('--no-examples is documented as a file that cannot learn more', () => {
  const help = imprint(['train', '--help']);
  assert.match(help.stdout, /--no-examples[\s\S]*cannot learn more[\s\S]*SAVED_WITHOUT_EXAMPLES/);
});

test('info --models lists the presets; --model takes a preset name; info on a TFLite file lists its operators', () => {
  const models = imprint(['info', '--models']);
  assert.equal(models.code, 0, models.stderr);
  const list = JSON.parse(models.stdout);
  assert.deepEqual(
    list.map((m) => m.name),
    ['default', 'accurate'],
  );
  for (const m of list) assert.ok(m.bytes > 1e6, `${m.name} is built`);
  const accurate = imprint(['info', '--model', 'accurate']);
  assert.equal(accurate.code, 0, accurate.stderr);
  assert.equal(JSON.parse(accurate.stdout).dim, 1536);
  assert.equal(imprint(['info', '--models', '--layers']).code, 2);

  const { objectronSsdBytes } = require('../models/sources.js');
  const tflite = path.join(work, 'ssd.tflite');
  fs.writeFileSync(tflite, objectronSsdBytes());
  const ops = imprint(['info', tflite]);
  assert.equal(ops.code, 0, ops.stderr);
  const { format, operators } = JSON.parse(ops.stdout);
  assert.equal(format, 'tflite');
  const conv1 = operators.find((o) =>
    o.outputs.some((t) => t.name.startsWith('FeatureExtractor/MobilenetV2/Conv_1/Relu6')),
  );
  assert.equal(conv1.op, 'CONV_2D');
  assert.equal(conv1.supported, true);
  // The detector's head: reshapes and concatenations of its box and class predictions.
  assert.ok(operators.some((o) => o.op === 'RESHAPE'));
  for (const o of operators) assert.equal(typeof o.supported, 'boolean');
});
