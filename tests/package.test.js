'use strict';
// The npm package: `npm pack` yields a tarball that installs into an empty project and works
// there offline, with require and with import, using the model embedded in the package.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const testdata = require('./support/testdata');

/** The files `npm pack` would put in the package (without building: prepack is skipped). */
function packedFiles() {
  const out = execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out)[0].files.map((f) => f.path);
}

/** The repository's top-level files and folders ('js/', 'BENCHMARKS.md'), and dist/, the build output. */
function topLevelEntries() {
  const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  return new Set(['dist/', ...tracked.map((file) => (file.includes('/') ? `${file.split('/')[0]}/` : file))]);
}

/**
 * The repository paths a markdown text names, each with whether it is allowed not to ship: words
 * that start with a top-level entry (js/..., scripts/*.sh, BENCHMARKS.md), wherever they stand; a
 * path may be one the package leaves out only in a paragraph, or under a heading, that says it
 * is about the "source repository".
 */
function repositoryPaths(text, tops) {
  const found = [];
  const headings = []; // the enclosing headings: [level, text]
  for (const paragraph of text.split(/\n\s*\n/)) {
    const heading = /^(#+) (.*)/.exec(paragraph);
    if (heading) {
      while (headings.length && headings.at(-1)[0] >= heading[1].length) headings.pop();
      headings.push([heading[1].length, heading[2]]);
    }
    const repositoryOnly = [paragraph, ...headings.map((h) => h[1])].some((t) => /source repository/.test(t));
    for (const top of tops) {
      const escaped = top.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const word = new RegExp(`(?<![\\w./@-])${escaped}(?:[\\w.*-]+(?:/[\\w.*-]+)*/?)?`, 'g');
      for (const match of paragraph.matchAll(word)) found.push({ name: match[0].replace(/\.$/, ''), repositoryOnly });
    }
  }
  return found;
}

test('the docs in the package name only files it ships, except where they say the source repository has them', () => {
  const shipped = packedFiles();
  const docs = shipped.filter((file) => file.endsWith('.md'));
  for (const doc of ['README.md', 'models/MODEL_FORMAT.md', 'models/HEAD_FORMAT.md'])
    assert.ok(docs.includes(doc), doc);
  const tops = topLevelEntries();
  const glob = (name) => new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  const ships = (name) =>
    shipped.some(
      name.endsWith('/')
        ? (file) => file.startsWith(name)
        : name.includes('*')
          ? (file) => glob(name).test(file)
          : (file) => file === name,
    );
  for (const doc of docs) {
    const named = repositoryPaths(fs.readFileSync(path.join(ROOT, doc), 'utf8'), tops);
    for (const { name, repositoryOnly } of named) {
      assert.ok(repositoryOnly || ships(name), `${doc} names ${name}, which the package does not ship`);
    }
  }
  // The README's last section is about the source repository, and the scan sees what it names.
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## Working on imprint (the source repository)\n');
  assert.ok(at > 0 && readme.indexOf('\n## ', at + 1) === -1, "README.md ends with the source repository's section");
  assert.match(readme.slice(at), /the files it names are there, not in the\s+npm package/);
  const named = repositoryPaths(readme, tops);
  const names = (repositoryOnly) => named.filter((n) => n.repositoryOnly === repositoryOnly).map((n) => n.name);
  assert.ok(names(true).includes('scripts/test.sh') && names(true).includes('BENCHMARKS.md'), names(true).join(' '));
  assert.ok(
    names(false).includes('models/HEAD_FORMAT.md') && names(false).includes('include/imprint.h'),
    names(false).join(' '),
  );
});

test(
  'npm pack → npm install into an empty folder → require and import embed a photo offline',
  { timeout: 600000 },
  () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-pack-'));
    try {
      const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
      // prepack's build log comes first on stdout; npm's JSON report is the last line that is just "[".
      const starts = [...out.matchAll(/^\[$/gm)];
      assert.ok(starts.length, `npm pack printed no JSON report:\n${out}`);
      const [{ filename, files }] = JSON.parse(out.slice(starts[starts.length - 1].index));
      const shipped = files.map((f) => f.path);
      for (const needed of [
        'dist/imprint-core.wasm',
        'dist/imprint-core.js',
        'dist/models/default.imprint',
        'js/index.cjs',
        'js/index.mjs',
        'js/index.d.ts',
      ]) {
        assert.ok(shipped.includes(needed), `the tarball lacks ${needed}`);
      }
      assert.ok(!shipped.some((f) => f.startsWith('tests/') || f.startsWith('src/')), 'tests or C sources were packed');

      const project = path.join(work, 'app');
      fs.mkdirSync(project);
      fs.writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
      );
      execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(work, filename)], {
        cwd: project,
        stdio: 'pipe',
      });

      const photo = testdata.photo('dog');
      const cjs = `const { createExtractor } = require('imprint');
      createExtractor().then(async (ex) => { const v = await ex.embed(${JSON.stringify(photo)}); console.log(JSON.stringify({ dim: v.length, first: v[0] })); ex.dispose(); });`;
      const esm = `import { createExtractor, ImprintError } from 'imprint';
      const ex = await createExtractor(); const v = await ex.embed(${JSON.stringify(photo)});
      console.log(JSON.stringify({ dim: v.length, first: v[0], error: typeof ImprintError })); ex.dispose();`;
      fs.writeFileSync(path.join(project, 'use.cjs'), cjs);
      fs.writeFileSync(path.join(project, 'use.mjs'), esm);
      const fromRequire = JSON.parse(execFileSync('node', ['use.cjs'], { cwd: project, encoding: 'utf8' }));
      const fromImport = JSON.parse(execFileSync('node', ['use.mjs'], { cwd: project, encoding: 'utf8' }));
      assert.ok(fromRequire.dim > 0);
      assert.deepEqual(fromImport, { ...fromRequire, error: 'function' });

      // The TypeScript declarations compile against a small usage file.
      const usage = `import { createExtractor, createClassifier, loadClassifier, ImprintError, type Prediction } from 'imprint';
      async function main(): Promise<void> {
        const ex = await createExtractor({ limits: { maxPixels: 1e7 }, onProgress: (e) => console.log(e.stage) });
        const v: Float32Array = await ex.embed({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 });
        const f: Float32Array = await ex.features('photo.jpg', ex.info.layers[0].name);
        const clf = createClassifier(ex);
        await clf.addExample('cat.jpg', 'cat');
        clf.addEmbedding(v, 'dog');
        const r = await clf.train({ onProgress: ({ step, loss }) => console.log(step, loss) });
        const p: Prediction = await clf.predict('x.png');
        const bytes: Uint8Array = clf.save();
        const again = await loadClassifier(ex, bytes);
        console.log(r.trainAccuracy, p.label, p.confidence, p.unknown, f.length, again.labels.length);
        try { await ex.embed('missing.jpg'); } catch (e) { if (e instanceof ImprintError) console.log(e.code); }
        clf.dispose(); again.dispose(); ex.dispose();
      }
      void main();`;
      fs.writeFileSync(path.join(project, 'usage.ts'), usage);
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const compile = (args) => {
        try {
          execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8', stdio: 'pipe' });
        } catch (error) {
          assert.fail(`tsc found errors in the declarations or their use:\n${error.stdout}${error.stderr}`);
        }
      };
      compile([
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--lib',
        'es2022,dom',
        '--skipLibCheck',
        'usage.ts',
      ]);

      // And the CLI is installed as a bin.
      const bin = path.join(project, 'node_modules', '.bin', 'imprint');
      const info = JSON.parse(execFileSync(bin, ['info'], { cwd: project, encoding: 'utf8' }));
      assert.equal(info.dim, fromRequire.dim);

      // The converter runs as its usage says, from the installed package: `imprint convert --help`
      // shows that usage, and converting nsfwjs's MobileNetV2 that way writes the very file the
      // repository's converter writes.
      const help = execFileSync(bin, ['convert', '--help'], { cwd: project, encoding: 'utf8' });
      assert.match(help, /^usage: imprint convert <model\.json> -o <out\.imprint>/m);
      assert.doesNotMatch(help, /models\/convert\.js/, 'the usage names a file of the source repository');
      const nsfwjs = path.join(ROOT, 'node_modules', 'nsfwjs', 'dist', 'models', 'mobilenet_v2');
      const options = ['--embed', 'block_10_project_BN', '--scale', '1/255', '--name', 'packaged'];
      execFileSync(bin, ['convert', '--nsfwjs', nsfwjs, '-o', 'converted.imprint', ...options], {
        cwd: project,
        stdio: 'pipe',
      });
      const { convertNsfwjsModel } = require('../models/convert.js');
      const expected = convertNsfwjsModel(nsfwjs, { embed: ['block_10_project_BN'], scale: '1/255', name: 'packaged' });
      assert.ok(Buffer.from(expected.bytes).equals(fs.readFileSync(path.join(project, 'converted.imprint'))));
      const converted = JSON.parse(
        execFileSync(bin, ['info', '--model', 'converted.imprint'], { cwd: project, encoding: 'utf8' }),
      );
      assert.equal(converted.name, 'packaged');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
