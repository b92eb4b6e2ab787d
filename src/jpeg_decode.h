/* jpeg_decode.h — the entropy-coded data of a Huffman-coded JPEG (ITU-T T.81), decoded by imprint
 * itself: every scan is checked for the damage stb_image decodes silently (it fills missing data
 * with zeros and ignores codes left over, so zeroed or scribbled bytes come out as artifacts), and,
 * when asked, a sequential JPEG is decoded at 1/4 scale: each 8x8 block's four 4x4 quadrant means,
 * exact from 25 of its coefficients, with no inverse DCT and no full-size colour conversion.
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
  JPEG_DATA_OUT_OF_MEMORY = 2, /* bookkeeping for a progressive JPEG, or the 1/4-scale image */
  JPEG_DATA_NOT_CHECKED = 3    /* a layout this decoder does not handle (stb_image decides alone) */
} jpeg_data_result;

/* An image decoded at 1/4 scale: ceil(width / 4) x ceil(height / 4) of the frame, 1 (gray) or 3
 * (RGB) channels, rows packed; pixels malloc'ed. Orientation is not applied. */
typedef struct jpeg_quarter {
  uint8_t *pixels;
  uint32_t width, height, channels;
} jpeg_quarter;

/* Decodes every scan of the JPEG in bytes[0..size). With `quarter` NULL it only checks; otherwise,
 * when the JPEG is sequential (baseline or extended), gray or YCbCr with chroma subsampled by 1 or
 * 2, it also fills *quarter (else quarter->pixels stays NULL). */
jpeg_data_result jpeg_decode_data(const uint8_t *bytes, size_t size, jpeg_quarter *quarter, char *problem,
                                  size_t problem_size);

/* jpeg_decode_data() without the image: only the check. */
jpeg_data_result jpeg_check_data(const uint8_t *bytes, size_t size, char *problem, size_t problem_size);

#endif
