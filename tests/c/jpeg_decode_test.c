/* jpeg_decode_test.c — imprint's own JPEG Huffman decoding (src/jpeg_decode.c) on the real darknet
 * photos (subsampled chroma, restart markers) and a synthetic JPEG whose blocks end every way a block
 * can (the edges of the multi-code table steps): each passes, its 1/4- and 1/8-scale images match the
 * 4x4 and 8x8 means of stb_image's full decode, the area filter's boxes made from the means match
 * those of the scaled image, zeroed data is found, and a sweep of damaged bytes over every photo's
 * data must never read or write out of bounds (run under ASan + UBSan by tests/c/run-native.sh).
 *
 *   jpeg_decode_test PHOTO.jpg... [--same BASELINE.jpg PROGRESSIVE.jpg]...
 *
 * Prints "N passed, N failed"; exits 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "check.h"
#include "image.h"
#include "jpeg_decode.h"
#include "jpeg_split.h"
#include "model_file.h"
#include "read_file.h"

/* The scaled decodes average before they convert colour and interpolate chroma between squares
 * (the full decode does both per pixel, then clamps), so the two differ most at colour edges of
 * subsampled photos. Measured on the 7 photos at 1/4: RMS difference 0.3-4.4 levels (scream.jpg, a
 * painting's brush strokes, the largest); 0.4 on a 4:4:4 file. At 1/8 each chroma value covers
 * 16 pixels or more, twice as far: measured 0.6-6.8 (scream.jpg again). */
#define MAX_RMS_DIFFERENCE 6.0
#define MAX_RMS_DIFFERENCE_EIGHTH 8.0
/* At 1/2: measured 0.4-2.5 on the 7 photos and the phone-like files. */
#define MAX_RMS_DIFFERENCE_HALF 4.0

