/* check.h — the native C tests' one assertion: counts instead of aborting, so a run reports every
 * failure and ends with "N passed, N failed". */
#ifndef IMPRINT_TEST_CHECK_H
#define IMPRINT_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      passed++;                                   \
    } else {                                      \
      failed++;                                   \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

#endif
