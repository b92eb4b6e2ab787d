/* preprocess.c — pixels to the model's input tensor: composite alpha, resize, normalise, in one
 * pass over the output (plus a box-filter pass when shrinking by more than 2x). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "model_file.h"

/* One source pixel as composited RGB floats in 0..255. Straight (not premultiplied) alpha, as
 * PNG stores it, composited over the background: c * a + bg * (1 - a). */
static inline void fetch_rgb(const image_view *in, uint32_t x, uint32_t y, const float background[3], float rgb[3]) {
  const uint8_t *p = in->pixels + (size_t)y * in->stride + (size_t)x * in->channels;
  float r, g, b, alpha;
  switch (in->channels) {
    case 1:
      r = g = b = p[0];
      alpha = 255.0f;
      break;
    case 2:
      r = g = b = p[0];
      alpha = p[1];
      break;
    case 3:
      r = p[0];
      g = p[1];
      b = p[2];
      alpha = 255.0f;
      break;
    default:
      r = p[0];
      g = p[1];
      b = p[2];
      alpha = p[3];
      break;
  }
  if (alpha == 255.0f) {
    rgb[0] = r;
    rgb[1] = g;
    rgb[2] = b;
    return;
  }
  float a = alpha * (1.0f / 255.0f);
  rgb[0] = r * a + background[0] * (1.0f - a);
  rgb[1] = g * a + background[1] * (1.0f - a);
  rgb[2] = b * a + background[2] * (1.0f - a);
}

/* Source coordinate of output index i for bilinear sampling. */
static inline float source_coordinate(uint32_t i, uint32_t in_size, uint32_t out_size, int half_pixel) {
  if (half_pixel) {
    float s = ((float)i + 0.5f) * (float)in_size / (float)out_size - 0.5f;
    return s < 0.0f ? 0.0f : s;
  }
  /* tf.image.resizeBilinear(alignCorners=true): corners map to corners. */
  if (out_size <= 1) return 0.0f;
  return (float)i * ((float)(in_size - 1) / (float)(out_size - 1));
}

/* RGB floats, rows packed (3 * width floats each): the box filter's output. */
typedef struct rgb_float_image {
  const float *data;
  uint32_t width, height;
} rgb_float_image;

static void write_output(const preprocess_spec *spec, float *out, size_t index, const float rgb[3]) {
  float *o = out + index * 3;
  int first = spec->bgr ? 2 : 0; /* B, G, R order swaps the outer channels */
  o[0] = rgb[first] * spec->scale[0] + spec->bias[0];
  o[1] = rgb[1] * spec->scale[1] + spec->bias[1];
  o[2] = rgb[2 - first] * spec->scale[2] + spec->bias[2];
}

/* Where output index i samples along one axis: the two neighbouring source indices (clamped to
 * the edge) and the weight of the second. */
typedef struct axis_sample {
  uint32_t first, second;
  float weight;
} axis_sample;

static inline axis_sample sample_axis(uint32_t i, uint32_t in_size, uint32_t out_size, int half_pixel) {
  float s = source_coordinate(i, in_size, out_size, half_pixel);
  uint32_t first = (uint32_t)s;
  if (first > in_size - 1) first = in_size - 1;
  axis_sample sample = {first, first + 1 < in_size ? first + 1 : in_size - 1, s - (float)first};
  return sample;
}

/* The interpolation order (horizontal, then vertical; "top + (bottom - top) * frac") follows
 * TF.js's resizeBilinear so that identical pixels give identical model inputs. */
#define BILINEAR_BODY(FETCH)                                              \
  for (uint32_t oy = 0; oy < spec->out_height; oy++) {                    \
    axis_sample y = sample_axis(oy, in_h, spec->out_height, half_pixel);  \
    for (uint32_t ox = 0; ox < spec->out_width; ox++) {                   \
      axis_sample x = sample_axis(ox, in_w, spec->out_width, half_pixel); \
      float tl[3], tr[3], bl[3], br[3], rgb[3];                           \
      FETCH(x.first, y.first, tl);                                        \
      FETCH(x.second, y.first, tr);                                       \
      FETCH(x.first, y.second, bl);                                       \
      FETCH(x.second, y.second, br);                                      \
      for (int c = 0; c < 3; c++) {                                       \
        float top = tl[c] + (tr[c] - tl[c]) * x.weight;                   \
        float bottom = bl[c] + (br[c] - bl[c]) * x.weight;                \
        rgb[c] = top + (bottom - top) * y.weight;                         \
      }                                                                   \
      write_output(spec, out, (size_t)oy * spec->out_width + ox, rgb);    \
    }                                                                     \
  }

