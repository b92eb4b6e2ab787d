/* jpeg_decode.h — the entropy-coded data of a Huffman-coded JPEG (ITU-T T.81), decoded by imprint
 * itself: every scan is checked for the damage stb_image decodes silently (it fills missing data
 * with zeros and ignores codes left over, so zeroed or scribbled bytes come out as artifacts), and,
 * when asked, the JPEG is decoded at reduced scale with no inverse DCT and no full-size colour
 * conversion: at 1/2, each 8x8 block's sixteen 2x2 square means, from all its coefficients; at
 * 1/4, its four 4x4 quadrant means, exact from 25 of its coefficients; at 1/8, its mean, its DC
 * coefficient (the AC codes are only read past). A progressive JPEG's scans add each coefficient's
 * share to the means as they come.
 *
 * Safe on any bytes, but meant to run after jpeg_scan() has returned JPEG_SCAN_OK and the frame
 * size has passed the limits: it allocates memory in proportion to the number of blocks. */
#ifndef IMPRINT_JPEG_DECODE_H
#define IMPRINT_JPEG_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum jpeg_data_result {
  JPEG_DATA_OK = 0,
  JPEG_DATA_DAMAGED = 1,       /* `problem` says what was found and where */
  JPEG_DATA_OUT_OF_MEMORY = 2, /* bookkeeping for a progressive JPEG, or the image */
  JPEG_DATA_NOT_CHECKED = 3    /* a layout this decoder does not handle (stb_image decides alone) */
} jpeg_data_result;

/* An image decoded at 1/scale (scale 2, 4 or 8): ceil(width / scale) x ceil(height / scale) of the
 * frame, each pixel the mean of a scale x scale square, or the image of boxes made from it (see
 * jpeg_decode_data); 1 (gray) or 3 (RGB) channels, rows packed; pixels malloc'ed. Orientation is
 * not applied. */
typedef struct jpeg_scaled {
  uint8_t *pixels;
  uint32_t width, height, channels, scale;
} jpeg_scaled;

/* `whole_axes` for a 1/4-scale decode whose image will only be averaged in boxes of whole 8x8 blocks
 * along an axis (the frame's size along it a multiple of 8, boxes of a multiple of 8 samples, from
 * its start or its end): the components at full resolution along that axis then get each block's
 * two halves along it as their mean, which such a box cannot tell apart (except where a square's
 * colour would clip), and their means need 4 coefficients instead of 24 (BENCHMARKS.md, "Fifth
 * session"). Chroma upsampled along the axis keeps its quadrants: the triangle filter weighs them
 * apart. 0 for the plain decode. */
#define JPEG_WHOLE_BLOCKS_X 1
#define JPEG_WHOLE_BLOCKS_Y 2

/* The area filter's boxes (preprocess.c), asked of a scaled decode instead of its image: boxes of
 * factor_x x factor_y samples of the frame (0 counts as 1), counted from its far end along an axis
 * that is flipped once the image is shown upright (EXIF orientation), in stored orientation. */
typedef struct jpeg_boxes {
  uint32_t factor_x, factor_y;
  int flip_x, flip_y;
} jpeg_boxes;

/* Decodes every scan of the JPEG in bytes[0..size). With `scaled` NULL (or `scale` not 2, 4 or 8)
 * it only checks; otherwise, when the JPEG (baseline, extended or progressive) is gray or YCbCr
 * with chroma subsampled by 1 or 2, it also fills *scaled at 1/scale (else scaled->pixels stays
 * NULL):
 * with `boxes` NULL the scaled image; else the image of those boxes (ceil(width / factor_x) x
 * ceil(height / factor_y), each the mean of the scaled image over the box, weighted by overlap),
 * made from the means without the scaled image. */
jpeg_data_result jpeg_decode_data(const uint8_t *bytes, size_t size, int scale, int whole_axes, const jpeg_boxes *boxes,
                                  jpeg_scaled *scaled, char *problem, size_t problem_size);

/* jpeg_decode_data() without the image: only the check. */
jpeg_data_result jpeg_check_data(const uint8_t *bytes, size_t size, char *problem, size_t problem_size);

#endif
