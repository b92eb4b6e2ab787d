/* imprint.h — few-shot image embeddings and classification, on the user's device.
 *
 * (Usage overview and full docs are filled in below as the API lands.)
 */
#ifndef IMPRINT_H
#define IMPRINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible call returns one of these. IMPRINT_OK is 0; the values are stable (the JS layer
 * maps them to ImprintError codes by name, see imprint_status_code()). */
typedef enum imprint_status {
  IMPRINT_OK = 0,
  IMPRINT_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer, a zero size, a buffer too small */
  IMPRINT_ERR_DECODE_FAILED = 2,    /* bytes are not an image stb_image can read, or are damaged */
  IMPRINT_ERR_UNSUPPORTED_FORMAT = 3, /* a real image in a format/variant imprint cannot decode */
  IMPRINT_ERR_IMAGE_TOO_LARGE = 4,  /* width, height or pixel count over the configured limits */
  IMPRINT_ERR_MODEL_CORRUPT = 5,    /* model file fails validation or its checksum */
  IMPRINT_ERR_MODEL_MISMATCH = 6,   /* a head or vector made for another backbone / dimension */
  IMPRINT_ERR_UNKNOWN_LAYER = 7,    /* no layer of that name in the model (or it was fused away) */
  IMPRINT_ERR_OUT_OF_MEMORY = 8,
  IMPRINT_ERR_BACKEND = 9,          /* XNNPACK refused the graph or failed to run it */
  IMPRINT_ERR_NO_EXAMPLES = 10,
  IMPRINT_ERR_UNKNOWN_LABEL = 11,
  IMPRINT_ERR_HEAD_CORRUPT = 12,
  IMPRINT_ERR_LIMIT_EXCEEDED = 13
} imprint_status;

#ifdef __cplusplus
}
#endif
#endif
