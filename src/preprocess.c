/* preprocess.c — pixels to the model's input tensor: composite alpha, resize, normalise (a box
 * filter first when shrinking by more than 2x). Each pass is cut into two halves of its output
 * rows, which the threads build runs on two threads (image_current_pair_runner()). */
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

/* Bilinear resampling as TF.js's resizeBilinear does it, so that identical pixels give identical
 * model inputs: horizontally first (top = left + (right - left) * x weight, for the two source rows
 * an output row samples), then vertically (top + (bottom - top) * y weight). Done in that order in
 * two passes: each source row's horizontal pass is made once, not once per output pixel's four
 * corners, and kept while the next output row samples it too (a two-row cache). */
typedef struct bilinear_job {
  const image_view *pixels;   /* the source: 8-bit pixels (composited over background) ... */
  const rgb_float_image *rgb; /* ... or the box filter's RGB floats */
  float background[3];
  const preprocess_spec *spec;
  int half_pixel;
  const axis_sample *columns; /* spec->out_width samples along x */
  float *rows[2][2];          /* per half of the output rows: two cached horizontal passes */
  uint32_t split;             /* output rows [0, split) are the first half's, the rest the second's */
  float *out;
} bilinear_job;

/* 8-bit pixels with a channel count known where this is inlined (the loop is specialised). */
static inline __attribute__((always_inline)) void horizontal_pixels(const uint8_t *row, int channels,
                                                                    const axis_sample *columns, uint32_t out_w,
                                                                    const float background[3], float *dst) {
  for (uint32_t ox = 0; ox < out_w; ox++) {
    float left[3], right[3];
    image_view one = {row, 0, 1, (uint32_t)channels, 0};
    fetch_rgb(&one, columns[ox].first, 0, background, left);
    fetch_rgb(&one, columns[ox].second, 0, background, right);
    float w = columns[ox].weight, *d = dst + (size_t)ox * 3;
    d[0] = left[0] + (right[0] - left[0]) * w;
    d[1] = left[1] + (right[1] - left[1]) * w;
    d[2] = left[2] + (right[2] - left[2]) * w;
  }
}

static void horizontal_pass(const bilinear_job *job, uint32_t y, float *dst) {
  uint32_t out_w = job->spec->out_width;
  if (job->rgb) {
    const float *row = job->rgb->data + (size_t)y * job->rgb->width * 3;
    for (uint32_t ox = 0; ox < out_w; ox++) {
      const float *left = row + (size_t)job->columns[ox].first * 3, *right = row + (size_t)job->columns[ox].second * 3;
      float w = job->columns[ox].weight, *d = dst + (size_t)ox * 3;
      d[0] = left[0] + (right[0] - left[0]) * w;
      d[1] = left[1] + (right[1] - left[1]) * w;
      d[2] = left[2] + (right[2] - left[2]) * w;
    }
    return;
  }
  const image_view *in = job->pixels;
  const uint8_t *row = in->pixels + (size_t)y * in->stride;
  switch (in->channels) {
    case 1: horizontal_pixels(row, 1, job->columns, out_w, job->background, dst); break;
    case 2: horizontal_pixels(row, 2, job->columns, out_w, job->background, dst); break;
    case 3: horizontal_pixels(row, 3, job->columns, out_w, job->background, dst); break;
    default: horizontal_pixels(row, 4, job->columns, out_w, job->background, dst); break;
  }
}

/* Output rows [begin, end), with `rows` (two rows of 3 * out_width floats) as the cache. */
static void bilinear_rows(const bilinear_job *job, uint32_t begin, uint32_t end, float *const rows[2]) {
  const preprocess_spec *spec = job->spec;
  uint32_t in_h = job->rgb ? job->rgb->height : job->pixels->height, out_w = spec->out_width;
  uint32_t cached[2] = {UINT32_MAX, UINT32_MAX};
  for (uint32_t oy = begin; oy < end; oy++) {
    axis_sample y = sample_axis(oy, in_h, spec->out_height, job->half_pixel);
    int top = cached[0] == y.first ? 0 : cached[1] == y.first ? 1 : -1;
    if (top < 0) {
      top = cached[0] == y.second ? 1 : 0; /* keep the row the bottom needs */
      horizontal_pass(job, y.first, rows[top]);
      cached[top] = y.first;
    }
    int bottom = cached[0] == y.second ? 0 : cached[1] == y.second ? 1 : -1;
    if (bottom < 0) {
      bottom = 1 - top;
      horizontal_pass(job, y.second, rows[bottom]);
      cached[bottom] = y.second;
    }
    const float *t = rows[top], *b = rows[bottom];
    for (uint32_t ox = 0; ox < out_w; ox++) {
      float rgb[3];
      for (int c = 0; c < 3; c++) rgb[c] = t[ox * 3 + c] + (b[ox * 3 + c] - t[ox * 3 + c]) * y.weight;
      write_output(spec, job->out, (size_t)oy * out_w + ox, rgb);
    }
  }
}
/* Box filter by integer factors (fx, fy): each output pixel is the mean of its block (partial
 * blocks at the right/bottom edges average the pixels they have). Shrinking this way before the
 * bilinear step avoids the aliasing that sampling 4 of every (fx*fy) pixels would cause. */
typedef struct box_job {
  const image_view *in;
  uint32_t fx, fy;
  float background[3];
  float *dst;
  uint32_t out_w, out_h;
  uint32_t split; /* rows [0, split) are the first half's, the rest the second's */
} box_job;

