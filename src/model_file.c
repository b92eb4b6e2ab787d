/* model_file.c — parse and validate an imprint model file (byte layout: models/MODEL_FORMAT.md).
 *
 * Every size, offset, index, name and shape is checked before the graph builder sees it; after
 * model_file_parse() returns IMPRINT_OK nothing in the model can make a reader index out of bounds
 * or build a graph with inconsistent shapes. All reads go through byte assembly (little-endian,
 * unaligned-safe; the loops over every weight load sixteen bytes at a time with memcpy on
 * little-endian machines), and all offset arithmetic is done in uint64_t against limits checked
 * first, so no sum can wrap. */
#include "model_file.h"

#include "byte_order.h"
#include "checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* GCC/Clang vector extensions for the loops over every weight: wasm SIMD in the core, SSE2 in the
 * native tests, one source. */
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef float f32x4 __attribute__((vector_size(16)));

/* Limits (documented in models/MODEL_FORMAT.md, "Validation"). Far above any real CNN, low enough that
 * no product of them overflows 64 bits and no activation exceeds what 32-bit wasm can hold. */
#define MAX_NODES 16384u
#define MAX_TENSORS 65536u
#define MAX_STRING_BYTES (16u << 20)
#define MAX_SPATIAL 16384u      /* height or width of any node output */
#define MAX_CHANNELS (1u << 20) /* channels of any node output */
#define MAX_ELEMENTS (1u << 28) /* elements of any node output or weight tensor */
#define MAX_WINDOW 1024u        /* kernel size and stride */
#define MAX_DILATION 64u
#define MAX_PAD 1024u

#define HEADER_UNKNOWN_THRESHOLD_AT 108u
#define HEADER_PRECISION_AT 112u
#define HEADER_RESERVED_AT 116u
#define TRAILER_BYTES 8u

static const char *const op_names[MODEL_OP_COUNT_] = {"INPUT",
                                                      "CONV2D",
                                                      "DEPTHWISE_CONV2D",
                                                      "BATCH_NORM",
                                                      "CLAMP",
                                                      "ZERO_PAD",
                                                      "ADD",
                                                      "CONCAT",
                                                      "MAX_POOL",
                                                      "AVG_POOL",
                                                      "GLOBAL_AVG_POOL",
                                                      "DENSE",
                                                      "SOFTMAX",
                                                      "FLATTEN",
                                                      "IDENTITY",
                                                      "MUL",
                                                      "SUB",
                                                      "HARD_SWISH",
                                                      "SIGMOID",
                                                      "RESIZE_BILINEAR",
                                                      "TRANSPOSE_CONV2D"};

const char *model_op_name(model_op op) { return (unsigned)op < MODEL_OP_COUNT_ ? op_names[op] : "unknown"; }

static const uint32_t dtype_bytes[3] = {4, 2, 1};

/* ---- errors ------------------------------------------------------------------------------- */

/* Every validation failure is MODEL_CORRUPT, with a sentence saying what is wrong where. */
#define CORRUPT(why, why_size, ...) explain(IMPRINT_ERR_MODEL_CORRUPT, why, why_size, __VA_ARGS__)

/* Names are printed at most this long in messages. */
#define NAME_SHOWN(len) ((int)((len) > 64u ? 64u : (len)))

/* ---- small helpers ------------------------------------------------------------------------ */

int model_clamp_is_none(float out_min, float out_max) { return out_min == -INFINITY && out_max == INFINITY; }

/* Output size of a sliding window; 0 when the window does not fit. */
static uint32_t window_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t dilation, uint32_t pad_a,
                           uint32_t pad_b) {
  uint32_t effective = (k - 1) * dilation + 1;
  uint32_t padded = in + pad_a + pad_b;
  if (padded < effective) return 0;
  return (padded - effective) / stride + 1;
}

/* IEEE 754 binary16 → binary32, exact for every input (subnormals, ±0, inf, NaN with its payload),
 * four at a time and without branches: a model's weights are mostly float16 and this runs over
 * every one of them at load. The half's exponent and mantissa, shifted into a float's, are the
 * value scaled by 2^-112 (a subnormal half becomes a subnormal float, still exact), so one multiply
 * by 2^112 rebiases normals and normalises subnormals; exponent 31 (inf, NaN) maps to 255 directly. */

static u32x4 halves_to_float_bits(u32x4 h) {
  u32x4 em = (h & 0x7FFFu) << 13;
  f32x4 f;
  memcpy(&f, &em, sizeof f);
  f *= 0x1p112f;
  u32x4 bits;
  memcpy(&bits, &f, sizeof bits);
  u32x4 inf_nan = (u32x4)((h & 0x7C00u) == 0x7C00u);
  bits = (bits & ~inf_nan) | ((em | 0x7F800000u) & inf_nan);
  return bits | (h & 0x8000u) << 16;
}

static void halves_to_floats(const uint8_t *p, size_t n, float *dst) {
  size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  typedef uint16_t u16x4 __attribute__((vector_size(8)));
  for (; i + 4 <= n; i += 4) {
    u16x4 h;
    memcpy(&h, p + 2 * i, sizeof h);
    u32x4 bits = halves_to_float_bits(__builtin_convertvector(h, u32x4));
    memcpy(dst + i, &bits, sizeof bits);
  }
#endif
  for (; i < n; i++) {
    u32x4 h = {le_get_u16(p + 2 * i), 0, 0, 0};
    u32x4 bits = halves_to_float_bits(h);
    memcpy(dst + i, &bits, sizeof(float));
  }
}

