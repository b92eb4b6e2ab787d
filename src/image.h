/* image.h — decoded 8-bit images and the steps between encoded bytes and the model's input. */
#ifndef IMPRINT_IMAGE_H
#define IMPRINT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint.h"

/* A view of 8-bit interleaved pixels: 1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA. */
typedef struct image_view {
  const uint8_t *pixels;
  uint32_t width, height, channels;
  size_t stride; /* bytes from one row to the next */
} image_view;

/* Checks width, height and pixel count against `limits` (before anything is allocated). */
imprint_status image_check_limits(uint32_t width, uint32_t height, const imprint_limits *limits, char *why,
                                  size_t why_size);

/* Decodes `bytes` with stb_image into `out` (pixels malloc'ed, channels as stored in the file,
 * EXIF orientation applied for JPEG). Dimensions are checked against `limits` from the header,
 * before the pixel buffer is allocated. */
imprint_status image_decode(const uint8_t *bytes, size_t size, const imprint_limits *limits, imprint_image *out,
                            char *why, size_t why_size);

/* Runs first(context) and second(context) and returns when both are done. threads.c installs one
 * that runs them on two threads of the process's pool once it has two or more; without one
 * (1 thread, or no pool linked in) image_decode() and preprocess() run their steps one after the
 * other. */
typedef void (*image_pair_runner)(void (*first)(void *), void (*second)(void *), void *context);
void image_set_pair_runner(image_pair_runner runner);
image_pair_runner image_current_pair_runner(void); /* NULL: none installed */

typedef struct preprocess_spec preprocess_spec;

/* As image_decode(), for a model's input: when the model's resize is the area filter, a large JPEG
 * is decoded at reduced scale (jpeg_scale_for) straight into the filter's boxes, several
 * times faster than decoding every pixel (BENCHMARKS.md). */
imprint_status image_decode_for_model(const uint8_t *bytes, size_t size, const imprint_limits *limits,
                                      const preprocess_spec *spec, imprint_image *out, char *why, size_t why_size);

/* A JPEG is decoded at 1/8 scale (each 8x8 block's mean, from its DC coefficient alone) when the
 * area filter's boxes (shown size / (2 x input size) pixels a side) are whole blocks (8, 16, ...)
 * or at least JPEG_EIGHTH_ANY_BOX pixels; other boxes average block means across block edges.
 * Measured on the darknet photos upscaled (224x224 model, cosine to the full decode + resize):
 * boxes of 6 pixels 0.9987-0.9998 (under the 0.999 tolerance), 9 pixels 0.9995-0.9999, 12x8
 * pixels 0.9998-1.0, 8 pixels 0.99996-1.0; upscaled photos have less detail than real ones, so
 * boxes of 9-15 pixels stay at 1/4. */
#ifndef JPEG_EIGHTH_ANY_BOX
#define JPEG_EIGHTH_ANY_BOX 16
#endif

/* At 1/4 scale the boxes average 4x4 means, exactly when a box is whole squares (4 or 8 pixels).
 * Along an axis whose boxes are whole 8x8 blocks (8 pixels over a multiple of 8: a 4000-pixel side
 * for a 224 input), a block's two halves are decoded as their mean (jpeg_decode.h, whole_axes).
 * On phone-like JPEGs (a mosaic of real photos at native resolution, 4:2:0 quality 92), boxes of
 * 5 pixels on one axis and 4 or 5 on the other measured cosine 0.9987-0.9996 (2400x1800,
 * 2592x1944 and 2240x2240 under 0.999); 5 against 6 or more 0.9993-0.9995, 4x4 0.9995, 6 and up
 * 0.9993 or more. Those JPEGs take 1/2 instead (0.9998-0.99999 there). */
#define JPEG_QUARTER_SMALL_BOX 5

/* At 1/2 scale the boxes average 2x2 means, exactly when a box is whole squares (an even number of
 * pixels): taken for boxes of JPEG_HALF_MIN_BOX pixels or more on both axes where 1/4 is not (896
 * pixels a side and up for a 224x224 input; 1920x1080: 4x2 pixels).
 * Measured (cosine to the full decode + resize, default model): phone-like 4:2:0 JPEGs
 * 0.99973-0.99992 from 896x896 to 2592x1944, boxes of 3 and 5 pixels included; 4:4:4 and upscaled
 * photos 0.9999 or more. */
#define JPEG_HALF_MIN_BOX 2

/* The scale a JPEG shown shown_width x shown_height (after EXIF orientation) is decoded at for a
 * model input of out_width x out_height under the area filter: 8 as said above, 4 when its 1/4
 * scale is at least twice the input size (but not for the boxes of 4-5 pixels said above), else 2
 * as said above, else 0 (full size). out_width or out_height 0: 0. */
int jpeg_scale_for(uint32_t shown_width, uint32_t shown_height, uint32_t out_width, uint32_t out_height);

/* Rotates/mirrors `in` according to EXIF orientation 2..8 into a new malloc'ed image. */
imprint_status image_apply_orientation(const imprint_image *in, int orientation, imprint_image *out);

/* How pixels become the model's input tensor (NHWC float). */
typedef struct preprocess_spec {
  uint32_t out_height, out_width;
  float scale[3], bias[3]; /* value = pixel * scale + bias, pixel in 0..255 after compositing */
  int resize;              /* model_resize */
  int bgr;                 /* 1: write channels in B, G, R order */
  uint8_t background[3];   /* alpha is composited over this colour */
} preprocess_spec;

/* Working memory that preprocess() keeps between calls so the hot path does not allocate. */
typedef struct preprocess_scratch {
  uint8_t *buffer;
  size_t capacity;
} preprocess_scratch;

/* Resizes `in` to spec->out_height x spec->out_width, composites alpha over the background, and
 * writes normalised floats (NHWC, 3 channels) into `out`. */
imprint_status preprocess(const image_view *in, const preprocess_spec *spec, preprocess_scratch *scratch, float *out);

void preprocess_scratch_free(preprocess_scratch *scratch);

#endif
