/* read_file.h — the native C tests' whole-file reader. */
#ifndef IMPRINT_TEST_READ_FILE_H
#define IMPRINT_TEST_READ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The file's bytes (malloc'd, *size set), or NULL (and *size 0) if it is missing, empty or
 * unreadable. */
static inline uint8_t *read_file(const char *path, size_t *size) {
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *bytes = n > 0 ? malloc((size_t)n) : NULL;
  if (bytes && fread(bytes, 1, (size_t)n, f) != (size_t)n) {
    free(bytes);
    bytes = NULL;
  }
  fclose(f);
  if (bytes) *size = (size_t)n;
  return bytes;
}

#endif
