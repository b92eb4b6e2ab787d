// libFuzzer for JavaScript targets: a Node-API addon that runs clang's libFuzzer (linked from the
// compiler's libclang_rt.fuzzer_no_main) with a JavaScript function as the target, and gives
// libFuzzer a coverage map that instrumented JavaScript writes into (tests/fuzz/node/instrument.js:
// one 8-bit counter per function body, branch arm and loop body).
//
//   const fuzzer = require('.../libfuzzer_node.node');
//   const counters = new Uint8Array(fuzzer.counters(n));  // register n counters (once, first)
//   fuzzer.run(['name', '-max_total_time=60', 'corpus/'], (buffer) => { ... });
//
// run() does not return while libFuzzer runs: it calls the function synchronously for each input
// (a fresh Buffer holding a copy of it). An exception escaping the function is printed and the
// process aborts, which libFuzzer reports as a crash and saves the input (-artifact_prefix). Hangs
// (-timeout) and memory growth (-rss_limit_mb) are libFuzzer's own checks.
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*fuzz_callback)(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, fuzz_callback callback);
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_pcs_init(const uintptr_t *pcs_begin, const uintptr_t *pcs_end);

static uint8_t *counters;
static size_t counter_count;
static napi_env run_env;
static napi_ref run_target;

#define CHECK(call)                                                                      \
  do {                                                                                   \
    if ((call) != napi_ok) {                                                             \
      fprintf(stderr, "libfuzzer_node: %s failed (%s:%d)\n", #call, __FILE__, __LINE__); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// counters(n): registers n 8-bit counters with libFuzzer (once; before run) and returns them as an
// ArrayBuffer. libFuzzer also gets a table of one pseudo program counter per counter, so that its
// "cov:" figure counts the counters ever hit, as it does for compiled code.
static napi_value js_counters(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t n = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &n) != napi_ok || n == 0 || n > (1u << 24))
    return throw_error(env, "counters(n): n must be an integer in [1, 2^24]");
  if (counters) return throw_error(env, "counters(n) may be called only once");
  size_t bytes = ((size_t)n + 4095) & ~(size_t)4095;
  counters = aligned_alloc(4096, bytes);
  uintptr_t *pcs = calloc((size_t)n * 2, sizeof *pcs);
  if (!counters || !pcs) return throw_error(env, "counters(n): out of memory");
  memset(counters, 0, bytes);
  // PCTableEntry {PC, Flags}; the pseudo PCs are the counters' own addresses (unique, never run).
  for (size_t i = 0; i < n; i++) pcs[2 * i] = (uintptr_t)(counters + i);
  counter_count = n;
  __sanitizer_cov_8bit_counters_init(counters, counters + n);
  __sanitizer_cov_pcs_init(pcs, pcs + 2 * (size_t)n);
  napi_value buffer;
  CHECK(napi_create_external_arraybuffer(env, counters, n, NULL, NULL, &buffer));
  return buffer;
}

static void report_and_abort(napi_env env) {
  napi_value exception, text;
  char message[8192];
  size_t length = 0;
  CHECK(napi_get_and_clear_last_exception(env, &exception));
  // The stack if it is an Error, else the value as a string.
  bool is_error = false;
  napi_value shown = exception;
  if (napi_is_error(env, exception, &is_error) == napi_ok && is_error) {
    napi_value stack;
    if (napi_get_named_property(env, exception, "stack", &stack) == napi_ok) shown = stack;
  }
  if (napi_coerce_to_string(env, shown, &text) == napi_ok &&
      napi_get_value_string_utf8(env, text, message, sizeof message, &length) == napi_ok)
    fprintf(stderr, "uncaught exception in the JavaScript fuzz target:\n%s\n", message);
  else
    fprintf(stderr, "uncaught exception in the JavaScript fuzz target (not printable)\n");
  fflush(stderr);
  abort();  // libFuzzer's SIGABRT handler saves the input as a crash
}

static int one_input(const uint8_t *data, size_t size) {
  napi_env env = run_env;
  napi_handle_scope scope;
  CHECK(napi_open_handle_scope(env, &scope));
  napi_value target, global, buffer, result;
  void *copy;
  CHECK(napi_get_reference_value(env, run_target, &target));
  CHECK(napi_get_global(env, &global));
  CHECK(napi_create_buffer_copy(env, size, data, &copy, &buffer));
  napi_status status = napi_call_function(env, global, target, 1, &buffer, &result);
  if (status != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) report_and_abort(env);
    fprintf(stderr, "libfuzzer_node: calling the target failed (status %d)\n", (int)status);
    abort();
  }
  CHECK(napi_close_handle_scope(env, scope));
  return 0;
}

// run(args, target): LLVMFuzzerRunDriver with args as its argv (args[0] is the program name).
static napi_value js_run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  napi_valuetype type;
  if (argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function)
    return throw_error(env, "run(args, target): an array of strings and a function");
  if (!counters) return throw_error(env, "run(): register the coverage counters first (counters(n))");
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, argv[0], &n));
  char **args = calloc((size_t)n + 1, sizeof *args);
  if (!args) return throw_error(env, "run(): out of memory");
  for (uint32_t i = 0; i < n; i++) {
    napi_value element;
    size_t length = 0;
    CHECK(napi_get_element(env, argv[0], i, &element));
    if (napi_get_value_string_utf8(env, element, NULL, 0, &length) != napi_ok)
      return throw_error(env, "run(args, target): every argument must be a string");
    args[i] = malloc(length + 1);
    if (!args[i]) return throw_error(env, "run(): out of memory");
    CHECK(napi_get_value_string_utf8(env, element, args[i], length + 1, &length));
  }
  run_env = env;
  CHECK(napi_create_reference(env, argv[1], 1, &run_target));
  int count = (int)n;
  char **list = args;
  int result = LLVMFuzzerRunDriver(&count, &list, one_input);
  napi_value value;
  CHECK(napi_create_int32(env, result, &value));
  return value;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"counters", NULL, js_counters, NULL, NULL, NULL, napi_default, NULL},
      {"run", NULL, js_run, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 2, properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
