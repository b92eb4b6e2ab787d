/* memory_stats.c — how much the C heap holds, for leak and growth tests. */
#include "imprint.h"

#if defined(__EMSCRIPTEN__) || defined(__GLIBC__)
#include <malloc.h>
#endif

size_t imprint_memory_in_use(void) {
#if defined(__EMSCRIPTEN__)
  struct mallinfo info = mallinfo();
  return (size_t)info.uordblks;
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 info = mallinfo2();
  return info.uordblks;
#else
  return 0;
#endif
}
