'use strict';
// Turns anything a user may hand us into one of two shapes the core understands:
//   { kind: 'encoded', bytes: Uint8Array }                         (JPEG, PNG, ... file contents)
//   { kind: 'pixels', data: Uint8Array, width, height, channels }   (raw 8-bit pixels)

const { ImprintError, describeValue: describe } = require('./errors.cjs');
const { checkPlatform } = require('./platform-contract.cjs');

const platform = checkPlatform(require('./platform.cjs'));

/** True for what the platform reads as a file: a path or URL (string or URL object), or a Blob. */
function isFileSource(value) {
  return typeof value === 'string' || value instanceof URL || (typeof Blob === 'function' && value instanceof Blob);
}

function asBytes(view) {
  if (view instanceof Uint8Array) return view;
  if (view instanceof ArrayBuffer) return new Uint8Array(view);
  if (ArrayBuffer.isView(view)) return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return null;
}

function invalid(message) {
  return new ImprintError('INVALID_ARGUMENT', `raw pixels ${message}`);
}

/** Raw pixels exactly as documented: 8-bit data of width x height x channels bytes, rows packed. */
function rawPixels(input) {
  const { width, height, data } = input;
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ]) {
    if (!Number.isInteger(value) || value <= 0) {
      throw invalid(`need ${name} as a positive integer; got ${typeof value === 'number' ? value : describe(value)}`);
    }
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    const floats = data instanceof Float32Array || data instanceof Float64Array;
    throw invalid(
      `need 8-bit 'data' (a Uint8Array, Uint8ClampedArray or Buffer); got ${describe(data)}` +
        (floats ? ': for values from 0 to 1, pass Uint8ClampedArray.from(data, (v) => v * 255)' : ''),
    );
  }
  const pixels = width * height;
  let { channels } = input;
  if (channels === undefined) {
    channels = data.length / pixels;
    if (![1, 2, 3, 4].includes(channels)) {
      throw invalid(
        `without 'channels': 'data' has ${data.length} bytes, which is not ${width}x${height} pixels of 1, 2, 3 or 4 channels`,
      );
    }
  } else if (![1, 2, 3, 4].includes(channels)) {
    throw invalid(
      `must have 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels; got ${typeof channels === 'number' ? channels : describe(channels)}`,
    );
  }
  if (data.length !== pixels * channels) {
    throw invalid(`of ${width}x${height}x${channels} are ${pixels * channels} bytes; 'data' has ${data.length}`);
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { kind: 'pixels', data: bytes, width, height, channels };
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
