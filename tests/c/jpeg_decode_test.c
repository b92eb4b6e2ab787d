/* jpeg_decode_test.c — imprint's own JPEG Huffman decoding (src/jpeg_decode.c) on the real darknet
 * photos (4:2:0 chroma, restart markers): the 1/8-scale image against the 8x8 block means of
 * stb_image's full decode, damage found, and a sweep of damaged bytes over every photo's data that
 * must never read or write out of bounds (run under ASan + UBSan by tests/c/run-native.sh).
 *
 *   jpeg_decode_test PHOTO.jpg...
 *
 * Prints "N passed, N failed"; exits 1 on any failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "image.h"
#include "jpeg_decode.h"
#include "read_file.h"

/* The 1/8-scale decode averages before it converts colour and interpolates chroma between blocks
 * (the full decode does both per pixel, then clamps), so the two differ most at colour edges.
 * Measured on the 7 photos: RMS difference 0.6-6.8 levels (scream.jpg, a painting's brush
 * strokes, is the largest). */
#define MAX_RMS_DIFFERENCE 8.0

/* RMS difference between `eighth` and the 8x8 block means of `full` (same channels). */
static double block_mean_rms(const jpeg_eighth *eighth, const imprint_image *full) {
  double sum = 0;
  size_t count = 0;
  for (uint32_t y = 0; y < eighth->height; y++) {
    for (uint32_t x = 0; x < eighth->width; x++) {
      for (uint32_t c = 0; c < eighth->channels; c++) {
        double total = 0;
        int n = 0;
        for (uint32_t yy = y * 8; yy < y * 8 + 8 && yy < full->height; yy++)
          for (uint32_t xx = x * 8; xx < x * 8 + 8 && xx < full->width; xx++, n++)
            total += full->pixels[((size_t)yy * full->width + xx) * full->channels + c];
        double d = total / n - eighth->pixels[((size_t)y * eighth->width + x) * eighth->channels + c];
        sum += d * d;
        count++;
      }
    }
  }
  return sqrt(sum / (double)count);
}

/* Offset of the first byte after the first SOS segment (the start of the entropy-coded data). */
static size_t entropy_start(const uint8_t *b, size_t n) {
  size_t pos = 2;
  while (pos + 4 <= n && b[pos] == 0xFF) {
    uint8_t marker = b[pos + 1];
    pos += 2 + (((size_t)b[pos + 2] << 8) | b[pos + 3]);
    if (marker == 0xDA) return pos;
  }
  return 0;
}

static void test_photo(const char *path) {
  size_t size;
  uint8_t *bytes = read_file(path, &size);
  CHECK(bytes != NULL, "%s: cannot read", path);
  if (!bytes) return;
  char problem[160];

  CHECK(jpeg_decode_data(bytes, size, NULL, problem, sizeof problem) == JPEG_DATA_OK, "%s: %s", path, problem);
  jpeg_eighth eighth;
  imprint_image full;
  CHECK(jpeg_decode_data(bytes, size, &eighth, problem, sizeof problem) == JPEG_DATA_OK, "%s: %s", path, problem);
  CHECK(image_decode(bytes, size, NULL, &full, NULL, 0) == IMPRINT_OK, "%s: stb_image decode", path);
  if (eighth.pixels && full.pixels) {
    CHECK(eighth.width == (full.width + 7) / 8 && eighth.height == (full.height + 7) / 8, "%s: 1/8 size %ux%u", path,
          eighth.width, eighth.height);
    CHECK(eighth.channels == full.channels, "%s: channels %u", path, eighth.channels);
    double rms = block_mean_rms(&eighth, &full);
    printf("%s: 1/8 scale %ux%u, RMS difference to block means %.2f\n", path, eighth.width, eighth.height, rms);
    CHECK(rms <= MAX_RMS_DIFFERENCE, "%s: RMS difference %.2f", path, rms);
  }
  free(eighth.pixels);
  imprint_image_free(&full);

  /* 500 zeroed bytes in the middle of the data: found. */
  size_t start = entropy_start(bytes, size);
  CHECK(start > 0 && start + 1000 < size, "%s: no entropy-coded data found", path);
  uint8_t *damaged = malloc(size);
  memcpy(damaged, bytes, size);
  memset(damaged + start + (size - start) / 2 - 250, 0, 500);
  CHECK(jpeg_decode_data(damaged, size, &eighth, problem, sizeof problem) == JPEG_DATA_DAMAGED,
        "%s: 500 zeroed bytes not found", path);
  free(eighth.pixels);

  /* 64 bytes spread over the data, each set to a few values: whatever is found, nothing is read
   * or written out of bounds (ASan) and a decode that passes yields a whole image. */
  static const uint8_t values[] = {0x00, 0xFF, 0x5A, 0xD0, 0xD9};
  size_t stride = (size - start) / 64 + 1;
  for (size_t at = start + stride / 2; at < size; at += stride) {
    for (size_t v = 0; v < sizeof values; v++) {
      memcpy(damaged, bytes, size);
      damaged[at] = values[v];
      jpeg_data_result result = jpeg_decode_data(damaged, size, &eighth, problem, sizeof problem);
      if (result == JPEG_DATA_OK && eighth.pixels == NULL) {
        CHECK(0, "%s: byte %zu = 0x%02X passed without an image", path, at, values[v]);
      }
      free(eighth.pixels);
    }
  }
  free(damaged);
  free(bytes);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) test_photo(argv[i]);
  CHECK(argc > 1, "no photos given");
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
