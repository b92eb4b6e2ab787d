'use strict';
// The demo page end to end in Debian's Chromium, served by demo/serve.js: labels, real photos
// dropped and picked (drag-and-drop events carrying File objects, file choosers driven from the
// keyboard), live predictions that match Node's, training, the held-out check, save, reload with
// the project restored from IndexedDB, loading a classifier (asked first, loaded examples shown
// one by one), webcam bursts, and an accessibility audit with axe-core (from node_modules, run
// in the page) at 1280x800 and 390x844 in every state. Screenshots of every state at both sizes
// go to tests/artifacts/. Every request of a visit must go to the page's own origin on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { createExtractor, createClassifier, loadClassifier } = require('..');
const testdata = require('./support/testdata');
const { buildWeb, launchBrowser, recordRequests, watchPage } = require('./support/browser');
const { createServer } = require('../demo/serve.js');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const SHOTS = 8;
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

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

async function addLabel(page, name) {
  await page.fill('#label-name', name);
  await page.press('#label-name', 'Enter');
  await page.waitForSelector(`.label-card[data-label="${name.trim().replace(/"/g, '\\"')}"]`);
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

async function bars(page) {
  return page.$$eval('#scores li .score-name', (names) => names.map((n) => n.textContent).sort());
}

/** Whether leaving the page now would ask first (the page's beforeunload handler cancels the event). */
function leavingAsks(page) {
  return page.evaluate(() => {
    const event = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  });
}

/** Opens the file chooser of the focused control with Enter and gives it the files. */
async function chooseWithKeyboard(page, files) {
  // Listen first and give Playwright a moment to start intercepting choosers (it is asynchronous,
  // and a busy machine lost that race once).
  const chooserEvent = page.waitForEvent('filechooser');
  await page.waitForTimeout(250);
  await page.keyboard.press('Enter');
  const chooser = await chooserEvent;
  await chooser.setFiles(files);
}

/**
 * A state of the page, at both sizes: a full-page screenshot each, and axe-core's audit (WCAG 2.x
 * A/AA rules and best practices), whose serious and critical findings are returned, with any
 * sideways scrolling.
 */
async function checkpoint(page, name) {
  const found = [];
  const before = page.viewportSize();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(ARTIFACTS, `demo-${name}-${size.width}.png`), fullPage: true });
    // Evaluated through the DevTools protocol: the page's CSP forbids inline scripts, and must stay so.
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    found.push(...violations.map((v) => `${name} at ${size.width}x${size.height}: ${v}`));
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    if (overflow > 0) found.push(`${name} at ${size.width}x${size.height}: the page scrolls sideways by ${overflow}px`);
  }
  await page.setViewportSize(before);
  return found;
}

/** Buttons and other controls smaller than 44x44 CSS pixels at phone size. */
async function smallTargets(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('button, summary, input:not([type="file"])')]
      .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden'))
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.width < 44 || r.height < 44))
      .map(
        ({ el, r }) =>
          `${el.id || el.className || el.tagName} "${(el.getAttribute('aria-label') || el.textContent).trim()}" ${Math.round(r.width)}x${Math.round(r.height)}`,
      ),
  );
}

