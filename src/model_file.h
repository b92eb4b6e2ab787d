/* model_file.h — the imprint model file: parsed, validated, read-only view.
 *
 * The byte layout is specified in models/MODEL_FORMAT.md. Everything here is produced by
 * model_file_parse(), which checks every size, offset, index and shape before returning, so
 * the graph builder can trust it. The parsed model points into the caller's file bytes
 * (no copy): keep the bytes alive while the model_file is in use. */
#ifndef IMPRINT_MODEL_FILE_H
#define IMPRINT_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint.h"

#define MODEL_FILE_MAGIC "IMPRMODL"
#define MODEL_FILE_VERSION 1u
#define MODEL_FILE_HEADER_BYTES 128u
#define MODEL_FILE_TENSOR_RECORD_BYTES 48u
#define MODEL_FILE_NODE_RECORD_BYTES 128u
#define MODEL_FILE_MAX_INPUTS 8u
#define MODEL_FILE_MAX_EMBED 4u
#define MODEL_FILE_NONE 0xFFFFFFFFu /* "no tensor" / "no node" */

typedef enum model_dtype {
  MODEL_DTYPE_F32 = 0,
  MODEL_DTYPE_F16 = 1,
  MODEL_DTYPE_U8_AFFINE = 2 /* value = q_min + q_scale * byte, as TF.js uint8 quantization */
} model_dtype;

typedef enum model_op {
  MODEL_OP_INPUT = 0,
  MODEL_OP_CONV2D = 1,           /* tensors: kernel [kh,kw,cin,cout] (Keras HWIO), bias [cout] or NONE */
  MODEL_OP_DEPTHWISE_CONV2D = 2, /* tensors: kernel [kh,kw,cin,mult], bias [cin*mult] or NONE */
  MODEL_OP_BATCH_NORM = 3,       /* tensors: gamma, beta (either may be NONE), mean, variance; fparams[2] = epsilon */
  MODEL_OP_CLAMP = 4,            /* ReLU, ReLU6, linear: out = min(max(x, out_min), out_max) */
  MODEL_OP_ZERO_PAD = 5,         /* iparams[6..9] = pad top, left, bottom, right */
  MODEL_OP_ADD = 6,              /* a binary op: see MODEL_OP_MUL */
  MODEL_OP_CONCAT = 7,           /* 2..8 inputs, same h,w, concatenated along channels */
  MODEL_OP_MAX_POOL = 8,         /* iparams: kh,kw,sh,sw,-,-,pads */
  MODEL_OP_AVG_POOL = 9,         /* padding excluded from the count (TensorFlow semantics) */
  MODEL_OP_GLOBAL_AVG_POOL = 10, /* out shape [1,1,c] */
  MODEL_OP_DENSE = 11,           /* input [1,1,cin]; tensors: kernel [cin,cout], bias [cout] or NONE */
  MODEL_OP_SOFTMAX = 12,         /* over channels */
  MODEL_OP_FLATTEN = 13,         /* [h,w,c] -> [1,1,h*w*c], row-major HWC */
  MODEL_OP_IDENTITY = 14,        /* dropout and other inference no-ops */
  /* Binary ops (ADD, MUL, SUB): two inputs, the second of the first's shape, [1,1,c] or [1,1,1]
   * (broadcast); or one input and a constant tensor [c] or [1] in slot 0. Output: the first's shape. */
  MODEL_OP_MUL = 15,
  MODEL_OP_SUB = 16,              /* first minus second (or minus the constant) */
  MODEL_OP_HARD_SWISH = 17,       /* x * min(max(x + 3, 0), 6) / 6 */
  MODEL_OP_SIGMOID = 18,          /* 1 / (1 + exp(-x)) */
  MODEL_OP_RESIZE_BILINEAR = 19,  /* iparams: out h, out w, align_corners, half_pixel_centers (TF) */
  MODEL_OP_TRANSPOSE_CONV2D = 20, /* iparams: kh,kw,sh,sw,1,1,crops; kernel [kh,kw,cin,cout], bias [cout] */
  MODEL_OP_COUNT_ = 21
} model_op;

