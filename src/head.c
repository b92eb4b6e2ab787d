/* head.c — the few-shot head: examples by label, weight imprinting, prediction, evaluation.
 * Training is in head_train.c, the file format in head_file.c (spec: models/HEAD_FORMAT.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "head_internal.h"
#include "head_vector.h"

imprint_status imprint_head_create(uint32_t dim, const char *model_hash, imprint_head **out) {
  if (!out) return IMPRINT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (dim == 0 || dim > IMPRINT_HEAD_MAX_DIM || !model_hash || !hash_hex_valid(model_hash) || model_hash[16] != '\0')
    return IMPRINT_ERR_INVALID_ARGUMENT;
  imprint_head *head = calloc(1, sizeof *head);
  if (!head) return IMPRINT_ERR_OUT_OF_MEMORY;
  head->dim = dim;
  memcpy(head->model_hash, model_hash, 17);
  head->centre = calloc(dim, sizeof(float));
  if (!head->centre) {
    free(head);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  head->temperature = 1.0f;
  head->imprint_scale = HEAD_IMPRINT_SCALE;
  head->unknown_threshold = IMPRINT_HEAD_DEFAULT_UNKNOWN_THRESHOLD;
  head->unknown_rate = IMPRINT_HEAD_DEFAULT_UNKNOWN_RATE;
  head->rate_threshold = NAN;
  if (head_reserve_classes(head, 4) != IMPRINT_OK) {
    imprint_head_destroy(head);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  *out = head;
  return IMPRINT_OK;
}

static void free_class(head_class *c) {
  free(c->label);
  free(c->sum);
}

void imprint_head_destroy(imprint_head *head) {
  if (!head) return;
  head_cancel_training(head);
  for (uint32_t c = 0; c < head->class_count; c++) free_class(&head->classes[c]);
  void *owned[] = {head->classes, head->examples, head->has_mirror, head->example_class, head->weights,
                   head->bias,    head->means,    head->centre,     head->scratch,       head};
  for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) free(owned[i]);
}

uint32_t imprint_head_dim(const imprint_head *head) { return head ? head->dim : 0; }
const char *imprint_head_model_hash(const imprint_head *head) { return head ? head->model_hash : ""; }

/* realloc that keeps the old block on failure. */
static int grow(void **p, size_t bytes) {
  void *q = realloc(*p, bytes ? bytes : 1);
  if (!q) return 0;
  *p = q;
  return 1;
}

/* The capacity that holds `need`: doubled from `have` (or `first`), at most `limit`. */
static uint32_t grown_capacity(uint32_t have, uint32_t need, uint32_t first, uint32_t limit) {
  uint32_t cap = have ? have : first;
  while (cap < need) cap *= 2;
  return cap > limit ? limit : cap;
}

imprint_status head_reserve_classes(imprint_head *head, uint32_t classes) {
  if (classes <= head->class_capacity) return IMPRINT_OK;
  uint32_t cap = grown_capacity(head->class_capacity, classes, 4, IMPRINT_HEAD_MAX_CLASSES);
  size_t d = head->dim;
  if (!grow((void **)&head->classes, cap * sizeof(head_class)) ||
      !grow((void **)&head->weights, cap * d * sizeof(float)) || !grow((void **)&head->bias, cap * sizeof(float)) ||
      !grow((void **)&head->means, cap * d * sizeof(float)) ||
      !grow((void **)&head->scratch, (3 * d + 2 * (size_t)cap) * sizeof(float)))
    return IMPRINT_ERR_OUT_OF_MEMORY;
  head->class_capacity = cap;
  return IMPRINT_OK;
}

imprint_status head_reserve_examples(imprint_head *head, uint32_t examples) {
  if (examples <= head->example_capacity) return IMPRINT_OK;
  uint32_t cap = grown_capacity(head->example_capacity, examples, 16, IMPRINT_HEAD_MAX_EXAMPLES);
  size_t d = head->dim;
  if (!grow((void **)&head->examples, (size_t)cap * 2 * d * sizeof(float)) || !grow((void **)&head->has_mirror, cap) ||
      !grow((void **)&head->example_class, cap * sizeof(uint32_t)))
    return IMPRINT_ERR_OUT_OF_MEMORY;
  head->example_capacity = cap;
  return IMPRINT_OK;
}

