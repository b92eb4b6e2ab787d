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


/* Short, stable, machine-readable name of a status: "OK", "DECODE_FAILED", "IMAGE_TOO_LARGE", ...
 * These are the `code` values of the JS ImprintError. Never NULL. */
const char *imprint_status_code(imprint_status status);
/* One sentence describing a status, for people. Never NULL. */
const char *imprint_status_string(imprint_status status);

/* ---------------------------------------------------------------------------------------------
 * Images
 * ------------------------------------------------------------------------------------------- */

/* Limits checked from an image's header before any pixel memory is allocated (decompression bombs)
 * and on raw pixels handed in. A zero field means "use the default". */
typedef struct imprint_limits {
  uint32_t max_width;  /* default IMPRINT_DEFAULT_MAX_SIDE */
  uint32_t max_height; /* default IMPRINT_DEFAULT_MAX_SIDE */
  uint64_t max_pixels; /* width * height; default IMPRINT_DEFAULT_MAX_PIXELS */
} imprint_limits;

#define IMPRINT_DEFAULT_MAX_SIDE 16384u
#define IMPRINT_DEFAULT_MAX_PIXELS (8192ull * 8192ull)

/* A decoded image: 8-bit interleaved, row-major, no padding between rows.
 * channels: 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA (what the file holds). */
typedef struct imprint_image {
  uint8_t *pixels; /* owned: release with imprint_image_free() */
  uint32_t width, height, channels;
} imprint_image;

/* Decodes JPEG (baseline and progressive, EXIF orientation applied), PNG (any bit depth, palette,
 * gray, alpha), BMP, GIF (first frame), TGA, PSD (composite), HDR, PIC and PNM from memory.
 * `limits` may be NULL for the defaults. On failure *out is zeroed and nothing needs freeing.
 * Errors: IMPRINT_ERR_DECODE_FAILED (damaged or truncated data, or not an image),
 * IMPRINT_ERR_UNSUPPORTED_FORMAT (WebP, HEIC/AVIF, TIFF, 12-bit JPEG...),
 * IMPRINT_ERR_IMAGE_TOO_LARGE, IMPRINT_ERR_OUT_OF_MEMORY. */
imprint_status imprint_image_decode(const uint8_t *bytes, size_t size, const imprint_limits *limits,
                                    imprint_image *out);
void imprint_image_free(imprint_image *image);

/* ---------------------------------------------------------------------------------------------
 * Models: a backbone that turns an image into an embedding
 * ------------------------------------------------------------------------------------------- */

/* An opaque loaded model: the parsed model file, its weights (batch norm folded), and XNNPACK
 * runtimes built once. Not thread-safe: use one per thread. */
typedef struct imprint_model imprint_model;

/* Parses and validates a model file (format: models/README.md), builds the backbone graph and
 * packs its weights. `bytes` may be freed after the call. On failure, a sentence explaining why
 * is written to `error` (NUL-terminated, truncated to error_size; may be NULL).
 * Errors: IMPRINT_ERR_MODEL_CORRUPT, IMPRINT_ERR_OUT_OF_MEMORY, IMPRINT_ERR_BACKEND. */
imprint_status imprint_model_create(const uint8_t *bytes, size_t size, char *error, size_t error_size,
                                    imprint_model **out);
void imprint_model_destroy(imprint_model *model);

/* The detail of the last failed call on `model` ("" after a success). Valid until the next call. */
const char *imprint_model_last_error(const imprint_model *model);

/* Description of the model. */
const char *imprint_model_name(const imprint_model *model);
uint32_t imprint_model_input_height(const imprint_model *model);
uint32_t imprint_model_input_width(const imprint_model *model);
uint32_t imprint_model_embedding_dim(const imprint_model *model);
/* The model hash (FNV-1a 64 of the file) as 16 lowercase hex digits + NUL. */
const char *imprint_model_hash(const imprint_model *model);
/* Preprocessing: value = pixel * scale[c] + bias[c]; resize method and colour order names. */
float imprint_model_input_scale(const imprint_model *model, uint32_t channel);
float imprint_model_input_bias(const imprint_model *model, uint32_t channel);
const char *imprint_model_resize_method(const imprint_model *model); /* e.g. "bilinear-align-corners" */
const char *imprint_model_colour_order(const imprint_model *model);  /* "RGB" or "BGR" */

/* Layers whose output can be read with imprint_model_features(): index 0 .. count-1. */
uint32_t imprint_model_layer_count(const imprint_model *model);
const char *imprint_model_layer_name(const imprint_model *model, uint32_t index);
/* Output shape of a layer (h, w, c), or 0 for an index out of range. */
uint32_t imprint_model_layer_height(const imprint_model *model, uint32_t index);
uint32_t imprint_model_layer_width(const imprint_model *model, uint32_t index);
uint32_t imprint_model_layer_channels(const imprint_model *model, uint32_t index);
/* Names of the layers the embedding pools, joined by ',' (NUL-terminated). */
const char *imprint_model_embedding_layers(const imprint_model *model);

/* Limits applied to encoded and raw inputs of this model (NULL restores the defaults). */
void imprint_model_set_limits(imprint_model *model, const imprint_limits *limits);
/* Colour that transparent pixels are composited over (default white: 255, 255, 255). */
void imprint_model_set_background(imprint_model *model, uint8_t r, uint8_t g, uint8_t b);

/* Sets the model's input from encoded image bytes: decode, orient, composite, resize, normalise. */
imprint_status imprint_model_set_input_encoded(imprint_model *model, const uint8_t *bytes, size_t size);
/* Sets the model's input from raw 8-bit pixels (channels 1..4 as in imprint_image; stride in
 * bytes, 0 for tightly packed rows). */
imprint_status imprint_model_set_input_pixels(imprint_model *model, const uint8_t *pixels, uint32_t width,
                                              uint32_t height, uint32_t channels, size_t stride);

/* Mirrors the current input left-right, in place (for flip augmentation: embed, mirror, embed). */
imprint_status imprint_model_mirror_input(imprint_model *model);

/* Runs the backbone on the current input and writes the embedding (L2-normalised,
 * imprint_model_embedding_dim() floats) into `out`. IMPRINT_ERR_INVALID_ARGUMENT if no input was
 * set or out_len is too small. */
imprint_status imprint_model_embed(imprint_model *model, float *out, size_t out_len);

/* Runs the backbone up to `layer` on the current input and writes that layer's global-average-
 * pooled activations (not normalised; imprint_model_layer_channels() floats) into `out`. The first
 * call for a layer builds a runtime for it (kept for later calls). IMPRINT_ERR_UNKNOWN_LAYER when
 * the model has no such layer, or it was fused into another op at load time. */
imprint_status imprint_model_features(imprint_model *model, const char *layer, float *out, size_t out_len);

/* ---------------------------------------------------------------------------------------------
 * Diagnostics
 * ------------------------------------------------------------------------------------------- */

/* Bytes currently allocated from the C heap by everything in this instance (0 where the platform
 * cannot tell). Tests use it to prove that repeated calls do not leak. */
size_t imprint_memory_in_use(void);

#ifdef __cplusplus
}
#endif
#endif