void model_tensor_to_f32(const model_tensor *t, float *dst) {
  const uint8_t *p = t->data;
  size_t n = t->element_count;
  switch (t->dtype) {
    case MODEL_DTYPE_F32:
      for (size_t i = 0; i < n; i++) dst[i] = le_get_f32(p + 4 * i);
      break;
    case MODEL_DTYPE_F16: halves_to_floats(p, n, dst); break;
    case MODEL_DTYPE_U8_AFFINE: {
      /* TF.js (tfjs-core io_utils decodeWeight) computes `q * scale + min` in double precision and
       * stores the result in a Float32Array; do the same, one rounding at the end. The product is a
       * separate statement so no compiler contracts it into an FMA. */
      double scale = t->q_scale, min = t->q_min;
      for (size_t i = 0; i < n; i++) {
        double product = (double)p[i] * scale;
        dst[i] = (float)(product + min);
      }
      break;
    }
  }
}

uint32_t model_file_find_node(const model_file *model, const char *name, size_t len) {
  for (uint32_t i = 0; i < model->node_count; i++) {
    const model_node *n = &model->nodes[i];
    if (n->name_len == len && memcmp(n->name, name, len) == 0) return i;
  }
  return MODEL_FILE_NONE;
}

void model_file_free(model_file *model) {
  if (!model) return;
  free(model->tensors);
  free(model->nodes);
  memset(model, 0, sizeof *model);
}

/* ---- validation --------------------------------------------------------------------------- */

typedef struct parse_ctx {
  const uint8_t *bytes;
  uint64_t strings_at, string_bytes, tensors_at, nodes_at, data_at, data_end; /* file offsets */
  model_file *m;
  char *why;
  size_t why_size;
} parse_ctx;

/* Resolves a (offset, len) string reference; `what` names the owner for the message. */
static imprint_status check_string(parse_ctx *c, uint32_t offset, uint32_t len, const char *what, uint32_t index,
                                   const char **out) {
  if (len == 0) return CORRUPT(c->why, c->why_size, "%s %u has an empty name", what, index);
  if ((uint64_t)offset + len > c->string_bytes)
    return CORRUPT(c->why, c->why_size, "%s %u name (offset %u, length %u) is outside the %llu-byte string table", what,
                   index, offset, len, (unsigned long long)c->string_bytes);
  const uint8_t *s = c->bytes + c->strings_at + offset;
  if (!utf8_valid((const char *)s, len))
    return CORRUPT(c->why, c->why_size, "%s %u name is not valid UTF-8", what, index);
  *out = (const char *)s;
  return IMPRINT_OK;
}

/* Sixteen bytes per step on a little-endian machine (wasm, x86; the weights are little-endian),
 * then element by element to the one found: this reads every weight at load. */
size_t model_first_not_finite(const uint8_t *p, size_t n, int f16) {
  size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  typedef uint16_t u16x8 __attribute__((vector_size(16)));
  size_t per_step = f16 ? 8 : 4;
  for (; i + per_step <= n; i += per_step) {
    uint64_t lanes[2];
    if (f16) {
      u16x8 v;
      memcpy(&v, p + 2 * i, sizeof v);
      u16x8 bad = (u16x8)((v & 0x7C00u) == 0x7C00u);
      memcpy(lanes, &bad, sizeof lanes);
    } else {
      u32x4 v;
      memcpy(&v, p + 4 * i, sizeof v);
      u32x4 bad = (u32x4)((v & 0x7F800000u) == 0x7F800000u);
      memcpy(lanes, &bad, sizeof lanes);
    }
    if (lanes[0] | lanes[1]) break;
  }
#endif
  for (; i < n; i++) {
    if (f16 ? (le_get_u16(p + 2 * i) & 0x7C00u) == 0x7C00u : (le_get_u32(p + 4 * i) & 0x7F800000u) == 0x7F800000u)
      return i;
  }
  return n;
}

static imprint_status check_values_finite(parse_ctx *c, uint32_t index) {
  const model_tensor *t = &c->m->tensors[index];
  if (t->dtype == MODEL_DTYPE_F32 || t->dtype == MODEL_DTYPE_F16) {
    size_t i = model_first_not_finite(t->data, t->element_count, t->dtype == MODEL_DTYPE_F16);
    if (i < t->element_count) return CORRUPT(c->why, c->why_size, "tensor %u: element %zu is not finite", index, i);
  } else {
    /* Largest and smallest dequantized values must be finite floats. */
    double lo = (double)t->q_min, hi = (double)t->q_scale * 255.0 + t->q_min;
    if (!isfinite((float)lo) || !isfinite((float)hi))
      return CORRUPT(c->why, c->why_size, "tensor %u: quantization range is not finite", index);
  }
  return IMPRINT_OK;
}