int head_normalise(const float *in, float *out, uint32_t dim) {
  double s = 0;
  for (uint32_t i = 0; i < dim; i++) {
    if (!isfinite(in[i])) return 0;
    s += (double)in[i] * in[i];
  }
  if (!(s > 0) || !isfinite(s)) return 0;
  float inv = (float)(1.0 / sqrt(s));
  for (uint32_t i = 0; i < dim; i++) out[i] = in[i] * inv;
  return 1;
}

int head_prepare(const float *in, float *out, uint32_t dim) {
  for (uint32_t i = 0; i < dim; i++) {
    if (!isfinite(in[i])) return 0;
    out[i] = in[i] >= 0 ? sqrtf(in[i]) : -sqrtf(-in[i]);
  }
  return head_normalise(out, out, dim);
}

void head_centre_on(const float *centre, const float *z, float *out, uint32_t dim) {
  for (uint32_t i = 0; i < dim; i++) out[i] = z[i] - centre[i];
  if (!head_normalise(out, out, dim)) memset(out, 0, dim * sizeof(float));
}

void head_centre(const imprint_head *head, const float *z, float *out) {
  head_centre_on(head->centre, z, out, head->dim);
}

void head_compute_centre(const imprint_head *head, int use_mirror, float *out) {
  uint32_t d = head->dim, C = head->class_count;
  memset(out, 0, d * sizeof(float));
  if (!C) return;
  for (uint32_t c = 0; c < C; c++) {
    const head_class *k = &head->classes[c];
    if (k->examples) continue;
    head_axpy(out, 1.0f / (float)C, head->means + (size_t)c * d, d);
  }
  /* Points per class, then each point weighted 1 / (C * points of its class). */
  uint32_t *count = calloc(C, sizeof(uint32_t));
  if (!count) return;
  for (uint32_t e = 0; e < head->example_count; e++)
    count[head->example_class[e]] += 1 + (use_mirror && head->has_mirror[e]);
  for (uint32_t e = 0; e < head->example_count; e++) {
    float w = 1.0f / ((float)C * (float)count[head->example_class[e]]);
    const float *x = head->examples + (size_t)e * 2 * d;
    head_axpy(out, w, x, d);
    if (use_mirror && head->has_mirror[e]) head_axpy(out, w, x + d, d);
  }
  free(count);
}

static int find_class(const imprint_head *head, const char *label, size_t len) {
  for (uint32_t c = 0; c < head->class_count; c++) {
    const head_class *k = &head->classes[c];
    if (k->label_len == len && memcmp(k->label, label, len) == 0) return (int)c;
  }
  return -1;
}

