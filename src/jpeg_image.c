/* jpeg_image.c — the scaled decode's means (jpeg_decode.c) made into an image: the 1/2-, 1/4- or 1/8-scale
 * image, or the area filter's boxes straight from the means (see jpeg_image.h). */
#include "jpeg_image.h"

#include <stdlib.h>
#include <string.h>

#include "lanes.h"

/* ---- Where a square's mean is -------------------------------------------------------------- */

/* Each block holds n x n square means (n = 8 / scale: 4 at 1/2 scale, 2 at 1/4, 1 at 1/8), row by
 * row, blocks in rows of blocks_wide: row y of squares starts at square_row_start(), and square x
 * of it lies square_offset() after that. */
static const float *square_row_start(const jpeg_plane *c, uint32_t scale, uint32_t y) {
  uint32_t n = 8 / scale;
  return c->means + (size_t)(y / n) * c->blocks_wide * n * n + (size_t)(y % n) * n;
}

static uint32_t square_offset(uint32_t scale, uint32_t x) {
  uint32_t n = 8 / scale;
  return (x / n) * n * n + x % n;
}

/* ---- The scaled image -------------------------------------------------------------------- */

/* Row y of a component's squares (scale x scale samples each): `count` square means from x = 0,
 * clamped to the squares holding samples (on both axes). */
static void square_row(const jpeg_planes *p, const jpeg_plane *c, uint32_t y, uint32_t count, float *out) {
  uint32_t scale = p->scale;
  uint32_t wide = (c->samples_wide + scale - 1) / scale, last_y = (c->samples_high + scale - 1) / scale - 1;
  if (y > last_y) y = last_y;
  uint32_t n = count < wide ? count : wide;
  const float *row = square_row_start(c, scale, y);
  if (scale == 8) {
    memcpy(out, row, n * sizeof *out);
  } else {
    for (uint32_t x = 0; x < n; x++) out[x] = row[square_offset(scale, x)];
  }
  for (uint32_t x = n; x < count; x++) out[x] = out[n - 1];
}

/* Subsampled chroma (factor 2) is interpolated with the triangle filter (3/4 of the nearer sample,
 * 1/4 of the farther), as stb_image and libjpeg's "fancy upsampling" do at full size: first along
 * rows, then between them. A component's rows of squares, upsampled along the row, are kept for
 * the next output rows (three: a square row serves the output rows from its neighbours' middles). */
typedef struct upsampled_rows {
  float *rows[3];    /* width values each */
  uint32_t index[3]; /* the square row each holds, UINT32_MAX for none */
  float *squares;    /* scratch: width / 2 + 2 squares */
} upsampled_rows;

static const float *upsampled_row(const jpeg_planes *p, const jpeg_plane *c, uint32_t sy, uint32_t width,
                                  upsampled_rows *cache) {
  uint32_t slot = sy % 3;
  float *out = cache->rows[slot];
  if (cache->index[slot] == sy) return out;
  cache->index[slot] = sy;
  if (!c->halved_x) {
    square_row(p, c, sy, width, out);
    return out;
  }
  float *squares = cache->squares;
  square_row(p, c, sy, width / 2 + 2, squares); /* squares sx = x / 2 and the neighbour up to sx + 1 */
  /* Output 2i from square i and the one before it (the first: itself), 2i + 1 from i and i + 1. */
  out[0] = squares[0] * 0.75f + squares[0] * 0.25f;
  if (width > 1) out[1] = squares[0] * 0.75f + squares[1] * 0.25f;
  for (uint32_t i = 1; 2 * i + 1 < width; i++) {
    out[2 * i] = squares[i] * 0.75f + squares[i - 1] * 0.25f;
    out[2 * i + 1] = squares[i] * 0.75f + squares[i + 1] * 0.25f;
  }
  if (width > 2 && width % 2) out[width - 1] = squares[width / 2] * 0.75f + squares[width / 2 - 1] * 0.25f;
  return out;
}

/* Row y of a component's plane at the output size, `width` values. */
static void component_row(const jpeg_planes *p, const jpeg_plane *c, uint32_t y, uint32_t width, float *line,
                          upsampled_rows *cache) {
  if (!c->halved_y) {
    memcpy(line, upsampled_row(p, c, y, width, cache), width * sizeof *line);
    return;
  }
  uint32_t sy = y / 2, ny = (y & 1) ? sy + 1 : (sy ? sy - 1 : 0);
  const float *near_row = upsampled_row(p, c, sy, width, cache), *far_row = upsampled_row(p, c, ny, width, cache);
  for (uint32_t x = 0; x < width; x++) line[x] = near_row[x] * 0.75f + far_row[x] * 0.25f;
}

static uint8_t to_byte(float v) {
  v += 0.5f;
  return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
}

