/* jpeg_decode.h — the entropy-coded data of a Huffman-coded JPEG (ITU-T T.81), decoded by imprint
 * itself to find the damage stb_image decodes silently: it fills missing data with zeros and
 * ignores codes left over, so zeroed or scribbled bytes come out as artifacts. Every scan is
 * decoded (baseline, extended and progressive); coefficient values are not kept.
 *
 * Safe on any bytes, but meant to run after jpeg_scan() has returned JPEG_SCAN_OK and the frame
 * size has passed the limits: a progressive JPEG needs 8 bytes per block of bookkeeping. */
#ifndef IMPRINT_JPEG_DECODE_H
#define IMPRINT_JPEG_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum jpeg_data_result {
  JPEG_DATA_OK = 0,
  JPEG_DATA_DAMAGED = 1,       /* `problem` says what was found and where */
  JPEG_DATA_OUT_OF_MEMORY = 2, /* the bookkeeping of a progressive JPEG */
  JPEG_DATA_NOT_CHECKED = 3    /* a layout this decoder does not handle (stb_image decides alone) */
} jpeg_data_result;

/* Decodes every scan of the JPEG in bytes[0..size); on damage writes a sentence into problem. */
jpeg_data_result jpeg_check_data(const uint8_t *bytes, size_t size, char *problem, size_t problem_size);

#endif
