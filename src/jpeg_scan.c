/* jpeg_scan.c — JPEG completeness check and EXIF orientation (see jpeg_scan.h). */
#include "jpeg_scan.h"

#include <string.h>

#include "byte_order.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

/* The first 0xFF byte of p[0..n), or NULL: megabytes of entropy-coded data for a large photo, so
 * 16 bytes per step in wasm, where memchr reads a 4-byte word at a time. */
static const uint8_t *find_ff(const uint8_t *p, size_t n) {
#ifdef __wasm_simd128__
  const v128_t all_ones = wasm_i8x16_splat((int8_t)0xFF);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint32_t hits = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + i), all_ones));
    if (hits) return p + i + __builtin_ctz(hits);
  }
  p += i, n -= i;
#endif
  return memchr(p, 0xFF, n);
}

/* TIFF (the body of EXIF) states its byte order in its first two bytes: "II" little, "MM" big. */
static uint32_t tiff_u16(const uint8_t *p, int little_endian) { return little_endian ? le_get_u16(p) : be_get_u16(p); }
static uint32_t tiff_u32(const uint8_t *p, int little_endian) { return little_endian ? le_get_u32(p) : be_get_u32(p); }

int exif_orientation(const uint8_t *payload, size_t len) {
  if (len < 6 + 8 || memcmp(payload, "Exif\0\0", 6) != 0) return 1;
  const uint8_t *tiff = payload + 6;
  size_t tiff_len = len - 6;
  int little_endian;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    little_endian = 1;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    little_endian = 0;
  } else {
    return 1;
  }
  if (tiff_u16(tiff + 2, little_endian) != 42) return 1;
  uint32_t ifd = tiff_u32(tiff + 4, little_endian);
  if (ifd > tiff_len || tiff_len - ifd < 2) return 1;
  uint32_t entries = tiff_u16(tiff + ifd, little_endian);
  for (uint32_t i = 0; i < entries; i++) {
    size_t entry = (size_t)ifd + 2 + (size_t)i * 12;
    if (entry + 12 > tiff_len) return 1;
    if (tiff_u16(tiff + entry, little_endian) != 0x0112) continue;
    uint32_t type = tiff_u16(tiff + entry + 2, little_endian);
    uint32_t count = tiff_u32(tiff + entry + 4, little_endian);
    if (type != 3 || count != 1) return 1; /* SHORT, one value, stored inline */
    uint32_t value = tiff_u16(tiff + entry + 8, little_endian);
    return (value >= 1 && value <= 8) ? (int)value : 1;
  }
  return 1;
}

/* The coding processes of ITU-T T.81 Table B.1 that stb_image does not implement; it decodes SOF0
 * (baseline), SOF1 (extended sequential) and SOF2 (progressive), all Huffman-coded. */
static const char *unsupported_process(uint8_t marker) {
  switch (marker) {
    case 0xC3: return "lossless";
    case 0xC5:
    case 0xC6:
    case 0xC7: return "hierarchical";
    case 0xC9:
    case 0xCA: return "arithmetic-coded";
    case 0xCB: return "arithmetic-coded lossless";
    case 0xCD:
    case 0xCE:
    case 0xCF: return "arithmetic-coded hierarchical";
    default: return NULL;
  }
}

jpeg_scan_result jpeg_scan(const uint8_t *bytes, size_t size, jpeg_info *info) {
  info->orientation = 1;
  info->width = info->height = 0;
  info->process = NULL;
  /* SOI, after any number of 0xFF fill bytes: stb_image reads markers that way (stbi__get_marker),
   * so a file starting FF FF .. FF D8 is a JPEG to it and must be one to this scan too, or its
   * segments would reach stb_image unchecked (found by fuzzing: a DHT overflow behind fill bytes). */
  if (size < 4 || bytes[0] != 0xFF) return JPEG_SCAN_NOT_JPEG;
  size_t pos = 1;
  while (pos < size && bytes[pos] == 0xFF) pos++;
  if (pos >= size || bytes[pos] != 0xD8) return JPEG_SCAN_NOT_JPEG;
  pos++;
  int seen_frame = 0;
  for (;;) {
    /* Find the next marker; fill bytes (0xFF runs) are allowed between segments (B.1.1.2). */
    while (pos < size && bytes[pos] != 0xFF) pos++;
    while (pos < size && bytes[pos] == 0xFF) pos++;
    if (pos >= size) return JPEG_SCAN_TRUNCATED;
    uint8_t marker = bytes[pos++];
    if (marker == 0xD9) return seen_frame ? JPEG_SCAN_OK : JPEG_SCAN_MALFORMED; /* EOI */
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;         /* no payload */
    if (pos + 2 > size) return JPEG_SCAN_TRUNCATED;
    size_t length = be_get_u16(bytes + pos);
    if (length < 2) return JPEG_SCAN_MALFORMED;
    if (pos + length > size) return JPEG_SCAN_TRUNCATED;
    const uint8_t *payload = bytes + pos + 2;
    size_t payload_len = length - 2;
    if (marker == 0xE1 && info->orientation == 1) {
      info->orientation = exif_orientation(payload, payload_len);
    }
    /* DHT (B.2.4.2): each table is Tc/Th, 16 code-length counts, then that many symbols. stb_image
     * trusts the counts and writes one size entry per symbol into a 257-entry array, so a table
     * claiming more than 256 symbols (found by fuzzing) must never reach it. */
    if (marker == 0xC4) {
      size_t at = 0;
      while (at < payload_len) {
        if (payload_len - at < 17) return JPEG_SCAN_MALFORMED;
        uint8_t tc = payload[at] >> 4, th = payload[at] & 15;
        if (tc > 1 || th > 3) return JPEG_SCAN_MALFORMED;
        size_t symbols = 0;
        for (int i = 1; i <= 16; i++) symbols += payload[at + i];
        if (symbols > 256 || payload_len - at - 17 < symbols) return JPEG_SCAN_MALFORMED;
        at += 17 + symbols;
      }
    }
    /* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): the frame header. */
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (payload_len < 5) return JPEG_SCAN_MALFORMED;
      info->height = be_get_u16(payload + 1);
      info->width = be_get_u16(payload + 3);
      info->process = unsupported_process(marker);
      if (info->process) return JPEG_SCAN_PROCESS;
      if (payload[0] != 8) return JPEG_SCAN_12_BIT;
      seen_frame = 1;
    }
    pos += length;
    if (marker == 0xDA) {
      if (!seen_frame) return JPEG_SCAN_MALFORMED;
      /* Entropy-coded data: runs until a marker other than a stuffed 0xFF00 or a restart marker. */
      for (;;) {
        const uint8_t *ff = pos < size ? find_ff(bytes + pos, size - pos) : NULL;
        pos = ff ? (size_t)(ff - bytes) : size;
        if (pos + 1 >= size) return JPEG_SCAN_TRUNCATED;
        uint8_t next = bytes[pos + 1];
        if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF) {
          pos += (next == 0xFF) ? 1 : 2;
          continue;
        }
        break; /* a real marker: back to the segment loop */
      }
    }
  }
}