/* to_byte() of four values at once (the same results): in wasm, one saturating SIMD conversion
 * instead of four scalar ones, which without non-trapping conversions are slow. */
static inline four_ints to_bytes4(four_floats v) {
#ifdef __wasm_simd128__
  const four_floats zero = {0.0f, 0.0f, 0.0f, 0.0f}, top = {255.0f, 255.0f, 255.0f, 255.0f};
  v += 0.5f;
  v = (four_floats)wasm_f32x4_pmin(wasm_f32x4_pmax((v128_t)v, (v128_t)zero), (v128_t)top);
  return __builtin_convertvector(v, four_ints);
#else
  four_ints bytes = {to_byte(v[0]), to_byte(v[1]), to_byte(v[2]), to_byte(v[3])};
  return bytes;
#endif
}

/* One row of YCbCr to RGB as JFIF defines it (and stb_image computes it), four pixels a step. */
static void rgb_row(const float *luma, const float *blue, const float *red, uint32_t width, uint8_t *o) {
  uint32_t x = 0;
  for (; x + 4 <= width; x += 4, o += 12) {
    four_floats l, cb, cr;
    memcpy(&l, luma + x, sizeof l);
    memcpy(&cb, blue + x, sizeof cb);
    memcpy(&cr, red + x, sizeof cr);
    cb -= 128.0f;
    cr -= 128.0f;
    four_ints r = to_bytes4(l + 1.402f * cr), g = to_bytes4(l - 0.344136f * cb - 0.714136f * cr),
              b = to_bytes4(l + 1.772f * cb);
#ifdef __wasm_simd128__
    /* Narrowed to bytes r0-r3 g0-g3 b0-b3, then interleaved: two stores instead of twelve. */
    v128_t bytes = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4((v128_t)r, (v128_t)g),
                                           wasm_i16x8_narrow_i32x4((v128_t)b, (v128_t)b));
    v128_t pixels = wasm_i8x16_shuffle(bytes, bytes, 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 13, 14, 15);
    wasm_v128_store64_lane(o, pixels, 0);
    wasm_v128_store32_lane(o + 8, pixels, 2);
#else
    for (int i = 0; i < 4; i++) {
      o[3 * i] = (uint8_t)r[i];
      o[3 * i + 1] = (uint8_t)g[i];
      o[3 * i + 2] = (uint8_t)b[i];
    }
#endif
  }
  for (; x < width; x++, o += 3) {
    float l = luma[x], cb = blue[x] - 128.0f, cr = red[x] - 128.0f;
    o[0] = to_byte(l + 1.402f * cr);
    o[1] = to_byte(l - 0.344136f * cb - 0.714136f * cr);
    o[2] = to_byte(l + 1.772f * cb);
  }
}

jpeg_data_result jpeg_image_scaled(const jpeg_planes *p, jpeg_scaled *out) {
  uint32_t scale = p->scale;
  uint32_t width = (p->width + scale - 1) / scale, height = (p->height + scale - 1) / scale;
  int channels = p->count;
  /* Row by row: each component's row, then the colour conversion (no full-size float planes). */
  size_t per_component = 4 * (size_t)width + (size_t)width / 2 + 2; /* the line, 3 cached rows, squares */
  float *lines = malloc((size_t)channels * per_component * sizeof *lines);
  uint8_t *pixels = malloc((size_t)width * height * (size_t)channels);
  if (!lines || !pixels) {
    free(lines);
    free(pixels);
    return JPEG_DATA_OUT_OF_MEMORY;
  }
  upsampled_rows caches[3];
  for (int i = 0; i < channels; i++) {
    float *base = lines + (size_t)channels * width + (size_t)i * (per_component - width);
    for (int r = 0; r < 3; r++) {
      caches[i].rows[r] = base + (size_t)r * width;
      caches[i].index[r] = UINT32_MAX;
    }
    caches[i].squares = base + 3 * (size_t)width;
  }
  for (uint32_t y = 0; y < height; y++) {
    for (int i = 0; i < channels; i++) component_row(p, &p->planes[i], y, width, lines + (size_t)i * width, &caches[i]);
    uint8_t *o = pixels + (size_t)y * width * (size_t)channels;
    if (channels == 1) {
      for (uint32_t x = 0; x < width; x++) o[x] = to_byte(lines[x]);
    } else {
      rgb_row(lines, lines + width, lines + 2 * (size_t)width, width, o);
    }
  }
  free(lines);
  out->pixels = pixels;
  out->width = width;
  out->height = height;
  out->channels = (uint32_t)channels;
  out->scale = scale;
  return JPEG_DATA_OK;
}

/* ---- The area filter's boxes, from the means ------------------------------------------------ */

