/* decoder-ab.c — two versions of imprint's image decoding for a model (image_decode_for_model: the
 * JPEG scan, Huffman pass, scaled decode and area boxes) linked into one wasm program and timed in
 * turn on one file, round after round (tests/bench/decoder-ab.js builds it; a benchmark, not a
 * test). Each version's functions carry a prefix (old_, new_) given at compile time.
 *
 *   decoder-ab FILE ROUNDS   prints each version's min / median and the median of the paired
 *                            differences new - old, with a hash of each version's output pixels */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "image.h"
#include "model_file.h"

typedef imprint_status (*decode_fn)(const uint8_t *, size_t, const imprint_limits *, const preprocess_spec *,
                                    imprint_image *, char *, size_t);
imprint_status old_image_decode_for_model(const uint8_t *, size_t, const imprint_limits *, const preprocess_spec *,
                                          imprint_image *, char *, size_t);
imprint_status new_image_decode_for_model(const uint8_t *, size_t, const imprint_limits *, const preprocess_spec *,
                                          imprint_image *, char *, size_t);

enum { MAX_ROUNDS = 1000 };

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: decoder-ab FILE ROUNDS\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *bytes = malloc((size_t)size);
  if (!bytes || fread(bytes, 1, (size_t)size, f) != (size_t)size) return 1;
  fclose(f);
  int rounds = atoi(argv[2]);
  if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 30;

  /* The default model's input: 224x224 under the area filter, as the product decodes for it. */
  preprocess_spec spec = {224, 224, {1, 1, 1}, {0, 0, 0}, MODEL_RESIZE_AREA_THEN_BILINEAR, 0, {255, 255, 255}};
  imprint_limits limits = {IMPRINT_DEFAULT_MAX_SIDE, IMPRINT_DEFAULT_MAX_SIDE, IMPRINT_DEFAULT_MAX_PIXELS};
  decode_fn versions[2] = {old_image_decode_for_model, new_image_decode_for_model};
  static const char *names[2] = {"old", "new"};
  static double times[2][MAX_ROUNDS], differences[MAX_ROUNDS];
  unsigned hashes[2] = {0, 0};
  for (int r = -2; r < rounds; r++) /* two rounds of warm-up */
    for (int v = 0; v < 2; v++) {
      imprint_image out;
      char why[256];
      double start = now_ms();
      if (versions[v](bytes, (size_t)size, &limits, &spec, &out, why, sizeof why) != IMPRINT_OK) {
        fprintf(stderr, "%s: %s\n", names[v], why);
        return 1;
      }
      if (r >= 0) times[v][r] = now_ms() - start;
      if (r == -1)
        for (size_t i = 0; i < (size_t)out.width * out.height * out.channels; i++)
          hashes[v] = hashes[v] * 31u + out.pixels[i];
      free(out.pixels);
    }
  for (int r = 0; r < rounds; r++) differences[r] = times[1][r] - times[0][r];
  qsort(differences, (size_t)rounds, sizeof *differences, by_value);
  printf("| version | ms min | ms median | pixels hash |\n|---|---|---|---|\n");
  for (int v = 0; v < 2; v++) {
    qsort(times[v], (size_t)rounds, sizeof *times[v], by_value);
    printf("| %s | %.2f | %.2f | %08x |\n", names[v], times[v][0], times[v][rounds / 2], hashes[v]);
  }
  printf("new - old, median of the paired differences: %+.2f ms (quartiles %+.2f, %+.2f)\n", differences[rounds / 2],
         differences[rounds / 4], differences[3 * rounds / 4]);
  return 0;
}