function onlyLocal(requests, server) {
  const origin = server.url.replace(/\/$/, '');
  assert.ok(requests.length > 5, `only ${requests.length} requests recorded`);
  const elsewhere = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`));
  assert.deepEqual(elsewhere, [], 'requests that left 127.0.0.1');
  for (const url of requests)
    assert.ok(url.startsWith('http://127.0.0.1:') || url.startsWith('blob:http://127.0.0.1:'), url);
}

test(
  'demo: photos dropped on labels, live predictions, train, save, reload restores the project, load asks first and shows loaded examples; axe finds nothing serious; all requests stay on 127.0.0.1',
  { timeout: 400000 },
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
    const browser = await launchBrowser({ viewport: SIZES[0] });
    const requests = recordRequests(browser.context);
    const audit = [];
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
      await waitIdle(page);
      assert.equal(await page.isVisible('#labels-empty'), true, 'the empty state is shown before any label');
      assert.match(await page.textContent('#train-why'), /add two labels/i, 'the page says why Train cannot run');
      audit.push(...(await checkpoint(page, '1-empty')));

      await addLabel(page, '  mammals  ');
      await addLabel(page, 'fruit');
      assert.equal(await page.getAttribute('.label-card >> nth=0', 'data-label'), 'mammals', 'names are trimmed');
      // A label differing only in case: a warning first, added only when asked again.
      await page.fill('#label-name', 'Fruit');
      await page.press('#label-name', 'Enter');
      assert.match(await page.textContent('#labels-notes'), /differs from it only in case/);
      assert.equal(await page.locator('.label-card').count(), 2);

      // Files it cannot use: one message in the card, with each file's reason (the format named).
      const bogus = path.join(ARTIFACTS, 'not-a-photo.jpg');
      fs.writeFileSync(bogus, 'this is text, not a JPEG');
      const heic = path.join(ARTIFACTS, 'iphone.heic');
      fs.writeFileSync(heic, Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(16)]));
      const svg = path.join(ARTIFACTS, 'drawing.svg');
      fs.writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
      const tiff = path.join(ARTIFACTS, 'scan.tif');
      fs.writeFileSync(tiff, Buffer.concat([Buffer.from('II*\0'), Buffer.alloc(60)]));
      // A PNG whose header says 20000 x 20000 pixels: refused from the header, before decoding.
      const huge = path.join(ARTIFACTS, 'huge.png');
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(20000, 0);
      ihdr.writeUInt32BE(20000, 4);
      ihdr[8] = 8; // bit depth
      ihdr[9] = 2; // RGB
      fs.writeFileSync(
        huge,
        Buffer.concat([
          Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
          ihdr,
          Buffer.alloc(4),
          Buffer.alloc(64),
        ]),
      );
      await dropFiles(page, '.label-card[data-label="mammals"]', [bogus, heic, svg, tiff, huge]);
      await waitIdle(page);
      const skipped = page.locator('.label-card[data-label="mammals"] .note');
      assert.match(await skipped.textContent(), /Skipped 5 files/);
      await skipped.locator('summary').click();
      const reasons = await skipped.locator('li').allTextContents();
      assert.equal(reasons.length, 5, reasons.join(' | '));
      assert.ok(
        reasons.some((r) => /scan\.tif: TIFF.*PNG or JPEG/.test(r)),
        reasons.join(' | '),
      );
      assert.ok(
        reasons.some((r) =>
          /huge\.png: larger than this page reads \(at most 16,384 pixels on a side and 67 megapixels\)/.test(r),
        ),
        reasons.join(' | '),
      );
      assert.ok(
        reasons.some((r) => /iphone\.heic: HEIC.*JPEG/.test(r)),
        reasons.join(' | '),
      );
      assert.ok(
        reasons.some((r) => /drawing\.svg: SVG.*PNG/.test(r)),
        reasons.join(' | '),
      );
      assert.ok(
        reasons.some((r) => /not-a-photo\.jpg: not an image/.test(r)),
        reasons.join(' | '),
      );
      audit.push(...(await checkpoint(page, '2-skipped')));
      await skipped.getByRole('button', { name: 'Dismiss this message' }).click();
      assert.equal(await skipped.count(), 0, 'a message can be dismissed');

      await dropFiles(page, '.label-card[data-label="mammals"]', examples.mammals);
      await waitIdle(page);
      await dropFiles(page, '.label-card[data-label="fruit"]', examples.fruit.slice(0, 2));
      await waitIdle(page);
      assert.match(await page.textContent('#train-why'), /Few examples: “fruit” has 2/);
      await dropFiles(page, '.label-card[data-label="fruit"]', examples.fruit.slice(2));
      await waitIdle(page);
      assert.equal(await page.getAttribute('.label-card[data-label="mammals"]', 'data-count'), String(SHOTS));
      assert.equal(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count'), String(SHOTS));
      assert.equal(await page.locator('.label-card[data-label="fruit"] .thumbs img').count(), SHOTS);
      assert.equal(await page.textContent('#train-why'), '', 'no warning with 8 examples per label');

      // Live prediction before training (imprinted weights), as soon as a photo is dropped.
      await dropFiles(page, '#try-drop', [probe.file]);
      const live = await readPrediction(page);
      assert.deepEqual(new Set(live.bars), new Set(['mammals', 'fruit']));
      audit.push(...(await checkpoint(page, '3-examples')));

      await page.click('#train');
      await page.waitForSelector('#trained-state[data-trained="yes"]');
      await waitIdle(page);
      assert.match(await page.textContent('#train-result'), /Trained in \d+ ms/);
      assert.equal(await page.isVisible('#confusion-table'), true, 'the held-out confusion matrix is shown');
      const matrixCells = await page.$$eval('#confusion-table td:not(:first-child)', (tds) =>
        tds.map((td) => Number(td.textContent)),
      );
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
      audit.push(...(await checkpoint(page, '4-trained')));

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
      const saved = path.join(ARTIFACTS, 'demo-classifier.imprint');
      await download.saveAs(saved);
      assert.ok(fs.statSync(saved).size > 0);
      assert.match(await page.textContent('#file-notes'), /Saved 2 labels as imprint-classifier\.imprint/);
      assert.equal(await page.isVisible('#export'), true, 'how to use the file is shown after Save');
      assert.match(
        await page.textContent('#export-page'),
        /fetch\('imprint-classifier\.imprint'\)[\s\S]*loadClassifier/,
      );
      assert.match(
        await page.textContent('#export-node'),
        /require\('imprint'\)[\s\S]*readFileSync\('imprint-classifier\.imprint'\)/,
      );
      assert.match(await page.textContent('#export'), /node_modules\/imprint\/dist\/web\//);
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: server.url.replace(/\/$/, ''),
      });
      await page.getByRole('button', { name: 'Copy the code for Node' }).click();
      await page.waitForSelector('#export-notes .note');
      assert.equal(
        await page.evaluate(() => navigator.clipboard.readText()),
        await page.textContent('#export-node'),
        'Copy puts the snippet on the clipboard',
      );
      assert.ok(
        fs.existsSync(path.join(__dirname, '..', 'dist', 'web', 'imprint.js')),
        'the snippet names dist/web/ of the package, where imprint.js is',
      );
      audit.push(...(await checkpoint(page, '5-saved')));

      // Nothing lost: a reload brings back the labels, examples, thumbnails and training.
      await page.waitForTimeout(400); // the project is written to IndexedDB within 150 ms of a change
      await page.reload();
      await page.waitForFunction(() => document.body.dataset.state === 'ready');
      await waitIdle(page);
      assert.equal(await page.isVisible('#labels-empty'), false, 'the project came back');
      assert.equal(await page.getAttribute('.label-card[data-label="mammals"]', 'data-count'), String(SHOTS));
      assert.equal(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count'), String(SHOTS));
      assert.equal(await page.locator('.label-card[data-label="mammals"] .thumbs img').count(), SHOTS);
      assert.equal(
        await page.$eval('.label-card[data-label="mammals"] .thumbs img', (img) => img.complete && img.naturalWidth),
        96,
        'thumbnails are kept, small',
      );
      await page.waitForSelector('#trained-state[data-trained="yes"]');
      assert.match(await page.textContent('#labels-notes'), /Restored your project/);
      await dropFiles(page, '#try-drop', [probe.file]);
      const restored = await readPrediction(page);
      assert.equal(restored.label, predicted.label);
      assert.equal(restored.confidence, predicted.confidence, 'the same classifier after a reload');
      audit.push(...(await checkpoint(page, '6-restored')));

      // Unsaved work: one more photo, then Load asks before replacing it (Cancel keeps it).
      await dropFiles(page, '.label-card[data-label="fruit"]', [fruit[SHOTS + 5]]);
      await waitIdle(page);
      assert.equal(await page.getAttribute('#trained-state', 'data-trained'), 'no', 'the training is out of date');
      assert.equal(await page.textContent('#trained-state'), 'out of date');
      assert.equal(await page.isVisible('#confusion-table'), false, 'no stale check is shown');
      await page.waitForTimeout(400);
      assert.equal(await leavingAsks(page), false, 'leaving is safe once the project is kept in this browser');
      await page.setInputFiles('#load', saved);
      await page.waitForSelector('#confirm[open]');
      assert.match(await page.textContent('#confirm-text'), /not saved to a file/);
      audit.push(...(await checkpoint(page, '7-confirm')));
      await page.click('#confirm button[value="cancel"]');
      await page.waitForTimeout(200);
      assert.equal(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count'), String(SHOTS + 1));
      await page.setInputFiles('#load', saved);
      await page.waitForSelector('#confirm[open]');
      await page.click('#confirm-go');
      await page.waitForFunction(
        (n) => document.querySelector('.label-card[data-label="fruit"]')?.dataset.count === n,
        String(SHOTS),
      );
      await waitIdle(page);
      // Loaded examples are first-class: shown one by one, checked, removable.
      assert.equal(await page.locator('.label-card[data-label="fruit"] .thumbs .no-thumb').count(), SHOTS);
      assert.equal(await page.isVisible('#confusion-table'), true, 'the held-out check covers loaded examples');
      await dropFiles(page, '#try-drop', [probe.file]);
      await page.waitForTimeout(300);
      const reloaded = await readPrediction(page);
      assert.equal(reloaded.label, predicted.label);
      assert.equal(reloaded.confidence, predicted.confidence);
      await page.click('.label-card[data-label="fruit"] .remove-example >> nth=0', { force: true });
      await page.waitForFunction(
        (n) => document.querySelector('.label-card[data-label="fruit"]')?.dataset.count === n,
        String(SHOTS - 1),
      );
      await waitIdle(page);
      await page.click('#train');
      await page.waitForSelector('#trained-state[data-trained="yes"]');
      await waitIdle(page);
      assert.doesNotMatch(await page.textContent('#confusion'), /Add 4 or more/);
      assert.equal(await page.isVisible('#confusion-table'), true);
      audit.push(...(await checkpoint(page, '8-loaded')));

      // Something unlike either label (the painting from darknet's samples): the page shows the
      // unknown indicator exactly when Node, with the same saved head, says unknown.
      await page.setInputFiles('#load', saved);
      await page.waitForSelector('#confirm[open]');
      await page.click('#confirm-go');
      await page.waitForFunction(
        (n) => document.querySelector('.label-card[data-label="fruit"]')?.dataset.count === n,
        String(SHOTS),
      );
      await waitIdle(page);
      await dropFiles(page, '#try-drop', [testdata.photo('scream')]);
      await page.waitForTimeout(300);
      await waitIdle(page);
      const other = await page.evaluate(() => ({
        state: document.getElementById('prediction').dataset.state,
        label: document.getElementById('prediction').dataset.label,
        badge: !document.getElementById('prediction-unknown').hidden,
        text: document.getElementById('prediction-label').textContent,
        explain: document.getElementById('prediction-explain').hidden
          ? ''
          : document.getElementById('prediction-explain').textContent,
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
        if (expected.unknown) {
          assert.equal(other.text, 'Unknown');
          assert.match(other.explain, /Not like any of your examples.*add photos like it/);
        }
      }
      audit.push(...(await checkpoint(page, '9-other-photo')));

      await page.setViewportSize(SIZES[1]);
      await page.waitForTimeout(200);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at phone width`);
      assert.deepEqual(await smallTargets(page), [], 'tap targets under 44x44 px at phone size');

      assert.deepEqual(audit, [], 'serious or critical accessibility findings');
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
    onlyLocal(requests, server);
  },
);

