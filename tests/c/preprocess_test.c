/* preprocess_test.c — preprocess() against the definition of its resize, written here the plain
 * way: every output pixel from its four composited corners (TF.js's resizeBilinear order:
 * horizontal, then vertical), after the box filter when the model asks for it.
 *
 *   sh tests/c/run-native.sh     (or: ctest --test-dir build/native -R preprocess_test)
 *
 * preprocess() makes each source row's horizontal pass once and caches it, and cuts its passes into
 * two halves of the output rows (two threads in the threads build): neither may change a single bit,
 * so the comparison is exact. Sizes cover the identity, shrinking by under 2x, the box filter at
 * several factors, enlarging, one-pixel sides and the three resize modes; pixels are random with
 * 1 to 4 channels and random alpha; a row stride wider than the row. Each case runs without a pair
 * runner, with one that runs the halves in order and with one that runs the second half first.
 * Prints "N passed, N failed"; exits 1 on any failure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "model_file.h"

#include "check.h"

static uint32_t rng_state = 2024u;
static uint32_t next_random(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}

/* The definition. */
static void composite(const image_view *in, uint32_t x, uint32_t y, const float bg[3], float rgb[3]) {
  const uint8_t *p = in->pixels + (size_t)y * in->stride + (size_t)x * in->channels;
  float r = p[0], g = in->channels >= 3 ? p[1] : p[0], b = in->channels >= 3 ? p[2] : p[0];
  float alpha = in->channels == 2 ? p[1] : in->channels == 4 ? p[3] : 255.0f;
  if (alpha == 255.0f) {
    rgb[0] = r, rgb[1] = g, rgb[2] = b;
    return;
  }
  float a = alpha * (1.0f / 255.0f);
  rgb[0] = r * a + bg[0] * (1.0f - a);
  rgb[1] = g * a + bg[1] * (1.0f - a);
  rgb[2] = b * a + bg[2] * (1.0f - a);
}

static float coordinate(uint32_t i, uint32_t in_size, uint32_t out_size, int half_pixel) {
  if (half_pixel) {
    float s = ((float)i + 0.5f) * (float)in_size / (float)out_size - 0.5f;
    return s < 0.0f ? 0.0f : s;
  }
  if (out_size <= 1) return 0.0f;
  return (float)i * ((float)(in_size - 1) / (float)(out_size - 1));
}

/* RGB floats of a w x h source: `pixels` composited, or `floats` (the box filter's output). */
static void source_rgb(const image_view *pixels, const float *floats, uint32_t w, uint32_t x, uint32_t y,
                       const float bg[3], float rgb[3]) {
  if (floats) {
    memcpy(rgb, floats + ((size_t)y * w + x) * 3, 3 * sizeof(float));
  } else {
    composite(pixels, x, y, bg, rgb);
  }
}

static void reference(const image_view *in, const preprocess_spec *spec, float *out) {
  float bg[3] = {spec->background[0], spec->background[1], spec->background[2]};
  const image_view *pixels = in;
  float *floats = NULL;
  uint32_t w = in->width, h = in->height;
  int half_pixel = spec->resize == MODEL_RESIZE_BILINEAR_HALF_PIXEL;
  uint32_t fx = w / (2 * spec->out_width), fy = h / (2 * spec->out_height);
  if (spec->resize == MODEL_RESIZE_AREA_THEN_BILINEAR && (fx > 1 || fy > 1)) {
    if (fx < 1) fx = 1;
    if (fy < 1) fy = 1;
    uint32_t bw = (w + fx - 1) / fx, bh = (h + fy - 1) / fy;
    floats = malloc((size_t)bw * bh * 3 * sizeof(float));
    for (uint32_t by = 0; by < bh; by++)
      for (uint32_t bx = 0; bx < bw; bx++) {
        float sum[3] = {0, 0, 0}, rgb[3];
        uint32_t count = 0;
        for (uint32_t y = by * fy; y < by * fy + fy && y < h; y++)
          for (uint32_t x = bx * fx; x < bx * fx + fx && x < w; x++, count++) {
            composite(in, x, y, bg, rgb);
            for (int c = 0; c < 3; c++) sum[c] += rgb[c];
          }
        for (int c = 0; c < 3; c++) floats[((size_t)by * bw + bx) * 3 + c] = sum[c] * (1.0f / (float)count);
      }
    pixels = NULL;
    w = bw, h = bh;
    half_pixel = 0;
  }
  for (uint32_t oy = 0; oy < spec->out_height; oy++) {
    float sy = coordinate(oy, h, spec->out_height, half_pixel);
    uint32_t y0 = (uint32_t)sy < h - 1 ? (uint32_t)sy : h - 1, y1 = y0 + 1 < h ? y0 + 1 : h - 1;
    float wy = sy - (float)y0;
    for (uint32_t ox = 0; ox < spec->out_width; ox++) {
      float sx = coordinate(ox, w, spec->out_width, half_pixel);
      uint32_t x0 = (uint32_t)sx < w - 1 ? (uint32_t)sx : w - 1, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
      float wx = sx - (float)x0, tl[3], tr[3], bl[3], br[3], rgb[3];
      source_rgb(pixels, floats, w, x0, y0, bg, tl);
      source_rgb(pixels, floats, w, x1, y0, bg, tr);
      source_rgb(pixels, floats, w, x0, y1, bg, bl);
      source_rgb(pixels, floats, w, x1, y1, bg, br);
      for (int c = 0; c < 3; c++) {
        float top = tl[c] + (tr[c] - tl[c]) * wx, bottom = bl[c] + (br[c] - bl[c]) * wx;
        rgb[c] = top + (bottom - top) * wy;
      }
      float *o = out + ((size_t)oy * spec->out_width + ox) * 3;
      int first = spec->bgr ? 2 : 0;
      o[0] = rgb[first] * spec->scale[0] + spec->bias[0];
      o[1] = rgb[1] * spec->scale[1] + spec->bias[1];
      o[2] = rgb[2 - first] * spec->scale[2] + spec->bias[2];
    }
  }
  free(floats);
}