static imprint_status parse_tensor(parse_ctx *c, uint32_t i) {
  const uint8_t *r = c->bytes + c->tensors_at + (uint64_t)i * MODEL_FILE_TENSOR_RECORD_BYTES;
  model_tensor *t = &c->m->tensors[i];
  uint32_t dtype = le_get_u32(r), rank = le_get_u32(r + 4);
  uint64_t offset = le_get_u64(r + 24), data_bytes = le_get_u64(r + 32);
  if (dtype > MODEL_DTYPE_U8_AFFINE) return CORRUPT(c->why, c->why_size, "tensor %u: unknown dtype %u", i, dtype);
  if (rank < 1 || rank > 4) return CORRUPT(c->why, c->why_size, "tensor %u: rank %u is not 1..4", i, rank);
  uint64_t count = 1;
  for (uint32_t d = 0; d < 4; d++) {
    uint32_t dim = le_get_u32(r + 8 + 4 * d);
    if (d >= rank && dim != 1)
      return CORRUPT(c->why, c->why_size, "tensor %u: unused dimension %u is %u, not 1", i, d, dim);
    if (dim == 0) return CORRUPT(c->why, c->why_size, "tensor %u: dimension %u is 0", i, d);
    if (dim > MAX_ELEMENTS) return CORRUPT(c->why, c->why_size, "tensor %u: dimension %u is too large (%u)", i, d, dim);
    count *= dim; /* each factor ≤ 2^28 and count ≤ 2^28 below: no overflow */
    if (count > MAX_ELEMENTS)
      return CORRUPT(c->why, c->why_size, "tensor %u: more than %u elements", i, (unsigned)MAX_ELEMENTS);
    t->dims[d] = dim;
  }
  if (data_bytes != count * dtype_bytes[dtype])
    return CORRUPT(c->why, c->why_size, "tensor %u: %llu data bytes, expected %llu (%llu elements of %u bytes)", i,
                   (unsigned long long)data_bytes, (unsigned long long)(count * dtype_bytes[dtype]),
                   (unsigned long long)count, dtype_bytes[dtype]);
  if (offset % 16 != 0)
    return CORRUPT(c->why, c->why_size, "tensor %u: data offset %llu is not 16-byte aligned", i,
                   (unsigned long long)offset);
  if (offset < c->data_at || offset > c->data_end || data_bytes > c->data_end - offset)
    return CORRUPT(c->why, c->why_size, "tensor %u: data bytes %llu..%llu are outside the data region %llu..%llu", i,
                   (unsigned long long)offset, (unsigned long long)offset + data_bytes, (unsigned long long)c->data_at,
                   (unsigned long long)c->data_end);
  float q_min = le_get_f32(r + 40), q_scale = le_get_f32(r + 44);
  if (dtype == MODEL_DTYPE_U8_AFFINE) {
    if (!isfinite(q_min) || !isfinite(q_scale))
      return CORRUPT(c->why, c->why_size, "tensor %u: quantization min/scale not finite", i);
  } else if (q_min != 0.0f || q_scale != 0.0f) {
    return CORRUPT(c->why, c->why_size, "tensor %u: quantization fields must be 0 for a float tensor", i);
  }
  t->dtype = (model_dtype)dtype;
  t->rank = rank;
  t->element_count = (size_t)count;
  t->data = c->bytes + offset;
  t->q_min = q_min;
  t->q_scale = q_scale;
  return check_values_finite(c, i);
}

/* Node-level message prefix. */
#define NODE_FAIL(fmt, ...)                                                                          \
  CORRUPT(c->why, c->why_size, "node %u '%.*s' (%s): " fmt, index, NAME_SHOWN(n->name_len), n->name, \
          model_op_name(n->op), __VA_ARGS__)

/* Checks that tensor slot `slot` holds a tensor of `rank` with dims `want` (or NONE when allowed). */
static imprint_status check_tensor(parse_ctx *c, uint32_t index, const model_node *n, uint32_t slot, int required,
                                   uint32_t rank, const uint32_t *want) {
  uint32_t ti = n->tensors[slot];
  if (ti == MODEL_FILE_NONE) return required ? NODE_FAIL("tensor slot %u is required", slot) : IMPRINT_OK;
  const model_tensor *t = &c->m->tensors[ti];
  if (t->rank != rank) return NODE_FAIL("tensor %u in slot %u has rank %u, expected %u", ti, slot, t->rank, rank);
  for (uint32_t d = 0; d < rank; d++)
    if (t->dims[d] != want[d])
      return NODE_FAIL("tensor %u in slot %u has dimension %u = %u, expected %u", ti, slot, d, t->dims[d], want[d]);
  return IMPRINT_OK;
}

static imprint_status check_window(parse_ctx *c, uint32_t index, const model_node *n, int pooling, int dilation_one) {
  const uint32_t *ip = n->iparams;
  for (uint32_t k = 0; k < 4; k++)
    if (ip[k] < 1 || ip[k] > MAX_WINDOW)
      return NODE_FAIL("kernel/stride iparams[%u] = %u is not in 1..%u", k, ip[k], (unsigned)MAX_WINDOW);
  for (uint32_t k = 4; k < 6; k++) {
    if (ip[k] < 1 || ip[k] > MAX_DILATION)
      return NODE_FAIL("dilation iparams[%u] = %u is not in 1..%u", k, ip[k], (unsigned)MAX_DILATION);
    if ((pooling || dilation_one) && ip[k] != 1)
      return NODE_FAIL("dilation iparams[%u] = %u must be 1 for this op", k, ip[k]);
  }
  for (uint32_t k = 6; k < 10; k++) {
    if (ip[k] > MAX_PAD) return NODE_FAIL("padding iparams[%u] = %u exceeds %u", k, ip[k], (unsigned)MAX_PAD);
    /* A pooling window made only of padding has no value (and would divide by zero). */
    if (pooling && ip[k] >= ip[(k == 6 || k == 8) ? 0 : 1])
      return NODE_FAIL("padding iparams[%u] = %u is not smaller than the window", k, ip[k]);
  }
  return IMPRINT_OK;
}

