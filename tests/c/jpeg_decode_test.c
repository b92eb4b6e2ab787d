/* jpeg_decode_test.c — imprint's own JPEG Huffman decoding (src/jpeg_decode.c) on the real darknet
 * photos (4:2:0 chroma, restart markers): each passes, its 1/4-scale image matches the 4x4 means of
 * stb_image's full decode, zeroed data is found, and a sweep of damaged bytes over every photo's
 * data must never read or write out of bounds (run under ASan + UBSan by tests/c/run-native.sh).
 *
 *   jpeg_decode_test PHOTO.jpg...
 *
 * Prints "N passed, N failed"; exits 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "check.h"
#include "image.h"
#include "jpeg_decode.h"
#include "read_file.h"

/* The 1/4-scale decode averages before it converts colour and interpolates chroma between
 * quadrants (the full decode does both per pixel, then clamps), so the two differ most at colour
 * edges of 4:2:0 photos. Measured on the 7 photos: RMS difference 0.3-4.4 levels (scream.jpg, a
 * painting's brush strokes, the largest); 0.4 on a 4:4:4 file. */
#define MAX_RMS_DIFFERENCE 6.0

/* RMS difference between `quarter` and the 4x4 square means of `full` (same channels). */
static double square_mean_rms(const jpeg_quarter *quarter, const imprint_image *full) {
  double sum = 0;
  size_t count = 0;
  for (uint32_t y = 0; y < quarter->height; y++) {
    for (uint32_t x = 0; x < quarter->width; x++) {
      for (uint32_t c = 0; c < quarter->channels; c++) {
        double total = 0;
        int n = 0;
        for (uint32_t yy = y * 4; yy < y * 4 + 4 && yy < full->height; yy++)
          for (uint32_t xx = x * 4; xx < x * 4 + 4 && xx < full->width; xx++, n++)
            total += full->pixels[((size_t)yy * full->width + xx) * full->channels + c];
        double d = total / n - quarter->pixels[((size_t)y * quarter->width + x) * quarter->channels + c];
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

  CHECK(jpeg_check_data(bytes, size, problem, sizeof problem) == JPEG_DATA_OK, "%s: %s", path, problem);
  jpeg_quarter quarter;
  imprint_image full;
  CHECK(jpeg_decode_data(bytes, size, &quarter, problem, sizeof problem) == JPEG_DATA_OK, "%s: %s", path, problem);
  CHECK(image_decode(bytes, size, NULL, &full, NULL, 0) == IMPRINT_OK, "%s: stb_image decode", path);
  CHECK(quarter.pixels != NULL, "%s: no 1/4-scale image", path);
  if (quarter.pixels && full.pixels) {
    CHECK(quarter.width == (full.width + 3) / 4 && quarter.height == (full.height + 3) / 4, "%s: 1/4 size %ux%u", path,
          quarter.width, quarter.height);
    CHECK(quarter.channels == full.channels, "%s: channels %u", path, quarter.channels);
    double rms = square_mean_rms(&quarter, &full);
    printf("%s: 1/4 scale %ux%u, RMS difference to 4x4 means %.2f\n", path, quarter.width, quarter.height, rms);
    CHECK(rms <= MAX_RMS_DIFFERENCE, "%s: RMS difference %.2f", path, rms);
  }
  free(quarter.pixels);
  imprint_image_free(&full);

  /* 500 zeroed bytes in the middle of the data: found. */
  size_t start = entropy_start(bytes, size);
  CHECK(start > 0 && start + 1000 < size, "%s: no entropy-coded data found", path);
  uint8_t *damaged = malloc(size);
  memcpy(damaged, bytes, size);
  memset(damaged + start + (size - start) / 2 - 250, 0, 500);
  CHECK(jpeg_check_data(damaged, size, problem, sizeof problem) == JPEG_DATA_DAMAGED, "%s: 500 zeroed bytes not found",
        path);

  /* 64 bytes spread over the data, each set to a few values: nothing is read or written out of
   * bounds (ASan), and many of these changes are found: measured 44-83% per photo (a changed byte
   * often still decodes to valid codes that resynchronise before the end); at least a third. */
  static const uint8_t values[] = {0x00, 0xFF, 0x5A, 0xD0, 0xD9};
  size_t stride = (size - start) / 64 + 1, tries = 0, found = 0;
  for (size_t at = start + stride / 2; at < size; at += stride) {
    for (size_t v = 0; v < sizeof values; v++) {
      if (bytes[at] == values[v]) continue;
      memcpy(damaged, bytes, size);
      damaged[at] = values[v];
      tries++;
      found += jpeg_check_data(damaged, size, problem, sizeof problem) == JPEG_DATA_DAMAGED;
    }
  }
  printf("%s: %zu of %zu damaged bytes found\n", path, found, tries);
  CHECK(found * 3 >= tries, "%s: only %zu of %zu damaged bytes found", path, found, tries);
  free(damaged);
  free(bytes);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) test_photo(argv[i]);
  CHECK(argc > 1, "no photos given");
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
