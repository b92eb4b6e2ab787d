/* index_internal.h — the state of an imprint_index, shared by index.c (items, ids, queries) and
 * index_file.c (serialisation, spec: models/INDEX_FORMAT.md). */
#ifndef IMPRINT_INDEX_INTERNAL_H
#define IMPRINT_INDEX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imprint.h"

struct imprint_index {
  uint32_t dim;
  char model_hash[17];

  /* Item i: its id (id_lens[i] bytes + NUL) and its power-transformed, L2-normalised embedding
   * at vectors[i * dim]. */
  char **ids;
  uint32_t *id_lens;
  float *vectors;
  float *centred_norms; /* |vectors[i] - centre|, valid while !stale */
  uint32_t count, capacity;

  /* Open addressing (linear probing) from the FNV-1a hash of an id to item + 1 (0: empty slot);
   * slot_count is a power of two, at least twice the capacity. */
  uint32_t *slots;
  uint32_t slot_count;

  float *centre; /* dim: mean of the items' vectors, valid while !stale */
  float *query;  /* dim: scratch of a query, so queries never allocate */
  int stale;     /* the items changed since the centre and norms were computed */
};

/* Grows the item arrays (and the id table) to hold `items` items. */
imprint_status index_reserve(imprint_index *index, uint32_t items);
/* Appends an item whose vector is already transformed (copied from `vector`); the id is copied and
 * must not be in the index yet. */
imprint_status index_append(imprint_index *index, const char *id, size_t id_len, const float *vector);
/* Position of `id`, or -1. */
int64_t index_lookup(const imprint_index *index, const char *id, size_t id_len);

#endif
