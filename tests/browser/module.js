// A plain <script type="module"> importing the ES module build, as a web developer would.
import imprint, { createExtractor, ImprintError } from '/imprint/imprint.mjs';

window.imprintModule = { imprint, createExtractor, ImprintError };
window.dispatchEvent(new Event('imprint-module-ready'));