test(
  'demo, issue 16: each reported bug stays fixed (keyboard second photo, removal during adding, last file failing, __proto__, focus after Train)',
  { timeout: 300000 },
  async (t) => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const server = await createServer({ port: 0 });
    const browser = await launchBrowser({ viewport: SIZES[1] });
    const requests = recordRequests(browser.context);
    const mammals = categoryFiles('animals/mammals');
    const fruit = categoryFiles('food/fruit');
    const birds = categoryFiles('animals/birds');
    const insects = categoryFiles('animals/insects');
    const bogus = path.join(ARTIFACTS, 'not-a-photo-either.png');
    fs.writeFileSync(bogus, 'this is text, not a PNG');
    try {
      const page = await browser.context.newPage();
      const problems = watchPage(page);
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]');
      await waitIdle(page);
      await addLabel(page, 'mammals');
      await addLabel(page, 'fruit');
      await dropFiles(page, '.label-card[data-label="mammals"]', mammals.slice(0, 4));
      await waitIdle(page);
      await dropFiles(page, '.label-card[data-label="fruit"]', fruit.slice(0, 4));
      await waitIdle(page);

      await t.test('1. a second photo can be tried with the keyboard (phone size)', async () => {
        await page.getByRole('button', { name: /choose a photo/i }).focus();
        await chooseWithKeyboard(page, fruit[20]);
        const first = await readPrediction(page);
        assert.equal(first.label, 'fruit');
        const again = page.getByRole('button', { name: /choose (another|a) photo/i });
        assert.equal(await again.isVisible(), true, 'a visible button to choose another photo');
        await again.focus();
        await chooseWithKeyboard(page, mammals[20]);
        await page.waitForFunction(() => document.getElementById('prediction').dataset.label === 'mammals');
      });

      await t.test('4. when the last file of a drop fails, the new label still gets its bar', async () => {
        await addLabel(page, 'birds');
        await dropFiles(page, '.label-card[data-label="birds"]', [birds[0], bogus]);
        await waitIdle(page);
        assert.deepEqual(await bars(page), ['birds', 'fruit', 'mammals']);
      });

      await t.test('5. a label named __proto__ has its bar', async () => {
        await addLabel(page, '__proto__');
        await dropFiles(page, '.label-card[data-label="__proto__"]', insects.slice(0, 2));
        await waitIdle(page);
        assert.deepEqual(await bars(page), ['__proto__', 'birds', 'fruit', 'mammals']);
        // Removing a label can be undone from the keyboard: focus goes to Undo, not to <body>.
        await page.getByRole('button', { name: 'Remove label __proto__' }).click();
        await waitIdle(page);
        await page.waitForFunction(() => document.getElementById('scores').children.length === 3);
        assert.equal(
          await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
          'Undo removing __proto__',
        );
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.getElementById('scores').children.length === 4);
        assert.equal(await page.getAttribute('.label-card[data-label="__proto__"]', 'data-count'), '2');
        await page.getByRole('button', { name: 'Remove label __proto__' }).click();
        await waitIdle(page);
      });

      await t.test('3. a label removed while its photos are being added stays removed', async () => {
        await addLabel(page, 'insects');
        const drop = dropFiles(page, '.label-card[data-label="insects"]', insects.slice(2, 16));
        await page.waitForFunction(
          () => Number(document.querySelector('.label-card[data-label="insects"]')?.dataset.count) >= 1,
        );
        assert.equal(await leavingAsks(page), true, 'leaving while photos are being added asks first');
        await page.getByRole('button', { name: 'Remove label insects' }).click();
        await drop;
        await waitIdle(page);
        await page.waitForTimeout(300);
        await waitIdle(page);
        assert.equal(await page.locator('.label-card[data-label="insects"]').count(), 0);
        assert.deepEqual(await bars(page), ['birds', 'fruit', 'mammals'], 'no hidden class');
        assert.match(await page.textContent('#totals'), /^3 labels/);
      });

      await t.test('6. keyboard focus stays on Train after training', async () => {
        await page.focus('#train');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#trained-state[data-trained="yes"]');
        await waitIdle(page);
        assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'train');
        // A saved file names exactly the labels shown.
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
        // On a phone, the message is where Save was pressed, on screen (it was 1,167 px above it).
        const message = page.locator('#file-notes .note', { hasText: 'Saved 3 labels' });
        await message.waitFor();
        const box = await message.boundingBox();
        assert.ok(
          box.y >= 0 && box.y + box.height <= SIZES[1].height + 1,
          `the message is at y=${box.y}..${box.y + box.height}`,
        );
        const file = path.join(ARTIFACTS, 'demo-bugs.imprint');
        await download.saveAs(file);
        const ex = await createExtractor();
        const head = await loadClassifier(ex, fs.readFileSync(file));
        assert.deepEqual([...head.labels].sort(), ['birds', 'fruit', 'mammals']);
        head.dispose();
        ex.dispose();
        // A file that is not a classifier: said next to the button, and the project stays.
        await page.setInputFiles('#load', bogus);
        const refused = page.locator('#file-notes .note[data-key="load"]');
        await refused.waitFor();
        assert.match(
          await refused.textContent(),
          /not-a-photo-either\.png is not an imprint classifier file, or it is damaged/,
        );
        assert.equal(await page.locator('.label-card').count(), 3);
      });

      await t.test('a second tab changing the project is told to the first', async () => {
        const other = await browser.context.newPage();
        await other.goto(server.url);
        await other.waitForSelector('body[data-state="ready"]');
        await waitIdle(other);
        assert.equal(await other.locator('.label-card').count(), 3, 'the second tab opens the kept project');
        await addLabel(other, 'fish');
        const warning = page.locator('#labels-notes .note[data-key="other-tab"]');
        await warning.waitFor();
        assert.match(await warning.textContent(), /Another tab/);
        await other.close();
        await warning.getByRole('button', { name: 'Dismiss this message' }).click();
      });

      await t.test('Start over asks first when the work is not saved, and a reload keeps the fresh start', async () => {
        await page.setInputFiles(
          '.label-card[data-label="birds"] input[type="file"]:not([webkitdirectory])',
          birds.slice(1, 2),
        );
        await page.waitForSelector('.label-card[data-label="birds"][data-count="2"]');
        await waitIdle(page);
        await page.click('#new-project');
        await page.waitForSelector('#confirm[open]');
        assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel', 'Cancel is the default');
        await page.click('#confirm-go');
        await page.waitForSelector('#labels-empty', { state: 'visible' });
        await waitIdle(page);
        assert.equal(await page.locator('.label-card').count(), 0);
        assert.equal(await page.getAttribute('#prediction', 'data-state'), 'empty');
        await page.waitForTimeout(400);
        await page.reload();
        await page.waitForSelector('body[data-state="ready"]');
        await waitIdle(page);
        assert.equal(await page.isVisible('#labels-empty'), true, 'nothing comes back after starting over');
      });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
    onlyLocal(requests, server);
  },
);