static imprint_status check_node(parse_ctx *c, uint32_t index) {
  model_file *m = c->m;
  const model_node *n = &m->nodes[index];
  const uint32_t *ip = n->iparams;
  const float *fp = n->fparams;
  uint32_t in[MODEL_FILE_MAX_INPUTS][3];
  uint32_t out[3] = {0, 0, 0};
  uint32_t min_inputs = 1, max_inputs = 1;
  int uses_window = 0, uses_pads = 0, may_clamp = 0, max_tensor_slot = 0; /* slots 0..max-1 may be used */
  int uses_resize = 0;                                                    /* iparams[0..3]: out h, w, flags */

  switch (n->op) {
    case MODEL_OP_INPUT: min_inputs = max_inputs = 0; break;
    case MODEL_OP_CONV2D:
    case MODEL_OP_DEPTHWISE_CONV2D: uses_window = uses_pads = may_clamp = 1, max_tensor_slot = 2; break;
    case MODEL_OP_BATCH_NORM: max_tensor_slot = 4; break;
    case MODEL_OP_CLAMP: may_clamp = 1; break;
    case MODEL_OP_ZERO_PAD: uses_pads = 1; break;
    case MODEL_OP_ADD:
    case MODEL_OP_MUL:
    case MODEL_OP_SUB: min_inputs = 1, max_inputs = 2, max_tensor_slot = 1; break;
    case MODEL_OP_RESIZE_BILINEAR: uses_resize = 1; break;
    case MODEL_OP_TRANSPOSE_CONV2D: uses_window = uses_pads = may_clamp = 1, max_tensor_slot = 2; break;
    case MODEL_OP_CONCAT: min_inputs = 2, max_inputs = MODEL_FILE_MAX_INPUTS; break;
    case MODEL_OP_MAX_POOL:
    case MODEL_OP_AVG_POOL: uses_window = uses_pads = 1; break;
    case MODEL_OP_DENSE: may_clamp = 1, max_tensor_slot = 2; break;
    default: break;
  }

  /* Inputs: count within the op's limits, each an earlier node, unused slots NONE. */
  if (n->input_count < min_inputs || n->input_count > max_inputs)
    return NODE_FAIL("%u inputs, expected %u..%u", n->input_count, min_inputs, max_inputs);
  for (uint32_t k = 0; k < MODEL_FILE_MAX_INPUTS; k++) {
    uint32_t src = n->inputs[k];
    if (k >= n->input_count) {
      if (src != MODEL_FILE_NONE) return NODE_FAIL("unused input slot %u is %u, not NONE", k, src);
      continue;
    }
    if (src >= index) return NODE_FAIL("input %u refers to node %u, which is not an earlier node", k, src);
    memcpy(in[k], m->nodes[src].out_shape, sizeof in[k]);
  }

  /* Parameters this op does not use must be zero / NONE / "no clamp". */
  for (uint32_t k = 0; k < 10; k++) {
    int used = (k < 4 && uses_resize) || ((k < 6) ? uses_window : uses_pads);
    if (!used && ip[k] != 0) return NODE_FAIL("unused iparams[%u] is %u, not 0", k, ip[k]);
  }
  for (uint32_t k = 0; k < 4; k++) {
    uint32_t ti = n->tensors[k];
    if (ti == MODEL_FILE_NONE) continue;
    if ((int)k >= max_tensor_slot) return NODE_FAIL("tensor slot %u must be NONE", k);
    if (ti >= m->tensor_count) return NODE_FAIL("tensor slot %u refers to tensor %u of %u", k, ti, m->tensor_count);
  }
  if (isnan(fp[0]) || isnan(fp[1]) || fp[0] > fp[1] || fp[0] == INFINITY || fp[1] == -INFINITY)
    return NODE_FAIL("clamp range [%g, %g] is empty or NaN", (double)fp[0], (double)fp[1]);
  if (!may_clamp && !model_clamp_is_none(fp[0], fp[1]))
    return NODE_FAIL("%s", "this op cannot carry a clamp (fparams[0..1] must be -inf, +inf)");
  if (n->op == MODEL_OP_BATCH_NORM) {
    if (!(isfinite(fp[2]) && fp[2] > 0.0f))
      return NODE_FAIL("epsilon %g is not a positive finite number", (double)fp[2]);
  } else if (fp[2] != 0.0f) {
    return NODE_FAIL("unused fparams[2] is %g, not 0", (double)fp[2]);
  }
  if (uses_window) {
    imprint_status s = check_window(c, index, n, n->op == MODEL_OP_MAX_POOL || n->op == MODEL_OP_AVG_POOL,
                                    n->op == MODEL_OP_TRANSPOSE_CONV2D);
    if (s != IMPRINT_OK) return s;
  } else if (uses_pads) {
    for (uint32_t k = 6; k < 10; k++)
      if (ip[k] > MAX_PAD) return NODE_FAIL("padding iparams[%u] = %u exceeds %u", k, ip[k], (unsigned)MAX_PAD);
  }

  /* Shape inference, and the op's tensors against it. */
  switch (n->op) {
    case MODEL_OP_INPUT: out[0] = m->input_height, out[1] = m->input_width, out[2] = m->input_channels; break;
    case MODEL_OP_CONV2D:
    case MODEL_OP_DEPTHWISE_CONV2D: {
      uint32_t ti = n->tensors[0];
      imprint_status s;
      if (ti == MODEL_FILE_NONE) return NODE_FAIL("%s", "kernel tensor (slot 0) is required");
      const model_tensor *k = &m->tensors[ti];
      if (n->op == MODEL_OP_DEPTHWISE_CONV2D && (uint64_t)in[0][2] * k->dims[3] > MAX_CHANNELS)
        return NODE_FAIL("%s", "depth multiplier gives too many channels");
      uint32_t cout = n->op == MODEL_OP_CONV2D ? k->dims[3] : in[0][2] * k->dims[3];
      uint32_t want[4] = {ip[0], ip[1], in[0][2], k->dims[3]};
      if ((s = check_tensor(c, index, n, 0, 1, 4, want)) != IMPRINT_OK) return s;
      if ((s = check_tensor(c, index, n, 1, 0, 1, &cout)) != IMPRINT_OK) return s;
      out[0] = window_out(in[0][0], ip[0], ip[2], ip[4], ip[6], ip[8]);
      out[1] = window_out(in[0][1], ip[1], ip[3], ip[5], ip[7], ip[9]);
      out[2] = cout;
      if (!out[0] || !out[1]) return NODE_FAIL("%s", "kernel is larger than its padded input");
      break;
    }
    case MODEL_OP_BATCH_NORM: {
      imprint_status s;
      for (uint32_t slot = 0; slot < 4; slot++)
        if ((s = check_tensor(c, index, n, slot, slot >= 2, 1, &in[0][2])) != IMPRINT_OK) return s;
      memcpy(out, in[0], sizeof out);
      break;
    }
    case MODEL_OP_ZERO_PAD:
      out[0] = in[0][0] + ip[6] + ip[8], out[1] = in[0][1] + ip[7] + ip[9], out[2] = in[0][2];
      break;
    case MODEL_OP_ADD:
    case MODEL_OP_MUL:
    case MODEL_OP_SUB:
      if (n->input_count == 2) {
        /* The second input: the first's shape, or broadcast over h, w ([1,1,c]) or everything ([1,1,1]). */
        int same = memcmp(in[0], in[1], sizeof in[0]) == 0;
        int broadcast = in[1][0] == 1 && in[1][1] == 1 && (in[1][2] == in[0][2] || in[1][2] == 1);
        if (!same && !broadcast)
          return NODE_FAIL("second input %ux%ux%u is neither the first's shape %ux%ux%u nor 1x1x%u nor 1x1x1", in[1][0],
                           in[1][1], in[1][2], in[0][0], in[0][1], in[0][2], in[0][2]);
        if (n->tensors[0] != MODEL_FILE_NONE) return NODE_FAIL("%s", "two inputs and a constant tensor");
      } else {
        uint32_t ti = n->tensors[0];
        if (ti == MODEL_FILE_NONE) return NODE_FAIL("%s", "one input needs a constant tensor (slot 0)");
        const model_tensor *t = &m->tensors[ti];
        if (t->rank != 1 || (t->dims[0] != in[0][2] && t->dims[0] != 1))
          return NODE_FAIL("constant tensor %u is not [%u] or [1]", ti, in[0][2]);
      }
      memcpy(out, in[0], sizeof out);
      break;
    case MODEL_OP_RESIZE_BILINEAR:
      if (ip[0] < 1 || ip[0] > MAX_SPATIAL || ip[1] < 1 || ip[1] > MAX_SPATIAL)
        return NODE_FAIL("output size %ux%u is not within 1..%u", ip[0], ip[1], (unsigned)MAX_SPATIAL);
      if (ip[2] > 1 || ip[3] > 1 || (ip[2] && ip[3]))
        return NODE_FAIL("align_corners %u and half_pixel_centers %u: each 0 or 1, not both", ip[2], ip[3]);
      out[0] = ip[0], out[1] = ip[1], out[2] = in[0][2];
      break;
    case MODEL_OP_TRANSPOSE_CONV2D: {
      uint32_t ti = n->tensors[0];
      imprint_status s;
      if (ti == MODEL_FILE_NONE) return NODE_FAIL("%s", "kernel tensor (slot 0) is required");
      uint32_t cout = m->tensors[ti].dims[3];
      uint32_t want[4] = {ip[0], ip[1], in[0][2], cout};
      if ((s = check_tensor(c, index, n, 0, 1, 4, want)) != IMPRINT_OK) return s;
      if ((s = check_tensor(c, index, n, 1, 0, 1, &cout)) != IMPRINT_OK) return s;
      /* Full output (in - 1) * stride + k, then the crops; every term is bounded (in <= 2^14, stride,
       * k, crops <= 2^10), so the 64-bit arithmetic cannot wrap. */
      for (uint32_t axis = 0; axis < 2; axis++) {
        uint64_t full = ((uint64_t)in[0][axis] - 1) * ip[2 + axis] + ip[axis];
        uint64_t crop = (uint64_t)ip[6 + axis] + ip[8 + axis];
        if (crop >= full)
          return NODE_FAIL("crops %llu leave nothing of the %llu-pixel output", (unsigned long long)crop,
                           (unsigned long long)full);
        /* TensorFlow's outputs are never smaller than the stride (SAME gives in * stride), and
         * XNNPACK's strided deconvolution reads out of bounds on one that is. */
        if (full - crop < ip[2 + axis])
          return NODE_FAIL("output size %llu is smaller than its stride %u", (unsigned long long)(full - crop),
                           ip[2 + axis]);
        if (full - crop > MAX_SPATIAL)
          return NODE_FAIL("output size %llu exceeds %u", (unsigned long long)(full - crop), (unsigned)MAX_SPATIAL);
        out[axis] = (uint32_t)(full - crop);
      }
      out[2] = cout;
      break;
    }
    case MODEL_OP_CONCAT: {
      uint64_t channels = 0;
      for (uint32_t k = 0; k < n->input_count; k++) {
        if (in[k][0] != in[0][0] || in[k][1] != in[0][1])
          return NODE_FAIL("input %u is %ux%u, input 0 is %ux%u", k, in[k][0], in[k][1], in[0][0], in[0][1]);
        channels += in[k][2];
      }
      if (channels > MAX_CHANNELS) return NODE_FAIL("%llu channels", (unsigned long long)channels);
      out[0] = in[0][0], out[1] = in[0][1], out[2] = (uint32_t)channels;
      break;
    }
    case MODEL_OP_MAX_POOL:
    case MODEL_OP_AVG_POOL:
      out[0] = window_out(in[0][0], ip[0], ip[2], 1, ip[6], ip[8]);
      out[1] = window_out(in[0][1], ip[1], ip[3], 1, ip[7], ip[9]);
      out[2] = in[0][2];
      if (!out[0] || !out[1]) return NODE_FAIL("%s", "window is larger than its padded input");
      break;
    case MODEL_OP_GLOBAL_AVG_POOL: out[0] = 1, out[1] = 1, out[2] = in[0][2]; break;
    case MODEL_OP_DENSE: {
      imprint_status s;
      if (in[0][0] != 1 || in[0][1] != 1)
        return NODE_FAIL("input is %ux%ux%u, not flat (1x1xC)", in[0][0], in[0][1], in[0][2]);
      uint32_t ti = n->tensors[0];
      if (ti == MODEL_FILE_NONE) return NODE_FAIL("%s", "kernel tensor (slot 0) is required");
      uint32_t want[2] = {in[0][2], m->tensors[ti].dims[1]};
      if ((s = check_tensor(c, index, n, 0, 1, 2, want)) != IMPRINT_OK) return s;
      if ((s = check_tensor(c, index, n, 1, 0, 1, &want[1])) != IMPRINT_OK) return s;
      out[0] = 1, out[1] = 1, out[2] = want[1];
      break;
    }
    case MODEL_OP_FLATTEN: {
      uint64_t total = (uint64_t)in[0][0] * in[0][1] * in[0][2];
      if (total > MAX_CHANNELS)
        return NODE_FAIL("flattened size %llu exceeds %u", (unsigned long long)total, (unsigned)MAX_CHANNELS);
      out[0] = 1, out[1] = 1, out[2] = (uint32_t)total;
      break;
    }
    case MODEL_OP_CLAMP:
    case MODEL_OP_SOFTMAX:
    case MODEL_OP_HARD_SWISH:
    case MODEL_OP_SIGMOID:
    case MODEL_OP_IDENTITY: memcpy(out, in[0], sizeof out); break;
    default: return CORRUPT(c->why, c->why_size, "node %u: unknown op", index);
  }

  if (out[0] > MAX_SPATIAL || out[1] > MAX_SPATIAL || out[2] > MAX_CHANNELS ||
      (uint64_t)out[0] * out[1] * out[2] > MAX_ELEMENTS)
    return NODE_FAIL("output %ux%ux%u exceeds the size limits", out[0], out[1], out[2]);
  if (memcmp(out, n->out_shape, sizeof out) != 0)
    return NODE_FAIL("stored output shape %ux%ux%u differs from the computed %ux%ux%u", n->out_shape[0],
                     n->out_shape[1], n->out_shape[2], out[0], out[1], out[2]);
  return IMPRINT_OK;
}