static void box_rows(const box_job *job, uint32_t begin, uint32_t end) {
  const image_view *in = job->in;
  uint32_t fx = job->fx, fy = job->fy;
  for (uint32_t by = begin; by < end; by++) {
    uint32_t y_start = by * fy, y_end = y_start + fy < in->height ? y_start + fy : in->height;
    for (uint32_t bx = 0; bx < job->out_w; bx++) {
      uint32_t x_start = bx * fx, x_end = x_start + fx < in->width ? x_start + fx : in->width;
      float sum[3] = {0, 0, 0}, rgb[3];
      for (uint32_t y = y_start; y < y_end; y++) {
        for (uint32_t x = x_start; x < x_end; x++) {
          fetch_rgb(in, x, y, job->background, rgb);
          sum[0] += rgb[0];
          sum[1] += rgb[1];
          sum[2] += rgb[2];
        }
      }
      float inv = 1.0f / (float)((y_end - y_start) * (x_end - x_start));
      float *d = job->dst + ((size_t)by * job->out_w + bx) * 3;
      d[0] = sum[0] * inv;
      d[1] = sum[1] * inv;
      d[2] = sum[2] * inv;
    }
  }
}

static void box_first_half(void *job) { box_rows(job, 0, ((box_job *)job)->split); }
static void box_second_half(void *job) { box_rows(job, ((box_job *)job)->split, ((box_job *)job)->out_h); }

static void bilinear_first_half(void *context) {
  bilinear_job *job = context;
  bilinear_rows(job, 0, job->split, job->rows[0]);
}
static void bilinear_second_half(void *context) {
  bilinear_job *job = context;
  bilinear_rows(job, job->split, job->spec->out_height, job->rows[1]);
}

/* Each pass is cut into two halves of its output rows, run on two threads when image_decode.c has
 * a pair runner (the threads build with 2 threads or more), else one after the other. */
static void run_halves(void (*first)(void *), void (*second)(void *), void *job) {
  image_pair_runner runner = image_current_pair_runner();
  if (runner) {
    runner(first, second, job);
  } else {
    first(job);
    second(job);
  }
}

static int grow_scratch(preprocess_scratch *scratch, size_t need) {
  if (scratch->capacity >= need) return 1;
  void *grown = realloc(scratch->buffer, need);
  if (!grown) return 0;
  scratch->buffer = grown;
  scratch->capacity = need;
  return 1;
}

imprint_status preprocess(const image_view *in, const preprocess_spec *spec, preprocess_scratch *scratch, float *out) {
  if (!in->pixels || in->width == 0 || in->height == 0 || in->channels < 1 || in->channels > 4)
    return IMPRINT_ERR_INVALID_ARGUMENT;
  uint32_t out_w = spec->out_width, out_h = spec->out_height;
  uint32_t fx = 1, fy = 1;
  if (spec->resize == MODEL_RESIZE_AREA_THEN_BILINEAR) {
    fx = in->width / (2 * out_w);
    fy = in->height / (2 * out_h);
    if (fx < 1) fx = 1;
    if (fy < 1) fy = 1;
  }
  int box = fx > 1 || fy > 1;
  uint32_t reduced_w = (in->width + fx - 1) / fx, reduced_h = (in->height + fy - 1) / fy;
  /* The scratch holds the box filter's output (if any), the x samples and 2 x 2 cached rows. */
  size_t reduced_bytes = box ? (size_t)reduced_w * reduced_h * 3 * sizeof(float) : 0;
  size_t columns_bytes = (size_t)out_w * sizeof(axis_sample), row_floats = (size_t)out_w * 3;
  if (!grow_scratch(scratch, reduced_bytes + columns_bytes + 4 * row_floats * sizeof(float)))
    return IMPRINT_ERR_OUT_OF_MEMORY;
  bilinear_job job = {.pixels = in,
                      .background = {spec->background[0], spec->background[1], spec->background[2]},
                      .spec = spec,
                      .out = out,
                      .split = out_h / 2};
  rgb_float_image reduced = {(const float *)(void *)scratch->buffer, reduced_w, reduced_h};
  if (box) {
    box_job boxes = {.in = in,
                     .fx = fx,
                     .fy = fy,
                     .background = {job.background[0], job.background[1], job.background[2]},
                     .dst = (float *)(void *)scratch->buffer,
                     .out_w = reduced_w,
                     .out_h = reduced_h,
                     .split = reduced_h / 2};
    run_halves(box_first_half, box_second_half, &boxes);
    job.pixels = NULL;
    job.rgb = &reduced;
    job.half_pixel = 0; /* the box filter's output is sampled with align-corners */
  } else {
    job.half_pixel = spec->resize == MODEL_RESIZE_BILINEAR_HALF_PIXEL;
  }
  axis_sample *columns = (axis_sample *)(void *)(scratch->buffer + reduced_bytes);
  uint32_t in_w = box ? reduced_w : in->width;
  for (uint32_t ox = 0; ox < out_w; ox++) columns[ox] = sample_axis(ox, in_w, out_w, job.half_pixel);
  job.columns = columns;
  float *rows = (float *)(void *)(scratch->buffer + reduced_bytes + columns_bytes);
  for (int k = 0; k < 4; k++) job.rows[k / 2][k % 2] = rows + k * row_floats;
  run_halves(bilinear_first_half, bilinear_second_half, &job);
  return IMPRINT_OK;
}

void preprocess_scratch_free(preprocess_scratch *scratch) {
  free(scratch->buffer);
  scratch->buffer = NULL;
  scratch->capacity = 0;
}
