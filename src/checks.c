/* checks.c — UTF-8, hex hash, FNV-1a and failure reasons (see checks.h). */
#include "checks.h"

#include <stdarg.h>
#include <stdio.h>

#include "byte_order.h"

int utf8_valid(const char *text, size_t len) {
  const uint8_t *s = (const uint8_t *)text;
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    if (c == 0) return 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    /* The lead byte says how many continuation bytes follow, and so the least code point. */
    static const uint32_t least[4] = {0, 0x80, 0x800, 0x10000};
    uint32_t extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
    if (extra == 0) return 0; /* a continuation byte, or 0xF8..0xFF */
    if (len - i <= extra) return 0;
    uint32_t cp = c & (0x3Fu >> extra);
    for (uint32_t k = 1; k <= extra; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + k] & 0x3Fu);
    }
    if (cp < least[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += extra + 1;
  }
  return 1;
}

int hash_hex_valid(const char *s) {
  for (int i = 0; i < 16; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return 1;
}

uint64_t fnv1a64(const uint8_t *bytes, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull; /* offset basis and prime of the 64-bit FNV-1a */
  size_t i = 0;
  /* Eight bytes per load and loop step (the same byte-by-byte hash): it runs over every byte of a
   * model file at load, before the wasm engine has optimised it. */
  for (; i + 8 <= size; i += 8) {
    uint64_t w = le_get_u64(bytes + i);
    for (int k = 0; k < 64; k += 8) {
      hash ^= (w >> k) & 0xFF;
      hash *= 0x100000001b3ull;
    }
  }
  for (; i < size; i++) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

imprint_status explain(imprint_status status, char *why, size_t why_size, const char *format, ...) {
  if (why && why_size) {
    va_list args;
    va_start(args, format);
    vsnprintf(why, why_size, format, args);
    va_end(args);
  }
  return status;
}