typedef struct name_ref {
  const char *name;
  uint32_t len, node;
} name_ref;

static int compare_names(const void *a, const void *b) {
  const name_ref *x = a, *y = b;
  uint32_t len = x->len < y->len ? x->len : y->len;
  int r = memcmp(x->name, y->name, len);
  if (r) return r;
  return (x->len > y->len) - (x->len < y->len);
}

/* Names must be unique so model_file_find_node() and embedding layer names are unambiguous. */
static imprint_status check_unique_names(parse_ctx *c) {
  model_file *m = c->m;
  name_ref *refs = malloc(sizeof *refs * m->node_count);
  if (!refs) return IMPRINT_ERR_OUT_OF_MEMORY;
  for (uint32_t i = 0; i < m->node_count; i++) refs[i] = (name_ref){m->nodes[i].name, m->nodes[i].name_len, i};
  qsort(refs, m->node_count, sizeof *refs, compare_names);
  imprint_status s = IMPRINT_OK;
  for (uint32_t i = 1; i < m->node_count && s == IMPRINT_OK; i++)
    if (compare_names(&refs[i - 1], &refs[i]) == 0)
      s = CORRUPT(c->why, c->why_size, "nodes %u and %u share the name '%.*s'", refs[i - 1].node, refs[i].node,
                  NAME_SHOWN(refs[i].len), refs[i].name);
  free(refs);
  return s;
}

