/* head_file.c — head files: writer and validating reader. Byte-level spec: models/HEAD_FORMAT.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "checks.h"
#include "head_internal.h"

#define HEAD_MAGIC "IMPRHEAD"
#define HEAD_VERSION 2u
#define HEAD_HEADER_BYTES 72u /* version 2; version 1's header is 64 bytes (no unknown rate) */
#define HEAD_V1_HEADER_BYTES 64u
#define FLAG_EXAMPLES 1u
#define FLAG_TRAINED 2u
#define FLAG_RATE_THRESHOLD 4u /* offset 68 holds the unknown rate's estimate */

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

static size_t saved_size(const imprint_head *head, uint32_t flags) {
  size_t d = head->dim, size = HEAD_HEADER_BYTES + 4 * d;
  for (uint32_t c = 0; c < head->class_count; c++) size += 4 + pad4(head->classes[c].label_len) + 4 + (2 * d + 1) * 4;
  if (flags & IMPRINT_SAVE_EXAMPLES)
    for (uint32_t e = 0; e < head->example_count; e++) size += 8 + (head->has_mirror[e] ? 2 : 1) * d * 4;
  return size + 8;
}

imprint_status imprint_head_save(imprint_head *head, uint32_t flags, uint8_t *out, size_t out_len, size_t *size) {
  if (!head || !size || (flags & ~IMPRINT_SAVE_EXAMPLES)) return IMPRINT_ERR_INVALID_ARGUMENT;
  size_t total = saved_size(head, flags), d = head->dim;
  *size = total;
  if (!out) return IMPRINT_OK;
  if (out_len < total) return IMPRINT_ERR_INVALID_ARGUMENT;
  head_ensure_imprint(head);
  int examples = (flags & IMPRINT_SAVE_EXAMPLES) != 0;
  uint8_t *p = out;
  memset(p, 0, HEAD_HEADER_BYTES);
  memcpy(p, HEAD_MAGIC, 8);
  le_put_u32(p + 8, HEAD_VERSION);
  int estimate = head->unknown_rate > 0 && isfinite(head->rate_threshold);
  le_put_u32(p + 12, (examples ? FLAG_EXAMPLES : 0) | (head->trained ? FLAG_TRAINED : 0) |
                         (estimate ? FLAG_RATE_THRESHOLD : 0));
  le_put_u64(p + 16, (uint64_t)total);
  memcpy(p + 24, head->model_hash, 16);
  le_put_u32(p + 40, head->dim);
  le_put_u32(p + 44, head->class_count);
  le_put_u32(p + 48, examples ? head->example_count : 0);
  le_put_f32(p + 52, head->temperature);
  le_put_f32(p + 56, head->unknown_threshold);
  le_put_f32(p + 60, head->imprint_scale);
  le_put_f32(p + 64, head->unknown_rate);
  le_put_f32(p + 68, estimate ? head->rate_threshold : 0.0f);
  p += HEAD_HEADER_BYTES;
  for (size_t i = 0; i < d; i++, p += 4) le_put_f32(p, head->centre[i]);
  for (uint32_t c = 0; c < head->class_count; c++) {
    const head_class *k = &head->classes[c];
    le_put_u32(p, k->label_len);
    memcpy(p + 4, k->label, k->label_len);
    memset(p + 4 + k->label_len, 0, pad4(k->label_len) - k->label_len);
    p += 4 + pad4(k->label_len);
    le_put_u32(p, examples ? k->examples : 0);
    p += 4;
    for (size_t i = 0; i < d; i++, p += 4) le_put_f32(p, head->means[c * d + i]);
    for (size_t i = 0; i < d; i++, p += 4) le_put_f32(p, head->weights[c * d + i]);
    le_put_f32(p, head->bias[c]);
    p += 4;
  }
  if (examples) {
    for (uint32_t e = 0; e < head->example_count; e++) {
      le_put_u32(p, head->example_class[e]);
      le_put_u32(p + 4, head->has_mirror[e]);
      p += 8;
      const float *x = head->examples + (size_t)e * 2 * d;
      for (size_t i = 0; i < (head->has_mirror[e] ? 2 : 1) * d; i++, p += 4) le_put_f32(p, x[i]);
    }
  }
  le_put_u64(p, fnv1a64(out, (size_t)(p - out)));
  return IMPRINT_OK;
}

