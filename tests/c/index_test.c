/* index_test.c — the similarity index: ids, centred similarities, top-k queries, index files,
 * limits, errors.
 *
 *   sh tests/c/run-native.sh     (or: ctest --test-dir build/native -R index_test)
 *
 * Embeddings are synthetic: clusters around random directions of an all-positive "pooled ReLU"
 * space (a common offset makes raw cosines of different clusters high, as real embeddings do).
 * Every damaged index file is parsed from a heap buffer of exactly its length, so AddressSanitizer
 * reports any read past the end. Prints "N passed, N failed"; exits 1 on any failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "checks.h"
#include "imprint.h"

#include "check.h"

static const char *HASH = "0123456789abcdef";
static const char *OTHER_HASH = "fedcba9876543210";

static uint32_t rng_state = 4242u;
static float uniform(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return ((rng_state >> 8) + 0.5f) / 16777216.0f;
}

/* Point of cluster c: a shared positive offset, the cluster's own positive bumps, and noise. */
static void cluster_point(float *out, uint32_t dim, uint32_t c, float noise) {
  for (uint32_t i = 0; i < dim; i++) {
    float own = (i % 7 == c % 7) ? 0.6f : 0.0f;
    out[i] = 1.0f + own + noise * uniform();
  }
}

static double raw_cosine(const float *a, const float *b, uint32_t dim) {
  double ab = 0, aa = 0, bb = 0;
  for (uint32_t i = 0; i < dim; i++) {
    ab += (double)a[i] * b[i];
    aa += (double)a[i] * a[i];
    bb += (double)b[i] * b[i];
  }
  return ab / sqrt(aa * bb);
}

static const float *zero_vector(uint32_t dim) {
  static float zeros[64];
  (void)dim;
  return zeros;
}

static uint8_t *save(const imprint_index *index, size_t *size) {
  CHECK(imprint_index_save(index, NULL, 0, size) == IMPRINT_OK, "save size");
  uint8_t *bytes = malloc(*size);
  CHECK(imprint_index_save(index, bytes, *size, size) == IMPRINT_OK, "save");
  return bytes;
}

/* An index of `per` items of each of `clusters` clusters, ids "c<cluster>-<n>". */
static imprint_index *make_index(uint32_t dim, uint32_t clusters, uint32_t per) {
  imprint_index *index = NULL;
  CHECK(imprint_index_create(dim, HASH, &index) == IMPRINT_OK, "create");
  float *x = malloc(dim * sizeof(float));
  char id[32];
  for (uint32_t n = 0; n < per; n++)
    for (uint32_t c = 0; c < clusters; c++) {
      cluster_point(x, dim, c, 0.5f);
      int len = snprintf(id, sizeof id, "c%u-%u", c, n);
      CHECK(imprint_index_add(index, id, (size_t)len, x, dim) == IMPRINT_OK, "add %s", id);
    }
  free(x);
  return index;
}

