/* jpeg_image.h — a scaled JPEG decode's means (jpeg_decode.c) made into an image: the image at 1/2,
 * 1/4 or 1/8 scale (chroma upsampled with the triangle filter, colour converted, clamped per pixel),
 * or the area filter's boxes computed from the means directly (jpeg_boxes), which needs neither
 * the scaled image nor its chroma upsampling: each box is a weighted sum of the squares it
 * overlaps, and the triangle filter is one more weighting of squares. */
#ifndef IMPRINT_JPEG_IMAGE_H
#define IMPRINT_JPEG_IMAGE_H

#include "jpeg_decode.h"

/* One component's means. Each block holds (8 / scale)^2 square means row by row: at 1/2 scale its
 * 16 2x2 squares, at 1/4 its four 4x4 quadrants (top left, top right, bottom left, bottom right),
 * at 1/8 its mean; blocks in rows of blocks_wide. Squares past the component's samples are never
 * read: the last ones holding samples stand in for them. */
typedef struct jpeg_plane {
  const float *means;
  uint32_t blocks_wide;
  uint32_t samples_wide, samples_high; /* the component's size in samples (T.81 A.2.2) */
  int halved_x, halved_y;              /* chroma subsampled by 2 along x, along y */
} jpeg_plane;

typedef struct jpeg_planes {
  uint32_t width, height, scale; /* the frame's size, and 2, 4 or 8 */
  int count;                     /* 1 (gray) or 3 (Y, Cb, Cr) */
  jpeg_plane planes[3];
} jpeg_planes;

/* The image at 1/scale (jpeg_scaled). JPEG_DATA_OK, or JPEG_DATA_OUT_OF_MEMORY. */
jpeg_data_result jpeg_image_scaled(const jpeg_planes *planes, jpeg_scaled *out);

/* The image of the boxes (jpeg_decode_data() says which). JPEG_DATA_OK or JPEG_DATA_OUT_OF_MEMORY. */
jpeg_data_result jpeg_image_boxes(const jpeg_planes *planes, const jpeg_boxes *boxes, jpeg_scaled *out);

#endif
