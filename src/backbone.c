/* backbone.c — the model file's graph as XNNPACK subgraphs and runtimes (see backbone.h). */
#include "backbone.h"
#include "checks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

static int is_conv(model_op op) { return op == MODEL_OP_CONV2D || op == MODEL_OP_DEPTHWISE_CONV2D; }

imprint_status backbone_init(backbone *bb, const model_file *file, char *why, size_t why_size) {
  memset(bb, 0, sizeof *bb);
  uint32_t n = file->node_count;
  bb->file = file;
  bb->nodes = calloc(n, sizeof *bb->nodes);
  uint32_t *consumers = calloc(n, sizeof *consumers);
  if (!bb->nodes || !consumers) {
    free(bb->nodes);
    free(consumers);
    bb->nodes = NULL;
    return explain(IMPRINT_ERR_OUT_OF_MEMORY, why, why_size, "out of memory while resolving the model's graph");
  }
  for (uint32_t i = 0; i < n; i++) {
    const model_node *node = &file->nodes[i];
    for (uint32_t k = 0; k < node->input_count; k++) consumers[node->inputs[k]]++;
  }
  for (uint32_t i = 0; i < n; i++) {
    const model_node *node = &file->nodes[i];
    backbone_node *b = &bb->nodes[i];
    b->value_node = i;
    b->fused_into = MODEL_FILE_NONE;
    b->folded_bn = MODEL_FILE_NONE;
    b->input_node = node->input_count ? node->inputs[0] : MODEL_FILE_NONE;
    b->pad[0] = node->iparams[6];
    b->pad[1] = node->iparams[7];
    b->pad[2] = node->iparams[8];
    b->pad[3] = node->iparams[9];
    b->out_min = node->fparams[0];
    b->out_max = node->fparams[1];
    switch (node->op) {
      case MODEL_OP_IDENTITY: b->value_node = bb->nodes[node->inputs[0]].value_node; break;
      case MODEL_OP_FLATTEN: {
        const model_node *in = &file->nodes[node->inputs[0]];
        if (in->out_shape[0] == 1 && in->out_shape[1] == 1) b->value_node = bb->nodes[node->inputs[0]].value_node;
        break;
      }
      case MODEL_OP_CONV2D:
      case MODEL_OP_DEPTHWISE_CONV2D: {
        /* A zero-pad read only through convolutions becomes the convolution's own padding. */
        uint32_t in = node->inputs[0];
        if (file->nodes[in].op == MODEL_OP_ZERO_PAD) {
          const model_node *pad = &file->nodes[in];
          b->input_node = pad->inputs[0];
          for (int k = 0; k < 4; k++) b->pad[k] += pad->iparams[6 + k];
        }
        break;
      }
      case MODEL_OP_BATCH_NORM: {
        /* Folding is exact algebra: conv(x) * s + t with s = gamma / sqrt(var + eps) and
         * t = beta - mean * s becomes a convolution with weights w * s and bias b * s + t. It is
         * valid only when nothing else reads the convolution's own output and it has no activation. */
        uint32_t p = node->inputs[0];
        backbone_node *producer = &bb->nodes[p];
        if (is_conv(file->nodes[p].op) && producer->value_node == p && consumers[p] == 1 &&
            producer->folded_bn == MODEL_FILE_NONE && model_clamp_is_none(producer->out_min, producer->out_max)) {
          producer->folded_bn = i;
          producer->fused_into = i;
          producer->out_min = node->fparams[0];
          producer->out_max = node->fparams[1];
          b->value_node = p;
        }
        break;
      }
      default: break;
    }
  }
  free(consumers);
  return IMPRINT_OK;
}

/* Operators whose static weights XNNPACK packs into its own buffers when a runtime is created. */
static int weights_are_packed(model_op op) {
  return is_conv(op) || op == MODEL_OP_TRANSPOSE_CONV2D || op == MODEL_OP_DENSE;
}

static void free_node_weights(backbone_node *b) {
  free(b->weights);
  free(b->bias);
  free(b->shift);
  free(b->qweights);
  free(b->qscale);
  b->weights = b->bias = b->shift = b->qscale = NULL;
  b->qweights = NULL;
}

void backbone_free(backbone *bb) {
  if (!bb->nodes) return;
  for (uint32_t i = 0; i < bb->file->node_count; i++) free_node_weights(&bb->nodes[i]);
  free(bb->nodes);
  bb->nodes = NULL;
}

int backbone_node_readable(const backbone *bb, uint32_t index) {
  return index < bb->file->node_count && bb->nodes[index].fused_into == MODEL_FILE_NONE;
}

/* ----- weights ----------------------------------------------------------------------------- */

static float *tensor_floats(const model_file *file, uint32_t index) {
  const model_tensor *t = &file->tensors[index];
  float *dst = malloc(t->element_count * sizeof(float) + XNN_EXTRA_BYTES);
  if (dst) model_tensor_to_f32(t, dst);
  return dst;
}