/* Along one stored axis, each box's weights over one component's squares. The filter averages the
 * scaled image's pixels a box overlaps (weighted by the overlap, as the full-size boxes average
 * pixels), and each scaled pixel is a square of the component or, where chroma is subsampled, the
 * triangle filter's mix of two (upsampled_row, component_row): both linear, so the box is a weighted
 * sum of the component's squares, and the scaled image is never made. */
typedef struct square_taps {
  uint32_t count, taps; /* boxes, and the squares each may weigh */
  uint32_t *first;      /* the first square of box j; box j weighs first[j] .. first[j] + taps - 1 */
  float *weight;        /* count x taps, 0 past a box's squares */
} square_taps;

/* Where a scaled pixel's value comes from: square a (weight 3/4) and b (1/4), clamped to the
 * component's `squares`; a = b for a component not subsampled along the axis. */
static void pixel_sources(uint32_t pixel, int subsampled, uint32_t squares, uint32_t *a, uint32_t *b) {
  uint32_t near_square = subsampled ? pixel / 2 : pixel, far_square = near_square;
  if (subsampled && pixel > 0) far_square = pixel & 1 ? near_square + 1 : near_square - 1;
  *a = near_square < squares ? near_square : squares - 1;
  *b = far_square < squares ? far_square : squares - 1;
}

/* The samples start..end-1 of box j of `count` along an axis of `size` samples, with boxes of
 * `factor` counted from its far end when `flipped` (as jpeg_boxes says). */
static void box_samples(uint32_t j, uint32_t count, uint32_t size, uint32_t factor, int flipped, uint32_t *start,
                        uint32_t *end) {
  uint32_t k = flipped ? count - 1 - j : j;
  uint32_t from = k * factor, to = from + factor < size ? from + factor : size;
  *start = flipped ? size - to : from;
  *end = flipped ? size - from : to;
}

/* Boxes of `factor` samples over `size` (the frame's size along the axis), flipped or not, over a
 * component with `squares` squares of `scale` samples, subsampled by 2 along the axis or not. */
static int make_square_taps(uint32_t size, uint32_t factor, uint32_t scale, int flipped, uint32_t squares,
                            int subsampled, square_taps *out) {
  if (factor == 0) factor = 1;
  out->count = (size + factor - 1) / factor;
  if (!(out->first = malloc(out->count * sizeof *out->first))) return 0;
  /* The squares each box reaches, then their weights. */
  out->taps = 1;
  for (uint32_t j = 0; j < out->count; j++) {
    uint32_t start, end, low = UINT32_MAX, high = 0;
    box_samples(j, out->count, size, factor, flipped, &start, &end);
    for (uint32_t pixel = start / scale; pixel <= (end - 1) / scale; pixel++) {
      uint32_t a, b;
      pixel_sources(pixel, subsampled, squares, &a, &b);
      if ((a < b ? a : b) < low) low = a < b ? a : b;
      if ((a < b ? b : a) > high) high = a < b ? b : a;
    }
    out->first[j] = low;
    if (high - low + 1 > out->taps) out->taps = high - low + 1;
  }
  if (!(out->weight = calloc((size_t)out->count * out->taps, sizeof *out->weight))) return 0;
  for (uint32_t j = 0; j < out->count; j++) {
    uint32_t start, end;
    box_samples(j, out->count, size, factor, flipped, &start, &end);
    float *w = out->weight + (size_t)j * out->taps;
    for (uint32_t pixel = start / scale; pixel <= (end - 1) / scale; pixel++) {
      uint32_t from = pixel * scale > start ? pixel * scale : start;
      uint32_t to = pixel * scale + scale < end ? pixel * scale + scale : end;
      float share = (float)(to - from) / (float)(end - start);
      uint32_t a, b;
      pixel_sources(pixel, subsampled, squares, &a, &b);
      w[a - out->first[j]] += subsampled ? 0.75f * share : share;
      if (subsampled) w[b - out->first[j]] += 0.25f * share;
    }
  }
  return 1;
}

static void free_square_taps(square_taps *t) {
  free(t->first);
  free(t->weight);
}

/* One row of squares (`means` at its first: offsets[] say where each tap's square is) into its
 * boxes along x. `taps` is a constant in the calls below, so the loop over it unrolls. */
static inline void boxes_along_row(const float *means, const square_taps *x, const uint32_t *offsets, uint32_t taps,
                                   float *out) {
  for (uint32_t j = 0; j < x->count; j++) {
    const float *w = x->weight + (size_t)j * taps;
    const uint32_t *at = offsets + (size_t)j * taps;
    float sum = 0.0f;
    for (uint32_t t = 0; t < taps; t++) sum += w[t] * means[at[t]];
    out[j] = sum;
  }
}

