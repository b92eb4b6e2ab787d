'use strict';
// Turns anything a user may hand us into one of two shapes the core understands:
//   { kind: 'encoded', bytes: Uint8Array }                         (JPEG, PNG, ... file contents)
//   { kind: 'pixels', data: Uint8Array, width, height, channels }   (raw 8-bit pixels)

const { ImprintError } = require('./errors.cjs');
const { checkPlatform } = require('./platform-contract.cjs');

const platform = checkPlatform(require('./platform.cjs'));

/** True for what the platform reads as a file: a path or URL (string or URL object), or a Blob. */
function isFileSource(value) {
  return typeof value === 'string' || value instanceof URL || (typeof Blob === 'function' && value instanceof Blob);
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor ? value.constructor.name : 'Object'})`;
  return `a ${typeof value}`;
}

function asBytes(view) {
  if (view instanceof Uint8Array) return view;
  if (view instanceof ArrayBuffer) return new Uint8Array(view);
  if (ArrayBuffer.isView(view)) return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return null;
}

function rawPixels(input) {
  const { width, height } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `raw pixels need positive integer width and height; got ${width}x${height}`,
    );
  }
  const data = asBytes(input.data);
  if (!data) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `raw pixels need 'data' as a Uint8Array, Uint8ClampedArray or Buffer; got ${describe(input.data)}`,
    );
  }
  const channels = input.channels === undefined ? data.length / (width * height) : input.channels;
  if (![1, 2, 3, 4].includes(channels)) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `raw pixels must have 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels; got ${channels}`,
    );
  }
  const needed = width * height * channels;
  if (data.length < needed) {
    throw new ImprintError(
      'INVALID_ARGUMENT',
      `raw pixels of ${width}x${height}x${channels} need ${needed} bytes; 'data' has ${data.length}`,
    );
  }
  return { kind: 'pixels', data, width, height, channels };
}

/**
 * @param {unknown} input
 * @returns {Promise<{kind:'encoded', bytes:Uint8Array} | {kind:'pixels', data:Uint8Array, width:number, height:number, channels:number}>}
 */
async function normaliseInput(input) {
  if (isFileSource(input)) return { kind: 'encoded', bytes: await platform.readFile(input, 'the image') };
  const converted = platform.domInput ? await platform.domInput(input) : undefined;
  if (converted) return converted;
  const bytes = asBytes(input);
  if (bytes) return { kind: 'encoded', bytes };
  if (input && typeof input === 'object' && 'data' in input && 'width' in input && 'height' in input) {
    return rawPixels(input);
  }
  throw new ImprintError(
    'INVALID_ARGUMENT',
    `cannot use ${describe(input)} as an image: pass ${platform.describeInputs}, ` +
      'or raw pixels { data, width, height, channels }',
  );
}

module.exports = { normaliseInput, isFileSource, platform };