/* Per-channel batch-norm scale and shift: y = x * scale + shift. Computed in double and rounded
 * once, so folding adds no error of its own beyond float32 rounding. */
static imprint_status batch_norm_affine(const model_file *file, const model_node *bn, uint32_t channels, double *scale,
                                        double *shift) {
  float *gamma = bn->tensors[0] != MODEL_FILE_NONE ? tensor_floats(file, bn->tensors[0]) : NULL;
  float *beta = bn->tensors[1] != MODEL_FILE_NONE ? tensor_floats(file, bn->tensors[1]) : NULL;
  float *mean = tensor_floats(file, bn->tensors[2]);
  float *variance = tensor_floats(file, bn->tensors[3]);
  imprint_status status = IMPRINT_OK;
  if ((bn->tensors[0] != MODEL_FILE_NONE && !gamma) || (bn->tensors[1] != MODEL_FILE_NONE && !beta) || !mean ||
      !variance) {
    status = IMPRINT_ERR_OUT_OF_MEMORY;
  } else {
    for (uint32_t c = 0; c < channels; c++) {
      /* TF.js evaluates x * rsqrt(var + eps) in float32; where a quantized variance dequantizes
       * to 0, eps alone sets the scale, which this reproduces. */
      double inv_std = 1.0 / sqrt((double)variance[c] + (double)bn->fparams[2]);
      double g = gamma ? gamma[c] : 1.0;
      scale[c] = g * inv_std;
      shift[c] = (beta ? beta[c] : 0.0) - (double)mean[c] * scale[c];
    }
  }
  free(gamma);
  free(beta);
  free(mean);
  free(variance);
  return status;
}

static imprint_status prepare_weights(backbone *bb, uint32_t index) {
  const model_file *file = bb->file;
  const model_node *node = &file->nodes[index];
  backbone_node *b = &bb->nodes[index];
  if (b->weights || b->bias) return IMPRINT_OK;
  imprint_status status = IMPRINT_OK;
  switch (node->op) {
    case MODEL_OP_CONV2D:
    case MODEL_OP_TRANSPOSE_CONV2D:
    case MODEL_OP_DEPTHWISE_CONV2D: {
      const model_tensor *k = &file->tensors[node->tensors[0]];
      uint32_t kh = k->dims[0], kw = k->dims[1], cin = k->dims[2], last = k->dims[3];
      uint32_t cout = node->op == MODEL_OP_DEPTHWISE_CONV2D ? cin * last : last;
      float *kernel = tensor_floats(file, node->tensors[0]);
      float *bias = calloc(cout, sizeof(float));
      double *scale = malloc(cout * sizeof(double)), *shift = malloc(cout * sizeof(double));
      float *weights = malloc((size_t)k->element_count * sizeof(float) + XNN_EXTRA_BYTES);
      if (!kernel || !bias || !scale || !shift || !weights) {
        status = IMPRINT_ERR_OUT_OF_MEMORY;
      } else {
        if (node->tensors[1] != MODEL_FILE_NONE) model_tensor_to_f32(&file->tensors[node->tensors[1]], bias);
        if (b->folded_bn != MODEL_FILE_NONE) {
          status = batch_norm_affine(file, &file->nodes[b->folded_bn], cout, scale, shift);
        } else {
          for (uint32_t c = 0; c < cout; c++) {
            scale[c] = 1.0;
            shift[c] = 0.0;
          }
        }
      }
      if (status == IMPRINT_OK) {
        if (node->op != MODEL_OP_DEPTHWISE_CONV2D) {
          /* Keras HWIO [kh][kw][cin][cout] -> XNNPACK OHWI [cout][kh][kw][cin] (the deconvolution's
           * filter layout is the convolution's). Read in the file's order, one output channel
           * apart in the destination: this runs over every weight at load, mostly before the wasm
           * engine has optimised it, so the inner loop is kept to a load, a multiply and a store. */
          size_t taps = (size_t)kh * kw * cin; /* one output channel's weights */
          const float *src = kernel;
          for (size_t tap = 0; tap < taps; tap++, src += cout) {
            float *dst = weights + tap;
            for (uint32_t o = 0; o < cout; o++, dst += taps) *dst = (float)(src[o] * scale[o]);
          }
        } else {
          /* Keras [kh][kw][cin][mult] and XNNPACK [1][kh][kw][cin*mult] share one order. */
          for (size_t e = 0; e < k->element_count; e += cout)
            for (uint32_t o = 0; o < cout; o++) weights[e + o] = (float)(kernel[e + o] * scale[o]);
        }
        for (uint32_t o = 0; o < cout; o++) bias[o] = (float)(bias[o] * scale[o] + shift[o]);
        b->weights = weights;
        b->bias = bias;
        weights = NULL;
        bias = NULL;
      }
      free(kernel);
      free(bias);
      free(scale);
      free(shift);
      free(weights);
      return status;
    }
    case MODEL_OP_BATCH_NORM: {
      uint32_t channels = node->out_shape[2];
      double *scale = malloc(channels * sizeof(double)), *shift = malloc(channels * sizeof(double));
      float *s = malloc(channels * sizeof(float) + XNN_EXTRA_BYTES);
      float *t = malloc(channels * sizeof(float) + XNN_EXTRA_BYTES);
      if (!scale || !shift || !s || !t) status = IMPRINT_ERR_OUT_OF_MEMORY;
      if (status == IMPRINT_OK) status = batch_norm_affine(file, node, channels, scale, shift);
      if (status == IMPRINT_OK) {
        for (uint32_t c = 0; c < channels; c++) {
          s[c] = (float)scale[c];
          t[c] = (float)shift[c];
        }
        b->bias = s;
        b->shift = t;
        s = t = NULL;
      }
      free(scale);
      free(shift);
      free(s);
      free(t);
      return status;
    }
    case MODEL_OP_DENSE: {
      const model_tensor *k = &file->tensors[node->tensors[0]];
      uint32_t cout = k->dims[1];
      float *weights = tensor_floats(file, node->tensors[0]);
      float *bias = calloc(cout + XNN_EXTRA_BYTES / sizeof(float), sizeof(float));
      if (!weights || !bias) {
        free(weights);
        free(bias);
        return IMPRINT_ERR_OUT_OF_MEMORY;
      }
      if (node->tensors[1] != MODEL_FILE_NONE) model_tensor_to_f32(&file->tensors[node->tensors[1]], bias);
      b->weights = weights;
      b->bias = bias;
      return IMPRINT_OK;
    }
    case MODEL_OP_ADD:
    case MODEL_OP_MUL:
    case MODEL_OP_SUB:
      if (node->input_count != 1) return IMPRINT_OK;
      /* One input: the second operand is the constant [c] or [1]. */
      b->weights = tensor_floats(file, node->tensors[0]);
      return b->weights ? IMPRINT_OK : IMPRINT_ERR_OUT_OF_MEMORY;
    default: return IMPRINT_OK;
  }
}

