/* XNNPACK toolchain smoke test.
 *
 * Builds a small MobileNet-shaped subgraph with XNNPACK's subgraph API
 * (3x3 stride-2 convolution, clamp, 3x3 depthwise convolution with a fused
 * ReLU6, 1x1 convolution, global average pooling as a mean over H and W, fully
 * connected), runs it single-threaded (NULL threadpool), and compares the
 * result with a naive C reference. Prints PASS or FAIL; exits non-zero on
 * failure. It proves that the pinned XNNPACK, its Emscripten patch and our
 * link flags work together, independently of the library's own sources.
 *
 * All tensors are NHWC; filter layouts follow xnnpack.h:
 *   convolution  [out_channels, kernel_h, kernel_w, in_channels]
 *   depthwise    [1, kernel_h, kernel_w, channels]
 *   fully conn.  [out_channels, in_channels]
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

enum {
  BATCH = 2,
  IN_H = 17, /* odd, so stride-2 padding is exercised asymmetrically */
  IN_W = 15,
  IN_C = 3,
  C1 = 8,  /* first convolution's output channels */
  C2 = 16, /* 1x1 convolution's output channels */
  CLASSES = 5,
  /* 3x3, stride 2, padding 1 on every side */
  H1 = (IN_H + 2 - 3) / 2 + 1,
  W1 = (IN_W + 2 - 3) / 2 + 1,
};

static const float kClampMin = 0.0f;
static const float kClampMax = 6.0f;

/* Deterministic values in [-1, 1): the test must not depend on libc's rand(). */
static uint32_t rng_state = 12345u;
static float next_uniform(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}
static void fill(float *data, size_t count, float scale) {
  for (size_t i = 0; i < count; i++) data[i] = scale * next_uniform();
}

static float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* Naive NHWC convolution (groups = 1), symmetric zero padding. */
static void reference_conv(const float *in, int n, int ih, int iw, int ic, const float *filter, const float *bias,
                           int oc, int k, int stride, int pad, float *out, int oh, int ow) {
  for (int b = 0; b < n; b++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        for (int o = 0; o < oc; o++) {
          double acc = bias[o];
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              const int sy = y * stride + ky - pad, sx = x * stride + kx - pad;
              if (sy < 0 || sy >= ih || sx < 0 || sx >= iw) continue;
              for (int i = 0; i < ic; i++)
                acc += (double)in[((b * ih + sy) * iw + sx) * ic + i] * filter[((o * k + ky) * k + kx) * ic + i];
            }
          out[((b * oh + y) * ow + x) * oc + o] = (float)acc;
        }
}

/* Naive NHWC depthwise 3x3 convolution, stride 1, padding 1, multiplier 1. */
static void reference_depthwise(const float *in, int n, int h, int w, int c, const float *filter, const float *bias,
                                float *out) {
  for (int b = 0; b < n; b++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int ch = 0; ch < c; ch++) {
          double acc = bias[ch];
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
              const int sy = y + ky - 1, sx = x + kx - 1;
              if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
              acc += (double)in[((b * h + sy) * w + sx) * c + ch] * filter[(ky * 3 + kx) * c + ch];
            }
          out[((b * h + y) * w + x) * c + ch] = (float)acc;
        }
}