static void test_queries(void) {
  const uint32_t dim = 56, clusters = 4, per = 10;
  imprint_index *index = make_index(dim, clusters, per);
  CHECK(imprint_index_count(index) == clusters * per, "count %u", imprint_index_count(index));
  CHECK(imprint_index_dim(index) == dim && strcmp(imprint_index_model_hash(index), HASH) == 0, "dim and hash");
  size_t len = 0;
  CHECK(strcmp(imprint_index_id(index, 5, &len), "c1-1") == 0 && len == 4, "ids in the order added");
  CHECK(imprint_index_id(index, clusters * per, &len) == NULL && len == 0, "id out of range");

  /* Raw cosines of different clusters are high; the index's similarities separate them. */
  float a[56], b[56], q[56];
  cluster_point(a, dim, 0, 0.5f);
  cluster_point(b, dim, 1, 0.5f);
  CHECK(raw_cosine(a, b, dim) > 0.9, "the synthetic data has the problem: raw cosine %.3f", raw_cosine(a, b, dim));
  uint32_t items[40], found = 0;
  float sims[40];
  uint32_t right = 0, total = 0;
  for (uint32_t c = 0; c < clusters; c++) {
    cluster_point(q, dim, c, 0.5f);
    CHECK(imprint_index_query(index, q, dim, per, items, sims, &found) == IMPRINT_OK && found == per, "query");
    for (uint32_t r = 0; r < found; r++) {
      right += items[r] % clusters == c;
      total++;
      if (r) CHECK(sims[r] <= sims[r - 1], "best first");
    }
    CHECK(sims[0] > 0.3f, "a same-cluster item is clearly similar: %.3f", sims[0]);
  }
  CHECK(right == total, "the %u nearest items of a query are of its cluster (%u of %u)", per, right, total);

  /* An item's own vector: itself first, similarity 1; k above the count gives every item. */
  cluster_point(q, dim, 2, 0.5f);
  CHECK(imprint_index_add(index, "probe", 5, q, dim) == IMPRINT_OK, "add probe");
  uint32_t *all = malloc(1000 * sizeof(uint32_t));
  float *all_sims = malloc(1000 * sizeof(float));
  CHECK(imprint_index_query(index, q, dim, 1000, all, all_sims, &found) == IMPRINT_OK, "query k > count");
  CHECK(found == clusters * per + 1, "every item found: %u", found);
  CHECK(strcmp(imprint_index_id(index, all[0], NULL), "probe") == 0 && fabsf(all_sims[0] - 1.0f) < 1e-5f,
        "an item's own embedding finds it first with similarity 1 (%.6f)", all_sims[0]);
  float lowest = all_sims[found - 1];
  CHECK(lowest >= -1.0f && lowest < 0.0f, "similarities spread below 0: %.3f", lowest);

  /* The transformed vectors' plain dot product is the index's similarity. */
  {
    float ta[56], tb[56];
    float item[56];
    cluster_point(item, dim, 1, 0.5f); /* a fresh point of another cluster than q's */
    CHECK(imprint_index_transform(index, q, dim, ta, dim) == IMPRINT_OK, "transform");
    CHECK(imprint_index_transform(index, q, dim, tb, dim - 1) == IMPRINT_ERR_INVALID_ARGUMENT, "transform out_len");
    CHECK(imprint_index_transform(index, zero_vector(dim), dim, tb, dim) == IMPRINT_ERR_INVALID_ARGUMENT,
          "transform of a zero vector");
    CHECK(imprint_index_add(index, "fresh", 5, item, dim) == IMPRINT_OK, "add a fresh item");
    CHECK(imprint_index_transform(index, q, dim, ta, dim) == IMPRINT_OK &&
              imprint_index_transform(index, item, dim, tb, dim) == IMPRINT_OK,
          "transform both");
    double dot = 0, norm = 0;
    for (uint32_t i = 0; i < dim; i++) {
      dot += (double)ta[i] * tb[i];
      norm += (double)ta[i] * ta[i];
    }
    uint32_t fresh_at = 0;
    CHECK(imprint_index_find(index, "fresh", 5, &fresh_at) == IMPRINT_OK, "find fresh");
    CHECK(imprint_index_query(index, q, dim, 1000, all, all_sims, &found) == IMPRINT_OK, "query again");
    float sim = 2;
    for (uint32_t r = 0; r < found; r++)
      if (all[r] == fresh_at) sim = all_sims[r];
    CHECK(fabs(norm - 1.0) < 1e-5 && fabs(dot - sim) < 1e-5, "dot of transforms %.6f = similarity %.6f", dot, sim);
    CHECK(imprint_index_remove(index, "fresh", 5) == IMPRINT_OK, "remove fresh");
  }

  /* Scale does not matter; replacing an id keeps its place and the count. */
  for (uint32_t i = 0; i < dim; i++) q[i] *= 1000.0f;
  CHECK(imprint_index_query(index, q, dim, 1, items, sims, &found) == IMPRINT_OK && found == 1 &&
            strcmp(imprint_index_id(index, items[0], NULL), "probe") == 0,
        "any scale");
  uint32_t at = 0;
  CHECK(imprint_index_find(index, "probe", 5, &at) == IMPRINT_OK && at == clusters * per, "find");
  cluster_point(q, dim, 3, 0.5f);
  CHECK(imprint_index_add(index, "probe", 5, q, dim) == IMPRINT_OK, "replace");
  CHECK(imprint_index_count(index) == clusters * per + 1, "replacing keeps the count");
  CHECK(imprint_index_query(index, q, dim, 1, items, sims, &found) == IMPRINT_OK && items[0] == at,
        "the replaced vector is the one searched");

  /* Remove keeps the others' order and their ids findable. */
  CHECK(imprint_index_remove(index, "c0-0", 4) == IMPRINT_OK, "remove");
  CHECK(imprint_index_remove(index, "c0-0", 4) == IMPRINT_ERR_UNKNOWN_ID, "remove twice: UNKNOWN_ID");
  CHECK(imprint_index_find(index, "c0-0", 4, &at) == IMPRINT_ERR_UNKNOWN_ID, "removed id not found");
  CHECK(strcmp(imprint_index_id(index, 0, NULL), "c1-0") == 0, "order kept after removal");
  CHECK(imprint_index_find(index, "probe", 5, &at) == IMPRINT_OK && at == clusters * per - 1, "find after removal");
  free(all);
  free(all_sims);

  /* One item: it is the mean, similarity 0; empty: nothing found. */
  imprint_index_clear(index);
  CHECK(imprint_index_count(index) == 0, "clear");
  CHECK(imprint_index_query(index, q, dim, 3, items, sims, &found) == IMPRINT_OK && found == 0, "empty index");
  CHECK(imprint_index_add(index, "only", 4, a, dim) == IMPRINT_OK, "add after clear");
  CHECK(imprint_index_query(index, q, dim, 3, items, sims, &found) == IMPRINT_OK && found == 1 && sims[0] == 0.0f,
        "one item: similarity 0");

  /* Ties: the earlier item first. */
  CHECK(imprint_index_add(index, "same-a", 6, b, dim) == IMPRINT_OK &&
            imprint_index_add(index, "same-b", 6, b, dim) == IMPRINT_OK,
        "two equal items");
  CHECK(imprint_index_query(index, b, dim, 2, items, sims, &found) == IMPRINT_OK && found == 2 && items[0] == 1 &&
            items[1] == 2 && sims[0] == sims[1],
        "ties go to the earlier item");
  imprint_index_destroy(index);
}

