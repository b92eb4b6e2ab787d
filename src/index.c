/* index.c — similarity search over embeddings: items by id, the centred cosine, top-k queries.
 * The file format is in index_file.c (spec: models/INDEX_FORMAT.md). Why the similarity is centred:
 * include/imprint.h, "Indexes". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "head_internal.h" /* head_prepare(): the head's power transform, the same for both */
#include "head_vector.h"
#include "index_internal.h"

imprint_status imprint_index_create(uint32_t dim, const char *model_hash, imprint_index **out) {
  if (!out) return IMPRINT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (dim == 0 || dim > IMPRINT_INDEX_MAX_DIM || !model_hash || !hash_hex_valid(model_hash) || model_hash[16] != '\0')
    return IMPRINT_ERR_INVALID_ARGUMENT;
  imprint_index *index = calloc(1, sizeof *index);
  if (!index) return IMPRINT_ERR_OUT_OF_MEMORY;
  index->dim = dim;
  memcpy(index->model_hash, model_hash, 17);
  index->centre = calloc(dim, sizeof(float));
  index->query = calloc(dim, sizeof(float));
  if (!index->centre || !index->query || index_reserve(index, 16) != IMPRINT_OK) {
    imprint_index_destroy(index);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  *out = index;
  return IMPRINT_OK;
}

void imprint_index_destroy(imprint_index *index) {
  if (!index) return;
  for (uint32_t i = 0; i < index->count; i++) free(index->ids[i]);
  void *owned[] = {index->ids,   index->id_lens, index->vectors, index->centred_norms,
                   index->slots, index->centre,  index->query,   index};
  for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) free(owned[i]);
}

uint32_t imprint_index_dim(const imprint_index *index) { return index ? index->dim : 0; }
const char *imprint_index_model_hash(const imprint_index *index) { return index ? index->model_hash : ""; }
uint32_t imprint_index_count(const imprint_index *index) { return index ? index->count : 0; }

/* realloc that keeps the old block on failure. */
static int grow(void **p, size_t bytes) {
  void *q = realloc(*p, bytes ? bytes : 1);
  if (!q) return 0;
  *p = q;
  return 1;
}

static uint32_t slot_of(const char *id, size_t len, uint32_t slot_count) {
  return (uint32_t)fnv1a64((const uint8_t *)id, len) & (slot_count - 1);
}

/* Refills the id table from the items (after it grew, or items moved). */
static void rehash(imprint_index *index) {
  memset(index->slots, 0, (size_t)index->slot_count * sizeof(uint32_t));
  for (uint32_t i = 0; i < index->count; i++) {
    uint32_t s = slot_of(index->ids[i], index->id_lens[i], index->slot_count);
    while (index->slots[s]) s = (s + 1) & (index->slot_count - 1);
    index->slots[s] = i + 1;
  }
}

