/* head_train.c — softmax regression on the examples, initialised by imprinting, then
 * temperature scaling fitted on held-out folds of the examples.
 *
 * Points: each example's power-transformed embedding (and its mirrored view, if any), centred on
 * the class-balanced mean of all points and normalised again (see imprint.h).
 * Objective (minimised): sum_i w_i * CE(softmax(W z_i + b), y_i) + l2/2 * ||W||^2, with class-
 * balanced weights w_i = 1 / (classes * points of class y_i), so every class weighs the same.
 *
 * With fewer training points n than dimensions, the optimum lies in the span of the points
 * (representer theorem), so we optimise in an orthonormal basis of that span: the rows of the
 * Cholesky factor L of the Gram matrix K = X X^T are coordinates of the points in such a basis
 * (z_i . z_j = K_ij). That makes each iteration cost n*n*C instead of n*D*C. Afterwards the
 * weights go back to embedding space: W = A X with L^T a_c = w_c.
 *
 * Optimiser: L-BFGS (Nocedal & Wright, Numerical Optimization, alg. 7.4/7.5) with backtracking
 * line search, started from the imprinted weights (normalised class means, Qi et al. 2018).
 * Calibration (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017): one
 * temperature T minimising the negative log-likelihood of held-out logits, from up to 3 folds of
 * the examples, each fit warm-started from the full fit and run for a few iterations (both views
 * of an example stay in one fold; classes with a single example are never held out). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "head_internal.h"
#include "head_vector.h"

#define LBFGS_MEMORY 8
/* Fold fits start from the full fit and stop after this many iterations: that calibrates better
 * than converging them, for half the iterations (BENCHMARKS.md). */
#define FOLD_MAX_ITERATIONS 8u
#define CALIBRATION_FOLDS 3
/* Temperature scaling needs held-out examples that look like the test set. With only a few
 * examples per class every fold model is much weaker than the full fit, the fitted temperature
 * comes out too high and calibration makes confidences worse (BENCHMARKS.md). Below this average
 * number of examples per class the temperature stays 1. */
#define CALIBRATION_MIN_EXAMPLES_PER_CLASS 10

/* A training run is a list of fits ("jobs"): the fit on all points, then one fit per fold (warm-
 * started from the first) whose held-out scores calibrate the temperature. */
struct head_training {
  uint32_t n, r, classes; /* points, coordinates per point, classes */
  float *z;               /* n * r coordinates */
  uint32_t *y;            /* class of each point */
  uint32_t *group;        /* example (or class mean) each point comes from */
  uint8_t *first_view;    /* 1 for the first point of a group (the plain view) */
  float *weight;          /* class-balanced weight of each point (0 = held out) */
  double *basis;          /* n * n Cholesky factor when r == n < dim, else NULL */
  float **points;         /* n pointers to the centred points (rows of `centred`) */
  float *centred;         /* n * dim: L2(z - centre) of every point */
  float *centre;          /* dim: class-balanced mean of the points */
  /* optimiser */
  uint32_t p; /* parameters: classes * r + classes */
  double *theta, *grad, *next, *next_grad, *dir;
  double *s, *yv, *rho, *alpha; /* LBFGS_MEMORY * p history */
  uint32_t stored, newest;
  float *wf;     /* float copy of W for the hot loops */
  float *logits; /* n * classes */
  double loss, gnorm;
  uint32_t step, job_step, max_iterations;
  int stalled; /* the line search found no decrease: the fit is as good as it gets */
  float l2, tolerance;
  uint32_t seed, flags;
  /* model selection */
  uint32_t folds, job, jobs;
  double *solution; /* p: the fit on all points, kept while the folds run */
  uint32_t *fold_of_group;
  double *held;         /* n * classes held-out logits */
  uint32_t *held_label; /* n */
  uint32_t held_count;
  float temperature;
  float train_accuracy;
};

void head_cancel_training(imprint_head *head) {
  head_training *t = head->training;
  if (!t) return;
  void *owned[] = {
      t->z,     t->y,      t->group,   t->first_view, t->weight, t->fold_of_group, t->held, t->held_label, t->solution,
      t->basis, t->points, t->centred, t->centre,     t->theta,  t->grad,          t->next, t->next_grad,  t->dir,
      t->s,     t->yv,     t->rho,     t->alpha,      t->wf,     t->logits,        t};
  for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) free(owned[i]);
  head->training = NULL;
}

