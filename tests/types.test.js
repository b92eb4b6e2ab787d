'use strict';
// The TypeScript declarations (js/imprint-common.d.ts shared, js/index.d.ts for Node, web/imprint.d.ts
// for browsers) check real uses under --strict with the pinned compiler: Node CommonJS and ES
// modules, a classic page script (global `imprint`), a page ES module, the Web Worker extractor, and
// imprint inside a worker of one's own (lib "webworker"). The fixtures in tests/types/ import
// 'imprint' and 'imprint/web/imprint.mjs' from a copy of the package laid out as npm installs it,
// so package.json's "exports" and the browser build's file layout are part of what is checked.
// Each fixture has @ts-expect-error lines on real mistakes: declarations that grow too loose fail
// (TS2578, unused directive). And the declared values are exactly what each entry exports at run time.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(__dirname, 'types');

/** What scripts/build-web.js writes into dist/web/ for types: [source in the repo, file in dist/web/]. */
const WEB_TYPES = [
  ['web/imprint.d.ts', 'imprint.d.ts'], // classic <script> (global `imprint`)
  ['web/imprint.d.mts', 'imprint.d.mts'], // ES module: re-exports imprint.d.ts
  ['js/imprint-common.d.ts', 'imprint-common.d.ts'], // the shared declarations imprint.d.ts imports
];

const NODE_MODULES = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
/** Compiler options of each kind of consumer, besides --strict. */
const CONSUMERS = {
  node: { ...NODE_MODULES, lib: ['lib.es2022.d.ts'], types: ['node'] },
  // A classic page script is no module: a bundler-style setup (under nodenext every .ts is a module).
  classic: {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
  },
  page: { ...NODE_MODULES, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'], types: [] },
  worker: { ...NODE_MODULES, lib: ['lib.es2022.d.ts', 'lib.webworker.d.ts', 'lib.webworker.iterable.d.ts'], types: [] },
};

/** A temporary project: app/ holds the fixtures, node_modules/imprint the package's declarations. */
function stageProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-types-'));
  const pkg = path.join(dir, 'node_modules', 'imprint');
  const copy = (from, to) => {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  };
  copy(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  for (const name of fs.readdirSync(path.join(ROOT, 'js')).filter((f) => f.endsWith('.d.ts'))) {
    copy(path.join(ROOT, 'js', name), path.join(pkg, 'js', name));
  }
  for (const [from, to] of WEB_TYPES) copy(path.join(ROOT, from), path.join(pkg, 'dist', 'web', to));
  for (const name of fs.readdirSync(FIXTURES)) copy(path.join(FIXTURES, name), path.join(dir, 'app', name));
  return { dir, app: path.join(dir, 'app'), webTypes: path.join(pkg, 'dist', 'web') };
}

// Parsed lib and @types files are the same for every program: parse them once.
const parsed = new Map();
function compilerHost(options) {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (!fileName.startsWith(path.join(ROOT, 'node_modules')))
      return getSourceFile.call(host, fileName, languageVersion, ...rest);
    const key = `${JSON.stringify(languageVersion)}:${fileName}`;
    if (!parsed.has(key)) parsed.set(key, getSourceFile.call(host, fileName, languageVersion, ...rest));
    return parsed.get(key);
  };
  return host;
}

/**
 * Type-checks `files` under --strict as a `consumer` would; returns tsc's report of the errors in
 * them and in imprint's declarations ('' when there are none). Other declaration files (lib.*.d.ts,
 * @types/node) are only read: fully checking them took most of the time.
 */
function typeCheck(files, consumer) {
  const options = {
    ...CONSUMERS[consumer],
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  };
  const program = ts.createProgram(files, options, compilerHost(options));
  const ours = program.getSourceFiles().filter((file) => file.fileName.startsWith(project.dir));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  assert.ok(
    ours.some((file) => file.fileName.includes(`${path.sep}node_modules${path.sep}imprint${path.sep}`)),
    'no imprint declarations were read',
  );
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => '\n',
  });
}