/* RMS difference between `scaled` and the square means of `full` (same channels). */
static double square_mean_rms(const jpeg_scaled *scaled, const imprint_image *full) {
  double sum = 0;
  size_t count = 0;
  uint32_t s = scaled->scale;
  for (uint32_t y = 0; y < scaled->height; y++) {
    for (uint32_t x = 0; x < scaled->width; x++) {
      for (uint32_t c = 0; c < scaled->channels; c++) {
        double total = 0;
        int n = 0;
        for (uint32_t yy = y * s; yy < y * s + s && yy < full->height; yy++)
          for (uint32_t xx = x * s; xx < x * s + s && xx < full->width; xx++, n++)
            total += full->pixels[((size_t)yy * full->width + xx) * full->channels + c];
        double d = total / n - scaled->pixels[((size_t)y * scaled->width + x) * scaled->channels + c];
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
  imprint_image full;
  CHECK(image_decode(bytes, size, NULL, &full, NULL, 0) == IMPRINT_OK, "%s: stb_image decode", path);
  for (int scale = 2; scale <= 8; scale *= 2) {
    jpeg_scaled scaled;
    CHECK(jpeg_decode_data(bytes, size, scale, 0, NULL, &scaled, problem, sizeof problem) == JPEG_DATA_OK, "%s: %s",
          path, problem);
    CHECK(scaled.pixels != NULL && scaled.scale == (uint32_t)scale, "%s: no 1/%d-scale image", path, scale);
    if (scaled.pixels && full.pixels) {
      uint32_t s = (uint32_t)scale;
      CHECK(scaled.width == (full.width + s - 1) / s && scaled.height == (full.height + s - 1) / s,
            "%s: 1/%d size %ux%u", path, scale, scaled.width, scaled.height);
      CHECK(scaled.channels == full.channels, "%s: channels %u", path, scaled.channels);
      double rms = square_mean_rms(&scaled, &full);
      printf("%s: 1/%d scale %ux%u, RMS difference to %dx%d means %.2f\n", path, scale, scaled.width, scaled.height,
             scale, scale, rms);
      CHECK(rms <= (scale == 2   ? MAX_RMS_DIFFERENCE_HALF
                    : scale == 4 ? MAX_RMS_DIFFERENCE
                                 : MAX_RMS_DIFFERENCE_EIGHTH),
            "%s: 1/%d RMS difference %.2f", path, scale, rms);
    }
    free(scaled.pixels);
  }
  imprint_image_free(&full);

  /* Fill bytes before a stuffed 0xFF (FF FF FF 00 for FF 00): libjpeg and stb_image read the same
   * data byte, and so must the check and the scaled decode (it once stopped there as at a marker,
   * and left stb_image to decode the rest unchecked). */
  size_t start = entropy_start(bytes, size), stuffed = 0;
  for (size_t at = start; start && at + 1 < size && !stuffed; at++)
    if (bytes[at] == 0xFF && bytes[at + 1] == 0x00) stuffed = at;
  CHECK(stuffed > 0, "%s: no stuffed 0xFF in the data", path);
  if (stuffed) {
    uint8_t *filled = malloc(size + 2);
    memcpy(filled, bytes, stuffed);
    filled[stuffed] = filled[stuffed + 1] = 0xFF;
    memcpy(filled + stuffed + 2, bytes + stuffed, size - stuffed);
    CHECK(jpeg_check_data(filled, size + 2, problem, sizeof problem) == JPEG_DATA_OK, "%s, fill bytes: %s", path,
          problem);
    jpeg_scaled a, b;
    CHECK(jpeg_decode_data(bytes, size, 4, 0, NULL, &a, problem, sizeof problem) == JPEG_DATA_OK &&
              jpeg_decode_data(filled, size + 2, 4, 0, NULL, &b, problem, sizeof problem) == JPEG_DATA_OK,
          "%s, fill bytes: %s", path, problem);
    CHECK(a.pixels && b.pixels && memcmp(a.pixels, b.pixels, (size_t)a.width * a.height * a.channels) == 0,
          "%s: fill bytes before a stuffed 0xFF change the 1/4-scale image", path);
    imprint_image original, with_fill;
    CHECK(image_decode(bytes, size, NULL, &original, NULL, 0) == IMPRINT_OK &&
              image_decode(filled, size + 2, NULL, &with_fill, NULL, 0) == IMPRINT_OK &&
              memcmp(original.pixels, with_fill.pixels, (size_t)original.width * original.height * original.channels) ==
                  0,
          "%s: stb_image reads fill bytes before a stuffed 0xFF differently", path);
    imprint_image_free(&original);
    imprint_image_free(&with_fill);
    free(a.pixels);
    free(b.pixels);
    free(filled);
  }

  /* 500 zeroed bytes in the middle of the data: found. */
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

/* ---- A synthetic JPEG for the edges of the multi-code table steps ---------------------------- */

typedef struct bit_writer {
  uint8_t *out;
  size_t n;
  uint32_t acc;
  int count;
} bit_writer;

static void put_bits(bit_writer *w, uint32_t code, int length) {
  for (int i = length - 1; i >= 0; i--) {
    w->acc = w->acc << 1 | (code >> i & 1);
    if (++w->count == 8) {
      w->out[w->n++] = (uint8_t)w->acc;
      if ((uint8_t)w->acc == 0xFF) w->out[w->n++] = 0x00; /* stuffed */
      w->acc = 0;
      w->count = 0;
    }
  }
}

/* A 64x8 gray baseline JPEG (8 blocks, quantisation 8) with its own small Huffman tables, whose
 * blocks end every way a block can: no EOB after the 63rd coefficient (reached by single codes
 * or by three ZRLs and a run of 14), an EOB after coefficient 62 or 61, an EOB alone. With
 * `damaged`, block 3's last code runs past coefficient 63. Returns the size; `out` >= 1024 bytes. */
static size_t synthetic_jpeg(uint8_t *out, int damaged) {
  /* AC codes (canonical, by length): 00 (0,1), 01 EOB, 100 ZRL, 101 (14,1), 1100 (0,2), 1101 (13,1),
   * 11100 (15,1). DC: 0 (category 0). */
  static const uint8_t header[] = {
      0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, /* DQT: 64 x 8 follow */
  };
  static const uint8_t frame[] = {0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 8, 0x00, 64, 1, 1, 0x11, 0,
                                  /* DHT DC: one code of length 1 */
                                  0xFF, 0xC4, 0x00, 0x14, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00,
                                  /* DHT AC */
                                  0xFF, 0xC4, 0x00, 0x1A, 0x10, 0, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
                                  0x00, 0xF0, 0xE1, 0x02, 0xD1, 0xF1,
                                  /* SOS */
                                  0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0};
  size_t n = 0;
  memcpy(out, header, sizeof header);
  n += sizeof header;
  memset(out + n, 8, 64);
  n += 64;
  memcpy(out + n, frame, sizeof frame);
  n += sizeof frame;
  bit_writer w = {out + n, 0, 0, 0};
  enum { ONE = 0, EOB = 1, ZRL = 4, RUN14 = 5, TWO = 12, RUN13 = 13, RUN15 = 28 };
  static const int lengths[32] = {[ONE] = 2, [EOB] = 2, [ZRL] = 3, [RUN14] = 3, [TWO] = 4, [RUN13] = 4, [RUN15] = 5};
#define CODE(c) put_bits(&w, (c), lengths[(c)])
  for (int block = 0; block < 8; block++) {
    put_bits(&w, 0, 1); /* DC difference 0 */
    switch (block) {
      case 0: /* 63 coefficients +-1, no EOB */
      case 6:
        for (int k = 1; k < 64; k++) CODE(ONE), put_bits(&w, (uint32_t)(k & 1), 1);
        break;
      case 1:
      case 7: CODE(EOB); break;
      case 2: /* three ZRLs and a run of 14: coefficient 63, no EOB */
        CODE(ZRL), CODE(ZRL), CODE(ZRL), CODE(RUN14), put_bits(&w, 1, 1);
        break;
      case 3: /* coefficient 62, then EOB (damaged: a run of 15 to "coefficient 64") */
        CODE(ZRL), CODE(ZRL), CODE(ZRL);
        if (damaged)
          CODE(RUN15), put_bits(&w, 1, 1);
        else
          CODE(RUN13), put_bits(&w, 0, 1), CODE(EOB);
        break;
      case 4: /* +3, -2, then 59 coefficients +-1 and EOB after coefficient 61 */
        CODE(TWO), put_bits(&w, 3, 2), CODE(TWO), put_bits(&w, 1, 2);
        for (int k = 3; k < 62; k++) CODE(ONE), put_bits(&w, (uint32_t)(k % 3 == 0), 1);
        CODE(EOB);
        break;
      case 5: /* 62 coefficients, EOB after coefficient 62 */
        for (int k = 1; k < 63; k++) CODE(ONE), put_bits(&w, (uint32_t)(k % 5 != 0), 1);
        CODE(EOB);
        break;
    }
  }
#undef CODE
  if (w.count) put_bits(&w, (1u << (8 - w.count)) - 1, 8 - w.count); /* pad with 1-bits */
  n += w.n;
  out[n++] = 0xFF;
  out[n++] = 0xD9;
  return n;
}

static void test_synthetic(void) {
  uint8_t bytes[2048];
  size_t size = synthetic_jpeg(bytes, 0);
  CHECK(size < 1024, "synthetic JPEG of %zu bytes", size);
  char problem[160];
  CHECK(jpeg_check_data(bytes, size, problem, sizeof problem) == JPEG_DATA_OK, "synthetic: %s", problem);
  imprint_image full;
  CHECK(image_decode(bytes, size, NULL, &full, NULL, 0) == IMPRINT_OK, "synthetic: stb_image decode");
  for (int scale = 4; scale <= 8; scale += 4) {
    jpeg_scaled scaled;
    CHECK(jpeg_decode_data(bytes, size, scale, 0, NULL, &scaled, problem, sizeof problem) == JPEG_DATA_OK,
          "synthetic 1/%d: %s", scale, problem);
    if (scaled.pixels && full.pixels) {
      /* Only IDCT rounding apart (measured 0.3-0.5). */
      double rms = square_mean_rms(&scaled, &full);
      printf("synthetic: 1/%d scale, RMS difference to %dx%d means %.2f\n", scale, scale, scale, rms);
      CHECK(rms <= 1.0, "synthetic 1/%d: RMS difference %.2f", scale, rms);
    }
    free(scaled.pixels);
  }
  imprint_image_free(&full);
  size = synthetic_jpeg(bytes, 1);
  CHECK(jpeg_check_data(bytes, size, problem, sizeof problem) == JPEG_DATA_DAMAGED &&
            strstr(problem, "more than 64 coefficients"),
        "synthetic, a coefficient past 63: %s", problem);
  for (int scale = 4; scale <= 8; scale += 4) {
    jpeg_scaled scaled;
    CHECK(jpeg_decode_data(bytes, size, scale, 0, NULL, &scaled, problem, sizeof problem) == JPEG_DATA_DAMAGED,
          "synthetic 1/%d, a coefficient past 63: not found", scale);
    CHECK(scaled.pixels == NULL, "synthetic 1/%d: an image from damaged data", scale);
  }
}

/* Which scale a JPEG is decoded at for a model's input (image.h): 1/8 when the area filter's boxes
 * are whole blocks or 16 pixels or more, 1/4 when its 1/4 scale is twice the input, else full size. */
static void test_scale_choice(void) {
  CHECK(jpeg_scale_for(4000, 3000, 224, 224) == 4, "12 MP 4:3: boxes of 8x6 pixels take 1/4");
  CHECK(jpeg_scale_for(3584, 3584, 224, 224) == 8, "3584x3584: boxes of 8 pixels take 1/8");
  CHECK(jpeg_scale_for(3583, 3584, 224, 224) == 4, "3583 wide: boxes of 7 pixels take 1/4");
  CHECK(jpeg_scale_for(4300, 4300, 224, 224) == 4, "boxes of 9 pixels take 1/4");
  CHECK(jpeg_scale_for(5400, 4000, 224, 224) == 4, "boxes of 12x8 pixels take 1/4");
  CHECK(jpeg_scale_for(7200, 3584, 224, 224) == 8, "boxes of 16x8 pixels take 1/8");
  CHECK(jpeg_scale_for(7200, 7200, 224, 224) == 8, "boxes of 16 pixels take 1/8");
  CHECK(jpeg_scale_for(1792, 1792, 224, 224) == 4, "1792 / 4 = 2 x 224 takes 1/4");
  CHECK(jpeg_scale_for(2592, 1944, 224, 224) == 2, "5 MP 4:3: boxes of 5x4 pixels take 1/2");
  CHECK(jpeg_scale_for(1944, 2592, 224, 224) == 2, "5 MP 3:4: boxes of 4x5 pixels take 1/2");
  CHECK(jpeg_scale_for(2400, 2400, 224, 224) == 2, "boxes of 5 pixels take 1/2");
  CHECK(jpeg_scale_for(1920, 1080, 224, 224) == 2, "1080p: boxes of 4x2 pixels take 1/2");
  CHECK(jpeg_scale_for(896, 896, 224, 224) == 2, "896 = 4 x 224: boxes of 2 pixels take 1/2");
  CHECK(jpeg_scale_for(1920, 895, 224, 224) == 0, "895 high: boxes of 1 pixel along it, full size");
  CHECK(jpeg_scale_for(640, 480, 224, 224) == 0, "640x480: full size");
  CHECK(jpeg_scale_for(3000, 2250, 224, 224) == 4, "boxes of 6x5 pixels take 1/4");
  CHECK(jpeg_scale_for(2688, 2016, 224, 224) == 4, "boxes of 6x4 pixels take 1/4");
  CHECK(jpeg_scale_for(1792, 1788, 224, 224) == 2, "1788 / 4 < 2 x 224: 1/2 (boxes of 4x3 pixels)");
  CHECK(jpeg_scale_for(8000, 8000, 0, 0) == 0, "no model input: full size");
  CHECK(jpeg_scale_for(128, 128, 8, 8) == 8, "the fuzzer's 8x8 input: 1/8 from 128 pixels a side");
}

/* The 1/4-scale decode for boxes of whole blocks along an axis (whole_axes): averaged over each
 * block's two squares along that axis (what such a box sees), it matches the plain decode, except
 * for rounding and where a square's colour clips (the plain decode clips each square, the merged one
 * their mean). Measured on the photos and the cjpeg files: RMS 0.22-0.38 (rounding: the plain decode rounds
 * each square), at most 0.15 % of values more than 1 apart. */
#define MAX_WHOLE_AXES_RMS 0.5
#define MAX_WHOLE_AXES_FAR 0.01

static void test_whole_axes(const char *path) {
  size_t size;
  uint8_t *bytes = read_file(path, &size);
  if (!bytes) return;
  char problem[160];
  jpeg_scaled plain;
  CHECK(jpeg_decode_data(bytes, size, 4, 0, NULL, &plain, problem, sizeof problem) == JPEG_DATA_OK && plain.pixels,
        "%s: %s", path, problem);
  for (int axes = 1; axes <= 3 && plain.pixels; axes++) {
    jpeg_scaled merged;
    CHECK(
        jpeg_decode_data(bytes, size, 4, axes, NULL, &merged, problem, sizeof problem) == JPEG_DATA_OK && merged.pixels,
        "%s: whole axes %d: %s", path, axes, problem);
    if (!merged.pixels) continue;
    CHECK(merged.width == plain.width && merged.height == plain.height && merged.channels == plain.channels,
          "%s: whole axes %d: size", path, axes);
    uint32_t step_x = axes & JPEG_WHOLE_BLOCKS_X ? 2 : 1, step_y = axes & JPEG_WHOLE_BLOCKS_Y ? 2 : 1;
    uint32_t channels = plain.channels;
    double sum = 0;
    size_t count = 0, far = 0;
    for (uint32_t y = 0; y + step_y <= plain.height; y += step_y)
      for (uint32_t x = 0; x + step_x <= plain.width; x += step_x)
        for (uint32_t c = 0; c < channels; c++) {
          double a = 0, b = 0;
          for (uint32_t dy = 0; dy < step_y; dy++)
            for (uint32_t dx = 0; dx < step_x; dx++) {
              size_t at = ((size_t)(y + dy) * plain.width + x + dx) * channels + c;
              a += plain.pixels[at];
              b += merged.pixels[at];
            }
          double difference = (a - b) / (step_x * step_y);
          sum += difference * difference;
          far += fabs(difference) > 1.0;
          count++;
        }
    double rms = sqrt(sum / (double)count), far_share = (double)far / (double)count;
    printf("%s: whole axes %d: RMS %.3f, %.3f %% more than 1 apart\n", path, axes, rms, 100.0 * far_share);
    CHECK(rms <= MAX_WHOLE_AXES_RMS && far_share <= MAX_WHOLE_AXES_FAR, "%s: whole axes %d: RMS %.3f, far %.4f", path,
          axes, rms, far_share);
    free(merged.pixels);
  }
  free(plain.pixels);
  free(bytes);
}

/* The area filter's boxes made from the means (jpeg_decode_data with `boxes`), against the same
 * boxes averaged here from the scaled image: equal but for rounding (the scaled image rounds each
 * square to a byte) and clipping (it clips each square's colour, the boxes their mean's). Measured
 * on the photos and the cjpeg files, box sizes 5-17 samples at 1/4 and 8-17 at 1/8, every flip: RMS
 * at most 0.35-0.38 levels per file, at most 0.23 % of values more than 2 apart. */
#define MAX_BOXES_RMS 0.75
#define MAX_BOXES_FAR 0.005

/* Box j's samples along an axis of `size` with boxes of `factor`, counted from the far end when
 * flipped (jpeg_boxes). */
static void box_range(uint32_t j, uint32_t size, uint32_t factor, int flipped, uint32_t *start, uint32_t *end) {
  uint32_t count = (size + factor - 1) / factor, k = flipped ? count - 1 - j : j;
  uint32_t from = k * factor, to = from + factor < size ? from + factor : size;
  *start = flipped ? size - to : from;
  *end = flipped ? size - from : to;
}

static void test_boxes(const char *path) {
  size_t size;
  uint8_t *bytes = read_file(path, &size);
  if (!bytes) return;
  imprint_image full;
  CHECK(image_decode(bytes, size, NULL, &full, NULL, 0) == IMPRINT_OK, "%s: decode", path);
  char problem[160];
  double worst_rms = 0, worst_far = 0;
  for (int scale = 2; scale <= 8 && full.pixels; scale *= 2) {
    jpeg_scaled scaled;
    CHECK(jpeg_decode_data(bytes, size, scale, 0, NULL, &scaled, problem, sizeof problem) == JPEG_DATA_OK &&
              scaled.pixels,
          "%s: %s", path, problem);
    for (uint32_t factor = scale == 2 ? 2 : scale == 4 ? 5 : 8; scaled.pixels && factor <= 17; factor += 3)
      for (int flips = 0; flips < 4; flips++) {
        jpeg_boxes request = {factor, factor - 1, flips & 1, flips >> 1};
        jpeg_scaled boxes;
        CHECK(jpeg_decode_data(bytes, size, scale, 0, &request, &boxes, problem, sizeof problem) == JPEG_DATA_OK &&
                  boxes.pixels,
              "%s: boxes: %s", path, problem);
        if (!boxes.pixels) continue;
        uint32_t width = full.width, height = full.height, s = (uint32_t)scale, channels = scaled.channels;
        CHECK(boxes.width == (width + request.factor_x - 1) / request.factor_x &&
                  boxes.height == (height + request.factor_y - 1) / request.factor_y && boxes.channels == channels &&
                  boxes.scale == s,
              "%s: boxes of %ux%u: %ux%u", path, request.factor_x, request.factor_y, boxes.width, boxes.height);
        double sum = 0;
        size_t count = 0, far = 0;
        for (uint32_t i = 0; i < boxes.height && boxes.width == (width + request.factor_x - 1) / request.factor_x; i++)
          for (uint32_t j = 0; j < boxes.width; j++) {
            uint32_t x0, x1, y0, y1;
            box_range(j, width, request.factor_x, request.flip_x, &x0, &x1);
            box_range(i, height, request.factor_y, request.flip_y, &y0, &y1);
            for (uint32_t c = 0; c < channels; c++) {
              double total = 0; /* the scaled image's squares, weighted by the samples they share with the box */
              for (uint32_t y = y0 / s; y <= (y1 - 1) / s; y++)
                for (uint32_t x = x0 / s; x <= (x1 - 1) / s; x++) {
                  uint32_t shared_x = (x * s + s < x1 ? x * s + s : x1) - (x * s > x0 ? x * s : x0);
                  uint32_t shared_y = (y * s + s < y1 ? y * s + s : y1) - (y * s > y0 ? y * s : y0);
                  total += (double)shared_x * shared_y * scaled.pixels[((size_t)y * scaled.width + x) * channels + c];
                }
              double difference =
                  total / ((double)(x1 - x0) * (y1 - y0)) - boxes.pixels[((size_t)i * boxes.width + j) * channels + c];
              sum += difference * difference;
              far += fabs(difference) > 2.0;
              count++;
            }
          }
        double rms = count ? sqrt(sum / (double)count) : 99, far_share = count ? (double)far / (double)count : 1;
        if (rms > worst_rms) worst_rms = rms;
        if (far_share > worst_far) worst_far = far_share;
        CHECK(rms <= MAX_BOXES_RMS && far_share <= MAX_BOXES_FAR,
              "%s: 1/%d, boxes of %ux%u, flips %d: RMS %.3f, far %.4f", path, scale, request.factor_x, request.factor_y,
              flips, rms, far_share);
        free(boxes.pixels);
      }
    free(scaled.pixels);
  }
  printf("%s: boxes from the means: RMS at most %.3f, at most %.3f %% more than 2 apart\n", path, worst_rms,
         100.0 * worst_far);
  imprint_image_free(&full);
  free(bytes);
}

/* Two JPEGs with the same coefficients (one baseline, one progressive: cjpeg writes both from the
 * same quantised blocks): the same scaled images, but for float rounding (at most one level). */
static void test_same_coefficients(const char *baseline, const char *progressive) {
  size_t sizes[2];
  uint8_t *bytes[2] = {read_file(baseline, &sizes[0]), read_file(progressive, &sizes[1])};
  CHECK(bytes[0] && bytes[1], "%s, %s: cannot read", baseline, progressive);
  for (int scale = 2; bytes[0] && bytes[1] && scale <= 8; scale *= 2) {
    jpeg_scaled a, b;
    char problem[160];
    CHECK(jpeg_decode_data(bytes[0], sizes[0], scale, 0, NULL, &a, problem, sizeof problem) == JPEG_DATA_OK &&
              jpeg_decode_data(bytes[1], sizes[1], scale, 0, NULL, &b, problem, sizeof problem) == JPEG_DATA_OK,
          "%s: %s", progressive, problem);
    if (a.pixels && b.pixels && a.width == b.width && a.height == b.height && a.channels == b.channels) {
      int most = 0;
      for (size_t i = 0; i < (size_t)a.width * a.height * a.channels; i++) {
        int d = abs((int)a.pixels[i] - (int)b.pixels[i]);
        if (d > most) most = d;
      }
      printf("%s: 1/%d scale, largest difference to the baseline file %d\n", progressive, scale, most);
      CHECK(most <= 1, "%s: 1/%d scale differs from the baseline file by %d", progressive, scale, most);
    } else {
      CHECK(0, "%s: 1/%d scale images missing or of different sizes", progressive, scale);
    }
    free(a.pixels);
    free(b.pixels);
  }
  free(bytes[0]);
  free(bytes[1]);
}

/* For a model, a colour JPEG decoded in full comes as RGBA (stb_image's SIMD colour conversion
 * writes 4 channels; image_decode.c): alpha 255 everywhere and the RGB of image_decode()'s pixels,
 * which keeps the file's 3. A greyscale JPEG keeps its one channel. Bilinear resize: every size is
 * decoded in full. */
static void test_model_channels(const char *path) {
  size_t size;
  uint8_t *bytes = read_file(path, &size);
  if (!bytes) return;
  preprocess_spec spec = {224, 224, {1, 1, 1}, {0, 0, 0}, MODEL_RESIZE_BILINEAR_HALF_PIXEL, 0, {255, 255, 255}};
  imprint_image plain = {0}, model = {0};
  CHECK(image_decode(bytes, size, NULL, &plain, NULL, 0) == IMPRINT_OK, "%s: decode", path);
  CHECK(image_decode_for_model(bytes, size, NULL, &spec, &model, NULL, 0) == IMPRINT_OK, "%s: decode for a model",
        path);
  if (plain.pixels && model.pixels) {
    uint32_t want = plain.channels == 3 ? 4 : plain.channels;
    CHECK(model.width == plain.width && model.height == plain.height && model.channels == want,
          "%s: %ux%u x %u for a model, %ux%u x %u decoded", path, model.width, model.height, model.channels,
          plain.width, plain.height, plain.channels);
    size_t pixels = (size_t)plain.width * plain.height, differ = 0;
    if (model.channels == want && model.width == plain.width && model.height == plain.height)
      for (size_t i = 0; i < pixels; i++)
        for (uint32_t c = 0; c < want; c++) {
          uint8_t expected = c < plain.channels ? plain.pixels[i * plain.channels + c] : 255;
          differ += model.pixels[i * want + c] != expected;
        }
    CHECK(differ == 0, "%s: %zu values differ from the decoded RGB (or alpha 255)", path, differ);
  }
  imprint_image_free(&plain);
  imprint_image_free(&model);
  free(bytes);
}

/* A JPEG with restart intervals cut into a top and a bottom JPEG (jpeg_split.h): each decodes on
 * its own, and the rows kept from each are the whole decode's, byte for byte, wherever the seam
 * falls. Returns 1 when the photo could be split. */
static int split_matches(const char *path) {
  size_t size;
  uint8_t *bytes = read_file(path, &size);
  if (!bytes) return 0;
  imprint_image whole = {0};
  int made = 0;
  CHECK(image_decode(bytes, size, NULL, &whole, NULL, 0) == IMPRINT_OK, "%s: decode", path);
  static const double shares[] = {0.0, 0.1, 0.42, 0.5, 0.9};
  for (size_t i = 0; i < sizeof shares / sizeof shares[0] && whole.pixels; i++) {
    jpeg_split split;
    jpeg_split_result result = jpeg_split_rows(bytes, size, shares[i], &split);
    CHECK(result != JPEG_SPLIT_OUT_OF_MEMORY, "%s: out of memory", path);
    if (result != JPEG_SPLIT_MADE) continue;
    made = 1;
    imprint_image top = {0}, bottom = {0};
    char why_top[200] = "", why_bottom[200] = "";
    CHECK(image_decode(split.top, split.top_size, NULL, &top, why_top, sizeof why_top) == IMPRINT_OK &&
              image_decode(split.bottom, split.bottom_size, NULL, &bottom, why_bottom, sizeof why_bottom) == IMPRINT_OK,
          "%s: a part does not decode: %s / %s", path, why_top, why_bottom);
    CHECK(split.bottom_first < split.seam && split.seam < whole.height, "%s: seam %u, bottom from %u", path, split.seam,
          split.bottom_first);
    if (top.pixels && bottom.pixels) {
      size_t row = (size_t)whole.width * whole.channels;
      CHECK(top.width == whole.width && bottom.width == whole.width && top.channels == whole.channels &&
                bottom.channels == whole.channels && top.height > split.seam &&
                bottom.height == whole.height - split.bottom_first,
            "%s: parts of %ux%u and %ux%u", path, top.width, top.height, bottom.width, bottom.height);
      if (top.height > split.seam && bottom.height == whole.height - split.bottom_first) {
        CHECK(memcmp(top.pixels, whole.pixels, row * split.seam) == 0, "%s: the top part's rows differ (share %.2f)",
              path, shares[i]);
        CHECK(memcmp(bottom.pixels + row * (split.seam - split.bottom_first), whole.pixels + row * split.seam,
                     row * (whole.height - split.seam)) == 0,
              "%s: the bottom part's rows differ (share %.2f)", path, shares[i]);
      }
    }
    imprint_image_free(&top);
    imprint_image_free(&bottom);
    free(split.top);
    free(split.bottom);
  }
  /* Cut short, the file is not split (its restart markers and end are not all there). */
  jpeg_split split;
  CHECK(jpeg_split_rows(bytes, size / 2, 0.42, &split) == JPEG_SPLIT_NOT_POSSIBLE, "%s: half a file split", path);
  imprint_image_free(&whole);
  free(bytes);
  return made;
}

/* FNV-1a of a scaled image's pixels, or 0 when the decode failed. */
static uint32_t scaled_hash(const uint8_t *bytes, size_t size, int scale) {
  char problem[160];
  jpeg_scaled scaled;
  if (jpeg_decode_data(bytes, size, scale, 0, NULL, &scaled, problem, sizeof problem) != JPEG_DATA_OK) return 0;
  uint32_t hash = 2166136261u;
  size_t n = (size_t)scaled.width * scaled.height * scaled.channels;
  for (size_t i = 0; i < n; i++) hash = (hash ^ scaled.pixels[i]) * 16777619u;
  free(scaled.pixels);
  return hash;
}

/* The AC tables' multi-symbol entries are kept from one decode to the next (jpeg_decode.c): a photo
 * gives the same 1/2- and 1/4-scale pixels whatever was decoded before it (other photos' tables,
 * the synthetic JPEG's, checks that make the entries for another span) as in a first pass. */
static void test_kept_tables(char **paths, int count) {
  enum { MOST = 16 };
  uint32_t first[MOST][2];
  uint8_t synthetic[2048];
  size_t synthetic_size = synthetic_jpeg(synthetic, 0);
  char problem[160];
  if (count > MOST) count = MOST;
  for (int pass = 0; pass < 2; pass++) {
    for (int j = 0; j < count; j++) {
      int i = pass ? count - 1 - j : j;
      size_t size;
      uint8_t *bytes = read_file(paths[i], &size);
      if (!bytes) continue;
      if (pass) {
        CHECK(jpeg_check_data(synthetic, synthetic_size, problem, sizeof problem) == JPEG_DATA_OK, "synthetic: %s",
              problem);
        CHECK(jpeg_check_data(bytes, size, problem, sizeof problem) == JPEG_DATA_OK, "%s: %s", paths[i], problem);
      }
      for (int s = 0; s < 2; s++) {
        uint32_t hash = scaled_hash(bytes, size, s ? 4 : 2);
        if (!pass) {
          first[i][s] = hash;
          CHECK(hash != 0, "%s: 1/%d decode", paths[i], s ? 4 : 2);
        } else {
          CHECK(hash == first[i][s], "%s: 1/%d pixels differ after other JPEGs' tables", paths[i], s ? 4 : 2);
        }
      }
      free(bytes);
    }
  }
}

int main(int argc, char **argv) {
  test_scale_choice();
  test_synthetic();
  int photos = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--same") == 0 && i + 2 < argc) {
      test_same_coefficients(argv[i + 1], argv[i + 2]);
      i += 2;
      continue;
    }
    test_photo(argv[i]);
    test_whole_axes(argv[i]);
    test_boxes(argv[i]);
    test_model_channels(argv[i]);
    photos++;
  }
  CHECK(photos > 0, "no photos given");
  char *paths[16];
  int count = 0;
  for (int i = 1; i < argc && count < 16; i++) {
    if (strcmp(argv[i], "--same") == 0) {
      i += 2;
      continue;
    }
    paths[count++] = argv[i];
  }
  test_kept_tables(paths, count);
  int split = 0;
  for (int i = 0; i < count; i++) split += split_matches(paths[i]);
  /* Six of the seven darknet photos have restart intervals (giraffe.jpg has none), and three of
   * the test files (make-test-jpegs.js); the progressive ones cannot be split. */
  printf("%d of %d JPEGs split at restart markers\n", split, count);
  CHECK(split >= 9, "only %d JPEGs split", split);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