static void in_order(void (*first)(void *), void (*second)(void *), void *context) {
  first(context);
  second(context);
}
static void reversed(void (*first)(void *), void (*second)(void *), void *context) {
  second(context);
  first(context);
}

static void check_case(uint32_t in_w, uint32_t in_h, uint32_t channels, uint32_t out_w, uint32_t out_h, int resize,
                       int bgr) {
  size_t stride = (size_t)in_w * channels + 3; /* rows padded: the stride is honoured */
  uint8_t *pixels = malloc(stride * in_h);
  for (size_t i = 0; i < stride * in_h; i++) pixels[i] = (uint8_t)next_random();
  /* Alpha mostly opaque, sometimes not, so both compositing paths run. */
  if (channels == 2 || channels == 4)
    for (uint32_t y = 0; y < in_h; y++)
      for (uint32_t x = 0; x < in_w; x++)
        if (next_random() % 3) pixels[y * stride + x * channels + channels - 1] = 255;
  image_view in = {pixels, in_w, in_h, channels, stride};
  preprocess_spec spec = {out_h, out_w, {0.5f, 1.0f / 255.0f, 2.0f}, {-1.0f, 0.25f, 0.0f}, resize, bgr, {12, 200, 77}};
  size_t n = (size_t)out_w * out_h * 3;
  float *want = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float));
  reference(&in, &spec, want);
  image_pair_runner runners[3] = {NULL, in_order, reversed};
  preprocess_scratch scratch = {0};
  for (int r = 0; r < 3; r++) {
    image_set_pair_runner(runners[r]);
    memset(got, 0xff, n * sizeof(float));
    imprint_status status = preprocess(&in, &spec, &scratch, got);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) differ += memcmp(&got[i], &want[i], sizeof(float)) != 0;
    CHECK(status == IMPRINT_OK && differ == 0,
          "%ux%u x %u -> %ux%u, resize %d, bgr %d, runner %d: status %d, %zu of %zu values differ", in_w, in_h,
          channels, out_w, out_h, resize, bgr, r, (int)status, differ, n);
  }
  image_set_pair_runner(NULL);
  preprocess_scratch_free(&scratch);
  free(want);
  free(got);
  free(pixels);
}

int main(void) {
  static const uint32_t sizes[][4] = {
      {224, 224, 224, 224},                        /* the identity */
      {300, 200, 224, 224},                        /* shrinking under 2x, enlarging on the other axis */
      {447, 447, 224, 224},  {448, 449, 224, 224}, /* the box filter's edge: factor 1, then 2 on one axis */
      {1000, 700, 224, 224},                       /* boxes of 2 and 1 pixels... */
      {1345, 901, 224, 224},                       /* ...3 and 2, partial boxes at the edges */
      {2000, 1500, 96, 160},                       /* a tall, small input */
      {17, 9, 224, 224},                           /* enlarging */
      {1, 1, 8, 8},          {1, 40, 7, 3},        {40, 1, 3, 7}, /* one-pixel sides */
      {5, 5, 1, 1},          {31, 29, 2, 5},
  };
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
    for (uint32_t channels = 1; channels <= 4; channels++)
      for (int resize = 0; resize < 3; resize++)
        check_case(sizes[s][0], sizes[s][1], channels, sizes[s][2], sizes[s][3], resize, (int)(s + channels) % 2);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
