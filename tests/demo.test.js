'use strict';
// The drag-and-drop demo page end to end in Debian's Chromium, served by demo/serve.js: two labels,
// real photos dropped onto each through drag-and-drop events carrying File objects, training, a
// new photo dropped for a prediction that matches Node's, then save → reload → load → the same
// prediction. Screenshots of the main states go to tests/artifacts/. Every request of the visit
// must go to the page's own origin on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { createExtractor, createClassifier, loadClassifier } = require('..');
const testdata = require('./support/testdata');
const { buildWeb, launchBrowser, recordRequests, watchPage } = require('./support/browser');
const { createServer } = require('../demo/serve.js');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SHOTS = 8;

function categoryFiles(name) {
  const found = testdata.stampCategories().find((c) => c.category === name);
  assert.ok(found, `no stamp category ${name}`);
  return found.files;
}

/** Dispatches dragenter → dragover → drop on `selector` with the files as a real DataTransfer. */
async function dropFiles(page, selector, files) {
  const payload = files.map((file) => ({
    name: path.basename(file),
    base64: fs.readFileSync(file).toString('base64'),
    type: file.endsWith('.png') ? 'image/png' : file.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream',
  }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const transfer = new DataTransfer();
    for (const { name, base64, type } of items) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], name, { type }));
    }
    return transfer;
  }, payload);
  for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent(selector, type, { dataTransfer });
  await dataTransfer.dispose();
}

async function waitIdle(page) {
  await page.waitForFunction(
    () => document.body.dataset.state === 'ready' && !document.body.classList.contains('busy'),
  );
}

async function readPrediction(page) {
  await page.waitForFunction(() => document.getElementById('prediction').dataset.state !== 'empty');
  return page.evaluate(() => ({
    label: document.getElementById('prediction-label').textContent,
    confidence: document.getElementById('prediction-confidence').textContent,
    unknown: !document.getElementById('prediction-unknown').hidden,
    bars: [...document.querySelectorAll('#scores li')].map((li) => li.querySelector('.score-name').textContent),
  }));
}

