/* backbone.h — the model file's graph as XNNPACK runtimes.
 *
 * backbone_init() resolves the graph once: batch norm folded into the convolution before it, zero
 * padding merged into the convolution after it, no-op layers aliased to their input. Weights are
 * expanded to float (and folded) when a runtime is built; those XNNPACK packs into the runtime
 * (convolutions, dense layers) are released once it is created, the constant operands it reads at
 * every run (ADD/MUL/SUB constants, an unfolded batch norm) are kept for the backbone's lifetime.
 * A runtime computes the global average pool of a set of nodes from the shared input buffer; it is
 * created once and invoked many times without allocating. */
#ifndef IMPRINT_BACKBONE_H
#define IMPRINT_BACKBONE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint.h"
#include "model_file.h"

#define BACKBONE_MAX_OUTPUTS MODEL_FILE_MAX_EMBED

/* How one node of the file is realised in the XNNPACK graph. */
typedef struct backbone_node {
  uint32_t value_node; /* the node whose XNNPACK value holds this node's output (itself unless aliased) */
  uint32_t fused_into; /* MODEL_FILE_NONE, or the batch-norm node this convolution was folded into */
  uint32_t folded_bn;  /* for a convolution: the batch-norm node folded into it, or MODEL_FILE_NONE */
  uint32_t input_node; /* for a convolution: the node it reads after merging a zero-pad before it */
  uint32_t pad[4];     /* top, left, bottom, right: the node's own padding plus a merged zero-pad */
  float out_min, out_max;
  float *weights; /* prepared weights in XNNPACK's layout (NULL until needed) */
  float *bias;    /* prepared bias (or per-channel scale/shift for an unfolded batch norm) */
  float *shift;
  int8_t *qweights; /* int8 precision: the CONV2D weights quantized per output channel (NULL until needed) */
  float *qscale;    /* int8 precision: one scale per output channel, weight = qweights * qscale */
} backbone_node;

typedef struct backbone {
  const model_file *file;
  backbone_node *nodes;
} backbone;

typedef struct backbone_runtime {
  void *runtime; /* xnn_runtime_t */
  uint32_t output_count;
  uint32_t nodes[BACKBONE_MAX_OUTPUTS];
  uint32_t channels[BACKBONE_MAX_OUTPUTS];
  float *outputs[BACKBONE_MAX_OUTPUTS]; /* owned: the pooled outputs, written by backbone_run() */
} backbone_runtime;

imprint_status backbone_init(backbone *bb, const model_file *file, char *why, size_t why_size);
void backbone_free(backbone *bb);

/* Is the output of node `index` computed by the graph (not folded away)? */
int backbone_node_readable(const backbone *bb, uint32_t index);

/* Builds a runtime that reads `input` (input_height * input_width * 3 floats + XNN_EXTRA_BYTES,
 * valid for the runtime's lifetime) and pools `count` readable nodes. */
/* The thread pool runtimes are created with (a pthreadpool_t; NULL: the calling thread only),
 * set by imprint_set_threads() (threads.c). */
void *backbone_threadpool(void);

imprint_status backbone_runtime_create(backbone *bb, const uint32_t *nodes, uint32_t count, float *input,
                                       backbone_runtime *out, char *why, size_t why_size);
imprint_status backbone_run(backbone_runtime *rt);
void backbone_runtime_free(backbone_runtime *rt);

#endif