/* Loss and gradient at theta under the current point weights. */
static double evaluate(head_training *t, const double *theta, double *grad) {
  uint32_t n = t->n, r = t->r, C = t->classes;
  const double *b = theta + (size_t)C * r;
  for (size_t i = 0; i < (size_t)C * r; i++) t->wf[i] = (float)theta[i];
  double loss = 0;
  memset(grad, 0, t->p * sizeof(double));
  float *resid = t->logits; /* reused row by row */
  for (uint32_t i = 0; i < n; i++) {
    float wi = t->weight[i];
    if (wi == 0) continue;
    const float *zi = t->z + (size_t)i * r;
    float *li = resid + (size_t)i * C;
    float max = -INFINITY;
    for (uint32_t c = 0; c < C; c++) {
      const float *w = t->wf + (size_t)c * r;
      li[c] = head_dot(w, zi, r) + (float)b[c];
      if (li[c] > max) max = li[c];
    }
    double zsum = 0;
    for (uint32_t c = 0; c < C; c++) zsum += exp((double)li[c] - max);
    loss += wi * (log(zsum) + max - li[t->y[i]]);
    for (uint32_t c = 0; c < C; c++) {
      double pc = exp((double)li[c] - max) / zsum;
      li[c] = (float)(wi * (pc - (c == t->y[i])));
    }
  }
  /* grad W = R^T Z, accumulated in float rows then widened. */
  for (uint32_t c = 0; c < C; c++) {
    float *row = t->wf + (size_t)c * r; /* W's float copy is no longer needed: reuse as accumulator */
    memset(row, 0, r * sizeof(float));
    double gb = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (t->weight[i] == 0) continue;
      float g = resid[(size_t)i * C + c];
      if (g == 0) continue;
      const float *zi = t->z + (size_t)i * r;
      head_axpy(row, g, zi, r);
      gb += g;
    }
    for (uint32_t k = 0; k < r; k++) grad[(size_t)c * r + k] = row[k];
    grad[(size_t)C * r + c] = gb;
  }
  double reg = 0;
  for (size_t i = 0; i < (size_t)C * r; i++) {
    reg += theta[i] * theta[i];
    grad[i] += t->l2 * theta[i];
  }
  return loss + 0.5 * t->l2 * reg;
}

static double norm(const double *v, uint32_t p) {
  double s = 0;
  for (uint32_t i = 0; i < p; i++) s += v[i] * v[i];
  return sqrt(s);
}

static void set_weights(head_training *t, uint32_t held_fold, uint32_t folds, const uint32_t *fold_of_group) {
  uint32_t C = t->classes;
  double count[IMPRINT_HEAD_MAX_CLASSES];
  uint32_t present = 0;
  for (uint32_t c = 0; c < C; c++) count[c] = 0;
  for (uint32_t i = 0; i < t->n; i++)
    if (!folds || fold_of_group[t->group[i]] != held_fold) count[t->y[i]] += 1;
  for (uint32_t c = 0; c < C; c++) present += count[c] > 0;
  for (uint32_t i = 0; i < t->n; i++) {
    int held = folds && fold_of_group[t->group[i]] == held_fold;
    t->weight[i] = held ? 0.0f : (float)(1.0 / ((double)present * count[t->y[i]]));
  }
}

/* Cholesky factorisation in place (lower triangle of a, n x n); jitter keeps duplicates factorable. */
static void cholesky(double *a, uint32_t n) {
  double jitter = 1e-6;
  for (uint32_t j = 0; j < n; j++) {
    double d = a[(size_t)j * n + j] + jitter;
    for (uint32_t k = 0; k < j; k++) d -= a[(size_t)j * n + k] * a[(size_t)j * n + k];
    d = d > 1e-12 ? sqrt(d) : 1e-6;
    a[(size_t)j * n + j] = d;
    for (uint32_t i = j + 1; i < n; i++) {
      double s = a[(size_t)i * n + j];
      for (uint32_t k = 0; k < j; k++) s -= a[(size_t)i * n + k] * a[(size_t)j * n + k];
      a[(size_t)i * n + j] = s / d;
    }
    for (uint32_t k = j + 1; k < n; k++) a[(size_t)j * n + k] = 0;
  }
}