static imprint_status parse_node(parse_ctx *c, uint32_t i) {
  const uint8_t *r = c->bytes + c->nodes_at + (uint64_t)i * MODEL_FILE_NODE_RECORD_BYTES;
  model_node *n = &c->m->nodes[i];
  uint32_t op = le_get_u32(r);
  if (op >= MODEL_OP_COUNT_) return CORRUPT(c->why, c->why_size, "node %u: unknown op %u", i, op);
  n->op = (model_op)op;
  imprint_status s = check_string(c, le_get_u32(r + 4), le_get_u32(r + 8), "node", i, &n->name);
  if (s != IMPRINT_OK) return s;
  n->name_len = le_get_u32(r + 8);
  n->input_count = le_get_u32(r + 12);
  for (uint32_t k = 0; k < MODEL_FILE_MAX_INPUTS; k++) n->inputs[k] = le_get_u32(r + 16 + 4 * k);
  for (uint32_t k = 0; k < 10; k++) n->iparams[k] = le_get_u32(r + 48 + 4 * k);
  for (uint32_t k = 0; k < 3; k++) n->fparams[k] = le_get_f32(r + 88 + 4 * k);
  for (uint32_t k = 0; k < 4; k++) n->tensors[k] = le_get_u32(r + 100 + 4 * k);
  for (uint32_t k = 0; k < 3; k++) n->out_shape[k] = le_get_u32(r + 116 + 4 * k);
  if ((i == 0) != (n->op == MODEL_OP_INPUT))
    return CORRUPT(c->why, c->why_size, "node %u '%.*s' (%s): node 0, and only node 0, must be INPUT", i,
                   NAME_SHOWN(n->name_len), n->name, model_op_name(n->op));
  return check_node(c, i);
}

