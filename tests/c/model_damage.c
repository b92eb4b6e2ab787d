/* model_damage.c — how much damage to a model file goes undetected? A long, counted run (not part
 * of the CI tests: tests/c/model_file_test.c keeps a short sample under the sanitizers).
 *
 *   tests/c/model-damage.sh [model.imprint] [flips] [seed] [structural]
 *
 * 1. Truncation at every length 0 .. size-1: each must be refused with IMPRINT_ERR_MODEL_CORRUPT.
 * 2. `flips` random bytes (seeded xorshift64), each xored with a random non-zero value, one at a
 *    time: each must be refused (by the checksum, which covers every byte before the trailer, or
 *    by the trailer no longer matching).
 * 3. `structural` random bytes of the header and tables damaged the same way, with the checksum
 *    recomputed: then only the structural validator stands between the damage and the backbone.
 *    Counts what it refuses and what it accepts (values still inside valid ranges); everything it
 *    accepts is dequantized tensor by tensor, so a bad bound would crash.
 * Prints the counts; exits 1 if any truncation or flip went undetected. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks.h"
#include "model_file.h"
#include "byte_order.h"
#include "read_file.h"

static uint64_t rng_state;
static uint64_t rng(void) { /* xorshift64 (Marsaglia 2003) */
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return rng_state;
}

/* Parses bytes[0..size); when accepted and `walk`, dequantizes every tensor. */
static imprint_status parse(const uint8_t *bytes, size_t size, int walk) {
  model_file m;
  imprint_status s = model_file_parse(bytes, size, &m, NULL, 0);
  if (s == IMPRINT_OK && walk) {
    for (uint32_t i = 0; i < m.tensor_count; i++) {
      float *values = malloc(m.tensors[i].element_count * sizeof *values);
      if (values) model_tensor_to_f32(&m.tensors[i], values);
      free(values);
    }
  }
  model_file_free(&m);
  return s;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows when piped */
  const char *path = argc > 1 ? argv[1] : "dist/models/mobilenet_v2.imprint";
  long flips = argc > 2 ? atol(argv[2]) : 100000;
  long structural = argc > 4 ? atol(argv[4]) : 5000;
  rng_state = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x5EED;
  if (!rng_state) rng_state = 1;
  size_t size = 0;
  uint8_t *bytes = read_file(path, &size);
  if (!bytes) {
    fprintf(stderr, "cannot read %s\n", path);
    return 2;
  }
  if (parse(bytes, size, 0) != IMPRINT_OK) {
    fprintf(stderr, "%s does not parse undamaged\n", path);
    return 2;
  }
  uint64_t tables_end =
      128 + (uint64_t)le_get_u32(bytes + 24) + le_get_u32(bytes + 28) * 48ull + le_get_u32(bytes + 32) * 128ull;
  if (tables_end > size - 8) tables_end = size - 8;
  printf("model %s: %zu bytes, header and tables %llu bytes, seed %llu\n", path, size, (unsigned long long)tables_end,
         (unsigned long long)rng_state);
  int bad = 0;

  /* 1. Every truncation. */
  double t = seconds();
  size_t cut_missed = 0;
  for (size_t len = 0; len < size; len++) cut_missed += parse(bytes, len, 0) != IMPRINT_ERR_MODEL_CORRUPT;
  printf("truncation at every length: %zu of %zu detected, %zu undetected (%.1f s)\n", size - cut_missed, size,
         cut_missed, seconds() - t);
  bad |= cut_missed != 0;

  /* 2. Random byte positions, random non-zero xor values. */
  t = seconds();
  long flip_missed = 0, in_tables = 0;
  for (long i = 0; i < flips; i++) {
    size_t at = (size_t)(rng() % size);
    uint8_t x = (uint8_t)(1 + rng() % 255);
    in_tables += at < tables_end;
    bytes[at] ^= x;
    flip_missed += parse(bytes, size, 0) != IMPRINT_ERR_MODEL_CORRUPT;
    bytes[at] ^= x;
  }
  printf("random byte damage: %ld of %ld detected, %ld undetected (%ld in the header and tables; %.1f s)\n",
         flips - flip_missed, flips, flip_missed, in_tables, seconds() - t);
  bad |= flip_missed != 0;

  /* 3. Random header and table bytes damaged with the checksum recomputed: only the structural
   * validator stands between this damage and the backbone. */
  t = seconds();
  long structural_refused = 0, structural_accepted = 0, structural_other = 0;
  uint8_t *trailer = bytes + size - 8;
  uint8_t original[8];
  memcpy(original, trailer, 8);
  for (long i = 0; i < structural; i++) {
    size_t at = (size_t)(rng() % tables_end);
    uint8_t x = (uint8_t)(1 + rng() % 255);
    bytes[at] ^= x;
    le_put_u64(trailer, fnv1a64(bytes, size - 8));
    imprint_status s = parse(bytes, size, 1);
    structural_refused += s == IMPRINT_ERR_MODEL_CORRUPT;
    structural_accepted += s == IMPRINT_OK;
    structural_other += s != IMPRINT_OK && s != IMPRINT_ERR_MODEL_CORRUPT;
    bytes[at] ^= x;
    memcpy(trailer, original, 8);
  }
  printf(
      "header/table byte damage with the checksum recomputed (validator only): %ld refused, %ld accepted and "
      "dequantized safely, %ld other status (%.1f s)\n",
      structural_refused, structural_accepted, structural_other, seconds() - t);
  bad |= structural_other != 0;
  free(bytes);
  printf("%s\n", bad ? "FAILED: some damage went undetected" : "all truncations and flips detected");
  return bad ? 1 : 0;
}