/* A component's boxes: along x over each row of squares, then along y over those rows. `offsets`:
 * where square first[j] + t of box j lies in a row of means (clamped to the row: its weight is 0
 * past the box's squares); `rows`: scratch of rows_high x x->count; `out`: y->count x x->count. */
static void component_boxes(const jpeg_planes *p, const jpeg_plane *c, const square_taps *x, const uint32_t *offsets,
                            const square_taps *y, uint32_t rows_high, float *rows, float *out) {
  for (uint32_t row = 0; row < rows_high; row++) {
    const float *means = square_row_start(c, p->scale, row);
    float *o = rows + (size_t)row * x->count;
    switch (x->taps) {
      case 2: boxes_along_row(means, x, offsets, 2, o); break;
      case 3: boxes_along_row(means, x, offsets, 3, o); break;
      case 4: boxes_along_row(means, x, offsets, 4, o); break;
      default: boxes_along_row(means, x, offsets, x->taps, o); break;
    }
  }
  for (uint32_t i = 0; i < y->count; i++) {
    const float *w = y->weight + (size_t)i * y->taps;
    float *o = out + (size_t)i * x->count;
    memset(o, 0, x->count * sizeof *o);
    for (uint32_t t = 0; t < y->taps; t++) {
      if (!w[t]) continue;
      const float *in = rows + (size_t)(y->first[i] + t) * x->count;
      float weight = w[t];
      for (uint32_t j = 0; j < x->count; j++) o[j] += weight * in[j];
    }
  }
}

jpeg_data_result jpeg_image_boxes(const jpeg_planes *p, const jpeg_boxes *boxes, jpeg_scaled *out) {
  uint32_t scale = p->scale;
  int channels = p->count;
  square_taps taps[3][2]; /* per component: x, y */
  memset(taps, 0, sizeof taps);
  float *planes[3] = {NULL, NULL, NULL}, *rows = NULL;
  uint32_t *offsets[3] = {NULL, NULL, NULL};
  uint8_t *pixels = NULL;
  jpeg_data_result result = JPEG_DATA_OUT_OF_MEMORY;
  size_t most_rows = 0;
  for (int i = 0; i < channels; i++) {
    const jpeg_plane *c = &p->planes[i];
    uint32_t wide = (c->samples_wide + scale - 1) / scale, high = (c->samples_high + scale - 1) / scale;
    if (!make_square_taps(p->width, boxes->factor_x, scale, boxes->flip_x, wide, c->halved_x, &taps[i][0]) ||
        !make_square_taps(p->height, boxes->factor_y, scale, boxes->flip_y, high, c->halved_y, &taps[i][1]))
      goto done;
    if ((size_t)high * taps[i][0].count > most_rows) most_rows = (size_t)high * taps[i][0].count;
    const square_taps *x = &taps[i][0];
    if (!(offsets[i] = malloc((size_t)x->count * x->taps * sizeof *offsets[i]))) goto done;
    for (uint32_t j = 0; j < x->count; j++)
      for (uint32_t t = 0; t < x->taps; t++) {
        uint32_t square = x->first[j] + t < wide ? x->first[j] + t : wide - 1;
        offsets[i][(size_t)j * x->taps + t] = square_offset(scale, square);
      }
  }
  uint32_t width = taps[0][0].count, height = taps[0][1].count;
  rows = malloc(most_rows * sizeof *rows);
  pixels = malloc((size_t)width * height * (size_t)channels);
  if (!rows || !pixels) goto done;
  for (int i = 0; i < channels; i++) {
    const jpeg_plane *c = &p->planes[i];
    if (!(planes[i] = malloc((size_t)width * height * sizeof *planes[i]))) goto done;
    component_boxes(p, c, &taps[i][0], offsets[i], &taps[i][1], (c->samples_high + scale - 1) / scale, rows, planes[i]);
  }
  for (uint32_t y = 0; y < height; y++) {
    size_t at = (size_t)y * width;
    uint8_t *o = pixels + at * (size_t)channels;
    if (channels == 1) {
      for (uint32_t x = 0; x < width; x++) o[x] = to_byte(planes[0][at + x]);
    } else {
      rgb_row(planes[0] + at, planes[1] + at, planes[2] + at, width, o);
    }
  }
  out->pixels = pixels;
  out->width = width;
  out->height = height;
  out->channels = (uint32_t)channels;
  out->scale = scale;
  pixels = NULL;
  result = JPEG_DATA_OK;
done:
  for (int i = 0; i < 3; i++) {
    free_square_taps(&taps[i][0]);
    free_square_taps(&taps[i][1]);
    free(planes[i]);
    free(offsets[i]);
  }
  free(rows);
  free(pixels);
  return result;
}
