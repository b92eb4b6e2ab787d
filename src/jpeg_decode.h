/* jpeg_decode.h — the entropy-coded data of a Huffman-coded JPEG (ITU-T T.81), decoded by imprint
 * itself: every scan is checked for the damage stb_image decodes silently (it fills missing data
 * with zeros and ignores codes left over), and, when asked, the image is decoded at 1/8 scale from
 * the DC coefficients alone (each 8x8 block's mean), which is all a model needs from a large photo.
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
  JPEG_DATA_OUT_OF_MEMORY = 2, /* bookkeeping for a progressive JPEG, or the 1/8-scale image */
  JPEG_DATA_NOT_CHECKED = 3    /* a layout this decoder does not handle (stb_image decides alone) */
} jpeg_data_result;

/* An image decoded at 1/8 scale: ceil(width / 8) x ceil(height / 8) of the frame, 1 (gray) or 3
 * (RGB) channels, rows packed; pixels malloc'ed. Orientation is not applied. */
typedef struct jpeg_eighth {
  uint8_t *pixels;
  uint32_t width, height, channels;
} jpeg_eighth;

/* Decodes every scan of the JPEG in bytes[0..size). With `eighth` NULL it only checks; otherwise,
 * when the image is gray or YCbCr with chroma subsampled by 1 or 2, it also fills *eighth (else
 * eighth->pixels stays NULL and the result says only whether the data is sound). */
jpeg_data_result jpeg_decode_data(const uint8_t *bytes, size_t size, jpeg_eighth *eighth, char *problem,
                                  size_t problem_size);

#endif