imprint_status head_add_class(imprint_head *head, const char *label, size_t len, uint32_t *index) {
  if (head->class_count >= IMPRINT_HEAD_MAX_CLASSES) return IMPRINT_ERR_LIMIT_EXCEEDED;
  imprint_status st = head_reserve_classes(head, head->class_count + 1);
  if (st != IMPRINT_OK) return st;
  head_class k = {0};
  k.label = malloc(len + 1);
  k.sum = calloc(head->dim, sizeof(float));
  if (!k.label || !k.sum) {
    free_class(&k);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  memcpy(k.label, label, len);
  k.label[len] = '\0';
  k.label_len = (uint32_t)len;
  head->classes[head->class_count] = k;
  *index = head->class_count++;
  return IMPRINT_OK;
}

/* Any change to the examples: back to imprinting until trained again. */
static void examples_changed(imprint_head *head) {
  head_cancel_training(head);
  head->trained = 0;
  head->temperature = 1.0f;
  head->imprint_stale = 1;
}

void head_ensure_imprint(imprint_head *head) {
  if (head->imprint_stale) head_refresh_imprint(head);
}

/* Imprinting in the centred space: class weights are s * L2(sum of the class's centred points).
 * The scale s is fitted by leave-one-out: the plain view of each example of a class with two or
 * more examples is scored against the class sums without that example's views, and s minimises
 * the negative log-likelihood of the true classes (golden-section search on log s). Without a
 * class of two examples, or when leave-one-out would cost more than IMPRINT_LOO_BUDGET
 * multiply-adds (examples * classes * dim), s = HEAD_IMPRINT_SCALE. Temporary buffers only; on allocation failure the
 * head keeps its previous scale and weights of the plain class means. */
#define IMPRINT_LOO_BUDGET 50000000.0
static void imprint_weights(imprint_head *head) {
  uint32_t n = head->example_count, C = head->class_count, d = head->dim, held = 0;
  float *sums = calloc((size_t)C * d, sizeof(float));
  float *views = malloc(2 * (size_t)d * sizeof(float));
  double *norm2 = malloc(C * sizeof(double));
  int fit = C >= 2 && (double)n * C * d <= IMPRINT_LOO_BUDGET;
  double *cosines = fit ? malloc(((size_t)n * C + 1) * sizeof(double)) : NULL;
  uint32_t *truth = fit ? malloc((n + 1) * sizeof(uint32_t)) : NULL;
  if (!sums || !views || !norm2 || (fit && (!cosines || !truth))) {
    for (uint32_t c = 0; c < C; c++)
      for (uint32_t i = 0; i < d; i++)
        head->weights[(size_t)c * d + i] = head->imprint_scale * head->means[(size_t)c * d + i];
    goto done;
  }
  for (uint32_t c = 0; c < C; c++)
    if (!head->classes[c].examples) head_centre(head, head->means + (size_t)c * d, sums + (size_t)c * d);
  for (uint32_t e = 0; e < n; e++) {
    float *sum = sums + (size_t)head->example_class[e] * d;
    const float *x = head->examples + (size_t)e * 2 * d;
    head_centre(head, x, views);
    head_axpy(sum, 1.0f, views, d);
    if (head->has_mirror[e]) {
      head_centre(head, x + d, views + d);
      head_axpy(sum, 1.0f, views + d, d);
    }
  }
  for (uint32_t c = 0; c < C; c++) norm2[c] = (double)head_dot(sums + (size_t)c * d, sums + (size_t)c * d, d);
  for (uint32_t e = 0; fit && e < n; e++) {
    uint32_t own = head->example_class[e];
    if (head->classes[own].examples < 2) continue;
    const float *x = head->examples + (size_t)e * 2 * d;
    float *q = views, *m = views + d;
    head_centre(head, x, q);
    int mirror = head->has_mirror[e];
    if (mirror) head_centre(head, x + d, m);
    double *row = cosines + (size_t)held * C;
    for (uint32_t c = 0; c < C; c++) {
      const float *sum = sums + (size_t)c * d;
      double dot = head_dot(sum, q, d), nn = norm2[c];
      if (c == own) { /* the class sum without this example's views: sum - q - m */
        double qq = head_dot(q, q, d), qm = mirror ? head_dot(q, m, d) : 0, sm = mirror ? head_dot(sum, m, d) : 0;
        double mm = mirror ? head_dot(m, m, d) : 0;
        nn = nn - 2.0 * (dot + sm) + qq + 2.0 * qm + mm;
        dot = dot - qq - qm;
      }
      row[c] = nn > 1e-12 ? dot / sqrt(nn) : 0.0;
    }
    truth[held++] = own;
  }
  head->imprint_scale = HEAD_IMPRINT_SCALE;
  head_scored scored = {cosines, truth, held, C, 0};
  if (held) head->imprint_scale = (float)exp(head_golden_section(head_scaled_nll, &scored, log(1.0), log(1000.0), 50));
  for (uint32_t c = 0; c < C; c++) {
    float *w = head->weights + (size_t)c * d;
    if (!head_normalise(sums + (size_t)c * d, w, d)) memset(w, 0, d * sizeof(float));
    for (uint32_t i = 0; i < d; i++) w[i] *= head->imprint_scale;
    head->bias[c] = 0.0f;
  }
done:
  free(sums);
  free(views);
  free(norm2);
  free(cosines);
  free(truth);
}

void head_refresh_imprint(imprint_head *head) {
  size_t d = head->dim;
  head->imprint_stale = 0;
  for (uint32_t c = 0; c < head->class_count; c++) {
    float *mean = head->means + c * d;
    if (!head_normalise(head->classes[c].sum, mean, head->dim)) memset(mean, 0, d * sizeof(float));
  }
  head_refresh_rate_threshold(head);
  if (head->trained) return; /* weights, bias and centre come from training */
  head_compute_centre(head, 1, head->centre);
  imprint_weights(head);
}

static int compare_floats(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Leave-one-out: each example of a class with two or more examples is scored as a query would be
 * (its plain view's cosine to the nearest class mean), with its own class's mean computed without
 * it. The threshold is the unknown_rate-quantile of those similarities (linear interpolation), so
 * about that share of new images of the taught classes fall below it, whatever the classes' spread
 * (BENCHMARKS.md, "Unknown"). */
void head_refresh_rate_threshold(imprint_head *head) {
  uint32_t n = head->example_count, C = head->class_count, d = head->dim, held = 0;
  /* A head saved without its examples keeps the estimate it was saved with. */
  if (n == 0 && C > 0 && head->unknown_rate > 0) return;
  head->rate_threshold = NAN;
  if (!(head->unknown_rate > 0) || n == 0) return;
  if ((double)n * C * d > IMPRINT_LOO_BUDGET) return;
  float *sims = malloc(n * sizeof(float)), *rest = malloc(d * sizeof(float));
  if (!sims || !rest) goto done;
  for (uint32_t e = 0; e < n; e++) {
    uint32_t own = head->example_class[e];
    const head_class *k = &head->classes[own];
    if (k->examples < 2) continue;
    const float *x = head->examples + (size_t)e * 2 * d;
    for (uint32_t i = 0; i < d; i++) rest[i] = k->sum[i] - x[i];
    float best = head_normalise(rest, rest, d) ? head_dot(rest, x, d) : -1.0f;
    for (uint32_t c = 0; c < C; c++) {
      if (c == own) continue;
      float cs = head_dot(head->means + (size_t)c * d, x, d);
      if (cs > best) best = cs;
    }
    sims[held++] = best;
  }
  if (held >= IMPRINT_HEAD_MIN_RATE_EXAMPLES) {
    qsort(sims, held, sizeof(float), compare_floats);
    double at = (double)head->unknown_rate * (held - 1);
    uint32_t lo = (uint32_t)at, hi = lo + 1 < held ? lo + 1 : lo;
    head->rate_threshold = (float)(sims[lo] + (sims[hi] - sims[lo]) * (at - lo));
  }
done:
  free(sims);
  free(rest);
}

float head_threshold_in_force(const imprint_head *head) {
  return head->unknown_rate > 0 && isfinite(head->rate_threshold) ? head->rate_threshold : head->unknown_threshold;
}

int imprint_head_can_learn(const imprint_head *head) {
  if (!head) return 0;
  /* Classes are created by their first example, so only a loaded head has example-less ones. */
  for (uint32_t c = 0; c < head->class_count; c++)
    if (head->classes[c].examples == 0) return 0;
  return 1;
}

imprint_status imprint_head_add_example(imprint_head *head, const char *label, size_t label_len, const float *embedding,
                                        const float *mirrored, size_t dim) {
  if (!head || !label || !embedding || dim != head->dim || label_len == 0) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (!imprint_head_can_learn(head)) return IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES;
  if (label_len > IMPRINT_HEAD_MAX_LABEL_BYTES) return IMPRINT_ERR_LIMIT_EXCEEDED;
  if (!utf8_valid(label, label_len)) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (head->example_count >= IMPRINT_HEAD_MAX_EXAMPLES) return IMPRINT_ERR_LIMIT_EXCEEDED;
  /* Validate both vectors into scratch before touching any state. */
  float *plain = head->scratch, *mirror = head->scratch + head->dim;
  if (!head_prepare(embedding, plain, head->dim)) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (mirrored && !head_prepare(mirrored, mirror, head->dim)) return IMPRINT_ERR_INVALID_ARGUMENT;
  imprint_status st = head_reserve_examples(head, head->example_count + 1);
  if (st != IMPRINT_OK) return st;
  /* Into the example's slot before head_add_class(), which may move scratch. */
  size_t d = head->dim;
  uint32_t e = head->example_count;
  float *x = head->examples + (size_t)e * 2 * d;
  memcpy(x, plain, d * sizeof(float));
  if (mirrored) memcpy(x + d, mirror, d * sizeof(float));
  int found = find_class(head, label, label_len);
  uint32_t c = (uint32_t)found;
  if (found < 0 && (st = head_add_class(head, label, label_len, &c)) != IMPRINT_OK) return st;
  head->example_count++;
  head->has_mirror[e] = mirrored != NULL;
  head->example_class[e] = c;
  head_class *k = &head->classes[c];
  for (size_t i = 0; i < d; i++) k->sum[i] += x[i];
  k->examples++;
  examples_changed(head);
  return IMPRINT_OK;
}

imprint_status imprint_head_remove_class(imprint_head *head, const char *label, size_t label_len) {
  if (!head || (!label && label_len)) return IMPRINT_ERR_INVALID_ARGUMENT;
  int found = label ? find_class(head, label, label_len) : -1;
  if (found < 0) return IMPRINT_ERR_UNKNOWN_LABEL;
  if (!imprint_head_can_learn(head)) return IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES;
  uint32_t c = (uint32_t)found;
  size_t d = head->dim;
  /* Compact the examples, renumbering classes above c. */
  uint32_t kept = 0;
  for (uint32_t e = 0; e < head->example_count; e++) {
    uint32_t k = head->example_class[e];
    if (k == c) continue;
    if (kept != e) {
      memmove(head->examples + (size_t)kept * 2 * d, head->examples + (size_t)e * 2 * d, 2 * d * sizeof(float));
      head->has_mirror[kept] = head->has_mirror[e];
    }
    head->example_class[kept] = k > c ? k - 1 : k;
    kept++;
  }
  head->example_count = kept;
  free_class(&head->classes[c]);
  memmove(head->classes + c, head->classes + c + 1, (head->class_count - c - 1) * sizeof(head_class));
  memmove(head->weights + c * d, head->weights + (c + 1) * d, (head->class_count - c - 1) * d * sizeof(float));
  memmove(head->bias + c, head->bias + c + 1, (head->class_count - c - 1) * sizeof(float));
  head->class_count--;
  examples_changed(head);
  return IMPRINT_OK;
}

void imprint_head_clear(imprint_head *head) {
  if (!head) return;
  for (uint32_t c = 0; c < head->class_count; c++) free_class(&head->classes[c]);
  head->class_count = 0;
  head->example_count = 0;
  examples_changed(head);
}

uint32_t imprint_head_class_count(const imprint_head *head) { return head ? head->class_count : 0; }

const char *imprint_head_label(const imprint_head *head, uint32_t index, size_t *len) {
  if (!head || index >= head->class_count) {
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = head->classes[index].label_len;
  return head->classes[index].label;
}

imprint_status imprint_head_find_label(const imprint_head *head, const char *label, size_t label_len, uint32_t *index) {
  if (!head || !index || (!label && label_len)) return IMPRINT_ERR_INVALID_ARGUMENT;
  int found = label ? find_class(head, label, label_len) : -1;
  if (found < 0) return IMPRINT_ERR_UNKNOWN_LABEL;
  *index = (uint32_t)found;
  return IMPRINT_OK;
}

uint32_t imprint_head_example_count(const imprint_head *head, uint32_t index) {
  return head && index < head->class_count ? head->classes[index].examples : 0;
}
uint32_t imprint_head_total_examples(const imprint_head *head) { return head ? head->example_count : 0; }
int imprint_head_is_trained(const imprint_head *head) { return head ? head->trained : 0; }

void imprint_head_set_unknown_threshold(imprint_head *head, float threshold) {
  if (head && isfinite(threshold)) head->unknown_threshold = threshold;
}
float imprint_head_unknown_threshold(const imprint_head *head) { return head ? head->unknown_threshold : 0.0f; }

imprint_status imprint_head_set_unknown_rate(imprint_head *head, float rate) {
  if (!head || !(rate >= 0.0f && rate <= IMPRINT_HEAD_MAX_UNKNOWN_RATE)) return IMPRINT_ERR_INVALID_ARGUMENT;
  /* Without examples (a head saved without them) the saved estimate belongs to the saved rate. */
  if (rate != head->unknown_rate && head->example_count == 0) head->rate_threshold = NAN;
  head->unknown_rate = rate;
  if (!head->imprint_stale) head_refresh_rate_threshold(head);
  return IMPRINT_OK;
}
float imprint_head_unknown_rate(const imprint_head *head) { return head ? head->unknown_rate : 0.0f; }

float imprint_head_threshold_in_force(imprint_head *head) {
  if (!head) return 0.0f;
  head_ensure_imprint(head);
  return head_threshold_in_force(head);
}
float imprint_head_temperature(const imprint_head *head) { return head ? head->temperature : 1.0f; }

/* Logits W x + b of the centred point x into logits[]; similarity = max cosine of the
 * (uncentred) z to a class mean. */
static void logits_of(const imprint_head *head, const float *z, float *x, float *logits, float *similarity) {
  uint32_t d = head->dim;
  float best = -2.0f;
  head_centre(head, z, x);
  for (uint32_t c = 0; c < head->class_count; c++) {
    logits[c] = head_dot(head->weights + (size_t)c * d, x, d) + head->bias[c];
    float cs = head_dot(head->means + (size_t)c * d, z, d);
    if (cs > best) best = cs;
  }
  *similarity = best;
}

/* Scores of one query into probs[class_count]; no allocation. With a mirrored view, the query is
 * the average of both power-transformed views (test-time augmentation). */
static imprint_status predict_into(imprint_head *head, const float *embedding, const float *mirrored, float *probs,
                                   imprint_prediction *out) {
  uint32_t n = head->class_count, d = head->dim;
  float *z = head->scratch, *x = head->scratch + d, *logits = head->scratch + 3 * (size_t)d;
  if (!head_prepare(embedding, z, d)) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (mirrored) {
    if (!head_prepare(mirrored, x, d)) return IMPRINT_ERR_INVALID_ARGUMENT;
    head_axpy(z, 1.0f, x, d);
    if (!head_normalise(z, z, d)) return IMPRINT_ERR_INVALID_ARGUMENT;
  }
  float sim = 0;
  logits_of(head, z, x, logits, &sim);
  float scale = 1.0f / head->temperature, max = -INFINITY;
  for (uint32_t c = 0; c < n; c++) {
    logits[c] *= scale;
    if (logits[c] > max) max = logits[c];
  }
  double zsum = 0;
  for (uint32_t c = 0; c < n; c++) zsum += exp((double)logits[c] - max);
  uint32_t best = 0;
  for (uint32_t c = 0; c < n; c++) {
    probs[c] = (float)(exp((double)logits[c] - max) / zsum);
    if (probs[c] > probs[best]) best = c;
  }
  out->best = best;
  out->confidence = probs[best];
  out->similarity = sim;
  out->unknown = sim < head_threshold_in_force(head);
  return IMPRINT_OK;
}

imprint_status imprint_head_predict(imprint_head *head, const float *embedding, const float *mirrored, size_t dim,
                                    float *scores, size_t scores_len, imprint_prediction *out) {
  if (!head || !embedding || !out || dim != head->dim || (scores_len && !scores)) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (head->class_count == 0) return IMPRINT_ERR_NO_EXAMPLES;
  if (scores_len && scores_len < head->class_count) return IMPRINT_ERR_INVALID_ARGUMENT;
  head_ensure_imprint(head);
  float *probs = scores_len ? scores : head->scratch + 3 * (size_t)head->dim + head->class_capacity;
  return predict_into(head, embedding, mirrored, probs, out);
}

imprint_status imprint_head_evaluate(imprint_head *head, const float *embeddings, const uint32_t *truth, size_t count,
                                     size_t dim, uint32_t *confusion, size_t confusion_len, float *accuracy) {
  if (!head || !accuracy || dim != head->dim || (count && (!embeddings || !truth))) return IMPRINT_ERR_INVALID_ARGUMENT;
  if (head->class_count == 0) return IMPRINT_ERR_NO_EXAMPLES;
  size_t n = head->class_count;
  if (confusion && confusion_len < n * n) return IMPRINT_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < count; i++)
    if (truth[i] >= n) return IMPRINT_ERR_UNKNOWN_LABEL;
  if (confusion) memset(confusion, 0, n * n * sizeof(uint32_t));
  head_ensure_imprint(head);
  float *probs = head->scratch + 3 * (size_t)head->dim + head->class_capacity;
  size_t right = 0;
  for (size_t i = 0; i < count; i++) {
    imprint_prediction p;
    imprint_status st = predict_into(head, embeddings + i * dim, NULL, probs, &p);
    if (st != IMPRINT_OK) return st;
    if (confusion) confusion[truth[i] * n + p.best]++;
    right += p.best == truth[i];
  }
  *accuracy = count ? (float)right / (float)count : 0.0f;
  return IMPRINT_OK;
}