/** The names in `module.exports = { a, b: c, ... }` of an entry file (as scripts/build-web.js reads them). */
function runtimeExports(file) {
  const block = /module\.exports\s*=\s*\{([^}]*)\}/.exec(fs.readFileSync(path.join(ROOT, file), 'utf8'));
  assert.ok(block, `${file} has no module.exports = { ... }`);
  return block[1]
    .split(',')
    .map((entry) => entry.split(':')[0].trim())
    .filter(Boolean);
}

/** TypeScript lines that fail to compile unless `declared` (a type of value names) equals the names. */
function sameNames(what, declared, names) {
  const runtime = names.map((n) => JSON.stringify(n)).join(' | ');
  return `type ${what}Runtime = ${runtime};
const ${what}MissingFromTypes: [Exclude<${what}Runtime, ${declared}>] extends [never] ? true : Exclude<${what}Runtime, ${declared}> = true;
const ${what}NotExported: [Exclude<${declared}, ${what}Runtime>] extends [never] ? true : Exclude<${declared}, ${what}Runtime> = true;
`;
}

const project = stageProject();
test.after(() => fs.rmSync(project.dir, { recursive: true, force: true }));

const fixture = (name) => path.join(project.app, name);

test('every fixture marks at least one real mistake with @ts-expect-error', () => {
  const names = fs.readdirSync(FIXTURES).filter((f) => /\.[cm]?ts$/.test(f));
  assert.equal(names.length, 6, `fixtures: ${names.join(', ')}`);
  for (const name of names) {
    assert.match(
      fs.readFileSync(path.join(FIXTURES, name), 'utf8'),
      /\/\/ @ts-expect-error \S/,
      `${name} has no @ts-expect-error`,
    );
  }
});

test('Node CommonJS: require("imprint") with file paths, Buffers, threads and BatchEmbedder', () => {
  assert.equal(typeCheck([fixture('node-commonjs.cts')], 'node'), '');
});

test('Node ES module: import from "imprint" (named and default), browser-only exports and options refused', () => {
  assert.equal(typeCheck([fixture('node-esm.mts')], 'node'), '');
});

test('classic page script: the global imprint from dist/web/imprint.d.ts, DOM inputs', () => {
  assert.equal(typeCheck([path.join(project.webTypes, 'imprint.d.ts'), fixture('page-script.ts')], 'classic'), '');
});

test('page ES module: import from "imprint/web/imprint.mjs" (dist/web/imprint.d.mts)', () => {
  assert.equal(typeCheck([fixture('page-module.mts')], 'page'), '');
});

test('Web Worker extractor: what is synchronous in the page returns Promises', () => {
  assert.equal(typeCheck([fixture('worker-extractor.mts')], 'page'), '');
});

test('inside a worker of ones own (lib "webworker", no DOM): the browser declarations still compile', () => {
  assert.equal(typeCheck([fixture('web-worker.mts')], 'worker'), '');
});

test('the declared values are exactly what js/index.cjs and web/index.js export (named, default, global)', () => {
  const node = path.join(project.app, 'exports-node.cts');
  fs.writeFileSync(
    node,
    `import imprint = require('imprint');\n${sameNames('node', 'keyof typeof imprint', runtimeExports('js/index.cjs'))}export {};\n`,
  );
  assert.equal(typeCheck([node], 'node'), '');

  const web = path.join(project.app, 'exports-web.mts');
  const names = runtimeExports('web/index.js');
  fs.writeFileSync(
    web,
    `import * as web from 'imprint/web/imprint.mjs';
${sameNames('named', "Exclude<keyof typeof web, 'default'>", names)}${sameNames('defaultExport', 'keyof typeof web.default', names)}${sameNames(
      'windowImprint',
      'keyof Window["imprint"]',
      names,
    )}export {};\n`,
  );
  assert.equal(typeCheck([web], 'page'), '');

  const classic = path.join(project.app, 'exports-classic.ts');
  fs.writeFileSync(classic, sameNames('global', 'keyof typeof imprint', names));
  assert.equal(typeCheck([path.join(project.webTypes, 'imprint.d.ts'), classic], 'classic'), '');
});