/* ----- graph -------------------------------------------------------------------------------- */

typedef struct graph_builder {
  backbone *bb;
  xnn_subgraph_t subgraph;
  uint32_t *value_id; /* per node: XNNPACK value id of its output, or XNN_INVALID_VALUE_ID */
  uint8_t *needed;
  uint32_t *qvalue_id; /* int8 precision, per node: the dynamically quantized copy of its output, if made */
  char *why;
  size_t why_size;
} graph_builder;

static imprint_status xnn_failed(graph_builder *g, enum xnn_status s, uint32_t node, const char *what) {
  const model_node *n = &g->bb->file->nodes[node];
  return explain(s == xnn_status_out_of_memory ? IMPRINT_ERR_OUT_OF_MEMORY : IMPRINT_ERR_BACKEND_FAILED, g->why,
                 g->why_size, "XNNPACK refused %s for layer '%.*s' (%s, status %d)", what, (int)n->name_len, n->name,
                 model_op_name(n->op), (int)s);
}

#define XNN_CHECK(call, node, what)                                         \
  do {                                                                      \
    enum xnn_status s_ = (call);                                            \
    if (s_ != xnn_status_success) return xnn_failed(g, s_, (node), (what)); \
  } while (0)

static uint32_t dependency_count(const backbone *bb, uint32_t v, uint32_t deps[MODEL_FILE_MAX_INPUTS]) {
  const model_node *node = &bb->file->nodes[v];
  if (is_conv(node->op)) {
    deps[0] = bb->nodes[v].input_node;
    return 1;
  }
  for (uint32_t k = 0; k < node->input_count; k++) deps[k] = node->inputs[k];
  return node->input_count;
}

/* Marks the producers needed to compute node n (iteratively: graphs can be deep). */
static imprint_status mark_needed(graph_builder *g, uint32_t n) {
  uint32_t count = g->bb->file->node_count;
  uint32_t *stack = malloc(sizeof(uint32_t) * (size_t)count * MODEL_FILE_MAX_INPUTS + sizeof(uint32_t));
  if (!stack) return IMPRINT_ERR_OUT_OF_MEMORY;
  size_t top = 0;
  stack[top++] = g->bb->nodes[n].value_node;
  while (top) {
    uint32_t v = stack[--top];
    if (g->needed[v]) continue;
    g->needed[v] = 1;
    uint32_t deps[MODEL_FILE_MAX_INPUTS];
    uint32_t d = dependency_count(g->bb, v, deps);
    for (uint32_t k = 0; k < d; k++) {
      uint32_t dv = g->bb->nodes[deps[k]].value_node;
      if (!g->needed[dv]) stack[top++] = dv;
    }
  }
  free(stack);
  return IMPRINT_OK;
}

static uint32_t value_of(const graph_builder *g, uint32_t node) { return g->value_id[g->bb->nodes[node].value_node]; }

