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
    Buffer.from(data.buffer, data.byteOffset + y * width * channels, width * channels).copy(
      raw,
      y * (1 + width * channels) + 1,
    );
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (colorType === 3) {
    parts.push(chunk('PLTE', palette));
    if (alpha) parts.push(chunk('tRNS', alpha));
  }
  parts.push(chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/**
 * A valid, fully transparent black RGBA PNG of any size, built without holding its pixels: the
 * filtered scanlines are all zero bytes, so the zlib stream (RFC 1950/1951) is one compressed block
 * of zeros repeated. Each block is a non-final deflate block ending on a byte boundary (sync
 * flush), so copies can follow one another; the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1.
 * 16384 x 16384 (1 GiB of pixels) is about 1 MB.
 */
function transparentPng(width, height) {
  const rawBytes = height * (1 + 4 * width);
  const block = 16 * 1024 * 1024;
  const full = zlib.deflateRawSync(Buffer.alloc(block), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const stream = [Buffer.from([0x78, 0xda])];
  let left = rawBytes;
  for (; left > block; left -= block) stream.push(full);
  stream.push(zlib.deflateRawSync(Buffer.alloc(left), { level: 9 }));
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((rawBytes % 65521) << 16) | 1) >>> 0);
  stream.push(adler);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(stream)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

module.exports = { encodePng, transparentPng, crc32 };
