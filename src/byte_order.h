/* byte_order.h — every multi-byte read and write of outside data: little-endian for model and head
 * files (models/MODEL_FORMAT.md, models/HEAD_FORMAT.md), big-endian for JPEG and PNG headers, either for
 * EXIF (TIFF states its own). Byte by byte, so alignment and host order never matter. */
#ifndef IMPRINT_BYTE_ORDER_H
#define IMPRINT_BYTE_ORDER_H

#include <stdint.h>
#include <string.h>

static inline uint16_t le_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le_get_u64(const uint8_t *p) {
  return (uint64_t)le_get_u32(p) | (uint64_t)le_get_u32(p + 4) << 32;
}
static inline float le_get_f32(const uint8_t *p) {
  uint32_t bits = le_get_u32(p);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline uint16_t be_get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t be_get_u64(const uint8_t *p) { return (uint64_t)be_get_u32(p) << 32 | be_get_u32(p + 4); }
static inline void le_put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le_put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le_put_f32(uint8_t *p, float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  le_put_u32(p, bits);
}

#endif