#define CHECK(call)                                                                   \
  do {                                                                                \
    enum xnn_status status_ = (call);                                                 \
    if (status_ != xnn_status_success) {                                              \
      fprintf(stderr, "xnnpack-smoke: %s failed (status %d)\n", #call, (int)status_); \
      printf("FAIL\n");                                                               \
      return 1;                                                                       \
    }                                                                                 \
  } while (0)

/* Defines an fp32 tensor; static data if `data` is non-NULL. */
static enum xnn_status define_tensor(xnn_subgraph_t graph, size_t rank, const size_t *dims, const void *data,
                                     uint32_t external_id, uint32_t flags, uint32_t *id) {
  return xnn_define_tensor_value(graph, xnn_datatype_fp32, rank, dims, data, external_id, flags, id);
}

int main(void) {
  /* Weights (static tensors must outlive the runtime) and the input. */
  static float w1[C1 * 3 * 3 * IN_C], b1[C1];
  static float wd[3 * 3 * C1], bd[C1];
  static float w2[C2 * C1], b2[C2];
  static float wf[CLASSES * C2], bf[CLASSES];
  /* XNNPACK may read (never write) up to XNN_EXTRA_BYTES past an input. */
  static float input[BATCH * IN_H * IN_W * IN_C + XNN_EXTRA_BYTES / sizeof(float)];
  static float output[BATCH * CLASSES];

  fill(input, BATCH * IN_H * IN_W * IN_C, 1.0f);
  fill(w1, sizeof w1 / sizeof *w1, 0.5f);
  fill(b1, C1, 0.1f);
  fill(wd, sizeof wd / sizeof *wd, 0.5f);
  fill(bd, C1, 0.1f);
  fill(w2, sizeof w2 / sizeof *w2, 0.5f);
  fill(b2, C2, 0.1f);
  fill(wf, sizeof wf / sizeof *wf, 0.5f);
  fill(bf, CLASSES, 0.1f);

  CHECK(xnn_initialize(NULL));

  xnn_subgraph_t graph = NULL;
  CHECK(xnn_create_subgraph(/*external_value_ids=*/2, /*flags=*/0, &graph));

  const size_t in_dims[4] = {BATCH, IN_H, IN_W, IN_C};
  const size_t w1_dims[4] = {C1, 3, 3, IN_C};
  const size_t c1_dims[1] = {C1};
  const size_t act1_dims[4] = {BATCH, H1, W1, C1};
  const size_t wd_dims[4] = {1, 3, 3, C1};
  const size_t w2_dims[4] = {C2, 1, 1, C1};
  const size_t c2_dims[1] = {C2};
  const size_t act2_dims[4] = {BATCH, H1, W1, C2};
  const size_t pooled_dims[2] = {BATCH, C2};
  const size_t wf_dims[2] = {CLASSES, C2};
  const size_t cls_dims[1] = {CLASSES};
  const size_t out_dims[2] = {BATCH, CLASSES};
  const size_t mean_axes[2] = {1, 2};

  uint32_t in_id, out_id, w1_id, b1_id, conv1_id, clamp1_id, wd_id, bd_id, dw_id, w2_id, b2_id, conv2_id, pooled_id,
      wf_id, bf_id;
  const uint32_t internal = XNN_INVALID_VALUE_ID;
  CHECK(define_tensor(graph, 4, in_dims, NULL, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, &in_id));
  CHECK(define_tensor(graph, 2, out_dims, NULL, 1, XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &out_id));
  CHECK(define_tensor(graph, 4, w1_dims, w1, internal, 0, &w1_id));
  CHECK(define_tensor(graph, 1, c1_dims, b1, internal, 0, &b1_id));
  CHECK(define_tensor(graph, 4, act1_dims, NULL, internal, 0, &conv1_id));
  CHECK(define_tensor(graph, 4, act1_dims, NULL, internal, 0, &clamp1_id));
  CHECK(define_tensor(graph, 4, wd_dims, wd, internal, 0, &wd_id));
  CHECK(define_tensor(graph, 1, c1_dims, bd, internal, 0, &bd_id));
  CHECK(define_tensor(graph, 4, act1_dims, NULL, internal, 0, &dw_id));
  CHECK(define_tensor(graph, 4, w2_dims, w2, internal, 0, &w2_id));
  CHECK(define_tensor(graph, 1, c2_dims, b2, internal, 0, &b2_id));
  CHECK(define_tensor(graph, 4, act2_dims, NULL, internal, 0, &conv2_id));
  CHECK(define_tensor(graph, 2, pooled_dims, NULL, internal, 0, &pooled_id));
  CHECK(define_tensor(graph, 2, wf_dims, wf, internal, 0, &wf_id));
  CHECK(define_tensor(graph, 1, cls_dims, bf, internal, 0, &bf_id));

  /* 3x3 stride-2 convolution, padding 1, no fused activation ... */
  CHECK(xnn_define_convolution_2d(graph, 1, 1, 1, 1, /*kernel*/ 3, 3, /*stride*/ 2, 2,
                                  /*dilation*/ 1, 1, /*groups*/ 1, IN_C, C1, -INFINITY, INFINITY, in_id, w1_id, b1_id,
                                  conv1_id, 0));
  /* ... followed by an explicit clamp node (ReLU6). */
  const union xnn_unary_params clamp = {.clamp = {.min = kClampMin, .max = kClampMax}};
  CHECK(xnn_define_unary(graph, xnn_unary_clamp, &clamp, conv1_id, clamp1_id, 0));
  /* 3x3 depthwise, stride 1, padding 1, ReLU6 fused. */
  CHECK(xnn_define_depthwise_convolution_2d(graph, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1,
                                            /*depth_multiplier*/ 1, C1, kClampMin, kClampMax, clamp1_id, wd_id, bd_id,
                                            dw_id, 0));
  /* 1x1 convolution, no activation. */
  CHECK(xnn_define_convolution_2d(graph, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, C1, C2, -INFINITY, INFINITY, dw_id, w2_id,
                                  b2_id, conv2_id, 0));
  /* Global average pooling: mean over H and W, dims dropped -> [N, C2]. */
  CHECK(xnn_define_static_reduce(graph, xnn_reduce_mean, 2, mean_axes, conv2_id, pooled_id, 0));
  /* Fully connected [N, C2] x [CLASSES, C2]^T + bias. */
  CHECK(xnn_define_fully_connected(graph, -INFINITY, INFINITY, pooled_id, wf_id, bf_id, out_id, 0));

  xnn_runtime_t runtime = NULL;
  CHECK(xnn_create_runtime_v2(graph, /*threadpool=*/NULL, 0, &runtime));
  CHECK(xnn_reshape_runtime(runtime));
  const struct xnn_external_value externals[2] = {{in_id, input}, {out_id, output}};
  CHECK(xnn_setup_runtime_v2(runtime, 2, externals));
  /* Twice: a runtime is built once and run many times. */
  CHECK(xnn_invoke_runtime(runtime));
  memset(output, 0, sizeof output);
  CHECK(xnn_invoke_runtime(runtime));

  /* Naive reference. */
  static float r1[BATCH * H1 * W1 * C1], rd[BATCH * H1 * W1 * C1], r2[BATCH * H1 * W1 * C2];
  reference_conv(input, BATCH, IN_H, IN_W, IN_C, w1, b1, C1, 3, 2, 1, r1, H1, W1);
  for (size_t i = 0; i < sizeof r1 / sizeof *r1; i++) r1[i] = clampf(r1[i], kClampMin, kClampMax);
  reference_depthwise(r1, BATCH, H1, W1, C1, wd, bd, rd);
  for (size_t i = 0; i < sizeof rd / sizeof *rd; i++) rd[i] = clampf(rd[i], kClampMin, kClampMax);
  reference_conv(rd, BATCH, H1, W1, C1, w2, b2, C2, 1, 1, 0, r2, H1, W1);

  double max_error = 0.0, max_magnitude = 0.0;
  for (int b = 0; b < BATCH; b++) {
    double pooled[C2];
    for (int c = 0; c < C2; c++) {
      double sum = 0.0;
      for (int p = 0; p < H1 * W1; p++) sum += r2[(b * H1 * W1 + p) * C2 + c];
      pooled[c] = sum / (H1 * W1);
    }
    for (int o = 0; o < CLASSES; o++) {
      double expected = bf[o];
      for (int c = 0; c < C2; c++) expected += pooled[c] * wf[o * C2 + c];
      const double got = output[b * CLASSES + o];
      const double error = fabs(got - expected);
      if (!(error <= max_error)) max_error = error; /* also catches NaN */
      if (fabs(expected) > max_magnitude) max_magnitude = fabs(expected);
    }
  }

  CHECK(xnn_delete_runtime(runtime));
  CHECK(xnn_delete_subgraph(graph));
  CHECK(xnn_deinitialize());

  const double tolerance = 1e-4 * (1.0 + max_magnitude);
  const int pass = max_error <= tolerance;
  printf(
      "xnnpack-smoke: conv3x3s2 + clamp, dw3x3 + relu6, conv1x1, mean(H,W), fc on %dx%dx%dx%d: "
      "max |error| %.3g (tolerance %.3g, max |output| %.3g)\n",
      BATCH, IN_H, IN_W, IN_C, max_error, tolerance, max_magnitude);
  printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