/* Reads d floats, refusing NaN and infinity; with `unit`, the vector's norm must be 1. */
static int read_vector(const uint8_t *p, float *out, size_t d, int unit) {
  double s = 0;
  for (size_t i = 0; i < d; i++) {
    out[i] = le_get_f32(p + 4 * i);
    if (!(fabsf(out[i]) <= HEAD_MAX_PARAMETER)) return 0; /* also refuses NaN and infinities */
    s += (double)out[i] * out[i];
  }
  return !unit || fabs(sqrt(s) - 1.0) < 1e-3;
}

/* A temperature training can produce: exactly 1 untrained, e^x for x in the fitted range trained. */
static int temperature_valid(float temperature, int trained) {
  if (!trained) return temperature == 1.0f;
  return temperature >= (float)exp(HEAD_LOG_TEMPERATURE_MIN) && temperature <= (float)exp(HEAD_LOG_TEMPERATURE_MAX);
}

imprint_status imprint_head_load(const uint8_t *bytes, size_t size, uint32_t dim, const char *model_hash,
                                 imprint_head **out) {
  if (!out) return IMPRINT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!bytes && size) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (size < HEAD_V1_HEADER_BYTES + 8 || memcmp(bytes, HEAD_MAGIC, 8) != 0) return IMPRINT_ERR_HEAD_CORRUPT;
  uint32_t version = le_get_u32(bytes + 8);
  size_t header_bytes = version == 1 ? HEAD_V1_HEADER_BYTES : HEAD_HEADER_BYTES;
  if ((version != 1 && version != HEAD_VERSION) || size < header_bytes + 8 || le_get_u64(bytes + 16) != (uint64_t)size)
    return IMPRINT_ERR_HEAD_CORRUPT;
  if (le_get_u64(bytes + size - 8) != fnv1a64(bytes, size - 8)) return IMPRINT_ERR_HEAD_CORRUPT;
  uint32_t flags = le_get_u32(bytes + 12);
  uint32_t file_dim = le_get_u32(bytes + 40), classes = le_get_u32(bytes + 44), examples = le_get_u32(bytes + 48);
  float temperature = le_get_f32(bytes + 52), threshold = le_get_f32(bytes + 56), scale = le_get_f32(bytes + 60);
  /* Version 1 files predate the unknown rate: they keep their fixed threshold. */
  float rate = version == 1 ? 0.0f : le_get_f32(bytes + 64), estimate = version == 1 ? 0.0f : le_get_f32(bytes + 68);
  uint32_t known_flags = FLAG_EXAMPLES | FLAG_TRAINED | (version == 1 ? 0 : FLAG_RATE_THRESHOLD);
  if ((flags & ~known_flags) || !(scale > 0 && scale <= 1e5f)) return IMPRINT_ERR_HEAD_CORRUPT;
  if (!(rate >= 0.0f && rate <= IMPRINT_HEAD_MAX_UNKNOWN_RATE) || !(estimate >= -1.0f && estimate <= 1.0f) ||
      ((flags & FLAG_RATE_THRESHOLD) && !(rate > 0)) || (!(flags & FLAG_RATE_THRESHOLD) && estimate != 0.0f))
    return IMPRINT_ERR_HEAD_CORRUPT;
  if (!hash_hex_valid((const char *)bytes + 24)) return IMPRINT_ERR_HEAD_CORRUPT;
  if (file_dim == 0 || file_dim > IMPRINT_HEAD_MAX_DIM || classes > IMPRINT_HEAD_MAX_CLASSES ||
      examples > IMPRINT_HEAD_MAX_EXAMPLES || (!(flags & FLAG_EXAMPLES) && examples) ||
      !temperature_valid(temperature, (flags & FLAG_TRAINED) != 0) || !isfinite(threshold))
    return IMPRINT_ERR_HEAD_CORRUPT;
  if (!model_hash || file_dim != dim || memcmp(bytes + 24, model_hash, 16) != 0) return IMPRINT_ERR_MODEL_MISMATCH;

  imprint_head *head;
  imprint_status st = imprint_head_create(dim, model_hash, &head);
  if (st != IMPRINT_OK) return st;
  st = IMPRINT_ERR_HEAD_CORRUPT;
  const uint8_t *p = bytes + header_bytes, *end = bytes + size - 8;
  size_t d = dim;
  uint32_t *claimed = calloc(classes ? classes : 1, sizeof(uint32_t));
  if (!claimed) {
    st = IMPRINT_ERR_OUT_OF_MEMORY;
    goto fail;
  }
  if ((size_t)(end - p) < 4 * d || !read_vector(p, head->centre, d, 0)) goto fail;
  p += 4 * d;
  for (uint32_t c = 0; c < classes; c++) {
    if ((size_t)(end - p) < 4) goto fail;
    uint32_t len = le_get_u32(p);
    if (len == 0 || len > IMPRINT_HEAD_MAX_LABEL_BYTES || (size_t)(end - p) < 4 + pad4(len) + 4 + (2 * d + 1) * 4)
      goto fail;
    const char *label = (const char *)p + 4;
    if (!utf8_valid(label, len)) goto fail;
    for (size_t i = len; i < pad4(len); i++)
      if (p[4 + i] != 0) goto fail;
    uint32_t existing;
    if (imprint_head_find_label(head, label, len, &existing) == IMPRINT_OK) goto fail; /* duplicate */
    uint32_t index;
    imprint_status added = head_add_class(head, label, len, &index);
    if (added != IMPRINT_OK) {
      st = added == IMPRINT_ERR_LIMIT_EXCEEDED ? IMPRINT_ERR_HEAD_CORRUPT : added;
      goto fail;
    }
    p += 4 + pad4(len);
    claimed[c] = le_get_u32(p);
    p += 4;
    if (!(flags & FLAG_EXAMPLES) && claimed[c]) goto fail;
    if (!read_vector(p, head->means + c * d, d, 1)) goto fail;
    p += 4 * d;
    if (!read_vector(p, head->weights + c * d, d, 0)) goto fail;
    p += 4 * d;
    head->bias[c] = le_get_f32(p);
    if (!(fabsf(head->bias[c]) <= HEAD_MAX_PARAMETER)) goto fail;
    p += 4;
  }
  if (examples) {
    st = head_reserve_examples(head, examples);
    if (st != IMPRINT_OK) goto fail;
    st = IMPRINT_ERR_HEAD_CORRUPT;
  }
  for (uint32_t e = 0; e < examples; e++) {
    if ((size_t)(end - p) < 8) goto fail;
    uint32_t c = le_get_u32(p), mirror = le_get_u32(p + 4);
    if (c >= classes || mirror > 1 || (size_t)(end - p) < 8 + (1 + mirror) * d * 4) goto fail;
    p += 8;
    float *x = head->examples + (size_t)e * 2 * d;
    if (!read_vector(p, x, d, 1) || (mirror && !read_vector(p + 4 * d, x + d, d, 1))) goto fail;
    p += (1 + mirror) * d * 4;
    head->example_class[e] = c;
    head->has_mirror[e] = (uint8_t)mirror;
    head->example_count++;
    head_class *k = &head->classes[c];
    for (size_t i = 0; i < d; i++) k->sum[i] += x[i];
    k->examples++;
  }
  if (p != end) goto fail;
  for (uint32_t c = 0; c < classes; c++) {
    head_class *k = &head->classes[c];
    if (k->examples != claimed[c]) goto fail;
    /* Saved without examples: the mean stands for the class. */
    if (k->examples == 0) memcpy(k->sum, head->means + c * d, d * sizeof(float));
  }
  head->trained = (flags & FLAG_TRAINED) != 0;
  head->temperature = temperature;
  head->imprint_scale = scale;
  head->unknown_threshold = threshold;
  head->unknown_rate = rate;
  head->rate_threshold = (flags & FLAG_RATE_THRESHOLD) ? estimate : NAN;
  /* Means are recomputed from the examples when they are present (they must agree). */
  if (examples) {
    float *check = malloc(d * sizeof(float));
    if (!check) {
      st = IMPRINT_ERR_OUT_OF_MEMORY;
      goto fail;
    }
    int agree = 1;
    for (uint32_t c = 0; c < classes && agree; c++) {
      if (!head->classes[c].examples) continue;
      if (!head_normalise(head->classes[c].sum, check, dim)) {
        agree = 0;
        break;
      }
      for (size_t i = 0; i < d; i++)
        if (fabsf(check[i] - head->means[c * d + i]) > 1e-4f) agree = 0;
    }
    free(check);
    if (!agree) goto fail;
  }
  if (!head->trained)
    head_refresh_imprint(head);
  else
    head_refresh_rate_threshold(head); /* from the examples when present, else the saved one */
  free(claimed);
  *out = head;
  return IMPRINT_OK;
fail:
  free(claimed);
  imprint_head_destroy(head);
  return st;
}
