/* image_api.c — the public image functions of imprint.h. */
#include <stdlib.h>
#include <string.h>

#include "image.h"

imprint_status imprint_image_decode(const uint8_t *bytes, size_t size, const imprint_limits *limits,
                                    imprint_image *out) {
  if (!out) return IMPRINT_ERR_INVALID_ARGUMENT;
  return image_decode(bytes, size, limits, out, NULL, 0);
}

imprint_status imprint_image_decode_explained(const uint8_t *bytes, size_t size, const imprint_limits *limits,
                                              imprint_image *out, char *why, size_t why_size) {
  if (why && why_size) why[0] = '\0';
  if (!out) return IMPRINT_ERR_INVALID_ARGUMENT;
  return image_decode(bytes, size, limits, out, why, why_size);
}

void imprint_image_free(imprint_image *image) {
  if (!image) return;
  free(image->pixels); /* stb_image allocates with malloc (STBI_MALLOC is not overridden) */
  memset(image, 0, sizeof *image);
}
