'use strict';
// The models imprint ships, by name: createExtractor({ model: 'accurate' }), `--model accurate` in
// the CLI, `imprint info --models`. Each is a file built by models/build-default.js from pinned npm
// packages: dist/models/<file> in Node, next to the script (dist/web/<file>) in a page.
// A name that is not here is a file path or URL; './default' loads a file named 'default'.

const PRESETS = Object.freeze({
  default: Object.freeze({
    file: 'default.imprint',
    description:
      'MobileNetV2 (from the SSD detector in @mediapipe/objectron), 224x224, 1920-d embedding: the fast default',
  }),
  accurate: Object.freeze({
    file: 'accurate.imprint',
    description:
      "the default's MobileNetV2 and nsfwjs's MobileNetV2 in one graph, 224x224, 1536-d: more accurate, about twice the time",
  }),
});

/** True when `name` names a preset model. */
function isPreset(name) {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(PRESETS, name);
}

module.exports = { PRESETS, isPreset };
