'use strict';
// A small PNG encoder for tests (PNG spec, ISO/IEC 15948): writes 8-bit gray, RGB, RGBA and
// palette images, so the decoder can be checked on every colour type with real photo content.
const zlib = require('node:zlib');

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * @param {{width:number, height:number, colorType:0|2|3|6, data:Uint8Array, palette?:Uint8Array, alpha?:Uint8Array}} img
 *   data holds one byte per sample (indices for colorType 3); palette is RGB triples, alpha the tRNS entries.
 */
function encodePng({ width, height, colorType, data, palette, alpha }) {
  const channels = { 0: 1, 2: 3, 3: 1, 6: 4 }[colorType];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const raw = Buffer.alloc(height * (1 + width * channels));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * channels)] = 0; // filter: none
    Buffer.from(data.buffer, data.byteOffset + y * width * channels, width * channels).copy(raw, y * (1 + width * channels) + 1);
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (colorType === 3) {
    parts.push(chunk('PLTE', palette));
    if (alpha) parts.push(chunk('tRNS', alpha));
  }
  parts.push(chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

module.exports = { encodePng, crc32 };