static void reset_memory(head_training *t) {
  t->stored = 0;
  t->newest = 0;
}

/* One L-BFGS iteration from t->theta (with t->grad, t->loss current). Returns 0 when no
 * progress is possible (converged to machine precision). */
static int lbfgs_iteration(head_training *t) {
  uint32_t p = t->p, m = LBFGS_MEMORY;
  double *q = t->dir;
  for (uint32_t i = 0; i < p; i++) q[i] = -t->grad[i];
  /* Two-loop recursion over the stored pairs, newest first. */
  for (uint32_t j = 0; j < t->stored; j++) {
    uint32_t k = (t->newest + m - j) % m;
    double *s = t->s + (size_t)k * p, *y = t->yv + (size_t)k * p, a = 0;
    for (uint32_t i = 0; i < p; i++) a += s[i] * q[i];
    a *= t->rho[k];
    t->alpha[k] = a;
    for (uint32_t i = 0; i < p; i++) q[i] -= a * y[i];
  }
  double gamma = 1.0;
  if (t->stored) {
    uint32_t k = t->newest;
    double *s = t->s + (size_t)k * p, *y = t->yv + (size_t)k * p, sy = 0, yy = 0;
    for (uint32_t i = 0; i < p; i++) sy += s[i] * y[i], yy += y[i] * y[i];
    if (yy > 0) gamma = sy / yy;
  } else {
    gamma = 1.0 / (1.0 + t->l2); /* the softmax curvature per unit-norm point is at most ~1 */
  }
  for (uint32_t i = 0; i < p; i++) q[i] *= gamma;
  for (uint32_t j = t->stored; j-- > 0;) {
    uint32_t k = (t->newest + m - j) % m;
    double *s = t->s + (size_t)k * p, *y = t->yv + (size_t)k * p, bcoef = 0;
    for (uint32_t i = 0; i < p; i++) bcoef += y[i] * q[i];
    bcoef *= t->rho[k];
    for (uint32_t i = 0; i < p; i++) q[i] += s[i] * (t->alpha[k] - bcoef);
  }
  double slope = 0;
  for (uint32_t i = 0; i < p; i++) slope += q[i] * t->grad[i];
  if (!(slope < 0)) { /* not a descent direction: restart from steepest descent */
    reset_memory(t);
    for (uint32_t i = 0; i < p; i++) q[i] = -t->grad[i] * gamma;
    slope = -gamma * t->gnorm * t->gnorm;
    if (!(slope < 0)) return 0;
  }
  double step = 1.0, f = 0;
  for (int tries = 0; tries < 40; tries++, step *= 0.5) {
    for (uint32_t i = 0; i < p; i++) t->next[i] = t->theta[i] + step * q[i];
    f = evaluate(t, t->next, t->next_grad);
    if (f <= t->loss + 1e-4 * step * slope) break;
    if (tries == 39) return 0;
  }
  /* Store the pair (s, y) only if the curvature is positive (keeps the inverse Hessian
   * approximation positive definite); otherwise leave the history as it is. */
  double sy = 0;
  for (uint32_t i = 0; i < p; i++) sy += (t->next[i] - t->theta[i]) * (t->next_grad[i] - t->grad[i]);
  if (sy > 1e-12) {
    uint32_t k = t->stored ? (t->newest + 1) % m : 0;
    double *s = t->s + (size_t)k * p, *y = t->yv + (size_t)k * p;
    for (uint32_t i = 0; i < p; i++) {
      s[i] = t->next[i] - t->theta[i];
      y[i] = t->next_grad[i] - t->grad[i];
    }
    t->rho[k] = 1.0 / sy;
    t->newest = k;
    if (t->stored < m) t->stored++;
  }
  double *tmp = t->theta;
  t->theta = t->next;
  t->next = tmp;
  tmp = t->grad;
  t->grad = t->next_grad;
  t->next_grad = tmp;
  double previous = t->loss;
  t->loss = f;
  t->gnorm = norm(t->grad, p);
  return previous - f > 1e-12 * fabs(previous);
}