static imprint_status parse_header(parse_ctx *c) {
  const uint8_t *b = c->bytes;
  model_file *m = c->m;
  m->input_height = le_get_u32(b + 44);
  m->input_width = le_get_u32(b + 48);
  m->input_channels = le_get_u32(b + 52);
  if (m->input_height < 1 || m->input_height > MAX_SPATIAL || m->input_width < 1 || m->input_width > MAX_SPATIAL)
    return CORRUPT(c->why, c->why_size, "input size %ux%u is not within 1..%u", m->input_height, m->input_width,
                   (unsigned)MAX_SPATIAL);
  if (m->input_channels != 3) return CORRUPT(c->why, c->why_size, "input has %u channels, not 3", m->input_channels);
  for (uint32_t k = 0; k < 3; k++) {
    m->scale[k] = le_get_f32(b + 56 + 4 * k);
    m->bias[k] = le_get_f32(b + 68 + 4 * k);
    if (!isfinite(m->scale[k]) || !isfinite(m->bias[k]))
      return CORRUPT(c->why, c->why_size, "input scale/bias of channel %u is not finite", k);
  }
  uint32_t resize = le_get_u32(b + 80);
  if (resize > MODEL_RESIZE_AREA_THEN_BILINEAR) return CORRUPT(c->why, c->why_size, "unknown resize method %u", resize);
  m->resize = (model_resize)resize;
  m->colour_order = le_get_u32(b + 84);
  if (m->colour_order > 1) return CORRUPT(c->why, c->why_size, "unknown colour order %u", m->colour_order);
  m->embed_count = le_get_u32(b + 88);
  if (m->embed_count < 1 || m->embed_count > MODEL_FILE_MAX_EMBED)
    return CORRUPT(c->why, c->why_size, "embedding has %u layers, expected 1..%u", m->embed_count,
                   (unsigned)MODEL_FILE_MAX_EMBED);
  for (uint32_t k = 0; k < MODEL_FILE_MAX_EMBED; k++) m->embed_nodes[k] = le_get_u32(b + 92 + 4 * k);
  m->unknown_threshold = le_get_f32(b + HEADER_UNKNOWN_THRESHOLD_AT);
  if (!(m->unknown_threshold >= 0.0f && m->unknown_threshold < 1.0f))
    return CORRUPT(c->why, c->why_size, "unknown threshold is not in [0, 1)");
  m->precision = le_get_u32(b + HEADER_PRECISION_AT);
  if (m->precision > MODEL_PRECISION_INT8)
    return CORRUPT(c->why, c->why_size, "unknown compute precision %u", m->precision);
  for (uint32_t k = HEADER_RESERVED_AT; k < MODEL_FILE_HEADER_BYTES; k++)
    if (b[k] != 0) return CORRUPT(c->why, c->why_size, "reserved header byte %u is not zero", k);
  return IMPRINT_OK;
}