static void bilinear_from_pixels(const image_view *in, const preprocess_spec *spec, const float background[3],
                                 int half_pixel, float *out) {
  uint32_t in_w = in->width, in_h = in->height;
#define FETCH_PIXELS(X, Y, DST) fetch_rgb(in, (X), (Y), background, (DST))
  BILINEAR_BODY(FETCH_PIXELS)
#undef FETCH_PIXELS
}

static void bilinear_from_floats(const rgb_float_image *in, const preprocess_spec *spec, int half_pixel, float *out) {
  uint32_t in_w = in->width, in_h = in->height;
#define FETCH_FLOATS(X, Y, DST) memcpy((DST), in->data + ((size_t)(Y)*in_w + (X)) * 3, sizeof(float) * 3)
  BILINEAR_BODY(FETCH_FLOATS)
#undef FETCH_FLOATS
}

/* Box filter by integer factors (fx, fy): each output pixel is the mean of its block (partial
 * blocks at the right/bottom edges average the pixels they have). Shrinking this way before the
 * bilinear step avoids the aliasing that sampling 4 of every (fx*fy) pixels would cause. */
static void box_reduce(const image_view *in, uint32_t fx, uint32_t fy, const float background[3], float *dst,
                       uint32_t out_w, uint32_t out_h) {
  for (uint32_t by = 0; by < out_h; by++) {
    uint32_t y_start = by * fy, y_end = y_start + fy < in->height ? y_start + fy : in->height;
    for (uint32_t bx = 0; bx < out_w; bx++) {
      uint32_t x_start = bx * fx, x_end = x_start + fx < in->width ? x_start + fx : in->width;
      float sum[3] = {0, 0, 0}, rgb[3];
      for (uint32_t y = y_start; y < y_end; y++) {
        for (uint32_t x = x_start; x < x_end; x++) {
          fetch_rgb(in, x, y, background, rgb);
          sum[0] += rgb[0];
          sum[1] += rgb[1];
          sum[2] += rgb[2];
        }
      }
      float inv = 1.0f / (float)((y_end - y_start) * (x_end - x_start));
      float *d = dst + ((size_t)by * out_w + bx) * 3;
      d[0] = sum[0] * inv;
      d[1] = sum[1] * inv;
      d[2] = sum[2] * inv;
    }
  }
}

imprint_status preprocess(const image_view *in, const preprocess_spec *spec, preprocess_scratch *scratch, float *out) {
  if (!in->pixels || in->width == 0 || in->height == 0 || in->channels < 1 || in->channels > 4)
    return IMPRINT_ERR_INVALID_ARGUMENT;
  float background[3] = {spec->background[0], spec->background[1], spec->background[2]};
  int half_pixel = spec->resize == MODEL_RESIZE_BILINEAR_HALF_PIXEL;
  if (spec->resize == MODEL_RESIZE_AREA_THEN_BILINEAR) {
    uint32_t fx = in->width / (2 * spec->out_width);
    uint32_t fy = in->height / (2 * spec->out_height);
    if (fx < 1) fx = 1;
    if (fy < 1) fy = 1;
    if (fx > 1 || fy > 1) {
      uint32_t reduced_w = (in->width + fx - 1) / fx, reduced_h = (in->height + fy - 1) / fy;
      size_t need = (size_t)reduced_w * reduced_h * 3 * sizeof(float);
      if (scratch->capacity < need) {
        void *grown = realloc(scratch->buffer, need);
        if (!grown) return IMPRINT_ERR_OUT_OF_MEMORY;
        scratch->buffer = grown;
        scratch->capacity = need;
      }
      float *reduced = (float *)(void *)scratch->buffer;
      box_reduce(in, fx, fy, background, reduced, reduced_w, reduced_h);
      rgb_float_image small = {reduced, reduced_w, reduced_h};
      bilinear_from_floats(&small, spec, 0, out);
      return IMPRINT_OK;
    }
  }
  bilinear_from_pixels(in, spec, background, half_pixel, out);
  return IMPRINT_OK;
}

void preprocess_scratch_free(preprocess_scratch *scratch) {
  free(scratch->buffer);
  scratch->buffer = NULL;
  scratch->capacity = 0;
}
