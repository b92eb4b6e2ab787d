/* xnnpack_unused.c — keeps the XNNPACK code imprint never runs out of the wasm core (download size).
 *
 * XNNPACK's operator code reaches its kernels through one "config" getter per datatype and operator
 * (xnn_init_f16_vadd_config, xnn_init_qs8_qc8w_gemm_config, ...), and its subgraph API picks the
 * operator with a switch on the datatype, so defining one node of a type links every datatype's
 * variant of it: float16, qs8, qu8... kernels that imprint never runs but a page would download.
 * The link of dist/imprint-core (and of the threads build and the gflops bench) passes
 * `-Wl,--wrap=NAME` for every getter named below (CMakeLists.txt reads the list from this file): the
 * calls go to the __wrap_ definitions here, which return NULL, the getters' own "this hardware has
 * no kernel for it" answer, and wasm-ld drops the real getters with the kernels only they reach.
 * The two reference-kernel getters (XNNPACK's portable C++ fallback, built for every datatype)
 * return NULL too: imprint's float32 ops all have a wasm SIMD config, so a wrapped config can
 * never be replaced by a silent slow fallback.
 *
 * Only getters no model file the loader accepts can reach are listed. src/backbone.c defines fp32
 * tensors only, apart from the int8 precision's qdint8 activations and qcint8 weights of full
 * convolutions (models/MODEL_FORMAT.md, `precision`), and passes no flags to xnn_create_runtime_v2,
 * so XNNPACK never rewrites the graph to float16 or to the NCHW layout. A NULL config is XNNPACK's
 * own answer for "no kernel for this on this hardware": most operators then refuse to be created
 * (the model is refused: "XNNPACK refused ..."), but some 8-bit ones only assert a config, which is
 * why reachability, not that answer, is what makes this safe. Checked: tests/model-ops.test.js (every
 * op and binary form), tests/int8.test.js and the fidelity tests run every op imprint defines, and a
 * run of them with every getter traced called only these, none of them listed: f32 avgpool, pavgpool,
 * clamp, dwconv, gemm, gemm_nr2, hswish, sigmoid, ibilinear, maxpool, rsum, rdsum, rmax, rminmax,
 * raddstoreexpminusmax, vadd, vmul, vsub, vmulcaddc, f32_to_qs8_cvt; qd8_f32_qc8w gemm; xx copy, fill
 * and pad; pf32 gemm (asked by every fully connected node, empty on wasm) and the hardware config.
 * f32 relu, transpose and x32 pack_lh are not listed either.
 *
 * A new op in the model format may need a getter listed here: remove it from the list (DEVELOPERS.md,
 * "Download size and XNNPACK's datatypes"). Only the wasm link wraps: the native build (tests/c)
 * links XNNPACK whole. */
#include <stddef.h>

#include "xnnpack/config.h"
#include "xnnpack/reference-config.h"

/* Declared with the getter's own type, so a getter XNNPACK renamed or removed fails to compile. */
#define IMPRINT_XNN_UNUSED_CONFIG(name)   \
  __typeof__(name()) __wrap_##name(void); \
  __typeof__(name()) __wrap_##name(void) { return NULL; }

/* float16: every tensor imprint defines is fp32 (or qdint8 / qcint8 for the int8 convolutions), and the
 * fp16 rewrite needs XNN_FLAG_HINT_FP16_INFERENCE or XNN_FLAG_FORCE_FP16_INFERENCE, never passed. */
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_abs_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_avgpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_clamp_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_cmul_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_conv_hwc2chw_3x3c3s2_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_dwconv2d_chw_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_dwconv_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_elu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_f32acc_rdsum_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_f32acc_rsum_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_hswish_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_ibilinear_chw_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_ibilinear_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_lrelu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_maxpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_neg_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_pavgpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_raddstoreexpminusmax_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_rmax_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_rminmax_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_rndd_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_rndne_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_rndu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_rndz_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_rsqrt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_sigmoid_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_spmm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_sqr_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_sqrt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_tanh_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_to_f32_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_to_qs8_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vadd_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vdiv_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vmax_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vmin_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vmul_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vmulcaddc_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vprelu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vsqrdiff_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f16_vsub_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_to_f16_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qd8_f16_qb4w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qd8_f16_qc4w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qd8_f16_qc8w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_to_f16_cvt_config)

/* 8-bit and 4-bit quantized types other than the int8 path's (qd8 x qc8w convolutions, f32 -> qd8). */
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_qc4w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_qc8w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_to_qp8_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_to_qu8_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qd8_f32_qb4w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qd8_f32_qc4w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qp8_f32_qb4w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qp8_f32_qc4w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_dwconv_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_lrelu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_qc8w_dwconv_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_qc8w_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_rdsum_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_rsum_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_to_f32_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_vadd_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qs8_vmul_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_avgpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_dwconv_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_gemm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_lrelu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_rdsum_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_rsum_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_to_f32_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_vadd_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_qu8_vmul_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_s32_to_f32_cvt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_s8_clamp_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_s8_ibilinear_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_s8_maxpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_u8_clamp_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_u8_ibilinear_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_u8_lut32norm_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_u8_maxpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_u8_rmax_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_x8_lut_config)

/* The NCHW layout: only the sparse-inference rewrite makes NCHW nodes, and only under
 * XNN_FLAG_HINT_SPARSE_INFERENCE, never passed. */
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_conv_hwc2chw_3x3c3s2_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_dwconv2d_chw_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_ibilinear_chw_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_spmm2_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_spmm4_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_spmm_config)

/* float32 operators no model file can express (MODEL_FORMAT.md ops), and layout kernels only those use. */
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_abs_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_argmaxpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_cmul_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_elu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_exp_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_gelu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_log_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_lrelu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_neg_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_rndd_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_rndne_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_rndu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_rndz_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_rsqrt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_sqr_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_sqrt_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_tanh_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_vcopysign_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_vdiv_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_vmax_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_vmin_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_vprelu_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_f32_vsqrdiff_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_x32_unpool_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_x32_zip_config)
IMPRINT_XNN_UNUSED_CONFIG(xnn_init_x8_zip_config)

/* The reference (portable C++) kernels, XNNPACK's fallback for a unary or binary op without a
 * config. */
__typeof__(xnn_init_unary_reference_config) __wrap_xnn_init_unary_reference_config;
const struct xnn_unary_elementwise_config *__wrap_xnn_init_unary_reference_config(enum xnn_unary_operator op,
                                                                                  enum xnn_datatype input_datatype,
                                                                                  enum xnn_datatype output_datatype) {
  (void)op;
  (void)input_datatype;
  (void)output_datatype;
  return NULL;
}

__typeof__(xnn_init_binary_reference_config) __wrap_xnn_init_binary_reference_config;
const struct xnn_binary_elementwise_config *__wrap_xnn_init_binary_reference_config(enum xnn_binary_operator op,
                                                                                    enum xnn_datatype datatype) {
  (void)op;
  (void)datatype;
  return NULL;
}
