/* Effective throughput of imprint's backbone against XNNPACK's own 1x1 convolution, in one wasm
 * module and one process (driven by tests/bench/gflops.js).
 *
 * bench_conv1x1_create() makes a standalone XNNPACK f32 1x1 convolution (NHWC, no clamping, no
 * thread pool) with random weights, the kind of layer XNNPACK runs fastest; bench_conv1x1_run()
 * times it. bench_embed() times imprint_model_embed() on the model's current input, which is the
 * whole backbone (XNNPACK subgraph) plus pooling and L2 normalisation. Both return seconds per run
 * so the driver can interleave them round by round and compare medians.
 */
#include <emscripten/emscripten.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <xnnpack.h>

#include "imprint.h"

typedef struct conv1x1 {
  xnn_operator_t op;
  float *input, *output, *weights, *bias;
} conv1x1;

static float *random_floats(size_t n, uint32_t *state) {
  float *v = malloc(n * sizeof(float) + XNN_EXTRA_BYTES);
  if (!v) return NULL;
  for (size_t i = 0; i < n; i++) {
    *state = *state * 1664525u + 1013904223u; /* LCG (Numerical Recipes): only needs to be non-degenerate */
    v[i] = (float)(*state >> 8) / 16777216.0f - 0.5f;
  }
  return v;
}

EMSCRIPTEN_KEEPALIVE void bench_conv1x1_destroy(conv1x1 *c) {
  if (!c) return;
  if (c->op) xnn_delete_operator(c->op);
  free(c->input);
  free(c->output);
  free(c->weights);
  free(c->bias);
  free(c);
}

/* A 1x1 convolution height x width x in_channels -> out_channels, ready to run; NULL on failure. */
EMSCRIPTEN_KEEPALIVE conv1x1 *bench_conv1x1_create(uint32_t height, uint32_t width, uint32_t in_channels,
                                                   uint32_t out_channels) {
  if (xnn_initialize(NULL) != xnn_status_success) return NULL;
  conv1x1 *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  uint32_t seed = 12345;
  c->input = random_floats((size_t)height * width * in_channels, &seed);
  c->output = malloc((size_t)height * width * out_channels * sizeof(float) + XNN_EXTRA_BYTES);
  c->weights = random_floats((size_t)in_channels * out_channels, &seed);
  c->bias = random_floats(out_channels, &seed);
  size_t workspace_size = 0, workspace_alignment = 0;
  if (!c->input || !c->output || !c->weights || !c->bias ||
      xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, in_channels, out_channels, in_channels,
                                        out_channels, c->weights, c->bias, -INFINITY, INFINITY, 0, NULL, NULL,
                                        &c->op) != xnn_status_success ||
      xnn_reshape_convolution2d_nhwc_f32(c->op, 1, height, width, &workspace_size, &workspace_alignment, NULL, NULL,
                                         NULL) != xnn_status_success ||
      workspace_size != 0 || /* a 1x1 convolution runs as a GEMM straight on the input */
      xnn_setup_convolution2d_nhwc_f32(c->op, NULL, c->input, c->output) != xnn_status_success) {
    bench_conv1x1_destroy(c);
    return NULL;
  }
  return c;
}

/* Seconds per run over `runs` runs, or -1 on failure. */
EMSCRIPTEN_KEEPALIVE double bench_conv1x1_run(conv1x1 *c, uint32_t runs) {
  double start = emscripten_get_now();
  for (uint32_t i = 0; i < runs; i++)
    if (xnn_run_operator(c->op, NULL) != xnn_status_success) return -1.0;
  return (emscripten_get_now() - start) / 1000.0 / runs;
}

/* Seconds per imprint_model_embed() over `runs` runs on the model's current input, or -1. */
EMSCRIPTEN_KEEPALIVE double bench_embed(imprint_model *model, float *out, uint32_t runs) {
  size_t dim = imprint_model_embedding_dim(model);
  double start = emscripten_get_now();
  for (uint32_t i = 0; i < runs; i++)
    if (imprint_model_embed(model, out, dim) != IMPRINT_OK) return -1.0;
  return (emscripten_get_now() - start) / 1000.0 / runs;
}
