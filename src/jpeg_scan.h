/* jpeg_scan.h — what stb_image does not tell us about a JPEG: whether the file is complete and
 * which EXIF orientation it carries. */
#ifndef IMPRINT_JPEG_SCAN_H
#define IMPRINT_JPEG_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum jpeg_scan_result {
  JPEG_SCAN_OK = 0,
  JPEG_SCAN_NOT_JPEG = 1,
  JPEG_SCAN_TRUNCATED = 2, /* the data ends before the end-of-image marker */
  JPEG_SCAN_MALFORMED = 3, /* a segment length points past the data, or markers are out of order */
  JPEG_SCAN_12_BIT = 4,    /* precision other than 8 bits: stb_image cannot decode it */
  JPEG_SCAN_PROCESS = 5    /* arithmetic-coded, lossless or hierarchical: info->process names it */
} jpeg_scan_result;

typedef struct jpeg_info {
  int orientation;        /* EXIF Orientation tag, 1..8 (1 when absent or invalid) */
  uint32_t width, height; /* from the frame header (SOFn); 0 before it is seen */
  const char *process;    /* for JPEG_SCAN_PROCESS: the coding process, e.g. "arithmetic-coded" */
} jpeg_info;

/* Walks the marker segments and entropy-coded data of a JPEG (ITU-T T.81, Annex B) from SOI to
 * EOI, filling *info as it goes (the frame size is known even when the scan later fails). */
jpeg_scan_result jpeg_scan(const uint8_t *bytes, size_t size, jpeg_info *info);

/* Reads the Orientation tag (0x0112) from an APP1 "Exif\0\0" payload (a TIFF structure, CIPA
 * DC-008). Returns 1..8, or 1 when absent or damaged. Never reads outside [payload, payload+len). */
int exif_orientation(const uint8_t *payload, size_t len);

#endif