/* Imprinted start: w_c = scale * normalised mean of the class's (weighted) points, b = 0. */
static void imprint_start(head_training *t) {
  uint32_t r = t->r, C = t->classes;
  memset(t->theta, 0, t->p * sizeof(double));
  for (uint32_t i = 0; i < t->n; i++) {
    if (t->weight[i] == 0) continue;
    double *w = t->theta + (size_t)t->y[i] * r;
    const float *zi = t->z + (size_t)i * r;
    for (uint32_t k = 0; k < r; k++) w[k] += zi[k];
  }
  for (uint32_t c = 0; c < C; c++) {
    double *w = t->theta + (size_t)c * r;
    double nrm = norm(w, r);
    if (nrm > 0)
      for (uint32_t k = 0; k < r; k++) w[k] *= HEAD_TRAIN_START_SCALE / nrm;
  }
}

/* Starts a fit at the current theta (or the imprinted weights) under the current point weights. */
static void begin_fit(head_training *t, int from_imprint) {
  if (from_imprint) imprint_start(t);
  reset_memory(t);
  t->loss = evaluate(t, t->theta, t->grad);
  t->gnorm = norm(t->grad, t->p);
  t->job_step = 0;
  t->stalled = 0;
}

static void start_job(head_training *t) {
  if (t->job == 0) {
    set_weights(t, 0, 0, NULL);
    begin_fit(t, 1);
  } else {
    set_weights(t, t->job - 1, t->folds, t->fold_of_group);
    memcpy(t->theta, t->solution, t->p * sizeof(double));
    begin_fit(t, 0);
  }
}

/* Logits of point i under theta into out[classes]. */
static void point_logits(const head_training *t, const double *theta, uint32_t i, double *out) {
  uint32_t r = t->r, C = t->classes;
  const float *zi = t->z + (size_t)i * r;
  for (uint32_t c = 0; c < C; c++) {
    const double *w = theta + (size_t)c * r;
    double s = theta[(size_t)C * r + c];
    for (uint32_t k = 0; k < r; k++) s += w[k] * zi[k];
    out[c] = s;
  }
}

double head_scaled_nll(double log_scale, const void *scored) {
  const head_scored *h = scored;
  double scale = exp(h->as_temperature ? -log_scale : log_scale), nll = 0;
  for (uint32_t i = 0; i < h->count; i++) {
    const double *l = h->logits + (size_t)i * h->classes;
    double max = -INFINITY, z = 0;
    for (uint32_t c = 0; c < h->classes; c++) max = fmax(max, l[c] * scale);
    for (uint32_t c = 0; c < h->classes; c++) z += exp(l[c] * scale - max);
    nll += log(z) + max - l[h->labels[i]] * scale;
  }
  return nll;
}

double head_golden_section(double (*f)(double x, const void *context), const void *context, double lo, double hi,
                           int iterations) {
  const double g = 0.6180339887498949; /* (sqrt(5) - 1) / 2 */
  for (int it = 0; it < iterations; it++) {
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    if (f(a, context) < f(b, context))
      hi = b;
    else
      lo = a;
  }
  return 0.5 * (lo + hi);
}

/* A fit converged: keep the full solution (job 0) or the held-out scores of a fold; after the
 * last fold, fit the temperature and put the full solution back. */
static void finish_job(head_training *t) {
  uint32_t C = t->classes;
  if (t->job == 0) {
    if (t->folds) memcpy(t->solution, t->theta, t->p * sizeof(double));
    return;
  }
  for (uint32_t i = 0; i < t->n; i++) {
    if (t->weight[i] != 0 || !t->first_view[i]) continue; /* plain views of held-out examples */
    uint32_t k = t->held_count++;
    point_logits(t, t->theta, i, t->held + (size_t)k * C);
    t->held_label[k] = t->y[i];
  }
  if (t->job + 1 != t->jobs) return;
  /* Temperature scaling (Guo et al. 2017): the T in [e^-4, e^4] minimising the held-out NLL. */
  head_scored held = {t->held, t->held_label, t->held_count, C, 1};
  if (t->held_count) {
    t->temperature =
        (float)exp(head_golden_section(head_scaled_nll, &held, HEAD_LOG_TEMPERATURE_MIN, HEAD_LOG_TEMPERATURE_MAX, 60));
  }
  memcpy(t->theta, t->solution, t->p * sizeof(double));
  set_weights(t, 0, 0, NULL);
}