imprint_status index_reserve(imprint_index *index, uint32_t items) {
  if (items <= index->capacity) return IMPRINT_OK;
  if (items > IMPRINT_INDEX_MAX_ITEMS) return IMPRINT_ERR_LIMIT_EXCEEDED;
  uint32_t cap = index->capacity ? index->capacity : 16;
  while (cap < items) cap = cap > IMPRINT_INDEX_MAX_ITEMS / 2 ? IMPRINT_INDEX_MAX_ITEMS : cap * 2;
  size_t d = index->dim;
  uint32_t slots = 1;
  while (slots < 2 * cap) slots *= 2;
  uint32_t *table = calloc(slots, sizeof(uint32_t));
  if (!table || !grow((void **)&index->ids, cap * sizeof(char *)) ||
      !grow((void **)&index->id_lens, cap * sizeof(uint32_t)) ||
      !grow((void **)&index->vectors, (size_t)cap * d * sizeof(float)) ||
      !grow((void **)&index->centred_norms, cap * sizeof(float))) {
    free(table);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  free(index->slots);
  index->slots = table;
  index->slot_count = slots;
  index->capacity = cap;
  rehash(index);
  return IMPRINT_OK;
}

int64_t index_lookup(const imprint_index *index, const char *id, size_t id_len) {
  uint32_t s = slot_of(id, id_len, index->slot_count);
  for (; index->slots[s]; s = (s + 1) & (index->slot_count - 1)) {
    uint32_t i = index->slots[s] - 1;
    if (index->id_lens[i] == id_len && memcmp(index->ids[i], id, id_len) == 0) return i;
  }
  return -1;
}

imprint_status index_append(imprint_index *index, const char *id, size_t id_len, const float *vector) {
  imprint_status st = index_reserve(index, index->count + 1);
  if (st != IMPRINT_OK) return st;
  char *copy = malloc(id_len + 1);
  if (!copy) return IMPRINT_ERR_OUT_OF_MEMORY;
  memcpy(copy, id, id_len);
  copy[id_len] = '\0';
  uint32_t i = index->count++;
  index->ids[i] = copy;
  index->id_lens[i] = (uint32_t)id_len;
  memcpy(index->vectors + (size_t)i * index->dim, vector, index->dim * sizeof(float));
  uint32_t s = slot_of(id, id_len, index->slot_count);
  while (index->slots[s]) s = (s + 1) & (index->slot_count - 1);
  index->slots[s] = i + 1;
  index->stale = 1;
  return IMPRINT_OK;
}

imprint_status imprint_index_add(imprint_index *index, const char *id, size_t id_len, const float *embedding,
                                 size_t dim) {
  if (!index || !id || !embedding || dim != index->dim || id_len == 0) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (id_len > IMPRINT_INDEX_MAX_ID_BYTES) return IMPRINT_ERR_LIMIT_EXCEEDED;
  if (!utf8_valid(id, id_len)) return IMPRINT_ERR_INVALID_ARGUMENT;
  /* Transformed into scratch first: a refused vector changes nothing. */
  if (!head_prepare(embedding, index->query, index->dim)) return IMPRINT_ERR_INVALID_ARGUMENT;
  int64_t found = index_lookup(index, id, id_len);
  if (found >= 0) {
    memcpy(index->vectors + (size_t)found * index->dim, index->query, index->dim * sizeof(float));
    index->stale = 1;
    return IMPRINT_OK;
  }
  if (index->count >= IMPRINT_INDEX_MAX_ITEMS) return IMPRINT_ERR_LIMIT_EXCEEDED;
  return index_append(index, id, id_len, index->query);
}

imprint_status imprint_index_remove(imprint_index *index, const char *id, size_t id_len) {
  if (!index || (!id && id_len)) return IMPRINT_ERR_INVALID_ARGUMENT;
  int64_t found = id ? index_lookup(index, id, id_len) : -1;
  if (found < 0) return IMPRINT_ERR_UNKNOWN_ID;
  uint32_t i = (uint32_t)found, after = index->count - i - 1;
  size_t d = index->dim;
  free(index->ids[i]);
  memmove(index->ids + i, index->ids + i + 1, after * sizeof(char *));
  memmove(index->id_lens + i, index->id_lens + i + 1, after * sizeof(uint32_t));
  memmove(index->vectors + i * d, index->vectors + (i + 1) * d, after * d * sizeof(float));
  index->count--;
  rehash(index);
  index->stale = 1;
  return IMPRINT_OK;
}

void imprint_index_clear(imprint_index *index) {
  if (!index) return;
  for (uint32_t i = 0; i < index->count; i++) free(index->ids[i]);
  index->count = 0;
  rehash(index);
  index->stale = 1;
}

const char *imprint_index_id(const imprint_index *index, uint32_t item, size_t *len) {
  if (!index || item >= index->count) {
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = index->id_lens[item];
  return index->ids[item];
}

imprint_status imprint_index_find(const imprint_index *index, const char *id, size_t id_len, uint32_t *item) {
  if (!index || !item || (!id && id_len)) return IMPRINT_ERR_INVALID_ARGUMENT;
  int64_t found = id ? index_lookup(index, id, id_len) : -1;
  if (found < 0) return IMPRINT_ERR_UNKNOWN_ID;
  *item = (uint32_t)found;
  return IMPRINT_OK;
}

/* The centre (mean of the items' vectors, summed in double) and every item's distance to it. */
static void refresh(imprint_index *index) {
  uint32_t d = index->dim, n = index->count;
  index->stale = 0;
  memset(index->centre, 0, d * sizeof(float));
  if (!n) return;
  /* Summed a block of dimensions at a time in double: no allocation, no float drift. */
  enum { BLOCK = 64 };
  double sum[BLOCK];
  for (uint32_t j0 = 0; j0 < d; j0 += BLOCK) {
    uint32_t width = d - j0 < BLOCK ? d - j0 : BLOCK;
    memset(sum, 0, sizeof sum);
    for (uint32_t i = 0; i < n; i++) {
      const float *v = index->vectors + (size_t)i * d + j0;
      for (uint32_t j = 0; j < width; j++) sum[j] += v[j];
    }
    for (uint32_t j = 0; j < width; j++) index->centre[j0 + j] = (float)(sum[j] / n);
  }
  /* |v - c|^2 = |v|^2 - 2 v.c + |c|^2 with |v| = 1 loses digits when v is near c; sum directly. */
  for (uint32_t i = 0; i < n; i++) {
    const float *v = index->vectors + (size_t)i * d;
    double s = 0;
    for (uint32_t j = 0; j < d; j++) {
      double t = (double)v[j] - index->centre[j];
      s += t * t;
    }
    index->centred_norms[i] = (float)sqrt(s);
  }
}

/* Heap order for the top k: a is worse than b when its similarity is lower, or equal and it comes
 * later (ties go to the earlier item). */
static int worse(float sa, uint32_t ia, float sb, uint32_t ib) { return sa < sb || (sa == sb && ia > ib); }

/* Restores the min-heap (worst at the root) below position `at` of the first n entries. */
static void sift_down(uint32_t *items, float *sims, uint32_t n, uint32_t at) {
  for (;;) {
    uint32_t l = 2 * at + 1, r = l + 1, m = at;
    if (l < n && worse(sims[l], items[l], sims[m], items[m])) m = l;
    if (r < n && worse(sims[r], items[r], sims[m], items[m])) m = r;
    if (m == at) return;
    float s = sims[at];
    uint32_t it = items[at];
    sims[at] = sims[m];
    items[at] = items[m];
    sims[m] = s;
    items[m] = it;
    at = m;
  }
}

/* q (dim floats, power-transformed) becomes L2(q - centre) in place (zeros at the centre). */
static void centre_query(imprint_index *index, float *q) {
  uint32_t d = index->dim;
  if (index->stale) refresh(index);
  double qq = 0;
  for (uint32_t j = 0; j < d; j++) {
    q[j] -= index->centre[j];
    qq += (double)q[j] * q[j];
  }
  float inv = qq > 1e-12 ? (float)(1.0 / sqrt(qq)) : 0.0f;
  for (uint32_t j = 0; j < d; j++) q[j] *= inv;
}

imprint_status imprint_index_transform(imprint_index *index, const float *embedding, size_t dim, float *out,
                                       size_t out_len) {
  if (!index || !embedding || !out || dim != index->dim || out_len != index->dim) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (!head_prepare(embedding, out, index->dim)) return IMPRINT_ERR_INVALID_ARGUMENT;
  centre_query(index, out);
  return IMPRINT_OK;
}

imprint_status imprint_index_query(imprint_index *index, const float *embedding, size_t dim, uint32_t k,
                                   uint32_t *items, float *similarities, uint32_t *found) {
  if (!index || !embedding || !items || !similarities || !found || dim != index->dim || k == 0)
    return IMPRINT_ERR_INVALID_ARGUMENT;
  *found = 0;
  uint32_t d = index->dim;
  float *q = index->query;
  if (!head_prepare(embedding, q, d)) return IMPRINT_ERR_INVALID_ARGUMENT;
  /* cos(q - c, v - c) = (q'.v - q'.c) / |v - c| with q' = (q - c) / |q - c|. An item at the centre
   * (the one item of a one-item index), or a query there, has similarity 0. */
  centre_query(index, q);
  float qc = head_dot(q, index->centre, d);
  uint32_t n = 0;
  for (uint32_t i = 0; i < index->count; i++) {
    float r = index->centred_norms[i];
    float s = r > 1e-6f ? (head_dot(q, index->vectors + (size_t)i * d, d) - qc) / r : 0.0f;
    s = s > 1.0f ? 1.0f : s < -1.0f ? -1.0f : s;
    if (n < k) { /* fill, then heapify once full */
      items[n] = i;
      similarities[n] = s;
      if (++n == k)
        for (uint32_t at = k / 2; at-- > 0;) sift_down(items, similarities, k, at);
    } else if (worse(similarities[0], items[0], s, i)) {
      items[0] = i;
      similarities[0] = s;
      sift_down(items, similarities, k, 0);
    }
  }
  if (n < k)
    for (uint32_t at = n / 2; at-- > 0;) sift_down(items, similarities, n, at);
  /* Heap sort: the worst goes to the end, leaving the best first. */
  for (uint32_t end = n; end > 1; end--) {
    float s = similarities[0];
    uint32_t it = items[0];
    similarities[0] = similarities[end - 1];
    items[0] = items[end - 1];
    similarities[end - 1] = s;
    items[end - 1] = it;
    sift_down(items, similarities, end - 1, 0);
  }
  *found = n;
  return IMPRINT_OK;
}
