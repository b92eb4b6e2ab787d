/* head_vector.h — the two float kernels the head's hot loops need, with wasm SIMD when built for
 * it (a plain C reduction would not vectorise without -ffast-math). */
#ifndef IMPRINT_HEAD_VECTOR_H
#define IMPRINT_HEAD_VECTOR_H

#include <stdint.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
static inline float head_dot(const float *a, const float *b, uint32_t n) {
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  acc0 = wasm_f32x4_add(acc0, acc1);
  float s = wasm_f32x4_extract_lane(acc0, 0) + wasm_f32x4_extract_lane(acc0, 1) + wasm_f32x4_extract_lane(acc0, 2) +
            wasm_f32x4_extract_lane(acc0, 3);
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}
#else
static inline float head_dot(const float *a, const float *b, uint32_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}
#endif

/* y += a * x (vectorises as plain C). */
static inline void head_axpy(float *y, float a, const float *x, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) y[i] += a * x[i];
}

#endif