static uint32_t next_random(uint32_t *state) { /* xorshift32 */
  uint32_t x = *state ? *state : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

/* Folds of the examples: in each class with two or more examples, a seeded shuffle dealt round-
 * robin into min(examples, CALIBRATION_FOLDS) folds; single examples are never held out. Returns
 * the number of folds (0 when no class has two examples, or when there are fewer than
 * CALIBRATION_MIN_EXAMPLES_PER_CLASS examples per class on average). */
static uint32_t make_folds(const imprint_head *head, head_training *t) {
  uint32_t groups = head->example_count + head->class_count, folds = 0;
  if (head->class_count == 0 || head->example_count < CALIBRATION_MIN_EXAMPLES_PER_CLASS * head->class_count) return 0;
  uint32_t rng = t->seed * 2654435761u + 1u;
  uint32_t *order = malloc((head->example_count ? head->example_count : 1) * sizeof(uint32_t));
  if (!order) return 0;
  for (uint32_t g = 0; g < groups; g++) t->fold_of_group[g] = UINT32_MAX;
  for (uint32_t c = 0; c < head->class_count; c++) {
    uint32_t m = 0;
    for (uint32_t e = 0; e < head->example_count; e++)
      if (head->example_class[e] == c) order[m++] = e;
    if (m < 2) continue;
    for (uint32_t j = m - 1; j > 0; j--) { /* seeded Fisher-Yates */
      uint32_t k = next_random(&rng) % (j + 1), tmp = order[j];
      order[j] = order[k];
      order[k] = tmp;
    }
    uint32_t f = m < CALIBRATION_FOLDS ? m : CALIBRATION_FOLDS;
    if (f > folds) folds = f;
    for (uint32_t j = 0; j < m; j++) t->fold_of_group[order[j]] = j % f;
  }
  free(order);
  return folds >= 2 ? folds : 0;
}

imprint_status imprint_head_train_begin(imprint_head *head, const imprint_train_options *options) {
  if (!head) return IMPRINT_ERR_INVALID_ARGUMENT;
  imprint_train_options o = options ? *options : (imprint_train_options){0};
  if (!(o.l2 >= 0) || !(o.tolerance >= 0) || !isfinite(o.l2) || !isfinite(o.tolerance) ||
      (o.flags & ~(IMPRINT_TRAIN_NO_MIRROR | IMPRINT_TRAIN_NO_CALIBRATION)))
    return IMPRINT_ERR_INVALID_ARGUMENT;
  if (o.tolerance == 0) o.tolerance = IMPRINT_HEAD_DEFAULT_TOLERANCE;
  if (o.max_iterations == 0) o.max_iterations = IMPRINT_HEAD_DEFAULT_MAX_ITERATIONS;
  if (head->class_count == 0) return IMPRINT_ERR_NO_EXAMPLES;
  if (!imprint_head_can_learn(head)) return IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES; /* keep its trained weights */
  head_cancel_training(head);
  head_ensure_imprint(head);

  uint32_t d = head->dim, C = head->class_count, n = 0;
  int use_mirror = !(o.flags & IMPRINT_TRAIN_NO_MIRROR);
  for (uint32_t e = 0; e < head->example_count; e++) n += 1 + (use_mirror && head->has_mirror[e]);

  head_training *t = calloc(1, sizeof *t);
  if (!t) return IMPRINT_ERR_OUT_OF_MEMORY;
  head->training = t;
  t->n = n;
  t->classes = C;
  t->r = n < d ? n : d;
  t->p = C * t->r + C;
  t->tolerance = o.tolerance;
  t->max_iterations = o.max_iterations;
  t->seed = o.seed;
  t->flags = o.flags;
  t->temperature = 1.0f;
  size_t p = t->p, r = t->r, groups = (size_t)head->example_count + C;
  t->z = malloc((size_t)n * r * sizeof(float));
  t->y = malloc(n * sizeof(uint32_t));
  t->group = malloc(n * sizeof(uint32_t));
  t->first_view = malloc(n);
  t->weight = malloc(n * sizeof(float));
  t->points = malloc(n * sizeof(float *));
  t->theta = malloc(p * sizeof(double));
  t->grad = malloc(p * sizeof(double));
  t->next = malloc(p * sizeof(double));
  t->next_grad = malloc(p * sizeof(double));
  t->dir = malloc(p * sizeof(double));
  t->s = malloc(LBFGS_MEMORY * p * sizeof(double));
  t->yv = malloc(LBFGS_MEMORY * p * sizeof(double));
  t->rho = malloc(LBFGS_MEMORY * sizeof(double));
  t->alpha = malloc(LBFGS_MEMORY * sizeof(double));
  t->wf = malloc(p * sizeof(float));
  t->logits = malloc((size_t)n * C * sizeof(float));
  t->fold_of_group = malloc(groups * sizeof(uint32_t));
  t->centred = malloc((size_t)n * d * sizeof(float));
  t->centre = malloc((size_t)d * sizeof(float));
  if (r < d) t->basis = malloc((size_t)n * n * sizeof(double));
  if (!t->z || !t->y || !t->group || !t->first_view || !t->weight || !t->points || !t->theta || !t->grad || !t->next ||
      !t->next_grad || !t->dir || !t->s || !t->yv || !t->rho || !t->alpha || !t->wf || !t->logits ||
      !t->fold_of_group || !t->centred || !t->centre || (r < d && !t->basis)) {
    head_cancel_training(head);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  /* Points: plain, then mirrored, of each example (every class has some: a head loaded without
   * them cannot train, see imprint_head_can_learn()), centred on their class-balanced mean and
   * normalised again (the embeddings are nearly collinear, and without centring a fixed penalty
   * underfits: tests/bench/results/head-study.md). */
  head_compute_centre(head, use_mirror, t->centre);
  uint32_t i = 0;
  for (uint32_t e = 0; e < head->example_count; e++) {
    for (uint32_t v = 0; v < 1u + (use_mirror && head->has_mirror[e]); v++, i++) {
      t->points[i] = t->centred + (size_t)i * d;
      head_centre_on(t->centre, head->examples + ((size_t)2 * e + v) * d, t->points[i], d);
      t->y[i] = head->example_class[e];
      t->group[i] = e;
      t->first_view[i] = v == 0;
    }
  }
  if (r == d) {
    for (i = 0; i < n; i++) memcpy(t->z + (size_t)i * r, t->points[i], d * sizeof(float));
  } else {
    double *k = t->basis;
    for (i = 0; i < n; i++)
      for (uint32_t j = 0; j <= i; j++) {
        const float *a = t->points[i], *b = t->points[j];
        k[(size_t)i * n + j] = k[(size_t)j * n + i] = head_dot(a, b, d);
      }
    cholesky(k, n);
    for (size_t q = 0; q < (size_t)n * n; q++) t->z[q] = (float)k[q];
  }
  /* Plan: the full fit, then (to calibrate) one fit per fold. */
  /* A fixed default penalty: on power-transformed, centred points accuracy hardly depends on it,
   * and choosing it by cross-validation is not worth its cost (tests/bench/results/head-study.md). */
  t->l2 = o.l2 > 0 ? o.l2 : IMPRINT_HEAD_DEFAULT_L2;
  t->folds = (o.flags & IMPRINT_TRAIN_NO_CALIBRATION) ? 0 : make_folds(head, t);
  if (t->folds) {
    t->held = malloc((size_t)n * C * sizeof(double));
    t->held_label = malloc(n * sizeof(uint32_t));
    t->solution = malloc(p * sizeof(double));
    if (!t->held || !t->held_label || !t->solution) {
      head_cancel_training(head);
      return IMPRINT_ERR_OUT_OF_MEMORY;
    }
  }
  t->jobs = 1 + t->folds;
  t->job = 0;
  start_job(t);
  return IMPRINT_OK;
}

/* Embedding-space weights of class c from reduced coordinates w (r doubles) into out (dim floats). */
static void to_embedding_space(const imprint_head *head, const head_training *t, const double *w, float *out,
                               double *a) {
  uint32_t d = head->dim, n = t->n;
  if (!t->basis) {
    for (uint32_t k = 0; k < d; k++) out[k] = (float)w[k];
    return;
  }
  /* Solve L^T a = w (back substitution), then out = sum_i a_i x_i. */
  const double *L = t->basis;
  for (uint32_t i = n; i-- > 0;) {
    double s = w[i];
    for (uint32_t j = i + 1; j < n; j++) s -= L[(size_t)j * n + i] * a[j];
    a[i] = s / L[(size_t)i * n + i];
  }
  memset(out, 0, d * sizeof(float));
  for (uint32_t i = 0; i < n; i++) head_axpy(out, (float)a[i], t->points[i], d);
}

/* All fits done: move the weights into the head, then measure training accuracy the way
 * prediction and evaluation see it, with the head's own weights in the embedding space (the fit's
 * reduced coordinates can tell apart points that are the same embedding, e.g. one image under two
 * labels: that is not a right answer). Ties go to the first class, as in prediction. */
static imprint_status finish(imprint_head *head, head_training *t) {
  uint32_t d = head->dim, C = t->classes, r = t->r;
  double *a = malloc((size_t)t->n * sizeof(double));
  if (!a) return IMPRINT_ERR_OUT_OF_MEMORY;
  for (uint32_t c = 0; c < C; c++) {
    to_embedding_space(head, t, t->theta + (size_t)c * r, head->weights + (size_t)c * d, a);
    head->bias[c] = (float)t->theta[(size_t)C * r + c];
  }
  free(a);
  uint32_t right = 0;
  for (uint32_t i = 0; i < t->n; i++) {
    uint32_t best = 0;
    float best_logit = -INFINITY;
    for (uint32_t c = 0; c < C; c++) {
      float logit = head_dot(head->weights + (size_t)c * d, t->points[i], d) + head->bias[c];
      if (logit > best_logit) best_logit = logit, best = c;
    }
    right += best == t->y[i];
  }
  t->train_accuracy = t->n ? (float)right / (float)t->n : 0.0f;
  head->temperature = (t->flags & IMPRINT_TRAIN_NO_CALIBRATION) ? 1.0f : t->temperature;
  memcpy(head->centre, t->centre, d * sizeof(float));
  head->trained = 1;
  return IMPRINT_OK;
}

static void report(const head_training *t, const imprint_head *head, int done, imprint_train_progress *progress) {
  if (!progress) return;
  progress->step = t->step;
  progress->loss = (float)t->loss;
  progress->gradient_norm = (float)t->gnorm;
  progress->train_accuracy = done ? t->train_accuracy : 0.0f;
  progress->temperature = done ? head->temperature : 1.0f;
  progress->l2 = done ? t->l2 : 0.0f;
  progress->done = done;
}

imprint_status imprint_head_train_step(imprint_head *head, uint32_t iterations, imprint_train_progress *progress) {
  if (!head || !head->training) return IMPRINT_ERR_INVALID_ARGUMENT;
  head_training *t = head->training;
  uint32_t done_here = 0;
  while (t->job < t->jobs) {
    uint32_t cap = t->job == 0 ? t->max_iterations : FOLD_MAX_ITERATIONS;
    int converged = t->stalled || t->gnorm < t->tolerance || t->job_step >= cap;
    if (!converged) {
      if (done_here >= iterations) break;
      if (!lbfgs_iteration(t)) t->stalled = 1;
      t->step++;
      t->job_step++;
      done_here++;
      continue;
    }
    finish_job(t);
    if (++t->job < t->jobs) start_job(t);
  }
  if (t->job < t->jobs) {
    report(t, head, 0, progress);
    return IMPRINT_OK;
  }
  imprint_status st = finish(head, t);
  if (st != IMPRINT_OK) {
    head_cancel_training(head);
    return st;
  }
  report(t, head, 1, progress);
  head_cancel_training(head);
  return IMPRINT_OK;
}

imprint_status imprint_head_train(imprint_head *head, const imprint_train_options *options,
                                  imprint_train_progress *progress) {
  imprint_status st = imprint_head_train_begin(head, options);
  imprint_train_progress local;
  if (!progress) progress = &local;
  progress->done = 0;
  while (st == IMPRINT_OK && !progress->done) st = imprint_head_train_step(head, 1000, progress);
  return st;
}