static void test_many_items(void) {
  /* The id table through growth and removals: every id stays findable at its position. */
  const uint32_t dim = 8, n = 5000;
  imprint_index *index = NULL;
  CHECK(imprint_index_create(dim, HASH, &index) == IMPRINT_OK, "create");
  float x[8];
  char id[32];
  for (uint32_t i = 0; i < n; i++) {
    cluster_point(x, dim, i, 1.0f);
    int len = snprintf(id, sizeof id, "item %u", i);
    imprint_index_add(index, id, (size_t)len, x, dim);
  }
  for (uint32_t i = 0; i < n; i += 3) {
    int len = snprintf(id, sizeof id, "item %u", i);
    imprint_index_remove(index, id, (size_t)len);
  }
  uint32_t wrong = 0, expected_at = 0;
  for (uint32_t i = 0; i < n; i++) {
    int len = snprintf(id, sizeof id, "item %u", i);
    uint32_t at = 0;
    imprint_status st = imprint_index_find(index, id, (size_t)len, &at);
    if (i % 3 == 0) {
      wrong += st != IMPRINT_ERR_UNKNOWN_ID;
    } else {
      wrong += st != IMPRINT_OK || at != expected_at;
      expected_at++;
    }
  }
  CHECK(wrong == 0 && imprint_index_count(index) == expected_at, "%u ids misplaced of %u", wrong, n);
  imprint_index_destroy(index);
}

