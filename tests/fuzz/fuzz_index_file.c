/* libFuzzer target: outside bytes through the index-file loader. An index it accepts must answer
 * queries with items in range and similarities in [-1, 1], best first, transform a vector into
 * finite numbers, and save back to the same bytes. The backbone the loader expects comes from
 * IMPRINT_FUZZ_DIM and IMPRINT_FUZZ_HASH (set by cmake/run-fuzzer.cmake from the seeds' backbone). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "checks.h"
#include "imprint.h"

static uint32_t dim = 576;
static char hash[17] = "0000000000000000";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *d = getenv("IMPRINT_FUZZ_DIM");
  const char *h = getenv("IMPRINT_FUZZ_HASH");
  if (d) dim = (uint32_t)strtoul(d, NULL, 10);
  if (h && strlen(h) == 16) memcpy(hash, h, 17);
  return 0;
}

static void load_one(const uint8_t *data, size_t size) {
  imprint_index *index = NULL;
  if (imprint_index_load(data, size, dim, hash, &index) != IMPRINT_OK) {
    if (index) abort(); /* nothing half-loaded */
    return;
  }
  uint32_t count = imprint_index_count(index);
  if (count > 0) {
    enum { K = 8 };
    uint32_t items[K], found = 0;
    float sims[K];
    float *query = calloc(dim, sizeof(float));
    if (!query) abort();
    query[0] = 1.0f;
    if (imprint_index_query(index, query, dim, K, items, sims, &found) != IMPRINT_OK) abort();
    if (found != (count < K ? count : K)) abort();
    for (uint32_t r = 0; r < found; r++) {
      if (items[r] >= count || !(sims[r] >= -1.0f && sims[r] <= 1.0f)) abort();
      if (r && sims[r] > sims[r - 1]) abort();
      if (!imprint_index_id(index, items[r], NULL)) abort();
    }
    float *transformed = malloc(dim * sizeof(float));
    if (!transformed || imprint_index_transform(index, query, dim, transformed, dim) != IMPRINT_OK) abort();
    for (uint32_t j = 0; j < dim; j++)
      if (!isfinite(transformed[j])) abort();
    free(transformed);
    free(query);
  }
  size_t saved_size = 0;
  if (imprint_index_save(index, NULL, 0, &saved_size) != IMPRINT_OK || saved_size != size) abort();
  uint8_t *saved = malloc(saved_size);
  if (!saved || imprint_index_save(index, saved, saved_size, &saved_size) != IMPRINT_OK) abort();
  if (memcmp(saved, data, size) != 0) abort();
  free(saved);
  imprint_index_destroy(index);
}

/* The file ends in an FNV-1a 64 checksum (models/INDEX_FORMAT.md). Each input is also loaded with its
 * checksum recomputed, so mutations reach the structural validation behind it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load_one(data, size);
  if (size < 16) return 0;
  uint8_t *fixed = malloc(size);
  if (!fixed) abort();
  memcpy(fixed, data, size);
  le_put_u64(fixed + size - 8, fnv1a64(fixed, size - 8));
  load_one(fixed, size);
  free(fixed);
  return 0;
}
