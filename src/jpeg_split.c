/* jpeg_split.c — a sequential JPEG cut at restart markers into a top and a bottom JPEG (see
 * jpeg_split.h). Section numbers are ITU-T T.81's. */
#include "jpeg_split.h"

#include <stdlib.h>
#include <string.h>

#include "byte_order.h"

static void put_height(uint8_t *at, uint32_t height) {
  at[0] = (uint8_t)(height >> 8);
  at[1] = (uint8_t)height;
}

static uint32_t gcd(uint32_t a, uint32_t b) {
  while (b) {
    uint32_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/* What the headers say, up to the scan's entropy-coded data. */
typedef struct frame {
  size_t height_at; /* where the frame header's 16-bit height lies */
  size_t data_at;   /* the first byte of the entropy-coded data */
  uint32_t width, height, restart_interval;
  uint32_t mcus_wide, mcus_high, mcu_height;
} frame;

/* Reads the marker segments from SOI to the first SOS (B.2): 1 for one sequential Huffman frame
 * (SOF0 or SOF1) with a known height, restart intervals and a scan of all its components. */
static int read_headers(const uint8_t *bytes, size_t size, frame *f) {
  if (size < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) return 0;
  memset(f, 0, sizeof *f);
  int components = 0, h_max = 0, v_max = 0, seen_frame = 0;
  size_t p = 2;
  for (;;) {
    if (p >= size || bytes[p] != 0xFF) return 0;
    while (p < size && bytes[p] == 0xFF) p++; /* fill bytes (B.1.1.2) */
    if (p + 3 > size) return 0;
    uint8_t marker = bytes[p++];
    size_t length = be_get_u16(bytes + p);
    if (length < 2 || length > size - p) return 0;
    const uint8_t *payload = bytes + p + 2;
    size_t payload_size = length - 2;
    if (marker == 0xC0 || marker == 0xC1) {
      if (seen_frame || payload_size < 6) return 0;
      seen_frame = 1;
      f->height_at = p + 3;
      f->height = be_get_u16(payload + 1);
      f->width = be_get_u16(payload + 3);
      components = payload[5];
      if (f->height == 0 || f->width == 0 || components < 1 || components > 4 ||
          payload_size < 6 + 3 * (size_t)components)
        return 0;
      for (int i = 0; i < components; i++) {
        int h = payload[7 + 3 * i] >> 4, v = payload[7 + 3 * i] & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) return 0;
        if (h > h_max) h_max = h;
        if (v > v_max) v_max = v;
      }
    } else if ((marker >= 0xC2 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) ||
               marker == 0xDC) {
      return 0; /* progressive, lossless, hierarchical or arithmetic-coded; or a DNL */
    } else if (marker == 0xDD) {
      if (payload_size < 2) return 0;
      f->restart_interval = be_get_u16(payload);
    } else if (marker == 0xDA) {
      if (!seen_frame || payload_size < 1 || payload[0] != components || !f->restart_interval) return 0;
      f->data_at = p + length;
      break;
    } else if (marker < 0xC0 || marker == 0xD8 || marker == 0xD9 || (marker >= 0xD0 && marker <= 0xD7)) {
      return 0; /* a marker without a segment where one is expected */
    }
    p += length;
  }
  /* The MCU grid (A.2): one block per MCU for a single component, else h_max x v_max blocks. */
  uint32_t mcu_width = components == 1 ? 8 : 8u * (uint32_t)h_max;
  f->mcu_height = components == 1 ? 8 : 8u * (uint32_t)v_max;
  f->mcus_wide = (f->width + mcu_width - 1) / mcu_width;
  f->mcus_high = (f->height + f->mcu_height - 1) / f->mcu_height;
  return 1;
}

jpeg_split_result jpeg_split_rows(const uint8_t *bytes, size_t size, double top_share, jpeg_split *out) {
  memset(out, 0, sizeof *out);
  frame f;
  if (!bytes || !read_headers(bytes, size, &f)) return JPEG_SPLIT_NOT_POSSIBLE;
  /* Rows of MCUs that begin a restart interval: every `step`-th. The seam lies at one of them, the
   * top part ends `step` rows below it and the bottom part starts `step` rows above it, so the rows
   * next to the seam are decoded with their neighbours in both parts. At most a quarter more work. */
  uint32_t step = f.restart_interval / gcd(f.restart_interval, f.mcus_wide);
  if (step > f.mcus_high / 8) return JPEG_SPLIT_NOT_POSSIBLE;
  if (!(top_share > 0.0 && top_share < 1.0)) top_share = 0.5;
  uint32_t seam_row = (uint32_t)(top_share * f.mcus_high / step + 0.5) * step;
  if (seam_row < 2 * step) seam_row = 2 * step;
  if (seam_row + 2 * step > f.mcus_high) seam_row = (f.mcus_high - 2 * step) / step * step;
  uint32_t top_rows = seam_row + step, bottom_row = seam_row - step;
  /* The restart markers that end the top part's data and start the bottom part's: the k-th marker
   * (from 1) comes before MCU k x restart_interval. */
  uint64_t top_marker = (uint64_t)top_rows * f.mcus_wide / f.restart_interval;
  uint64_t bottom_marker = (uint64_t)bottom_row * f.mcus_wide / f.restart_interval;
  size_t top_end = 0, bottom_start = 0, end = 0, p = f.data_at;
  uint64_t markers = 0;
  while (!end) {
    const uint8_t *ff = p < size ? memchr(bytes + p, 0xFF, size - p) : NULL;
    if (!ff) return JPEG_SPLIT_NOT_POSSIBLE; /* no end-of-image marker */
    size_t at = (size_t)(ff - bytes), q = at + 1;
    while (q < size && bytes[q] == 0xFF) q++;
    if (q >= size) return JPEG_SPLIT_NOT_POSSIBLE;
    uint8_t marker = bytes[q];
    p = q + 1;
    if (marker == 0x00) continue; /* a stuffed 0xFF data byte (F.1.2.3) */
    if (marker >= 0xD0 && marker <= 0xD7) {
      markers++;
      if (markers == bottom_marker) bottom_start = q + 1;
      if (markers == top_marker) top_end = at;
    } else if (marker == 0xD9) {
      end = q + 1;
    } else {
      return JPEG_SPLIT_NOT_POSSIBLE; /* a second scan, a DNL, damage: decoded whole */
    }
  }
  if (!top_end || !bottom_start || bottom_start > top_end) return JPEG_SPLIT_NOT_POSSIBLE;

  out->top_size = top_end + 2;
  out->bottom_size = f.data_at + (end - bottom_start);
  out->top = malloc(out->top_size);
  out->bottom = malloc(out->bottom_size);
  if (!out->top || !out->bottom) {
    free(out->top);
    free(out->bottom);
    memset(out, 0, sizeof *out);
    return JPEG_SPLIT_OUT_OF_MEMORY;
  }
  /* Each part: the headers with its own frame height, then its entropy-coded data. */
  memcpy(out->top, bytes, top_end);
  put_height(out->top + f.height_at, top_rows * f.mcu_height);
  out->top[top_end] = 0xFF;
  out->top[top_end + 1] = 0xD9;
  memcpy(out->bottom, bytes, f.data_at);
  put_height(out->bottom + f.height_at, f.height - bottom_row * f.mcu_height);
  memcpy(out->bottom + f.data_at, bytes + bottom_start, end - bottom_start);
  /* Its restart markers numbered from RST0 again (B.2.1), as a JPEG of its own. */
  uint8_t *data = out->bottom + f.data_at, *data_end = out->bottom + out->bottom_size;
  unsigned next = 0;
  for (uint8_t *ff = data; (ff = memchr(ff, 0xFF, (size_t)(data_end - ff))) != NULL;) {
    while (ff < data_end && *ff == 0xFF) ff++;
    if (ff == data_end) break;
    if (*ff >= 0xD0 && *ff <= 0xD7) *ff = (uint8_t)(0xD0 + (next++ & 7));
  }
  out->seam = seam_row * f.mcu_height;
  out->bottom_first = bottom_row * f.mcu_height;
  return JPEG_SPLIT_MADE;
}
