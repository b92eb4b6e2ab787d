/* jpeg_scan.h — what stb_image does not tell us about a JPEG: whether the file is complete and
 * which EXIF orientation it carries. */
#ifndef IMPRINT_JPEG_SCAN_H
#define IMPRINT_JPEG_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum jpeg_scan_result {
  JPEG_SCAN_OK = 0,
  JPEG_SCAN_NOT_JPEG = 1,
  JPEG_SCAN_TRUNCATED = 2,  /* the data ends before the end-of-image marker */
  JPEG_SCAN_MALFORMED = 3,  /* a segment length points past the data, or markers are out of order */
  JPEG_SCAN_12_BIT = 4      /* precision other than 8 bits: stb_image cannot decode it */
} jpeg_scan_result;

/* Walks the marker segments and entropy-coded data of a JPEG (ITU-T T.81, Annex B) from SOI to EOI.
 * On JPEG_SCAN_OK, *orientation is the EXIF Orientation tag (1..8; 1 when absent or invalid). */
jpeg_scan_result jpeg_scan(const uint8_t *bytes, size_t size, int *orientation);

/* Reads the Orientation tag (0x0112) from an APP1 "Exif\0\0" payload (a TIFF structure, CIPA
 * DC-008). Returns 1..8, or 1 when absent or damaged. Never reads outside [payload, payload+len). */
int exif_orientation(const uint8_t *payload, size_t len);

#endif
