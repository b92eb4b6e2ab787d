/* threads.c — the backbone's thread pool (imprint_set_threads() in imprint.h).
 *
 * One pthreadpool for the process, made by imprint_set_threads() and handed to every XNNPACK
 * runtime created afterwards (backbone_runtime_create()). It is never replaced once made, because
 * runtimes keep a pointer to it; in the browser each extractor has its own wasm instance, so the
 * count is set once per instance anyway. A full-size JPEG's check and its stb_image decode, and
 * the two halves of preprocess()'s passes, run on two of its threads as well
 * (image_set_pair_runner()). Builds without threads (Emscripten without -pthread, where
 * pthreadpool is only a single-threaded shim) keep a NULL pool: XNNPACK then runs every operator
 * on the calling thread, and image decoding and preprocessing take their steps in turn. In wasm,
 * the pool's threads spin at most 3 ms before they sleep (cmake/pthreadpool-emscripten.patch). */
#include "backbone.h"
#include "image.h"

#include <pthreadpool.h>

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define THREADS_SUPPORTED 0
#else
#define THREADS_SUPPORTED 1
#endif

static pthreadpool_t pool = NULL;

#if THREADS_SUPPORTED
/* image_decode()'s two independent steps (a JPEG's check and its decode) on two of the pool's threads. */
typedef struct pair_job {
  void (*task[2])(void *);
  void *context;
} pair_job;

static void run_pair_task(void *job, size_t i) {
  const pair_job *pair = job;
  pair->task[i](pair->context);
}

static void run_pair(void (*first)(void *), void (*second)(void *), void *context) {
  pair_job job = {{first, second}, context};
  pthreadpool_parallelize_1d(pool, run_pair_task, &job, 2, 0);
}
#endif

uint32_t imprint_max_threads(void) { return THREADS_SUPPORTED ? IMPRINT_MAX_THREADS : 1; }

uint32_t imprint_threads(void) { return pool ? (uint32_t)pthreadpool_get_threads_count(pool) : 1; }

imprint_status imprint_set_threads(uint32_t threads) {
  if (threads == 0 || threads > imprint_max_threads()) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (pool) return threads == imprint_threads() ? IMPRINT_OK : IMPRINT_ERR_INVALID_ARGUMENT;
  if (threads == 1) return IMPRINT_OK;
#if THREADS_SUPPORTED
  pool = pthreadpool_create(threads);
  if (!pool) return IMPRINT_ERR_OUT_OF_MEMORY;
  if (pthreadpool_get_threads_count(pool) != threads) {
    pthreadpool_destroy(pool);
    pool = NULL;
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  image_set_pair_runner(run_pair);
#endif
  return IMPRINT_OK;
}

void *backbone_threadpool(void) { return pool; }