test(
  'demo: the loading state shows model download progress, and a model that cannot be fetched is reported in the page',
  { timeout: 120000 },
  async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const served = [];
    const server = await createServer({ port: 0, log: (line) => served.push(line) });
    const browser = await launchBrowser({ viewport: SIZES[0] });
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
      assert.equal(await page.getAttribute('#status-progress', 'role'), 'progressbar');
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: path.join(ARTIFACTS, `demo-0-loading-${size.width}.png`), fullPage: true });
      }
      await page.setViewportSize(SIZES[0]);
      release();
      await page.waitForSelector('body[data-state="ready"]');
      await page.unroute('**/default.imprint');
      // demo/serve.js: compressed the first time, 304 Not Modified on a reload.
      assert.ok(
        served.some((line) => /^200 GET \/imprint\/imprint-core\.wasm \((br|gzip)\)$/.test(line)),
        served.join('\n'),
      );
      served.length = 0;
      await page.reload();
      await page.waitForSelector('body[data-state="ready"]');
      assert.ok(served.length >= 8, served.join('\n'));
      assert.deepEqual(
        served.filter((line) => !line.startsWith('304 ')),
        [],
        'a reload revalidates every file and gets 304s',
      );

      // Missing model: an error state with a message, not a console line.
      await page.route('**/default.imprint', (route) => route.fulfill({ status: 404, body: 'not found' }));
      await page.reload();
      await page.waitForSelector('body[data-state="error"]');
      assert.equal(await page.isVisible('#message'), true);
      assert.match(await page.textContent('#message-text'), /model could not be loaded.*HTTP 404/);
      for (const size of SIZES) {
        await page.setViewportSize(size);
        await page.screenshot({ path: path.join(ARTIFACTS, `demo-0-error-${size.width}.png`), fullPage: true });
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        assert.ok(overflow <= 0, `the error page scrolls sideways by ${overflow}px at ${size.width}px (a long URL)`);
      }
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
  'demo: webcam frames give live predictions, holding Record adds a burst, Stop webcam returns to the picker (Chromium fake camera)',
  { timeout: 120000 },
  async (t) => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const server = await createServer({ port: 0 });
    const browser = await launchBrowser({
      args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
      viewport: SIZES[0],
    });
    const requests = recordRequests(browser.context);
    try {
      await browser.context.grantPermissions(['camera'], { origin: server.url.replace(/\/$/, '') });
      const page = await browser.context.newPage();
      const problems = watchPage(page);
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]');
      await waitIdle(page);
      await addLabel(page, 'mammals');
      await addLabel(page, 'fruit');
      await dropFiles(page, '.label-card[data-label="mammals"]', categoryFiles('animals/mammals').slice(0, 2));
      await waitIdle(page);
      await page.click('#webcam-toggle');
      await page.waitForSelector('#webcam:not([hidden])');
      const live = await readPrediction(page);
      assert.ok(live.bars.length >= 1, 'webcam frames are classified');
      const audit = [];
      await t.test('2. Stop webcam returns to the picker, without the prediction of a frame that is gone', async () => {
        await page.click('#webcam-toggle');
        await page.waitForSelector('#webcam[hidden]', { state: 'attached' });
        assert.equal(await page.getByRole('button', { name: /choose a photo/i }).isVisible(), true);
        assert.equal(await page.getAttribute('#prediction', 'data-state'), 'empty');
        assert.equal(await page.locator('#scores li').count(), 0);
        audit.push(...(await checkpoint(page, '11-webcam-stopped')));
      });
      await t.test('holding Record adds a burst of frames to a label, and releasing stops it', async () => {
        await page.click('#webcam-toggle');
        await page.waitForSelector('#webcam:not([hidden])');
        const record = page.getByRole('button', { name: 'Hold to record webcam frames into fruit' });
        await record.hover();
        await page.mouse.down();
        await page.waitForFunction(
          () => Number(document.querySelector('.label-card[data-label="fruit"]').dataset.count) >= 3,
        );
        await page.mouse.up();
        await waitIdle(page);
        const burst = Number(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count'));
        await page.waitForTimeout(500);
        assert.equal(
          Number(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count')),
          burst,
          'recording stops on release',
        );
        await page.waitForFunction(() => document.getElementById('scores').children.length === 2);
        // From the keyboard: Space held down records, its release stops.
        await record.focus();
        await page.keyboard.down(' ');
        await page.waitForFunction(
          (n) => Number(document.querySelector('.label-card[data-label="fruit"]').dataset.count) >= n + 2,
          burst,
        );
        await page.keyboard.up(' ');
        await waitIdle(page);
        const held = Number(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count'));
        await page.waitForTimeout(500);
        assert.equal(Number(await page.getAttribute('.label-card[data-label="fruit"]', 'data-count')), held);
        audit.push(...(await checkpoint(page, '10-webcam')));
        await page.click('#webcam-toggle');
        await page.waitForSelector('#webcam[hidden]', { state: 'attached' });
        assert.equal(await page.locator('.record:visible').count(), 0, 'no record buttons without a webcam');
      });
      assert.deepEqual(audit, []);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
    onlyLocal(requests, server);
  },
);

test(
  'demo: folders picked or dropped add their images with progress from the first moment, one label per dropped folder, one list of what was skipped and why',
  { timeout: 120000 },
  async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-folder-'));
    const flowers = categoryFiles('plants/flowers').slice(0, 3);
    fs.mkdirSync(path.join(folder, 'more'));
    fs.copyFileSync(flowers[0], path.join(folder, 'one.png'));
    fs.copyFileSync(flowers[1], path.join(folder, 'more', 'two.png'));
    fs.copyFileSync(flowers[2], path.join(folder, 'more', 'three.png'));
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
    const server = await createServer({ port: 0 });
    const browser = await launchBrowser();
    const requests = recordRequests(browser.context);
    try {
      const page = await browser.context.newPage();
      const problems = watchPage(page);
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]');
      await waitIdle(page);
      await addLabel(page, 'flowers');
      // Every sentence the live region is given from here on.
      await page.evaluate(() => {
        window.announced = [];
        const region = document.getElementById('announce');
        new MutationObserver(() => region.textContent && window.announced.push(region.textContent)).observe(region, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
      const input = page.locator('.label-card[data-label="flowers"] input[webkitdirectory]');
      await input.setInputFiles(folder);
      // A progress bar in the card from the first moment, with its values.
      const bar = page.locator('.label-card[data-label="flowers"] [role="progressbar"]');
      await bar.waitFor();
      await page.waitForSelector('.label-card[data-label="flowers"][data-count="3"]');
      await waitIdle(page);
      assert.equal(await bar.count(), 0, 'the progress bar goes when done');
      assert.equal(await page.locator('.label-card[data-label="flowers"] .thumbs img').count(), 3);
      await page.waitForFunction(() => document.getElementById('announce').textContent === 'Added 3 photos.');
      assert.deepEqual(await page.evaluate(() => window.announced), ['Added 3 photos.'], 'one announcement per batch');
      // One example removed from the keyboard; focus moves to the next one's button.
      await page.getByRole('button', { name: 'Remove example 1 of flowers' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForSelector('.label-card[data-label="flowers"][data-count="2"]');
      await waitIdle(page);
      assert.equal(await page.locator('.label-card[data-label="flowers"] .thumbs img').count(), 2);
      assert.equal(
        await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
        'Remove example 1 of flowers',
      );
      assert.equal(
        await page.locator('.note[data-kind="warn"], .note[data-kind="error"]').count(),
        0,
        'nothing to complain about: the text file is simply not an image',
      );
      await page.focus('#try-pick');
      await chooseWithKeyboard(page, flowers[0]);
      const predicted = await readPrediction(page);
      assert.deepEqual(predicted.bars, ['flowers']);

      // Two folders dropped on the labels area (real directories, through DevTools' drag events):
      // one label per folder, sub-folders included, a progress bar from the first moment, and one
      // message listing every file left out with its reason.
      const drop = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-drop-'));
      const mammals = categoryFiles('animals/mammals');
      fs.mkdirSync(path.join(drop, 'cats'));
      fs.mkdirSync(path.join(drop, 'dogs', 'puppies'), { recursive: true });
      fs.copyFileSync(mammals[0], path.join(drop, 'cats', 'a.png'));
      fs.copyFileSync(mammals[1], path.join(drop, 'cats', 'b.png'));
      fs.writeFileSync(path.join(drop, 'cats', 'broken.jpg'), 'not a JPEG');
      fs.copyFileSync(mammals[2], path.join(drop, 'dogs', 'c.png'));
      fs.copyFileSync(mammals[3], path.join(drop, 'dogs', 'puppies', 'd.png'));
      fs.writeFileSync(path.join(drop, 'dogs', 'phone.heic'), 'not decoded here');
      try {
        await page.evaluate(() => {
          window.progressSeen = [];
          new MutationObserver(() => {
            const bar = document.querySelector('#labels-notes [role="progressbar"]');
            if (bar) window.progressSeen.push(bar.previousElementSibling.textContent);
          }).observe(document.getElementById('labels-notes'), { childList: true, subtree: true, characterData: true });
        });
        const box = await page.locator('#labels').boundingBox();
        const cdp = await browser.context.newCDPSession(page);
        const data = { items: [], files: [path.join(drop, 'cats'), path.join(drop, 'dogs')], dragOperationsMask: 1 };
        for (const type of ['dragEnter', 'dragOver', 'drop']) {
          await cdp.send('Input.dispatchDragEvent', {
            type,
            x: box.x + box.width / 2,
            y: box.y + box.height / 2,
            data,
          });
        }
        await page.waitForSelector('.label-card[data-label="dogs"][data-count="2"]');
        await waitIdle(page);
        assert.equal(await page.getAttribute('.label-card[data-label="cats"]', 'data-count'), '2');
        const seen = await page.evaluate(() => window.progressSeen);
        assert.match(seen[0], /^Reading what was dropped/, 'progress from the first moment');
        const notes = page.locator('#labels-notes .note');
        assert.equal(await notes.count(), 1, 'one message for the whole drop');
        assert.match(await notes.textContent(), /Added 4 photos \(2 to “cats”, 2 to “dogs”\)\. Skipped 2 files\./);
        await notes.locator('summary').click();
        const reasons = await notes.locator('li').allTextContents();
        assert.equal(reasons.length, 2, reasons.join(' | '));
        assert.ok(
          reasons.some((r) => /broken\.jpg: not an image/.test(r)),
          reasons.join(' | '),
        );
        assert.ok(
          reasons.some((r) => /phone\.heic: HEIC/.test(r)),
          reasons.join(' | '),
        );
      } finally {
        fs.rmSync(drop, { recursive: true, force: true });
      }
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
    onlyLocal(requests, server);
  },
);

test(
  'demo on a touch screen: it says add and choose, never drag or drop, and every target is at least 44x44 px',
  { timeout: 120000 },
  async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const server = await createServer({ port: 0 });
    const browser = await launchBrowser({ viewport: SIZES[1] });
    const requests = recordRequests(browser.context);
    try {
      const page = await browser.context.newPage();
      const problems = watchPage(page);
      // Chromium's touch emulation (as DevTools' device mode): the page then matches (pointer: coarse).
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="ready"]');
      await waitIdle(page);
      assert.equal(await page.evaluate(() => matchMedia('(pointer: coarse)').matches), true);
      const wording = () => page.evaluate(() => document.body.innerText);
      assert.doesNotMatch(await wording(), /\b(drag|drop)/i);
      await addLabel(page, 'mammals');
      await addLabel(page, 'a label with a rather long name that does not fit');
      await page
        .locator('.label-card[data-label="mammals"] input[type="file"]:not([webkitdirectory])')
        .setInputFiles(categoryFiles('animals/mammals').slice(0, 3));
      await page.waitForSelector('.label-card[data-label="mammals"][data-count="3"]');
      await waitIdle(page);
      await page.locator('#try-file').setInputFiles(categoryFiles('animals/mammals')[10]);
      await readPrediction(page);
      assert.doesNotMatch(await wording(), /\b(drag|drop)/i);
      assert.match(await wording(), /Add photos/);
      // Remove buttons are visible without hovering, which a finger cannot do.
      assert.equal(await page.$eval('.remove-example', (b) => getComputedStyle(b).opacity), '1');
      assert.deepEqual(await smallTargets(page), [], 'tap targets under 44x44 px');
      const audit = await checkpoint(page, '12-touch');
      assert.deepEqual(audit, []);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
    onlyLocal(requests, server);
  },
);

test('demo/project.js reads a classifier file back into examples that rebuild the same classifier (the library has no call handing them out)', async () => {
  const vm = require('node:vm');
  const context = { window: {}, TextDecoder, Float32Array, DataView, Math };
  vm.runInNewContext(fs.readFileSync(path.join(__dirname, '..', 'demo', 'project.js'), 'utf8'), context);
  // Its arrays are made in the script's own realm: copied into this one for deepEqual.
  const readClassifierFile = (bytes) => {
    const read = context.window.DemoProject.readClassifierFile(bytes);
    return { labels: Array.from(read.labels), examples: Array.from(read.examples, (e) => ({ ...e })) };
  };
  const extractor = await createExtractor();
  try {
    const original = createClassifier(extractor);
    const inputs = [
      ...categoryFiles('animals/mammals')
        .slice(0, 4)
        .map((f) => [f, 'mammals']),
      ...categoryFiles('food/fruit')
        .slice(0, 4)
        .map((f) => [f, 'fruit']),
      ...categoryFiles('animals/birds')
        .slice(0, 3)
        .map((f) => [f, '__proto__']),
    ];
    const embeddings = [];
    for (const [file, label] of inputs) {
      const e = await extractor.embed(file);
      embeddings.push(e);
      original.addEmbedding(e, label);
    }
    original.addEmbedding(await extractor.embed(categoryFiles('food/fruit')[9]), 'mammals'); // interleaved
    await original.train();
    const bytes = original.save();
    const read = readClassifierFile(bytes);
    assert.deepEqual(read.labels, original.labels);
    assert.deepEqual(
      read.labels.map((_, i) => read.examples.filter((e) => e.label === i).length),
      original.labels.map((l) => original.exampleCount(l)),
    );
    assert.ok(read.examples.every((e) => !e.summary));
    // Re-added in file order, the examples make the same classifier: same predictions once trained.
    const rebuilt = createClassifier(extractor);
    for (const e of read.examples) rebuilt.addEmbedding(e.embedding, read.labels[e.label]);
    await rebuilt.train();
    const probes = [testdata.photo('dog'), testdata.photo('scream'), categoryFiles('food/fruit')[12]];
    for (const probe of probes) {
      const v = await extractor.embed(probe);
      const a = original.predictEmbedding(v);
      const b = rebuilt.predictEmbedding(v);
      assert.equal(b.label, a.label);
      assert.equal(b.unknown, a.unknown);
      assert.ok(Math.abs(b.confidence - a.confidence) < 1e-4, `${a.confidence} vs ${b.confidence}`);
      assert.ok(Math.abs(b.similarity - a.similarity) < 1e-4);
    }
    // Saved without examples: each class comes back as one summary example, its mean.
    const lean = readClassifierFile(original.save({ examples: false }));
    assert.deepEqual(lean.labels, original.labels);
    assert.equal(lean.examples.length, 3);
    assert.ok(lean.examples.every((e) => e.summary));
    original.dispose();
    rebuilt.dispose();
  } finally {
    extractor.dispose();
  }
});