test(
  'demo: labels, drag-and-drop photos, train, predict, save, reload, load, same prediction; all requests stay on 127.0.0.1',
  { timeout: 300000 },
  async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    buildWeb();
    const mammals = categoryFiles('animals/mammals');
    const fruit = categoryFiles('food/fruit');
    const examples = { mammals: mammals.slice(0, SHOTS), fruit: fruit.slice(0, SHOTS) };

    // Node, on the same photos: which new fruit photo it classifies clearly, and what it says.
    const extractor = await createExtractor();
    const reference = createClassifier(extractor);
    for (const [label, files] of Object.entries(examples)) {
      for (const file of files) reference.addEmbedding(await extractor.embed(file), label);
    }
    await reference.train();
    let probe = null;
    for (const file of fruit.slice(SHOTS)) {
      const p = reference.predictEmbedding(await extractor.embed(file));
      if (p.label === 'fruit' && p.confidence > 0.8 && !p.unknown) {
        probe = { file, expected: p };
        break;
      }
    }
    reference.dispose();
    extractor.dispose();
    assert.ok(probe, 'no held-out fruit photo that Node classifies clearly');

    const server = await createServer({ port: 0 });
    const browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    const requests = recordRequests(browser.context);
    try {
      const page = await browser.context.newPage();
      const problems = watchPage(page);
      await page.goto(server.url);
      await page.waitForFunction(() => document.body.dataset.state !== 'loading');
      assert.equal(
        await page.evaluate(() => document.body.dataset.state),
        'ready',
        await page.textContent('#message-text'),
      );
      assert.equal(await page.isVisible('#labels-empty'), true, 'the empty state is shown before any label');
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-1-empty.png'), fullPage: true });

      for (const name of ['mammals', 'fruit']) {
        await page.fill('#label-name', name);
        await page.press('#label-name', 'Enter');
      }
      await page.waitForSelector('.label-card[data-label="fruit"]');

      // A file that is not an image: the page says so and carries on.
      const bogus = path.join(ARTIFACTS, 'not-a-photo.jpg');
      fs.writeFileSync(bogus, 'this is text, not a JPEG');
      await dropFiles(page, '.label-card[data-label="mammals"]', [bogus]);
      await waitIdle(page);
      assert.equal(await page.isVisible('#message'), true);
      assert.match(await page.textContent('#message-text'), /Skipped 1 file/);

      await dropFiles(page, '.label-card[data-label="mammals"]', examples.mammals);
      await waitIdle(page);
      await dropFiles(page, '.label-card[data-label="fruit"]', examples.fruit);
      await waitIdle(page);
      assert.equal(await page.getAttribute('.label-card[data-label="mammals"]', 'data-count'), String(SHOTS));
      assert.equal(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count'), String(SHOTS));
      assert.match(await page.textContent('.label-card[data-label="fruit"] .count'), new RegExp(`${SHOTS} examples`));

      // Live prediction before training (imprinted weights), as soon as a photo is dropped.
      await dropFiles(page, '#try-drop', [probe.file]);
      const live = await readPrediction(page);
      assert.deepEqual(new Set(live.bars), new Set(['mammals', 'fruit']));
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-2-examples.png'), fullPage: true });

      await page.click('#train');
      await page.waitForSelector('#trained-state[data-trained="yes"]');
      await waitIdle(page);
      assert.match(await page.textContent('#train-result'), /Trained in \d+ ms/);
      assert.equal(await page.isVisible('#confusion-table'), true, 'the held-out confusion matrix is shown');
      const matrixCells = await page.$$eval('#confusion-table td', (tds) => tds.map((td) => Number(td.textContent)));
      assert.equal(
        matrixCells.reduce((a, b) => a + b, 0),
        2 * (SHOTS / 4),
        'every fourth example of each label is held out',
      );

      await dropFiles(page, '#try-drop', [probe.file]);
      await page.waitForTimeout(300);
      await waitIdle(page);
      const predicted = await readPrediction(page);
      assert.equal(predicted.label, probe.expected.label);
      assert.equal(predicted.unknown, false);
      assert.equal(
        predicted.confidence,
        `${Math.round(probe.expected.confidence * 100)}%`,
        "the page's confidence is Node's",
      );
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-3-trained.png'), fullPage: true });

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      const saved = path.join(ARTIFACTS, 'demo-classifier.imprint');
      await download.saveAs(saved);
      assert.ok(fs.statSync(saved).size > 0);

      await page.reload();
      await page.waitForFunction(() => document.body.dataset.state === 'ready');
      assert.equal(await page.isVisible('#labels-empty'), true);
      await page.setInputFiles('#load', saved);
      await page.waitForSelector('.label-card[data-label="fruit"]');
      await waitIdle(page);
      assert.match(await page.textContent('.label-card[data-label="fruit"] .count'), new RegExp(`${SHOTS} examples`));
      await dropFiles(page, '#try-drop', [probe.file]);
      const reloaded = await readPrediction(page);
      assert.equal(reloaded.label, predicted.label);
      assert.equal(reloaded.confidence, predicted.confidence);
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-4-loaded.png'), fullPage: true });

      // Something unlike either label (the painting from darknet's samples): the page shows the
      // unknown indicator exactly when Node, with the same saved head, says unknown.
      await dropFiles(page, '#try-drop', [testdata.photo('scream')]);
      await page.waitForTimeout(300);
      await waitIdle(page);
      const other = await page.evaluate(() => ({
        state: document.getElementById('prediction').dataset.state,
        label: document.getElementById('prediction').dataset.label,
        badge: !document.getElementById('prediction-unknown').hidden,
        text: document.getElementById('prediction-label').textContent,
      }));
      {
        const ex = await createExtractor();
        const head = await loadClassifier(ex, fs.readFileSync(saved));
        const expected = head.predictEmbedding(await ex.embed(testdata.photo('scream')));
        head.dispose();
        ex.dispose();
        assert.equal(other.label, expected.label);
        assert.equal(other.badge, expected.unknown);
        assert.equal(other.state, expected.unknown ? 'unknown' : 'known');
        if (expected.unknown) assert.equal(other.text, 'Unknown');
      }
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-5-other-photo.png'), fullPage: true });

      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(200);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at phone width`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-6-phone.png'), fullPage: true });

      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
    const origin = server.url.replace(/\/$/, '');
    const elsewhere = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('blob:' + origin));
    assert.ok(requests.length > 5, `only ${requests.length} requests recorded`);
    assert.deepEqual(elsewhere, [], 'requests that left 127.0.0.1');
    for (const url of requests)
      assert.ok(url.startsWith('http://127.0.0.1:') || url.startsWith('blob:http://127.0.0.1:'), url);
  },
);

test(
  'demo: the loading state shows model download progress, and a model that cannot be fetched is reported in the page',
  { timeout: 120000 },
  async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const server = await createServer({ port: 0 });
    const browser = await launchBrowser({ viewport: { width: 1024, height: 700 } });
    const requests = recordRequests(browser.context);
    try {
      const page = await browser.context.newPage();
      // Slow model: hold its response until the loading state has been captured.
      let release;
      const held = new Promise((resolve) => (release = resolve));
      await page.route('**/default.imprint', async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="loading"]');
      assert.match(await page.textContent('#status-text'), /Loading|Starting|Downloading/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-0-loading.png') });
      release();
      await page.waitForSelector('body[data-state="ready"]');
      await page.unroute('**/default.imprint');

      // Missing model: an error state with a message, not a console line.
      await page.route('**/default.imprint', (route) => route.fulfill({ status: 404, body: 'not found' }));
      await page.reload();
      await page.waitForSelector('body[data-state="error"]');
      assert.equal(await page.isVisible('#message'), true);
      assert.match(await page.textContent('#message-text'), /model could not be loaded.*HTTP 404/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-0-error.png') });
    } finally {
      await browser.close();
      await server.close();
    }
    assert.deepEqual(
      requests.filter((url) => !url.startsWith(server.url)),
      [],
    );
  },
);

test(
  'demo: webcam frames give live predictions and a snapshot becomes an example (Chromium fake camera)',
  { timeout: 120000 },
  async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const server = await createServer({ port: 0 });
    const browser = await launchBrowser({
      args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
    const requests = recordRequests(browser.context);
    try {
      await browser.context.grantPermissions(['camera'], { origin: server.url.replace(/\/$/, '') });
      const page = await browser.context.newPage();
      const problems = watchPage(page);
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]');
      for (const name of ['mammals', 'fruit']) {
        await page.fill('#label-name', name);
        await page.press('#label-name', 'Enter');
      }
      await dropFiles(page, '.label-card[data-label="mammals"]', categoryFiles('animals/mammals').slice(0, 2));
      await waitIdle(page);
      await page.click('#webcam-toggle');
      await page.waitForSelector('#webcam:not([hidden])');
      const live = await readPrediction(page);
      assert.ok(live.bars.length >= 1, 'webcam frames are classified');
      await page.click('.label-card[data-label="fruit"] .snap');
      await page.waitForSelector('.label-card[data-label="fruit"][data-count="1"]');
      await waitIdle(page);
      await page.screenshot({ path: path.join(ARTIFACTS, 'demo-7-webcam.png'), fullPage: true });
      await page.click('#webcam-toggle');
      await page.waitForSelector('#webcam[hidden]', { state: 'attached' });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
    assert.deepEqual(
      requests.filter((url) => !url.startsWith(server.url) && !url.startsWith(`blob:${server.url.replace(/\/$/, '')}`)),
      [],
    );
  },
);

test(
  'demo: a folder picked for a label adds its images, sub-folders included, other files skipped',
  { timeout: 120000 },
  async () => {
    const folder = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'imprint-folder-'));
    const flowers = categoryFiles('plants/flowers').slice(0, 3);
    fs.mkdirSync(path.join(folder, 'more'));
    fs.copyFileSync(flowers[0], path.join(folder, 'one.png'));
    fs.copyFileSync(flowers[1], path.join(folder, 'more', 'two.png'));
    fs.copyFileSync(flowers[2], path.join(folder, 'more', 'three.png'));
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
    const server = await createServer({ port: 0 });
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const problems = watchPage(page);
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]');
      await page.fill('#label-name', 'flowers');
      await page.press('#label-name', 'Enter');
      const input = page.locator('.label-card[data-label="flowers"] input[webkitdirectory]');
      await input.setInputFiles(folder);
      await page.waitForSelector('.label-card[data-label="flowers"][data-count="3"]');
      await waitIdle(page);
      assert.equal(await page.locator('.label-card[data-label="flowers"] .thumbs img').count(), 3);
      assert.equal(
        await page.isVisible('#message'),
        false,
        'nothing to complain about: the text file is simply not an image',
      );
      // The "Choose a photo" button opens a file chooser (keyboard users have no drag and drop).
      await page.focus('[data-pick="try-file"]');
      // Listen first and give Playwright a moment to start intercepting choosers (it is asynchronous,
      // and a busy machine lost that race once).
      const chooserEvent = page.waitForEvent('filechooser');
      await page.waitForTimeout(250);
      await page.keyboard.press('Enter');
      const chooser = await chooserEvent;
      await chooser.setFiles(flowers[0]);
      const predicted = await readPrediction(page);
      assert.deepEqual(predicted.bars, ['flowers']);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  },
);
