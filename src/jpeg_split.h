/* jpeg_split.h — a sequential JPEG with restart intervals made into two JPEGs, the top and the bottom
 * rows of the image, that stb_image can decode on two threads at once (image_decode.c). The cut is
 * at restart markers that begin rows of MCUs, where the bit stream is byte-aligned and every DC
 * prediction starts again, so each part is a valid JPEG by itself with the original headers (the
 * frame height changed) and the original entropy-coded bytes. The parts overlap by a band of MCU
 * rows on each side of the seam, so the chroma interpolation of every row kept sees the same
 * neighbours as in the whole image: the rows kept from each part are byte for byte the whole
 * decode's (tests/c/jpeg_decode_test.c). */
#ifndef IMPRINT_JPEG_SPLIT_H
#define IMPRINT_JPEG_SPLIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct jpeg_split {
  uint8_t *top, *bottom; /* malloc'ed JPEG files */
  size_t top_size, bottom_size;
  uint32_t seam;         /* image rows [0, seam) come from the top part, [seam, height) from the bottom */
  uint32_t bottom_first; /* the image row that is the bottom part's row 0 (< seam) */
} jpeg_split;

typedef enum jpeg_split_result {
  JPEG_SPLIT_MADE = 0,
  JPEG_SPLIT_NOT_POSSIBLE = 1, /* progressive, several scans, no restart markers at MCU rows, too small */
  JPEG_SPLIT_OUT_OF_MEMORY = 2
} jpeg_split_result;

/* Splits a baseline or extended sequential Huffman JPEG (one scan with every component, restart
 * intervals) whose top part holds about `top_share` (0..1) of its rows. The file is only read, never
 * trusted: anything unexpected is JPEG_SPLIT_NOT_POSSIBLE (the caller decodes it whole). On
 * JPEG_SPLIT_MADE free out->top and out->bottom. */
jpeg_split_result jpeg_split_rows(const uint8_t *bytes, size_t size, double top_share, jpeg_split *out);

#endif