static imprint_status define_static(graph_builder *g, uint32_t node, size_t rank, const size_t *dims, const float *data,
                                    uint32_t *id) {
  XNN_CHECK(xnn_define_tensor_value(g->subgraph, xnn_datatype_fp32, rank, dims, data, XNN_INVALID_VALUE_ID, 0, id),
            node, "a weight tensor");
  return IMPRINT_OK;
}

/* ----- int8 precision (MODEL_PRECISION_INT8) ------------------------------------------------ */

/* Quantizes a CONV2D's folded float weights (OHWI) symmetrically per output channel: scale =
 * max|w| / 127, q = round(w / scale) in [-127, 127]. The float copy is then released. */
static imprint_status quantize_conv_weights(backbone_node *b, uint32_t cout, size_t per_channel) {
  if (b->qweights) return IMPRINT_OK;
  int8_t *q = malloc((size_t)cout * per_channel + XNN_EXTRA_BYTES);
  float *scale = malloc(cout * sizeof(float) + XNN_EXTRA_BYTES);
  if (!q || !scale) {
    free(q);
    free(scale);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  for (uint32_t o = 0; o < cout; o++) {
    const float *w = b->weights + (size_t)o * per_channel;
    float max_abs = 0.0f;
    for (size_t i = 0; i < per_channel; i++) max_abs = fmaxf(max_abs, fabsf(w[i]));
    scale[o] = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
    for (size_t i = 0; i < per_channel; i++) {
      float r = nearbyintf(w[i] / scale[o]);
      q[(size_t)o * per_channel + i] = (int8_t)(r > 127.0f ? 127.0f : r < -127.0f ? -127.0f : r);
    }
  }
  b->qweights = q;
  b->qscale = scale;
  free(b->weights);
  b->weights = NULL;
  return IMPRINT_OK;
}

/* The dynamically quantized (QD8) copy of a node's float output: one scale and zero point per
 * image, computed by XNNPACK at run time from the tensor's range. Made once per producer. */
static imprint_status quantized_input(graph_builder *g, uint32_t consumer, uint32_t producer, uint32_t *id) {
  uint32_t p = g->bb->nodes[producer].value_node;
  if (g->qvalue_id[p] == XNN_INVALID_VALUE_ID) {
    const model_node *n = &g->bb->file->nodes[p];
    size_t shape[4] = {1, n->out_shape[0], n->out_shape[1], n->out_shape[2]};
    XNN_CHECK(xnn_define_dynamically_quantized_tensor_value(g->subgraph, xnn_datatype_qdint8, 4, 3, shape,
                                                            XNN_INVALID_VALUE_ID, 0, &g->qvalue_id[p]),
              consumer, "a quantized tensor");
    XNN_CHECK(xnn_define_unary(g->subgraph, xnn_unary_convert, NULL, g->value_id[p], g->qvalue_id[p], 0), consumer,
              "the dynamic quantization");
  }
  *id = g->qvalue_id[p];
  return IMPRINT_OK;
}

/* A full convolution as QD8 activations x QC8W weights with a float32 bias and output. */
static imprint_status define_conv_int8(graph_builder *g, uint32_t v) {
  const model_file *file = g->bb->file;
  const model_node *node = &file->nodes[v];
  backbone_node *b = &g->bb->nodes[v];
  const model_tensor *k = &file->tensors[node->tensors[0]];
  uint32_t kh = k->dims[0], kw = k->dims[1], cin = k->dims[2], cout = k->dims[3];
  imprint_status status = quantize_conv_weights(b, cout, (size_t)kh * kw * cin);
  if (status != IMPRINT_OK) return status;
  uint32_t input = XNN_INVALID_VALUE_ID, filter, bias; /* set by quantized_input() (gcc -O2 cannot tell) */
  if ((status = quantized_input(g, v, b->input_node, &input)) != IMPRINT_OK) return status;
  size_t filter_dims[4] = {cout, kh, kw, cin}, bias_dims[1] = {cout};
  XNN_CHECK(xnn_define_channelwise_quantized_tensor_value(g->subgraph, xnn_datatype_qcint8, b->qscale, 4, 0,
                                                          filter_dims, b->qweights, XNN_INVALID_VALUE_ID, 0, &filter),
            v, "a quantized weight tensor");
  if ((status = define_static(g, v, 1, bias_dims, b->bias, &bias)) != IMPRINT_OK) return status;
  XNN_CHECK(xnn_define_convolution_2d(g->subgraph, b->pad[0], b->pad[3], b->pad[2], b->pad[1], kh, kw, node->iparams[2],
                                      node->iparams[3], node->iparams[4], node->iparams[5], 1, cin, cout, b->out_min,
                                      b->out_max, input, filter, bias, g->value_id[v], 0),
            v, "the int8 convolution");
  return IMPRINT_OK;
}

/* ----- graph nodes -------------------------------------------------------------------------- */

static imprint_status define_node(graph_builder *g, uint32_t v) {
  const model_file *file = g->bb->file;
  const model_node *node = &file->nodes[v];
  backbone_node *b = &g->bb->nodes[v];
  uint32_t out = g->value_id[v];
  imprint_status status = prepare_weights(g->bb, v);
  if (status != IMPRINT_OK) return status;
  if (node->op == MODEL_OP_CONV2D && file->precision == MODEL_PRECISION_INT8) return define_conv_int8(g, v);
  switch (node->op) {
    case MODEL_OP_INPUT: return IMPRINT_OK;
    case MODEL_OP_CONV2D:
    case MODEL_OP_DEPTHWISE_CONV2D: {
      const model_tensor *k = &file->tensors[node->tensors[0]];
      uint32_t kh = k->dims[0], kw = k->dims[1], cin = k->dims[2], last = k->dims[3];
      uint32_t filter, bias;
      if (node->op == MODEL_OP_CONV2D) {
        size_t filter_dims[4] = {last, kh, kw, cin}, bias_dims[1] = {last};
        if ((status = define_static(g, v, 4, filter_dims, b->weights, &filter)) != IMPRINT_OK) return status;
        if ((status = define_static(g, v, 1, bias_dims, b->bias, &bias)) != IMPRINT_OK) return status;
        XNN_CHECK(
            xnn_define_convolution_2d(g->subgraph, b->pad[0], b->pad[3], b->pad[2], b->pad[1], kh, kw, node->iparams[2],
                                      node->iparams[3], node->iparams[4], node->iparams[5], 1, cin, last, b->out_min,
                                      b->out_max, value_of(g, b->input_node), filter, bias, out, 0),
            v, "the convolution");
      } else {
        size_t filter_dims[4] = {1, kh, kw, (size_t)cin * last}, bias_dims[1] = {(size_t)cin * last};
        if ((status = define_static(g, v, 4, filter_dims, b->weights, &filter)) != IMPRINT_OK) return status;
        if ((status = define_static(g, v, 1, bias_dims, b->bias, &bias)) != IMPRINT_OK) return status;
        XNN_CHECK(xnn_define_depthwise_convolution_2d(g->subgraph, b->pad[0], b->pad[3], b->pad[2], b->pad[1], kh, kw,
                                                      node->iparams[2], node->iparams[3], node->iparams[4],
                                                      node->iparams[5], last, cin, b->out_min, b->out_max,
                                                      value_of(g, b->input_node), filter, bias, out, 0),
                  v, "the depthwise convolution");
      }
      return IMPRINT_OK;
    }
    case MODEL_OP_BATCH_NORM: {
      /* Not foldable: y = x * scale + shift, broadcast over channels. */
      size_t dims[1] = {node->out_shape[2]};
      size_t shape[4] = {1, node->out_shape[0], node->out_shape[1], node->out_shape[2]};
      uint32_t scale, shift, scaled;
      if ((status = define_static(g, v, 1, dims, b->bias, &scale)) != IMPRINT_OK) return status;
      if ((status = define_static(g, v, 1, dims, b->shift, &shift)) != IMPRINT_OK) return status;
      XNN_CHECK(
          xnn_define_tensor_value(g->subgraph, xnn_datatype_fp32, 4, shape, NULL, XNN_INVALID_VALUE_ID, 0, &scaled), v,
          "an intermediate tensor");
      struct xnn_binary_params linear = {-INFINITY, INFINITY};
      struct xnn_binary_params clamp = {b->out_min, b->out_max};
      XNN_CHECK(
          xnn_define_binary(g->subgraph, xnn_binary_multiply, &linear, value_of(g, node->inputs[0]), scale, scaled, 0),
          v, "the batch-norm scale");
      XNN_CHECK(xnn_define_binary(g->subgraph, xnn_binary_add, &clamp, scaled, shift, out, 0), v,
                "the batch-norm shift");
      return IMPRINT_OK;
    }
    case MODEL_OP_CLAMP: {
      if (model_clamp_is_none(b->out_min, b->out_max)) {
        XNN_CHECK(xnn_define_copy(g->subgraph, value_of(g, node->inputs[0]), out, 0), v, "the copy");
      } else {
        union xnn_unary_params params;
        params.clamp.min = b->out_min;
        params.clamp.max = b->out_max;
        XNN_CHECK(xnn_define_unary(g->subgraph, xnn_unary_clamp, &params, value_of(g, node->inputs[0]), out, 0), v,
                  "the clamp");
      }
      return IMPRINT_OK;
    }
    case MODEL_OP_ZERO_PAD: {
      size_t pre[4] = {0, node->iparams[6], node->iparams[7], 0};
      size_t post[4] = {0, node->iparams[8], node->iparams[9], 0};
      XNN_CHECK(xnn_define_static_constant_pad(g->subgraph, pre, post, 0.0f, value_of(g, node->inputs[0]), out, 0), v,
                "the zero padding");
      return IMPRINT_OK;
    }
    case MODEL_OP_ADD:
    case MODEL_OP_MUL:
    case MODEL_OP_SUB: {
      /* The second operand has the first's shape, or [1,1,1,c] / [1,1,1,1] (XNNPACK broadcasts it
       * over the missing or unit dimensions), or is a static [c] / [1] constant. */
      enum xnn_binary_operator op = node->op == MODEL_OP_ADD   ? xnn_binary_add
                                    : node->op == MODEL_OP_MUL ? xnn_binary_multiply
                                                               : xnn_binary_subtract;
      uint32_t second;
      if (node->input_count == 2) {
        second = value_of(g, node->inputs[1]);
      } else {
        size_t dims[1] = {file->tensors[node->tensors[0]].dims[0]};
        if ((status = define_static(g, v, 1, dims, b->weights, &second)) != IMPRINT_OK) return status;
      }
      struct xnn_binary_params params = {-INFINITY, INFINITY};
      XNN_CHECK(xnn_define_binary(g->subgraph, op, &params, value_of(g, node->inputs[0]), second, out, 0), v,
                "the element-wise op");
      return IMPRINT_OK;
    }
    case MODEL_OP_HARD_SWISH:
    case MODEL_OP_SIGMOID:
      XNN_CHECK(xnn_define_unary(g->subgraph, node->op == MODEL_OP_HARD_SWISH ? xnn_unary_hardswish : xnn_unary_sigmoid,
                                 NULL, value_of(g, node->inputs[0]), out, 0),
                v, "the activation");
      return IMPRINT_OK;
    case MODEL_OP_RESIZE_BILINEAR: {
      /* TensorFlow's three modes: align corners, half-pixel centres, or neither (legacy). */
      uint32_t flags = node->iparams[2]   ? XNN_FLAG_ALIGN_CORNERS
                       : node->iparams[3] ? 0
                                          : XNN_FLAG_TENSORFLOW_LEGACY_MODE;
      XNN_CHECK(xnn_define_static_resize_bilinear_2d(g->subgraph, node->iparams[0], node->iparams[1],
                                                     value_of(g, node->inputs[0]), out, flags),
                v, "the bilinear resize");
      return IMPRINT_OK;
    }
    case MODEL_OP_TRANSPOSE_CONV2D: {
      /* The file's crops are XNNPACK's deconvolution padding: both drop rows and columns of the full
       * (in - 1) * stride + k output. */
      const model_tensor *k = &file->tensors[node->tensors[0]];
      uint32_t kh = k->dims[0], kw = k->dims[1], cin = k->dims[2], cout = k->dims[3];
      size_t filter_dims[4] = {cout, kh, kw, cin}, bias_dims[1] = {cout};
      uint32_t filter, bias;
      if ((status = define_static(g, v, 4, filter_dims, b->weights, &filter)) != IMPRINT_OK) return status;
      if ((status = define_static(g, v, 1, bias_dims, b->bias, &bias)) != IMPRINT_OK) return status;
      XNN_CHECK(xnn_define_deconvolution_2d(g->subgraph, b->pad[0], b->pad[3], b->pad[2], b->pad[1], 0, 0, kh, kw,
                                            node->iparams[2], node->iparams[3], 1, 1, 1, cin, cout, b->out_min,
                                            b->out_max, value_of(g, node->inputs[0]), filter, bias, out, 0),
                v, "the transposed convolution");
      return IMPRINT_OK;
    }
    case MODEL_OP_CONCAT: {
      /* XNNPACK concatenates up to 5 tensors at once; longer lists are joined in steps. */
      uint32_t acc = value_of(g, node->inputs[0]);
      uint32_t acc_channels = file->nodes[node->inputs[0]].out_shape[2];
      uint32_t next = 1;
      while (next < node->input_count) {
        uint32_t take = node->input_count - next;
        if (take > 4) take = 4;
        uint32_t ids[5] = {acc, 0, 0, 0, 0};
        uint32_t channels = acc_channels;
        for (uint32_t k = 0; k < take; k++) {
          ids[k + 1] = value_of(g, node->inputs[next + k]);
          channels += file->nodes[node->inputs[next + k]].out_shape[2];
        }
        next += take;
        uint32_t dst = out;
        if (next < node->input_count) {
          size_t shape[4] = {1, node->out_shape[0], node->out_shape[1], channels};
          XNN_CHECK(
              xnn_define_tensor_value(g->subgraph, xnn_datatype_fp32, 4, shape, NULL, XNN_INVALID_VALUE_ID, 0, &dst), v,
              "an intermediate tensor");
        }
        enum xnn_status s;
        switch (take) {
          case 1: s = xnn_define_concatenate2(g->subgraph, 3, ids[0], ids[1], dst, 0); break;
          case 2: s = xnn_define_concatenate3(g->subgraph, 3, ids[0], ids[1], ids[2], dst, 0); break;
          case 3: s = xnn_define_concatenate4(g->subgraph, 3, ids[0], ids[1], ids[2], ids[3], dst, 0); break;
          default: s = xnn_define_concatenate5(g->subgraph, 3, ids[0], ids[1], ids[2], ids[3], ids[4], dst, 0); break;
        }
        if (s != xnn_status_success) return xnn_failed(g, s, v, "the concatenation");
        acc = dst;
        acc_channels = channels;
      }
      return IMPRINT_OK;
    }
    case MODEL_OP_MAX_POOL:
      XNN_CHECK(xnn_define_max_pooling_2d(g->subgraph, b->pad[0], b->pad[3], b->pad[2], b->pad[1], node->iparams[0],
                                          node->iparams[1], node->iparams[2], node->iparams[3], 1, 1, b->out_min,
                                          b->out_max, value_of(g, node->inputs[0]), out, 0),
                v, "the max pooling");
      return IMPRINT_OK;
    case MODEL_OP_AVG_POOL:
      /* XNNPACK divides by the number of pixels inside the image, as TensorFlow does. */
      XNN_CHECK(xnn_define_average_pooling_2d(g->subgraph, b->pad[0], b->pad[3], b->pad[2], b->pad[1], node->iparams[0],
                                              node->iparams[1], node->iparams[2], node->iparams[3], b->out_min,
                                              b->out_max, value_of(g, node->inputs[0]), out, 0),
                v, "the average pooling");
      return IMPRINT_OK;
    case MODEL_OP_GLOBAL_AVG_POOL: {
      size_t axes[2] = {1, 2};
      XNN_CHECK(xnn_define_static_reduce(g->subgraph, xnn_reduce_mean, 2, axes, value_of(g, node->inputs[0]), out,
                                         XNN_FLAG_KEEP_DIMS),
                v, "the global average pooling");
      return IMPRINT_OK;
    }
    case MODEL_OP_DENSE: {
      const model_tensor *k = &file->tensors[node->tensors[0]];
      size_t filter_dims[2] = {k->dims[0], k->dims[1]}, bias_dims[1] = {k->dims[1]};
      uint32_t filter, bias;
      if ((status = define_static(g, v, 2, filter_dims, b->weights, &filter)) != IMPRINT_OK) return status;
      if ((status = define_static(g, v, 1, bias_dims, b->bias, &bias)) != IMPRINT_OK) return status;
      XNN_CHECK(xnn_define_fully_connected(g->subgraph, b->out_min, b->out_max, value_of(g, node->inputs[0]), filter,
                                           bias, out, XNN_FLAG_TRANSPOSE_WEIGHTS),
                v, "the dense layer");
      return IMPRINT_OK;
    }
    case MODEL_OP_SOFTMAX:
      XNN_CHECK(xnn_define_softmax(g->subgraph, value_of(g, node->inputs[0]), out, 0), v, "the softmax");
      return IMPRINT_OK;
    case MODEL_OP_FLATTEN: {
      size_t shape[4] = {1, 1, 1, node->out_shape[2]};
      XNN_CHECK(xnn_define_static_reshape(g->subgraph, 4, shape, value_of(g, node->inputs[0]), out, 0), v,
                "the flatten");
      return IMPRINT_OK;
    }
    default: return xnn_failed(g, xnn_status_unsupported_parameter, v, "an unknown op");
  }
}

imprint_status backbone_runtime_create(backbone *bb, const uint32_t *nodes, uint32_t count, float *input,
                                       backbone_runtime *out, char *why, size_t why_size) {
  memset(out, 0, sizeof *out);
  if (count == 0 || count > BACKBONE_MAX_OUTPUTS) return IMPRINT_ERR_INVALID_ARGUMENT;
  const model_file *file = bb->file;
  for (uint32_t k = 0; k < count; k++)
    if (!backbone_node_readable(bb, nodes[k])) return IMPRINT_ERR_UNKNOWN_LAYER;

  enum xnn_status s = xnn_initialize(NULL);
  if (s != xnn_status_success)
    return explain(IMPRINT_ERR_BACKEND_FAILED, why, why_size, "XNNPACK failed to initialise (status %d)", (int)s);
  graph_builder builder = {bb, NULL, NULL, NULL, NULL, why, why_size};
  graph_builder *g = &builder;
  imprint_status status = IMPRINT_OK;
  builder.value_id = malloc(sizeof(uint32_t) * file->node_count);
  builder.needed = calloc(file->node_count, 1);
  builder.qvalue_id = malloc(sizeof(uint32_t) * file->node_count);
  if (!builder.value_id || !builder.needed || !builder.qvalue_id) {
    status = IMPRINT_ERR_OUT_OF_MEMORY;
    goto done;
  }
  for (uint32_t i = 0; i < file->node_count; i++) builder.value_id[i] = builder.qvalue_id[i] = XNN_INVALID_VALUE_ID;
  for (uint32_t k = 0; k < count && status == IMPRINT_OK; k++) status = mark_needed(g, nodes[k]);
  if (status != IMPRINT_OK) goto done;

  /* External ids: 0 is the image, 1..count the pooled outputs. */
  s = xnn_create_subgraph(1 + count, 0, &builder.subgraph);
  if (s != xnn_status_success) {
    status = xnn_failed(g, s, 0, "to create a subgraph");
    goto done;
  }
  for (uint32_t v = 0; v < file->node_count && status == IMPRINT_OK; v++) {
    if (!builder.needed[v] || bb->nodes[v].value_node != v) continue;
    const model_node *node = &file->nodes[v];
    size_t shape[4] = {1, node->out_shape[0], node->out_shape[1], node->out_shape[2]};
    int is_input = node->op == MODEL_OP_INPUT;
    s = xnn_define_tensor_value(builder.subgraph, xnn_datatype_fp32, 4, shape, NULL,
                                is_input ? 0 : XNN_INVALID_VALUE_ID, is_input ? XNN_VALUE_FLAG_EXTERNAL_INPUT : 0,
                                &builder.value_id[v]);
    if (s != xnn_status_success) status = xnn_failed(g, s, v, "a tensor");
  }
  for (uint32_t v = 0; v < file->node_count && status == IMPRINT_OK; v++) {
    if (builder.needed[v] && bb->nodes[v].value_node == v) status = define_node(g, v);
  }
  for (uint32_t k = 0; k < count && status == IMPRINT_OK; k++) {
    const model_node *node = &file->nodes[nodes[k]];
    uint32_t channels = node->out_shape[2];
    size_t shape[4] = {1, 1, 1, channels};
    uint32_t pooled;
    out->nodes[k] = nodes[k];
    out->channels[k] = channels;
    out->outputs[k] = malloc(channels * sizeof(float) + XNN_EXTRA_BYTES);
    if (!out->outputs[k]) {
      status = IMPRINT_ERR_OUT_OF_MEMORY;
      break;
    }
    out->output_count = k + 1;
    s = xnn_define_tensor_value(builder.subgraph, xnn_datatype_fp32, 4, shape, NULL, 1 + k,
                                XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &pooled);
    if (s != xnn_status_success) {
      status = xnn_failed(g, s, nodes[k], "the pooled output");
      break;
    }
    size_t axes[2] = {1, 2};
    s = xnn_define_static_reduce(builder.subgraph, xnn_reduce_mean, 2, axes, value_of(g, nodes[k]), pooled,
                                 XNN_FLAG_KEEP_DIMS);
    if (s != xnn_status_success) status = xnn_failed(g, s, nodes[k], "the output pooling");
  }
  if (status != IMPRINT_OK) goto done;

  xnn_runtime_t runtime = NULL;
  s = xnn_create_runtime_v2(builder.subgraph, (pthreadpool_t)backbone_threadpool(), 0, &runtime);
  if (s != xnn_status_success) {
    status = xnn_failed(g, s, nodes[0], "the runtime");
    goto done;
  }
  out->runtime = runtime;
  /* XNNPACK packed the static weights of the convolutions and dense layers into the runtime when it
   * created it, and reads only its packed copy from now on: the float copies go (a later runtime
   * makes them again with prepare_weights()). This keeps a model's weights once in memory, not
   * twice. The constant operands of ADD, MUL and SUB and an unfolded batch norm's scale and shift
   * are read at every run and stay. */
  for (uint32_t v = 0; v < file->node_count; v++)
    if (builder.needed[v] && bb->nodes[v].value_node == v && weights_are_packed(file->nodes[v].op))
      free_node_weights(&bb->nodes[v]);
  struct xnn_external_value externals[1 + BACKBONE_MAX_OUTPUTS];
  externals[0].id = 0;
  externals[0].data = input;
  for (uint32_t k = 0; k < count; k++) {
    externals[1 + k].id = 1 + k;
    externals[1 + k].data = out->outputs[k];
  }
  s = xnn_reshape_runtime(runtime);
  if (s == xnn_status_success) s = xnn_setup_runtime_v2(runtime, 1 + count, externals);
  if (s != xnn_status_success) status = xnn_failed(g, s, nodes[0], "to set up the runtime");

done:
  if (builder.subgraph) xnn_delete_subgraph(builder.subgraph);
  free(builder.value_id);
  free(builder.needed);
  free(builder.qvalue_id);
  if (status != IMPRINT_OK) backbone_runtime_free(out);
  return status;
}

imprint_status backbone_run(backbone_runtime *rt) {
  enum xnn_status s = xnn_invoke_runtime((xnn_runtime_t)rt->runtime);
  return s == xnn_status_success ? IMPRINT_OK : IMPRINT_ERR_BACKEND_FAILED;
}

void backbone_runtime_free(backbone_runtime *rt) {
  if (rt->runtime) xnn_delete_runtime((xnn_runtime_t)rt->runtime);
  for (uint32_t k = 0; k < BACKBONE_MAX_OUTPUTS; k++) free(rt->outputs[k]);
  memset(rt, 0, sizeof *rt);
}