static void test_errors_and_limits(void) {
  const uint32_t dim = 4;
  imprint_index *index = NULL;
  CHECK(imprint_index_create(0, HASH, &index) == IMPRINT_ERR_INVALID_ARGUMENT && !index, "dim 0");
  CHECK(imprint_index_create(IMPRINT_INDEX_MAX_DIM + 1, HASH, &index) == IMPRINT_ERR_INVALID_ARGUMENT, "dim too big");
  CHECK(imprint_index_create(dim, "not a hash", &index) == IMPRINT_ERR_INVALID_ARGUMENT, "bad hash");
  CHECK(imprint_index_create(dim, "0123456789ABCDEF", &index) == IMPRINT_ERR_INVALID_ARGUMENT, "uppercase hash");
  CHECK(imprint_index_create(dim, HASH, &index) == IMPRINT_OK, "create");
  float x[4] = {1, 2, 3, 4}, zero[4] = {0}, nan[4] = {1, NAN, 0, 0}, inf[4] = {INFINITY, 0, 0, 0};
  CHECK(imprint_index_add(index, "", 0, x, dim) == IMPRINT_ERR_INVALID_ARGUMENT, "empty id");
  CHECK(imprint_index_add(index, "\xc3\x28", 2, x, dim) == IMPRINT_ERR_INVALID_ARGUMENT, "id not UTF-8");
  CHECK(imprint_index_add(index, "a\0b", 3, x, dim) == IMPRINT_ERR_INVALID_ARGUMENT, "id with NUL");
  CHECK(imprint_index_add(index, "a", 1, zero, dim) == IMPRINT_ERR_INVALID_ARGUMENT, "zero vector");
  CHECK(imprint_index_add(index, "a", 1, nan, dim) == IMPRINT_ERR_INVALID_ARGUMENT, "NaN vector");
  CHECK(imprint_index_add(index, "a", 1, inf, dim) == IMPRINT_ERR_INVALID_ARGUMENT, "infinite vector");
  CHECK(imprint_index_add(index, "a", 1, x, dim + 1) == IMPRINT_ERR_INVALID_ARGUMENT, "dim mismatch");
  char *long_id = malloc(IMPRINT_INDEX_MAX_ID_BYTES + 1);
  memset(long_id, 'x', IMPRINT_INDEX_MAX_ID_BYTES + 1);
  CHECK(imprint_index_add(index, long_id, IMPRINT_INDEX_MAX_ID_BYTES + 1, x, dim) == IMPRINT_ERR_LIMIT_EXCEEDED,
        "id too long");
  CHECK(imprint_index_add(index, long_id, IMPRINT_INDEX_MAX_ID_BYTES, x, dim) == IMPRINT_OK, "longest id");
  free(long_id);
  CHECK(imprint_index_count(index) == 1, "refused adds changed nothing");
  uint32_t items[2], found = 7;
  float sims[2];
  CHECK(imprint_index_query(index, x, dim, 0, items, sims, &found) == IMPRINT_ERR_INVALID_ARGUMENT, "k = 0");
  CHECK(imprint_index_query(index, zero, dim, 1, items, sims, &found) == IMPRINT_ERR_INVALID_ARGUMENT, "zero query");
  CHECK(imprint_index_query(index, x, dim, 1, NULL, sims, &found) == IMPRINT_ERR_INVALID_ARGUMENT, "NULL items");
  CHECK(imprint_index_query(index, x, 3, 1, items, sims, &found) == IMPRINT_ERR_INVALID_ARGUMENT, "query dim");
  CHECK(imprint_index_remove(index, "nope", 4) == IMPRINT_ERR_UNKNOWN_ID, "remove unknown");
  CHECK(imprint_index_remove(index, NULL, 0) == IMPRINT_ERR_UNKNOWN_ID, "remove NULL id");
  CHECK(strcmp(imprint_status_code(IMPRINT_ERR_UNKNOWN_ID), "UNKNOWN_ID") == 0, "status code");
  CHECK(strcmp(imprint_status_code(IMPRINT_ERR_INDEX_CORRUPT), "INDEX_CORRUPT") == 0, "status code");
  imprint_index_destroy(index);
  imprint_index_destroy(NULL);
  CHECK(imprint_index_count(NULL) == 0 && imprint_index_dim(NULL) == 0, "NULL index");
}

/* The file with its checksum recomputed after an edit, so the structural checks are reached. */
static void fix_checksum(uint8_t *bytes, size_t size) { le_put_u64(bytes + size - 8, fnv1a64(bytes, size - 8)); }