static imprint_status check_embedding(parse_ctx *c) {
  model_file *m = c->m;
  for (uint32_t k = 0; k < MODEL_FILE_MAX_EMBED; k++) {
    uint32_t node = m->embed_nodes[k];
    if (k >= m->embed_count) {
      if (node != MODEL_FILE_NONE)
        return CORRUPT(c->why, c->why_size, "unused embedding slot %u is %u, not NONE", k, node);
      continue;
    }
    if (node == 0 || node >= m->node_count)
      return CORRUPT(c->why, c->why_size, "embedding layer %u is node %u, not a node after the input (%u nodes)", k,
                     node, m->node_count);
    for (uint32_t j = 0; j < k; j++)
      if (m->embed_nodes[j] == node) return CORRUPT(c->why, c->why_size, "embedding lists node %u twice", node);
  }
  return IMPRINT_OK;
}

imprint_status model_file_parse(const uint8_t *bytes, size_t size, model_file *out, char *why, size_t why_size) {
  if (why && why_size) why[0] = '\0';
  if (!out || !bytes) {
    if (out) memset(out, 0, sizeof *out);
    return explain(IMPRINT_ERR_INVALID_ARGUMENT, why, why_size, "model_file_parse: %s is NULL", out ? "bytes" : "out");
  }
  memset(out, 0, sizeof *out);
  if (size < MODEL_FILE_HEADER_BYTES + TRAILER_BYTES)
    return CORRUPT(why, why_size, "file is %zu bytes, shorter than a header and trailer", size);
  if (memcmp(bytes, MODEL_FILE_MAGIC, 8) != 0) return CORRUPT(why, why_size, "not an imprint model file (bad magic)");
  uint32_t version = le_get_u32(bytes + 8);
  if (version != MODEL_FILE_VERSION)
    return CORRUPT(why, why_size, "model file version %u, this build reads version %u", version, MODEL_FILE_VERSION);
  if (le_get_u32(bytes + 12) != MODEL_FILE_HEADER_BYTES)
    return CORRUPT(why, why_size, "header size %u, expected %u", le_get_u32(bytes + 12), MODEL_FILE_HEADER_BYTES);
  uint64_t file_bytes = le_get_u64(bytes + 16);
  if (file_bytes != (uint64_t)size)
    return CORRUPT(why, why_size, "file is %zu bytes but its header says %llu (truncated or padded?)", size,
                   (unsigned long long)file_bytes);
  uint64_t stored = le_get_u64(bytes + size - TRAILER_BYTES);
  uint64_t hash = fnv1a64(bytes, size - TRAILER_BYTES);
  if (stored != hash)
    return CORRUPT(why, why_size, "checksum mismatch (stored %016llx, computed %016llx): the file is damaged",
                   (unsigned long long)stored, (unsigned long long)hash);

  parse_ctx c = {.bytes = bytes,
                 .strings_at = MODEL_FILE_HEADER_BYTES,
                 .string_bytes = le_get_u32(bytes + 24),
                 .data_end = size - TRAILER_BYTES,
                 .m = out,
                 .why = why,
                 .why_size = why_size};
  out->version = version;
  out->hash = hash;
  out->tensor_count = le_get_u32(bytes + 28);
  out->node_count = le_get_u32(bytes + 32);
  if (c.string_bytes % 16 != 0 || c.string_bytes > MAX_STRING_BYTES)
    return CORRUPT(why, why_size, "string table size %llu is not a multiple of 16 within %u",
                   (unsigned long long)c.string_bytes, (unsigned)MAX_STRING_BYTES);
  if (out->tensor_count > MAX_TENSORS)
    return CORRUPT(why, why_size, "%u tensors (limit %u)", out->tensor_count, (unsigned)MAX_TENSORS);
  if (out->node_count < 1 || out->node_count > MAX_NODES)
    return CORRUPT(why, why_size, "%u nodes (expected 1..%u)", out->node_count, (unsigned)MAX_NODES);
  /* All terms are bounded above, so these 64-bit sums cannot wrap. */
  c.tensors_at = c.strings_at + c.string_bytes;
  c.nodes_at = c.tensors_at + (uint64_t)out->tensor_count * MODEL_FILE_TENSOR_RECORD_BYTES;
  c.data_at = c.nodes_at + (uint64_t)out->node_count * MODEL_FILE_NODE_RECORD_BYTES;
  if (c.data_at > c.data_end)
    return CORRUPT(why, why_size, "tables need %llu bytes but the file has %zu",
                   (unsigned long long)c.data_at + TRAILER_BYTES, size);

  imprint_status s = parse_header(&c);
  if (s == IMPRINT_OK) s = check_string(&c, le_get_u32(bytes + 36), le_get_u32(bytes + 40), "model", 0, &out->name);
  if (s == IMPRINT_OK) {
    out->name_len = le_get_u32(bytes + 40);
    out->tensors = calloc(out->tensor_count ? out->tensor_count : 1, sizeof *out->tensors);
    out->nodes = calloc(out->node_count, sizeof *out->nodes);
    if (!out->tensors || !out->nodes) s = IMPRINT_ERR_OUT_OF_MEMORY;
  }
  for (uint32_t i = 0; s == IMPRINT_OK && i < out->tensor_count; i++) s = parse_tensor(&c, i);
  for (uint32_t i = 0; s == IMPRINT_OK && i < out->node_count; i++) s = parse_node(&c, i);
  if (s == IMPRINT_OK) s = check_unique_names(&c);
  if (s == IMPRINT_OK) s = check_embedding(&c);
  if (s != IMPRINT_OK) {
    if (s == IMPRINT_ERR_OUT_OF_MEMORY) explain(s, why, why_size, "out of memory reading the model");
    model_file_free(out);
  }
  return s;
}