typedef enum model_resize {
  MODEL_RESIZE_BILINEAR_ALIGN_CORNERS = 0, /* tf.image.resizeBilinear(alignCorners=true) */
  MODEL_RESIZE_BILINEAR_HALF_PIXEL = 1,    /* half-pixel centres */
  MODEL_RESIZE_AREA_THEN_BILINEAR = 2      /* box-filter down to <= 2x the target, then bilinear */
} model_resize;

typedef struct model_tensor {
  model_dtype dtype;
  uint32_t rank;        /* 1..4 */
  uint32_t dims[4];     /* unused dims are 1 */
  size_t element_count; /* product of dims */
  const uint8_t *data;  /* points into the file bytes; f32/f16 little-endian, unaligned-safe reads */
  float q_min, q_scale; /* only for MODEL_DTYPE_U8_AFFINE */
} model_tensor;

typedef struct model_node {
  model_op op;
  const char *name; /* NOT NUL-terminated: use name_len */
  uint32_t name_len;
  uint32_t input_count;
  uint32_t inputs[MODEL_FILE_MAX_INPUTS]; /* indices of earlier nodes */
  /* iparams: [0] kh, [1] kw, [2] stride h, [3] stride w, [4] dilation h, [5] dilation w,
   *          [6] pad top, [7] pad left, [8] pad bottom, [9] pad right */
  uint32_t iparams[10];
  /* fparams: [0] out_min, [1] out_max (fused clamp; -inf/+inf when linear), [2] epsilon */
  float fparams[3];
  uint32_t tensors[4];   /* indices into model_file.tensors or MODEL_FILE_NONE */
  uint32_t out_shape[3]; /* h, w, c — checked by the parser's own shape inference */
} model_node;

/* How the runtime computes the convolutions (header field `precision`). */
typedef enum model_precision {
  MODEL_PRECISION_F32 = 0, /* float32 throughout */
  MODEL_PRECISION_INT8 = 1 /* full convolutions in int8: activations quantized per image at run time (QD8),
                              weights per output channel (QC8W); everything else float32 */
} model_precision;

typedef struct model_file {
  uint32_t version;
  const char *name;
  uint32_t name_len;
  uint32_t input_height, input_width, input_channels; /* channels is 3 */
  float scale[3], bias[3];                            /* model input = pixel(0..255) * scale + bias */
  model_resize resize;
  uint32_t colour_order; /* 0 = RGB, 1 = BGR */
  uint32_t embed_count;
  uint32_t embed_nodes[MODEL_FILE_MAX_EMBED];
  float unknown_threshold; /* suggested head unknown threshold for this embedding; 0 = none */
  uint32_t precision;      /* model_precision */
  uint32_t tensor_count, node_count;
  model_tensor *tensors; /* owned (malloc) */
  model_node *nodes;     /* owned (malloc) */
  uint64_t hash;         /* FNV-1a 64 of every byte before the trailer; equals the trailer */
} model_file;

/* Parses and validates `bytes`. On success fills *out (free with model_file_free) and returns
 * IMPRINT_OK; on failure returns IMPRINT_ERR_MODEL_CORRUPT (or _OUT_OF_MEMORY) and writes a
 * human-readable reason into `why` (NUL-terminated, truncated to why_size). */
imprint_status model_file_parse(const uint8_t *bytes, size_t size, model_file *out, char *why, size_t why_size);
void model_file_free(model_file *model);

/* Dequantizes/converts tensor `t` into `dst` (t->element_count floats). */
void model_tensor_to_f32(const model_tensor *t, float *dst);

/* The index of the first of n little-endian floats at p (float16 if f16, else float32) that is inf
 * or NaN, or n when all are finite. The parser's check of every weight; exposed for its tests. */
size_t model_first_not_finite(const uint8_t *p, size_t n, int f16);

/* The op's name as models/MODEL_FORMAT.md spells it ("CONV2D"), for messages. */
const char *model_op_name(model_op op);

/* 1 when [out_min, out_max] is [-inf, +inf]: the op carries no clamp (a linear activation). */
int model_clamp_is_none(float out_min, float out_max);

/* Returns the node index whose name equals (name, len), or MODEL_FILE_NONE. */
uint32_t model_file_find_node(const model_file *model, const char *name, size_t len);

#endif