static void test_index_file(void) {
  const uint32_t dim = 12;
  imprint_index *index = make_index(dim, 3, 3);
  CHECK(imprint_index_add(index, "caf\xc3\xa9 \xf0\x9f\x90\x9f", 10, (float[12]){1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3},
                          dim) == IMPRINT_OK,
        "a UTF-8 id");
  size_t size;
  uint8_t *bytes = save(index, &size);
  imprint_index *loaded = NULL;
  CHECK(imprint_index_load(bytes, size, dim, HASH, &loaded) == IMPRINT_OK, "load");
  float q[12];
  cluster_point(q, dim, 1, 0.5f);
  uint32_t a[10], b[10], fa, fb;
  float sa[10], sb[10];
  CHECK(imprint_index_query(index, q, dim, 10, a, sa, &fa) == IMPRINT_OK, "query original");
  CHECK(imprint_index_query(loaded, q, dim, 10, b, sb, &fb) == IMPRINT_OK, "query loaded");
  CHECK(fa == fb && memcmp(a, b, fa * sizeof *a) == 0 && memcmp(sa, sb, fa * sizeof *sa) == 0,
        "identical results after save and load");
  size_t again_size;
  uint8_t *again = save(loaded, &again_size);
  CHECK(again_size == size && memcmp(again, bytes, size) == 0, "saved again: the same bytes");
  free(again);
  imprint_index_destroy(loaded);
  loaded = NULL;

  CHECK(imprint_index_load(bytes, size, dim, OTHER_HASH, &loaded) == IMPRINT_ERR_MODEL_MISMATCH && !loaded,
        "another model hash is refused");
  CHECK(imprint_index_load(bytes, size, dim + 1, HASH, &loaded) == IMPRINT_ERR_MODEL_MISMATCH && !loaded,
        "another dimension is refused");

  uint32_t undetected = 0;
  for (size_t i = 0; i < size; i++) {
    for (int bit = 0; bit < 8; bit += 7) {
      uint8_t *copy = malloc(size);
      memcpy(copy, bytes, size);
      copy[i] ^= (uint8_t)(1u << bit);
      imprint_status st = imprint_index_load(copy, size, dim, HASH, &loaded);
      if (st != IMPRINT_ERR_INDEX_CORRUPT || loaded) undetected++;
      imprint_index_destroy(loaded);
      loaded = NULL;
      free(copy);
    }
  }
  CHECK(undetected == 0, "every flipped bit of %zu bytes is INDEX_CORRUPT (%u undetected)", size, undetected);
  uint32_t truncations = 0;
  for (size_t len = 0; len < size; len++) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    imprint_status st = imprint_index_load(copy, len, dim, HASH, &loaded);
    if (st != IMPRINT_ERR_INDEX_CORRUPT || loaded) truncations++;
    imprint_index_destroy(loaded);
    loaded = NULL;
    free(copy);
  }
  CHECK(truncations == 0, "every truncation is INDEX_CORRUPT (%u undetected)", truncations);
  uint8_t *longer = calloc(size + 4, 1);
  memcpy(longer, bytes, size);
  CHECK(imprint_index_load(longer, size + 4, dim, HASH, &loaded) == IMPRINT_ERR_INDEX_CORRUPT, "trailing bytes");
  free(longer);

  /* Edits behind a valid checksum: the structure itself is checked. */
  struct {
    size_t at;
    uint32_t value;
    const char *what;
  } edits[] = {
      {44, 0xffffffffu, "a count over the limit"},
      {44, 1000000u, "a count the file's length cannot hold (nothing allocated for it)"},
      {44, 9, "a count below the records present"},
      {40, 0, "dim 0"},
      {12, 1, "unknown flags"},
      {48, 1, "reserved bytes"},
      {64, 0, "an empty id"},
      {64, IMPRINT_INDEX_MAX_ID_BYTES + 1, "an id over the limit"},
      {68, 0x00ff0000u, "an id that is not UTF-8"},
      {72, 0x7fc00000u, "a NaN in a vector"},
      {72, 0x40000000u, "a vector whose norm is not 1"},
  };
  for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
    uint8_t *copy = malloc(size);
    memcpy(copy, bytes, size);
    le_put_u32(copy + edits[e].at, edits[e].value);
    fix_checksum(copy, size);
    imprint_status st = imprint_index_load(copy, size, dim, HASH, &loaded);
    CHECK(st == IMPRINT_ERR_INDEX_CORRUPT && !loaded, "%s is INDEX_CORRUPT (%s)", edits[e].what,
          imprint_status_code(st));
    imprint_index_destroy(loaded);
    loaded = NULL;
    free(copy);
  }
  /* A duplicate id: the second record renamed as the first ("c0-0" and "c1-0" have one length). */
  uint8_t *copy = malloc(size);
  memcpy(copy, bytes, size);
  size_t second = 64 + 4 + 4 + 4 * dim;
  CHECK(memcmp(copy + second + 4, "c1-0", 4) == 0, "the second record is c1-0");
  memcpy(copy + second + 4, "c0-0", 4);
  fix_checksum(copy, size);
  CHECK(imprint_index_load(copy, size, dim, HASH, &loaded) == IMPRINT_ERR_INDEX_CORRUPT && !loaded,
        "a duplicate id is INDEX_CORRUPT");
  free(copy);
  CHECK(imprint_index_load(NULL, 0, dim, HASH, &loaded) == IMPRINT_ERR_INDEX_CORRUPT, "no bytes");
  CHECK(imprint_index_load(bytes, size, dim, HASH, NULL) == IMPRINT_ERR_INVALID_ARGUMENT, "no out");
  CHECK(imprint_index_save(index, bytes, size - 1, &size) == IMPRINT_ERR_INVALID_ARGUMENT, "save buffer too small");
  free(bytes);

  /* An empty index round-trips. */
  imprint_index_clear(index);
  bytes = save(index, &size);
  CHECK(size == 72 && imprint_index_load(bytes, size, dim, HASH, &loaded) == IMPRINT_OK &&
            imprint_index_count(loaded) == 0,
        "an empty index round-trips (%zu bytes)", size);
  imprint_index_destroy(loaded);
  free(bytes);
  imprint_index_destroy(index);
}

int main(void) {
  test_queries();
  test_many_items();
  test_errors_and_limits();
  test_index_file();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
