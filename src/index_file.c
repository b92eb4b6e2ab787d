/* index_file.c — index files: writer and validating reader. Byte-level spec: models/INDEX_FORMAT.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "checks.h"
#include "index_internal.h"

#define INDEX_MAGIC "IMPRINDX"
#define INDEX_VERSION 1u
#define INDEX_HEADER_BYTES 64u
#define INDEX_CHECKSUM_BYTES 8u

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* Bytes of one item record: id length, id padded to 4 bytes, the vector. */
static size_t record_size(size_t id_len, size_t dim) { return 4 + pad4(id_len) + 4 * dim; }

imprint_status imprint_index_save(const imprint_index *index, uint8_t *out, size_t out_len, size_t *size) {
  if (!index || !size) return IMPRINT_ERR_INVALID_ARGUMENT;
  size_t d = index->dim, total = INDEX_HEADER_BYTES + INDEX_CHECKSUM_BYTES;
  for (uint32_t i = 0; i < index->count; i++) total += record_size(index->id_lens[i], d);
  *size = total;
  if (!out) return IMPRINT_OK;
  if (out_len < total) return IMPRINT_ERR_INVALID_ARGUMENT;
  uint8_t *p = out;
  memset(p, 0, INDEX_HEADER_BYTES);
  memcpy(p, INDEX_MAGIC, 8);
  le_put_u32(p + 8, INDEX_VERSION);
  le_put_u64(p + 16, (uint64_t)total);
  memcpy(p + 24, index->model_hash, 16);
  le_put_u32(p + 40, index->dim);
  le_put_u32(p + 44, index->count);
  p += INDEX_HEADER_BYTES;
  for (uint32_t i = 0; i < index->count; i++) {
    uint32_t len = index->id_lens[i];
    le_put_u32(p, len);
    memcpy(p + 4, index->ids[i], len);
    memset(p + 4 + len, 0, pad4(len) - len);
    p += 4 + pad4(len);
    const float *v = index->vectors + (size_t)i * d;
    for (size_t j = 0; j < d; j++, p += 4) le_put_f32(p, v[j]);
  }
  le_put_u64(p, fnv1a64(out, (size_t)(p - out)));
  return IMPRINT_OK;
}

/* Reads d floats into out; 0 unless every one is finite and the vector has norm 1 (as the index
 * stores them: power-transformed, L2-normalised). */
static int read_unit_vector(const uint8_t *p, float *out, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; j++) {
    out[j] = le_get_f32(p + 4 * j);
    if (!isfinite(out[j])) return 0;
    s += (double)out[j] * out[j];
  }
  return fabs(sqrt(s) - 1.0) < 1e-3;
}

imprint_status imprint_index_load(const uint8_t *bytes, size_t size, uint32_t dim, const char *model_hash,
                                  imprint_index **out) {
  if (!out) return IMPRINT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!bytes && size) return IMPRINT_ERR_INVALID_ARGUMENT;
  const size_t fixed = INDEX_HEADER_BYTES + INDEX_CHECKSUM_BYTES;
  if (size < fixed || memcmp(bytes, INDEX_MAGIC, 8) != 0) return IMPRINT_ERR_INDEX_CORRUPT;
  if (le_get_u32(bytes + 8) != INDEX_VERSION || le_get_u64(bytes + 16) != (uint64_t)size)
    return IMPRINT_ERR_INDEX_CORRUPT;
  if (le_get_u64(bytes + size - INDEX_CHECKSUM_BYTES) != fnv1a64(bytes, size - INDEX_CHECKSUM_BYTES))
    return IMPRINT_ERR_INDEX_CORRUPT;
  for (size_t i = 48; i < INDEX_HEADER_BYTES; i++)
    if (bytes[i]) return IMPRINT_ERR_INDEX_CORRUPT; /* reserved */
  uint32_t flags = le_get_u32(bytes + 12), file_dim = le_get_u32(bytes + 40), count = le_get_u32(bytes + 44);
  if (flags != 0 || !hash_hex_valid((const char *)bytes + 24) || file_dim == 0 || file_dim > IMPRINT_INDEX_MAX_DIM ||
      count > IMPRINT_INDEX_MAX_ITEMS)
    return IMPRINT_ERR_INDEX_CORRUPT;
  /* Every record holds at least 8 bytes and its vector: the file's length bounds what is allocated. */
  if ((uint64_t)count * record_size(1, file_dim) > size - fixed) return IMPRINT_ERR_INDEX_CORRUPT;
  if (!model_hash || file_dim != dim || memcmp(bytes + 24, model_hash, 16) != 0) return IMPRINT_ERR_MODEL_MISMATCH;

  imprint_index *index;
  imprint_status st = imprint_index_create(dim, model_hash, &index);
  if (st != IMPRINT_OK) return st;
  if ((st = index_reserve(index, count)) != IMPRINT_OK) goto fail;
  st = IMPRINT_ERR_INDEX_CORRUPT;
  const uint8_t *p = bytes + INDEX_HEADER_BYTES, *end = bytes + size - INDEX_CHECKSUM_BYTES;
  size_t d = dim;
  for (uint32_t i = 0; i < count; i++) {
    if ((size_t)(end - p) < 4) goto fail;
    uint32_t len = le_get_u32(p);
    if (len == 0 || len > IMPRINT_INDEX_MAX_ID_BYTES || (size_t)(end - p) < record_size(len, d)) goto fail;
    const char *id = (const char *)p + 4;
    if (!utf8_valid(id, len)) goto fail;
    for (size_t j = len; j < pad4(len); j++)
      if (p[4 + j]) goto fail;
    if (index_lookup(index, id, len) >= 0) goto fail; /* ids are unique */
    if (!read_unit_vector(p + 4 + pad4(len), index->query, d)) goto fail;
    imprint_status added = index_append(index, id, len, index->query);
    if (added != IMPRINT_OK) {
      st = added;
      goto fail;
    }
    p += record_size(len, d);
  }
  if (p != end) goto fail;
  *out = index;
  return IMPRINT_OK;
fail:
  imprint_index_destroy(index);
  return st;
}
