'use strict';
// Debian's Chromium driven by playwright-core (scripts/setup-browser.sh installs it); Playwright
// never downloads a browser of its own. Each launch gets a fresh profile directory.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cosine } = require('./compare');

const CHROMIUM = process.env.IMPRINT_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches Chromium; returns { context, close }. */
async function launchBrowser(options = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/setup-browser.sh (installs Debian's chromium)`);
  }
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'imprint-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...(options.args || [])],
    viewport: options.viewport || { width: 1280, height: 900 },
    deviceScaleFactor: options.deviceScaleFactor || 1,
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Collects every request URL the context makes (pages and their workers). */
function recordRequests(context) {
  const urls = [];
  context.on('request', (request) => urls.push(request.url()));
  return urls;
}

/** Fails the test with the page's own errors instead of a timeout. */
function watchPage(page) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  return problems;
}

/** Regenerates dist/web/ from web/, js/ and the current dist/ core (a second; keeps them in step). */
function buildWeb() {
  require('node:child_process').execFileSync(
    process.execPath,
    [path.join(__dirname, '..', '..', 'scripts', 'build-web.js')],
    { stdio: 'pipe' },
  );
}

module.exports = { buildWeb, launchBrowser, recordRequests, watchPage, cosine, CHROMIUM };
