'use strict';
// sources.js — model files that come inside pinned npm packages (devDependencies in package.json),
// located in node_modules and checked against the sha256 they had when this file was written, so a
// changed package cannot silently change a built model.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

// Finds node_modules/<pkg>/<file> above this folder or the working directory.
function packageFile(pkg, file) {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', pkg, file);
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`${pkg}/${file} not found: install the pinned dev dependencies (npm ci)`);
}

function checkSha256(bytes, expected, what) {
  const got = crypto.createHash('sha256').update(bytes).digest('hex');
  if (got !== expected) throw new Error(`${what}: sha256 ${got}, expected ${expected} (a different package version?)`);
  return bytes;
}

// @mediapipe/objectron@0.4.1675468480 (Apache-2.0) packs its files into one .data file; its
// *_loader.js lists each file's byte range. The SSD detector: MobileNetV2 1.0 backbone (ImageNet,
// then Open Images v4), float16 weights, 300x300 input in [-1, 1].
const OBJECTRON = {
  pkg: '@mediapipe/objectron',
  data: 'objectron_solution_packed_assets.data',
  loader: 'objectron_solution_packed_assets_loader.js',
  file: '/third_party/mediapipe/modules/objectron/object_detection_ssd_mobilenetv2_oidv4_fp16.tflite',
  sha256: 'd0a5255bf8c4f5a0bc4240741a76c41d5e939f7655078f945f50ab53a9375da6',
};

/** The SSD MobileNetV2 TFLite file from @mediapipe/objectron, as bytes (sha256-checked). */
function objectronSsdBytes() {
  const loader = fs.readFileSync(packageFile(OBJECTRON.pkg, OBJECTRON.loader), 'utf8');
  const escaped = OBJECTRON.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`"filename":\\s*"${escaped}",\\s*"start":\\s*(\\d+),\\s*"end":\\s*(\\d+)`).exec(loader);
  if (!m) throw new Error(`${OBJECTRON.pkg}: ${OBJECTRON.loader} does not list ${OBJECTRON.file}`);
  const data = fs.readFileSync(packageFile(OBJECTRON.pkg, OBJECTRON.data));
  const bytes = new Uint8Array(data.subarray(Number(m[1]), Number(m[2])));
  return checkSha256(bytes, OBJECTRON.sha256, 'objectron SSD MobileNetV2');
}

module.exports = { packageFile, objectronSsdBytes, OBJECTRON };
