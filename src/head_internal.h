/* head_internal.h — the state of an imprint_head, shared by head.c (examples, imprinting,
 * prediction), head_train.c (softmax regression, calibration) and head_file.c (serialisation). */
#ifndef IMPRINT_HEAD_INTERNAL_H
#define IMPRINT_HEAD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "imprint.h"

/* Logit scale of the imprinted classifier, logits = scale * cos(centred x, class direction), when
 * it is not fitted by leave-one-out (no class has two examples); chosen for calibration at one
 * example per class (BENCHMARKS.md). */
#define HEAD_IMPRINT_SCALE 5.0f
/* Start of the optimiser: imprinted weights with this norm (the optimum is unique; this only
 * sets where L-BFGS starts). */
#define HEAD_TRAIN_START_SCALE 10.0f
/* Calibration fits the temperature as e^x, x in [HEAD_LOG_TEMPERATURE_MIN, _MAX] (head_train.c); a
 * head file's temperature must lie in the same range (head_file.c), so no loaded head can divide
 * its logits into an overflow. */
#define HEAD_LOG_TEMPERATURE_MIN (-4.0)
#define HEAD_LOG_TEMPERATURE_MAX 4.0
/* Largest magnitude of a weight, bias or centre element a head file may hold: far above anything
 * training makes, low enough that a logit (a dot product with a unit vector, over a temperature)
 * stays finite in float. */
#define HEAD_MAX_PARAMETER 1e30f

typedef struct head_class {
  char *label; /* label_len bytes + NUL */
  uint32_t label_len;
  uint32_t examples; /* stored examples of this class */
  float *sum;        /* dim floats: sum of the class's normalised plain embeddings */
} head_class;

typedef struct head_training head_training; /* head_train.c */

struct imprint_head {
  uint32_t dim;
  char model_hash[17];

  head_class *classes;
  uint32_t class_count, class_capacity;

  /* Examples: example i has its plain embedding at examples[(2i) * dim] and its mirrored one (if
   * has_mirror[i]) at examples[(2i + 1) * dim], both L2-normalised. */
  float *examples;
  uint8_t *has_mirror;
  uint32_t *example_class;
  uint32_t example_count, example_capacity;

  /* Classifier: logits = (weights[c] . x + bias[c]) / temperature. While !trained the weights are
   * recomputed from the class sums (imprinting) whenever the classes change. */
  float *weights; /* class_capacity * dim */
  float *bias;    /* class_capacity */
  float *means;   /* class_capacity * dim: normalised class means of the plain views (for "unknown") */
  float *centre;  /* dim: subtracted before classifying (class-balanced mean of the training points) */
  float temperature;
  float imprint_scale;     /* fitted by leave-one-out on the examples, see head_refresh_imprint() */
  float unknown_threshold; /* fixed threshold: used when unknown_rate is 0 or gives no estimate */
  /* Adaptive "unknown": when unknown_rate > 0, the threshold is the unknown_rate-quantile of the
   * examples' leave-one-out similarities (rate_threshold, NaN while it cannot be estimated). */
  float unknown_rate;
  float rate_threshold;
  int trained;
  int imprint_stale; /* the examples changed: means (and imprinted weights) need recomputing */

  /* Per-predict scratch, sized with the classes so prediction never allocates. */
  float *scratch; /* 3 * dim + 2 * class_capacity */

  head_training *training; /* a run in progress, or NULL */
};

/* Grows class arrays to hold `classes` classes (weights, means, scratch follow). */
imprint_status head_reserve_classes(imprint_head *head, uint32_t classes);
imprint_status head_reserve_examples(imprint_head *head, uint32_t examples);
/* Recomputes means (and, when not trained, the imprinted weights) of every class. */
void head_refresh_imprint(imprint_head *head);
/* Recomputes rate_threshold from the examples (NaN when unknown_rate is 0 or there are too few
 * examples; see imprint_head_set_unknown_rate()). A head saved without examples keeps the one it
 * was saved with. */
void head_refresh_rate_threshold(imprint_head *head);
/* The threshold predictions use now. */
float head_threshold_in_force(const imprint_head *head);
/* head_refresh_imprint() if the examples changed since the last one. Changes only mark the head
 * stale, so adding many examples costs no repeated refits; the first prediction after a change
 * pays for one. */
void head_ensure_imprint(imprint_head *head);
/* Ends a training run in progress (frees its state). */
void head_cancel_training(imprint_head *head);
/* Copies `in` into `out` L2-normalised; 0 for a zero, NaN or infinite vector. */
int head_normalise(const float *in, float *out, uint32_t dim);
/* The head's input transform: signed square root of each value, then L2 normalisation (the
 * power transform evens out the few very large pooled channels: tests/bench/results/head-study.md).
 * 0 for a zero, NaN or infinite vector. */
int head_prepare(const float *in, float *out, uint32_t dim);
/* out = L2(z - centre); a zero difference gives a zero vector. head_centre uses the head's centre. */
void head_centre_on(const float *centre, const float *z, float *out, uint32_t dim);
void head_centre(const imprint_head *head, const float *z, float *out);
/* Class-balanced mean of the training points (plain views, plus mirrored views when
 * use_mirror; the mean of an example-less class stands for it) into out[dim]. */
void head_compute_centre(const imprint_head *head, int use_mirror, float *out);
/* Appends a class (label copied); returns its index via *index. */
imprint_status head_add_class(imprint_head *head, const char *label, size_t len, uint32_t *index);

/* Rows of logits with their true classes, for fitting one scale of all logits (head_train.c). */
typedef struct head_scored {
  const double *logits; /* count * classes */
  const uint32_t *labels;
  uint32_t count, classes;
  int as_temperature; /* 1: the logits are divided by e^x (a temperature); 0: multiplied by e^x */
} head_scored;
/* Summed softmax cross-entropy of the rows of `scored` (a head_scored) at log scale x. */
double head_scaled_nll(double x, const void *scored);
/* Golden-section search (Kiefer 1953) for the minimum of a unimodal f on [lo, hi]: the middle of
 * the last bracket after `iterations` steps. */
double head_golden_section(double (*f)(double x, const void *context), const void *context, double lo, double hi,
                           int iterations);

#endif
