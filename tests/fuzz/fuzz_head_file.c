/* libFuzzer target: outside bytes through the head-file loader. A head it accepts must predict
 * without trouble and save back to the same bytes. The backbone the loader expects comes from
 * IMPRINT_FUZZ_DIM and IMPRINT_FUZZ_HASH (set by scripts/fuzz.sh from the seed head). */
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

static int load_one(const uint8_t *data, size_t size);

/* The file ends in an FNV-1a 64 checksum (models/HEAD_FORMAT.md). Each input is also loaded with its
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

static int load_one(const uint8_t *data, size_t size) {
  imprint_head *head = NULL;
  if (imprint_head_load(data, size, dim, hash, &head) != IMPRINT_OK) {
    if (head) abort(); /* nothing half-loaded */
    return 0;
  }
  if (imprint_head_class_count(head) > 0) {
    float *query = calloc(dim, sizeof(float));
    float *scores = calloc(imprint_head_class_count(head), sizeof(float));
    imprint_prediction prediction;
    if (!query || !scores) abort();
    query[0] = 1.0f;
    if (imprint_head_predict(head, query, NULL, dim, scores, imprint_head_class_count(head), &prediction) ==
        IMPRINT_OK) {
      if (prediction.best >= imprint_head_class_count(head) ||
          !(prediction.confidence >= 0.0f && prediction.confidence <= 1.0f))
        abort();
    }
    free(query);
    free(scores);
  }
  size_t saved_size = 0;
  if (imprint_head_save(head, 1, NULL, 0, &saved_size) != IMPRINT_OK) abort();
  uint8_t *saved = malloc(saved_size);
  if (!saved || imprint_head_save(head, 1, saved, saved_size, &saved_size) != IMPRINT_OK) abort();
  imprint_head *again = NULL;
  if (imprint_head_load(saved, saved_size, dim, hash, &again) != IMPRINT_OK) abort();
  imprint_head_destroy(again);
  free(saved);
  imprint_head_destroy(head);
  return 0;
}
