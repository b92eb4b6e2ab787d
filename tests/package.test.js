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
      const info = JSON.parse(
        execFileSync(path.join(project, 'node_modules', '.bin', 'imprint'), ['info'], {
          cwd: project,
          encoding: 'utf8',
        }),
      );
      assert.equal(info.dim, fromRequire.dim);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
