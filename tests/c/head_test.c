/* head_test.c — the few-shot head: imprinting, training, prediction, head files, limits, errors.
 *
 *   sh tests/c/run-native.sh     (or: ctest --test-dir build/native -R head_test)
 *
 * Embeddings are synthetic: well-separated Gaussian clusters on the unit sphere, from a fixed
 * seed. Every damaged head file is parsed from a heap buffer of exactly its length, so
 * AddressSanitizer reports any read past the end. Prints "N passed, N failed"; exits 1 on any
 * failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint.h"

#include "check.h"

static const char *HASH = "0123456789abcdef";
static const char *OTHER_HASH = "fedcba9876543210";

static uint32_t rng_state = 12345u;
static float uniform(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return ((rng_state >> 8) + 0.5f) / 16777216.0f;
}
static float gaussian(void) { return sqrtf(-2.0f * logf(uniform())) * cosf(6.2831853f * uniform()); }

/* Point of cluster `c` (centre: a fixed random direction) with noise `spread`. */
static void cluster_point(float *out, uint32_t dim, const float *centres, uint32_t c, float spread) {
  for (uint32_t i = 0; i < dim; i++) out[i] = centres[c * dim + i] + spread * gaussian();
}

static void make_centres(float *centres, uint32_t classes, uint32_t dim) {
  for (uint32_t i = 0; i < classes * dim; i++) centres[i] = gaussian();
}

static const char *LABELS[] = {"cat", "dog", "caf\xc3\xa9", "\xe7\x8c\xab", "\xf0\x9f\x90\x9f"}; /* café, 猫, 🐟 */

static imprint_head *make_head(uint32_t dim, uint32_t classes, uint32_t per_class, const float *centres, float spread,
                               int mirrored) {
  imprint_head *head = NULL;
  CHECK(imprint_head_create(dim, HASH, &head) == IMPRINT_OK, "create");
  float *x = malloc(dim * sizeof(float)), *m = malloc(dim * sizeof(float));
  for (uint32_t k = 0; k < per_class; k++)
    for (uint32_t c = 0; c < classes; c++) {
      cluster_point(x, dim, centres, c, spread);
      cluster_point(m, dim, centres, c, spread);
      imprint_status st = imprint_head_add_example(head, LABELS[c], strlen(LABELS[c]), x, mirrored ? m : NULL, dim);
      CHECK(st == IMPRINT_OK, "add example %u of class %u: %s", k, c, imprint_status_code(st));
    }
  free(x);
  free(m);
  return head;
}

/* Fraction of fresh cluster points predicted as their cluster. */
static float accuracy_on_fresh(imprint_head *head, uint32_t dim, uint32_t classes, const float *centres, float spread,
                               uint32_t count) {
  float *x = malloc(dim * sizeof(float));
  float scores[8];
  uint32_t right = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t c = i % classes;
    cluster_point(x, dim, centres, c, spread);
    imprint_prediction p;
    if (imprint_head_predict(head, x, NULL, dim, scores, 8, &p) == IMPRINT_OK && p.best == c) right++;
  }
  free(x);
  return (float)right / (float)count;
}

static uint8_t *save(imprint_head *head, uint32_t flags, size_t *size) {
  CHECK(imprint_head_save(head, flags, NULL, 0, size) == IMPRINT_OK, "save size");
  uint8_t *bytes = malloc(*size);
  CHECK(imprint_head_save(head, flags, bytes, *size, size) == IMPRINT_OK, "save");
  return bytes;
}

static void test_imprinting_and_training(void) {
  const uint32_t dim = 64, classes = 5;
  float centres[5 * 64];
  make_centres(centres, classes, dim);
  imprint_head *head = make_head(dim, classes, 4, centres, 0.3f, 0);
  CHECK(imprint_head_class_count(head) == classes, "class count %u", imprint_head_class_count(head));
  CHECK(imprint_head_total_examples(head) == classes * 4, "examples");
  CHECK(imprint_head_example_count(head, 2) == 4, "examples of class 2");
  CHECK(!imprint_head_is_trained(head), "not trained before train()");
  float before = accuracy_on_fresh(head, dim, classes, centres, 0.3f, 200);
  CHECK(before > 0.95f, "imprinting predicts well-separated clusters before training: %.3f", before);

  imprint_train_progress progress;
  memset(&progress, 0, sizeof progress);
  imprint_status st = imprint_head_train_begin(head, NULL);
  CHECK(st == IMPRINT_OK, "train_begin: %s", imprint_status_code(st));
  uint32_t slices = 0;
  while (st == IMPRINT_OK && !progress.done && slices < 100000) {
    st = imprint_head_train_step(head, 3, &progress);
    slices++;
  }
  CHECK(st == IMPRINT_OK && progress.done, "training finishes in slices (%u slices, %u steps)", slices, progress.step);
  CHECK(slices > 1, "training really ran in slices (%u)", slices);
  CHECK(imprint_head_is_trained(head), "trained after train()");
  CHECK(progress.train_accuracy == 1.0f, "train accuracy %.3f", progress.train_accuracy);
  CHECK(isfinite(progress.loss) && progress.loss > 0, "loss %g", progress.loss);
  CHECK(progress.temperature > 0 && isfinite(progress.temperature), "temperature %g", progress.temperature);
  float after = accuracy_on_fresh(head, dim, classes, centres, 0.3f, 200);
  CHECK(after > 0.95f, "trained head predicts fresh points: %.3f", after);
  CHECK(imprint_head_train_step(head, 1, &progress) == IMPRINT_ERR_INVALID_ARGUMENT, "no run in progress");

  /* Deterministic: the same examples and seed give byte-identical heads. */
  imprint_head *again = make_head(dim, classes, 4, centres, 0.3f, 0);
  (void)again;
  imprint_head_destroy(again);
  size_t size_a, size_b;
  uint8_t *a = save(head, IMPRINT_SAVE_EXAMPLES, &size_a);
  imprint_head *copy = NULL;
  CHECK(imprint_head_load(a, size_a, dim, HASH, &copy) == IMPRINT_OK, "load the saved head");
  imprint_train_options options = {0};
  options.seed = 7;
  CHECK(imprint_head_train(head, &options, NULL) == IMPRINT_OK, "train original again");
  /* copy is trained too (loaded): train it again from its examples with the same seed */
  CHECK(imprint_head_train(copy, &options, NULL) == IMPRINT_OK, "train the loaded copy");
  uint8_t *b1 = save(head, IMPRINT_SAVE_EXAMPLES, &size_a);
  uint8_t *b2 = save(copy, IMPRINT_SAVE_EXAMPLES, &size_b);
  CHECK(size_a == size_b && memcmp(b1, b2, size_a) == 0, "training is deterministic for a seed");
  free(a);
  free(b1);
  free(b2);
  imprint_head_destroy(copy);

  /* Adding an example cancels a run and returns to imprinting. */
  CHECK(imprint_head_train_begin(head, NULL) == IMPRINT_OK, "begin");
  float x[64];
  cluster_point(x, dim, centres, 0, 0.3f);
  CHECK(imprint_head_add_example(head, "cat", 3, x, NULL, dim) == IMPRINT_OK, "add during training");
  CHECK(imprint_head_train_step(head, 1, &progress) == IMPRINT_ERR_INVALID_ARGUMENT, "run cancelled by add");
  CHECK(!imprint_head_is_trained(head), "back to imprinting after a change");
  imprint_head_destroy(head);
}

static void test_predict_outputs(void) {
  const uint32_t dim = 32, classes = 3;
  float centres[3 * 32];
  make_centres(centres, classes, dim);
  imprint_head *head = make_head(dim, classes, 3, centres, 0.2f, 1);
  CHECK(imprint_head_train(head, NULL, NULL) == IMPRINT_OK, "train with mirrored views");
  CHECK(imprint_head_unknown_threshold(head) == IMPRINT_HEAD_DEFAULT_UNKNOWN_THRESHOLD, "default threshold");
  CHECK(imprint_head_set_unknown_rate(head, 0.0f) == IMPRINT_OK, "a fixed threshold (test_unknown_rate: adaptive)");
  imprint_head_set_unknown_threshold(head, 0.5f); /* synthetic clusters are far wider than real ones */
  float x[32], scores[3];
  cluster_point(x, dim, centres, 1, 0.2f);
  imprint_prediction p;
  CHECK(imprint_head_predict(head, x, NULL, dim, scores, 3, &p) == IMPRINT_OK, "predict");
  double sum = scores[0] + scores[1] + scores[2];
  CHECK(fabs(sum - 1.0) < 1e-5, "probabilities sum to 1 (%g)", sum);
  CHECK(p.best == 1 && p.confidence == scores[1], "best %u confidence %g", p.best, p.confidence);
  CHECK(!p.unknown && p.similarity > 0.5f, "a cluster point is known (similarity %g)", p.similarity);
  CHECK(imprint_head_predict(head, x, x, dim, scores, 3, &p) == IMPRINT_OK && p.best == 1, "test-time mirror");
  /* Far from everything: a random direction. */
  float far[32];
  for (uint32_t i = 0; i < dim; i++) far[i] = gaussian();
  CHECK(imprint_head_predict(head, far, NULL, dim, NULL, 0, &p) == IMPRINT_OK, "predict without scores");
  CHECK(p.unknown, "a random direction is unknown (similarity %g)", p.similarity);
  imprint_head_set_unknown_threshold(head, -1.0f);
  CHECK(imprint_head_predict(head, far, NULL, dim, NULL, 0, &p) == IMPRINT_OK && !p.unknown, "threshold is settable");
  /* Bad input. */
  float zero[32] = {0};
  CHECK(imprint_head_predict(head, zero, NULL, dim, scores, 3, &p) == IMPRINT_ERR_INVALID_ARGUMENT, "zero vector");
  x[3] = NAN;
  CHECK(imprint_head_predict(head, x, NULL, dim, scores, 3, &p) == IMPRINT_ERR_INVALID_ARGUMENT, "NaN");
  CHECK(imprint_head_predict(head, far, NULL, dim - 1, scores, 3, &p) == IMPRINT_ERR_INVALID_ARGUMENT, "dim");
  CHECK(imprint_head_predict(head, far, NULL, dim, scores, 2, &p) == IMPRINT_ERR_INVALID_ARGUMENT, "scores short");

  /* Evaluation. */
  float set[6 * 32];
  uint32_t truth[6];
  for (uint32_t i = 0; i < 6; i++) {
    truth[i] = i % 3;
    cluster_point(set + i * dim, dim, centres, truth[i], 0.2f);
  }
  uint32_t confusion[9];
  float accuracy = 0;
  CHECK(imprint_head_evaluate(head, set, truth, 6, dim, confusion, 9, &accuracy) == IMPRINT_OK, "evaluate");
  CHECK(accuracy == 1.0f && confusion[0] == 2 && confusion[4] == 2 && confusion[8] == 2, "confusion diagonal");
  truth[0] = 3;
  CHECK(imprint_head_evaluate(head, set, truth, 6, dim, confusion, 9, &accuracy) == IMPRINT_ERR_UNKNOWN_LABEL,
        "evaluate with a label index out of range");

  /* Remove a class: predictions only name the others. */
  CHECK(imprint_head_remove_class(head, "dog", 3) == IMPRINT_OK, "remove dog");
  CHECK(imprint_head_class_count(head) == 2, "two classes left");
  size_t len;
  CHECK(strcmp(imprint_head_label(head, 1, &len), "caf\xc3\xa9") == 0 && len == 5, "order kept, UTF-8 label");
  cluster_point(x, dim, centres, 1, 0.2f);
  CHECK(imprint_head_predict(head, x, NULL, dim, scores, 2, &p) == IMPRINT_OK && p.best < 2, "predict after removal");
  CHECK(imprint_head_remove_class(head, "dog", 3) == IMPRINT_ERR_UNKNOWN_LABEL, "remove again");
  uint32_t index;
  CHECK(imprint_head_find_label(head, "bird", 4, &index) == IMPRINT_ERR_UNKNOWN_LABEL, "find unknown");
  imprint_head_clear(head);
  CHECK(imprint_head_class_count(head) == 0, "clear");
  CHECK(imprint_head_predict(head, far, NULL, dim, scores, 3, &p) == IMPRINT_ERR_NO_EXAMPLES, "empty predict");
  CHECK(imprint_head_train(head, NULL, NULL) == IMPRINT_ERR_NO_EXAMPLES, "empty train");
  imprint_head_destroy(head);
}

static void test_errors_and_limits(void) {
  imprint_head *head = NULL;
  CHECK(imprint_head_create(0, HASH, &head) == IMPRINT_ERR_INVALID_ARGUMENT && !head, "dim 0");
  CHECK(imprint_head_create(8, "xyz", &head) == IMPRINT_ERR_INVALID_ARGUMENT, "bad hash");
  CHECK(imprint_head_create(8, NULL, &head) == IMPRINT_ERR_INVALID_ARGUMENT, "NULL hash");
  CHECK(imprint_head_create(4, HASH, &head) == IMPRINT_OK, "create dim 4");
  float x[4] = {1, 0, 0, 0}, nan_x[4] = {1, NAN, 0, 0};
  CHECK(imprint_head_add_example(head, "", 0, x, NULL, 4) == IMPRINT_ERR_INVALID_ARGUMENT, "empty label");
  CHECK(imprint_head_add_example(head, "\xc3\x28", 2, x, NULL, 4) == IMPRINT_ERR_INVALID_ARGUMENT, "bad UTF-8");
  CHECK(imprint_head_add_example(head, "\xed\xa0\x80", 3, x, NULL, 4) == IMPRINT_ERR_INVALID_ARGUMENT, "surrogate");
  CHECK(imprint_head_add_example(head, "a\0b", 3, x, NULL, 4) == IMPRINT_ERR_INVALID_ARGUMENT, "NUL in label");
  CHECK(imprint_head_add_example(head, "a", 1, nan_x, NULL, 4) == IMPRINT_ERR_INVALID_ARGUMENT, "NaN example");
  CHECK(imprint_head_add_example(head, "a", 1, x, nan_x, 4) == IMPRINT_ERR_INVALID_ARGUMENT, "NaN mirror");
  CHECK(imprint_head_add_example(head, "a", 1, x, NULL, 3) == IMPRINT_ERR_INVALID_ARGUMENT, "dim mismatch");
  CHECK(imprint_head_class_count(head) == 0, "failed adds change nothing");
  char *long_label = malloc(IMPRINT_HEAD_MAX_LABEL_BYTES + 1);
  memset(long_label, 'a', IMPRINT_HEAD_MAX_LABEL_BYTES + 1);
  CHECK(imprint_head_add_example(head, long_label, IMPRINT_HEAD_MAX_LABEL_BYTES + 1, x, NULL, 4) ==
            IMPRINT_ERR_LIMIT_EXCEEDED,
        "label too long");
  CHECK(imprint_head_add_example(head, long_label, IMPRINT_HEAD_MAX_LABEL_BYTES, x, NULL, 4) == IMPRINT_OK,
        "longest label");
  free(long_label);
  imprint_head_clear(head);
  char label[16];
  imprint_status st = IMPRINT_OK;
  for (uint32_t c = 0; c < IMPRINT_HEAD_MAX_CLASSES && st == IMPRINT_OK; c++) {
    snprintf(label, sizeof label, "c%u", c);
    x[c % 4] += 1.0f;
    st = imprint_head_add_example(head, label, strlen(label), x, NULL, 4);
  }
  CHECK(st == IMPRINT_OK && imprint_head_class_count(head) == IMPRINT_HEAD_MAX_CLASSES, "max classes");
  CHECK(imprint_head_add_example(head, "one more", 8, x, NULL, 4) == IMPRINT_ERR_LIMIT_EXCEEDED, "class limit");
  CHECK(imprint_head_add_example(head, "c0", 2, x, NULL, 4) == IMPRINT_OK, "existing class still takes examples");
  imprint_head_clear(head);
  for (uint32_t e = 0; e < IMPRINT_HEAD_MAX_EXAMPLES && st == IMPRINT_OK; e++)
    st = imprint_head_add_example(head, e % 2 ? "odd" : "even", e % 2 ? 3 : 4, x, NULL, 4);
  CHECK(st == IMPRINT_OK && imprint_head_total_examples(head) == IMPRINT_HEAD_MAX_EXAMPLES, "max examples");
  CHECK(imprint_head_add_example(head, "odd", 3, x, NULL, 4) == IMPRINT_ERR_LIMIT_EXCEEDED, "example limit");
  imprint_head_destroy(head);
  imprint_head_destroy(NULL);
}

static void test_head_file(void) {
  const uint32_t dim = 8, classes = 3;
  float centres[3 * 8];
  make_centres(centres, classes, dim);
  imprint_head *head = make_head(dim, classes, 2, centres, 0.2f, 0);
  CHECK(imprint_head_train(head, NULL, NULL) == IMPRINT_OK, "train");
  float x[8], s1[3], s2[3];
  cluster_point(x, dim, centres, 2, 0.2f);
  imprint_prediction p1, p2;
  CHECK(imprint_head_predict(head, x, NULL, dim, s1, 3, &p1) == IMPRINT_OK, "predict");

  for (uint32_t flags = 0; flags <= IMPRINT_SAVE_EXAMPLES; flags++) {
    size_t size;
    uint8_t *bytes = save(head, flags, &size);
    imprint_head *loaded = NULL;
    CHECK(imprint_head_load(bytes, size, dim, HASH, &loaded) == IMPRINT_OK, "load (flags %u)", flags);
    CHECK(imprint_head_predict(loaded, x, NULL, dim, s2, 3, &p2) == IMPRINT_OK, "predict loaded");
    CHECK(memcmp(s1, s2, sizeof s1) == 0 && p1.best == p2.best && p1.unknown == p2.unknown,
          "identical scores after save and load (flags %u)", flags);
    CHECK(imprint_head_example_count(loaded, 0) == (flags ? 2u : 0u), "examples kept only when asked");
    if (flags) {
      CHECK(imprint_head_can_learn(loaded), "a head saved with examples can learn");
      CHECK(imprint_head_train(loaded, NULL, NULL) == IMPRINT_OK, "a loaded head trains again");
    } else {
      /* Saved without examples: it predicts as saved and refuses to learn, which would replace its
       * trained weights by imprinting from class means (much worse); nothing changes on refusal. */
      float e[8];
      cluster_point(e, dim, centres, 1, 0.2f);
      CHECK(!imprint_head_can_learn(loaded), "a head saved without examples cannot learn");
      CHECK(imprint_head_add_example(loaded, "new", 3, e, NULL, dim) == IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES,
            "addExample on a head saved without examples is refused");
      CHECK(imprint_head_add_example(loaded, LABELS[1], strlen(LABELS[1]), e, NULL, dim) ==
                IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES,
            "also for an existing label");
      CHECK(imprint_head_remove_class(loaded, LABELS[0], strlen(LABELS[0])) == IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES,
            "removeClass is refused");
      CHECK(imprint_head_train(loaded, NULL, NULL) == IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES, "train is refused");
      CHECK(imprint_head_class_count(loaded) == classes && imprint_head_is_trained(loaded), "nothing changed");
      CHECK(imprint_head_predict(loaded, x, NULL, dim, s2, 3, &p2) == IMPRINT_OK && memcmp(s1, s2, sizeof s1) == 0,
            "it still predicts as saved");
    }
    size_t again_size;
    uint8_t *again = save(loaded, flags, &again_size);
    CHECK(again_size == size, "same size when saved again");
    free(again);
    imprint_head_destroy(loaded);

    CHECK(imprint_head_load(bytes, size, dim, OTHER_HASH, &loaded) == IMPRINT_ERR_MODEL_MISMATCH && !loaded,
          "another model hash is refused");
    CHECK(imprint_head_load(bytes, size, dim + 1, HASH, &loaded) == IMPRINT_ERR_MODEL_MISMATCH && !loaded,
          "another dimension is refused");

    uint32_t undetected = 0;
    for (size_t i = 0; i < size; i++) {
      for (int bit = 0; bit < 8; bit += 7) {
        uint8_t *copy = malloc(size);
        memcpy(copy, bytes, size);
        copy[i] ^= (uint8_t)(1u << bit);
        imprint_status st = imprint_head_load(copy, size, dim, HASH, &loaded);
        if (st != IMPRINT_ERR_HEAD_CORRUPT || loaded) undetected++;
        if (loaded) imprint_head_destroy(loaded);
        loaded = NULL;
        free(copy);
      }
    }
    CHECK(undetected == 0, "every flipped bit of %zu bytes is HEAD_CORRUPT (%u undetected, flags %u)", size, undetected,
          flags);
    uint32_t truncations = 0;
    for (size_t len = 0; len < size; len++) {
      uint8_t *copy = malloc(len ? len : 1);
      memcpy(copy, bytes, len);
      imprint_status st = imprint_head_load(copy, len, dim, HASH, &loaded);
      if (st != IMPRINT_ERR_HEAD_CORRUPT || loaded) truncations++;
      if (loaded) imprint_head_destroy(loaded);
      loaded = NULL;
      free(copy);
    }
    CHECK(truncations == 0, "every truncation is HEAD_CORRUPT (%u undetected)", truncations);
    uint8_t *longer = calloc(size + 4, 1);
    memcpy(longer, bytes, size);
    CHECK(imprint_head_load(longer, size + 4, dim, HASH, &loaded) == IMPRINT_ERR_HEAD_CORRUPT, "trailing bytes");
    free(longer);
    free(bytes);
  }
  imprint_head_destroy(head);
}

/* The independent reference of the rate's threshold: signed square root and L2 of every example,
 * each one's cosine to the nearest class mean with its own class's mean computed without it, the
 * rate-quantile of those (linear interpolation). */
static int compare_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}
static void prepare_ref(const float *in, double *out, uint32_t dim) {
  double s = 0;
  for (uint32_t i = 0; i < dim; i++) {
    out[i] = in[i] >= 0 ? sqrt(in[i]) : -sqrt(-in[i]);
    s += out[i] * out[i];
  }
  for (uint32_t i = 0; i < dim; i++) out[i] /= sqrt(s);
}
static double cosine_ref(const double *a, const double *b, uint32_t dim) {
  double ab = 0, aa = 0, bb = 0;
  for (uint32_t i = 0; i < dim; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / sqrt(aa * bb);
}
static float rate_threshold_ref(const float *points, const uint32_t *cls, uint32_t n, uint32_t classes, uint32_t dim,
                                float rate) {
  double *z = malloc((size_t)n * dim * sizeof(double)), *mean = malloc(dim * sizeof(double));
  float *sims = malloc(n * sizeof(float));
  for (uint32_t e = 0; e < n; e++) prepare_ref(points + (size_t)e * dim, z + (size_t)e * dim, dim);
  uint32_t held = 0;
  for (uint32_t e = 0; e < n; e++) {
    double best = -2;
    uint32_t own_count = 0;
    for (uint32_t c = 0; c < classes; c++) {
      memset(mean, 0, dim * sizeof(double));
      uint32_t members = 0;
      for (uint32_t f = 0; f < n; f++) {
        if (cls[f] != c || f == e) continue;
        members++;
        for (uint32_t i = 0; i < dim; i++) mean[i] += z[(size_t)f * dim + i];
      }
      if (c == cls[e]) own_count = members;
      if (members) {
        double cs = cosine_ref(mean, z + (size_t)e * dim, dim);
        if (cs > best) best = cs;
      }
    }
    if (own_count) sims[held++] = (float)best;
  }
  qsort(sims, held, sizeof(float), compare_float);
  double at = rate * (held - 1);
  uint32_t lo = (uint32_t)at, hi = lo + 1 < held ? lo + 1 : lo;
  float t = (float)(sims[lo] + (sims[hi] - sims[lo]) * (at - lo));
  free(z);
  free(mean);
  free(sims);
  return t;
}

static void test_unknown_rate(void) {
  const uint32_t dim = 24, classes = 4, per_class = 5, n = classes * per_class;
  float centres[4 * 24], points[20 * 24], x[24];
  uint32_t cls[20];
  make_centres(centres, classes, dim);
  imprint_head *head = NULL;
  CHECK(imprint_head_create(dim, HASH, &head) == IMPRINT_OK, "create");
  CHECK(imprint_head_unknown_rate(head) == IMPRINT_HEAD_DEFAULT_UNKNOWN_RATE, "default rate");
  for (uint32_t e = 0; e < n; e++) {
    cls[e] = e % classes;
    cluster_point(points + e * dim, dim, centres, cls[e], 0.4f);
    /* One example per class first: no leave-one-out yet, so the fixed threshold applies. */
    if (e == classes)
      CHECK(imprint_head_threshold_in_force(head) == IMPRINT_HEAD_DEFAULT_UNKNOWN_THRESHOLD,
            "one example per class: the fixed threshold (%g)", imprint_head_threshold_in_force(head));
    CHECK(imprint_head_add_example(head, LABELS[cls[e]], strlen(LABELS[cls[e]]), points + e * dim, NULL, dim) ==
              IMPRINT_OK,
          "add");
  }
  float expected = rate_threshold_ref(points, cls, n, classes, dim, IMPRINT_HEAD_DEFAULT_UNKNOWN_RATE);
  float in_force = imprint_head_threshold_in_force(head);
  CHECK(fabsf(in_force - expected) < 1e-5f,
        "the threshold is the rate-quantile of leave-one-out similarities: %g vs %g", in_force, expected);
  CHECK(in_force != IMPRINT_HEAD_DEFAULT_UNKNOWN_THRESHOLD, "it replaces the fixed one");
  /* About `rate` of fresh points of the taught clusters fall below it, random directions mostly do. */
  uint32_t seen_unknown = 0, unseen_unknown = 0, tries = 400;
  imprint_prediction p;
  for (uint32_t t = 0; t < tries; t++) {
    cluster_point(x, dim, centres, t % classes, 0.4f);
    CHECK(imprint_head_predict(head, x, NULL, dim, NULL, 0, &p) == IMPRINT_OK, "predict");
    seen_unknown += p.unknown;
    CHECK(p.unknown == (p.similarity < in_force), "unknown = similarity below the threshold in force");
    for (uint32_t i = 0; i < dim; i++) x[i] = gaussian();
    CHECK(imprint_head_predict(head, x, NULL, dim, NULL, 0, &p) == IMPRINT_OK, "predict");
    unseen_unknown += p.unknown;
  }
  CHECK(seen_unknown > 0 && seen_unknown < tries / 4, "fresh points of taught clusters: %u of %u unknown", seen_unknown,
        tries);
  CHECK(unseen_unknown > tries * 9 / 10, "random directions: %u of %u unknown", unseen_unknown, tries);
  /* A higher rate: the higher quantile. */
  CHECK(imprint_head_set_unknown_rate(head, 0.3f) == IMPRINT_OK, "rate 0.3");
  float higher = imprint_head_threshold_in_force(head);
  CHECK(fabsf(higher - rate_threshold_ref(points, cls, n, classes, dim, 0.3f)) < 1e-5f && higher > in_force,
        "rate 0.3 gives its quantile (%g > %g)", higher, in_force);
  /* Bad rates change nothing. */
  CHECK(imprint_head_set_unknown_rate(head, -0.1f) == IMPRINT_ERR_INVALID_ARGUMENT, "negative rate");
  CHECK(imprint_head_set_unknown_rate(head, 0.51f) == IMPRINT_ERR_INVALID_ARGUMENT, "rate above the maximum");
  CHECK(imprint_head_set_unknown_rate(head, NAN) == IMPRINT_ERR_INVALID_ARGUMENT, "NaN rate");
  CHECK(imprint_head_set_unknown_rate(NULL, 0.1f) == IMPRINT_ERR_INVALID_ARGUMENT, "no head");
  CHECK(imprint_head_unknown_rate(head) == 0.3f && imprint_head_threshold_in_force(head) == higher, "unchanged");
  /* Training does not change it (it depends on the examples only). */
  CHECK(imprint_head_train(head, NULL, NULL) == IMPRINT_OK && imprint_head_threshold_in_force(head) == higher,
        "training keeps the threshold");
  /* Saved and loaded, with and without examples: the same threshold in force. */
  for (uint32_t flags = 0; flags <= IMPRINT_SAVE_EXAMPLES; flags++) {
    size_t size;
    uint8_t *bytes = save(head, flags, &size);
    imprint_head *loaded = NULL;
    CHECK(imprint_head_load(bytes, size, dim, HASH, &loaded) == IMPRINT_OK, "load (flags %u)", flags);
    CHECK(imprint_head_unknown_rate(loaded) == 0.3f && imprint_head_threshold_in_force(loaded) == higher,
          "rate and threshold survive saving (flags %u): %g", flags, imprint_head_threshold_in_force(loaded));
    /* Another rate: estimated again from the examples, or (saved without them) the fixed threshold. */
    CHECK(imprint_head_set_unknown_rate(loaded, 0.2f) == IMPRINT_OK, "another rate on the loaded head");
    float expect_other =
        flags ? rate_threshold_ref(points, cls, n, classes, dim, 0.2f) : imprint_head_unknown_threshold(loaded);
    CHECK(fabsf(imprint_head_threshold_in_force(loaded) - expect_other) < 1e-5f,
          "another rate after loading (flags %u): %g vs %g", flags, imprint_head_threshold_in_force(loaded),
          expect_other);
    imprint_head_destroy(loaded);
    free(bytes);
  }
  /* Rate 0: the fixed threshold. */
  CHECK(imprint_head_set_unknown_rate(head, 0.0f) == IMPRINT_OK, "rate 0");
  imprint_head_set_unknown_threshold(head, 0.25f);
  CHECK(imprint_head_threshold_in_force(head) == 0.25f, "rate 0 uses the fixed threshold");
  size_t size;
  uint8_t *bytes = save(head, 0, &size);
  imprint_head *loaded = NULL;
  CHECK(imprint_head_load(bytes, size, dim, HASH, &loaded) == IMPRINT_OK &&
            imprint_head_threshold_in_force(loaded) == 0.25f && imprint_head_unknown_rate(loaded) == 0.0f,
        "a fixed threshold survives saving");
  imprint_head_destroy(loaded);
  free(bytes);
  /* After clear(), nothing is estimated from examples that are gone. */
  CHECK(imprint_head_set_unknown_rate(head, 0.1f) == IMPRINT_OK, "rate again");
  imprint_head_clear(head);
  CHECK(imprint_head_threshold_in_force(head) == 0.25f, "cleared: the fixed threshold");
  imprint_head_destroy(head);
}

/* Version 1 head files (before the unknown rate) still load, with their fixed threshold. */
static uint64_t fnv1a64_ref(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
static void put_u32_le(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void test_version1_file(void) {
  const uint32_t dim = 8, classes = 3;
  float centres[3 * 8], x[8];
  make_centres(centres, classes, dim);
  imprint_head *head = make_head(dim, classes, 3, centres, 0.2f, 0);
  CHECK(imprint_head_set_unknown_rate(head, 0.0f) == IMPRINT_OK, "fixed");
  imprint_head_set_unknown_threshold(head, 0.625f);
  size_t size;
  uint8_t *v2 = save(head, IMPRINT_SAVE_EXAMPLES, &size);
  /* Version 1: the 64-byte header (no rate fields), version 1, new size and checksum. */
  size_t v1_size = size - 8;
  uint8_t *v1 = malloc(v1_size);
  memcpy(v1, v2, 64);
  memcpy(v1 + 64, v2 + 72, size - 72);
  put_u32_le(v1 + 8, 1);
  put_u32_le(v1 + 16, (uint32_t)v1_size);
  put_u32_le(v1 + 20, 0);
  uint64_t h = fnv1a64_ref(v1, v1_size - 8);
  put_u32_le(v1 + v1_size - 8, (uint32_t)h);
  put_u32_le(v1 + v1_size - 4, (uint32_t)(h >> 32));
  imprint_head *loaded = NULL;
  CHECK(imprint_head_load(v1, v1_size, dim, HASH, &loaded) == IMPRINT_OK, "a version 1 file loads");
  CHECK(loaded && imprint_head_unknown_rate(loaded) == 0.0f && imprint_head_threshold_in_force(loaded) == 0.625f,
        "with its fixed threshold");
  imprint_prediction p1, p2;
  cluster_point(x, dim, centres, 1, 0.2f);
  CHECK(imprint_head_predict(head, x, NULL, dim, NULL, 0, &p1) == IMPRINT_OK &&
            imprint_head_predict(loaded, x, NULL, dim, NULL, 0, &p2) == IMPRINT_OK && p1.best == p2.best &&
            p1.similarity == p2.similarity,
        "and predicts as before");
  /* Version 1 has no rate flag. */
  put_u32_le(v1 + 12, 1u | 4u);
  h = fnv1a64_ref(v1, v1_size - 8);
  put_u32_le(v1 + v1_size - 8, (uint32_t)h);
  put_u32_le(v1 + v1_size - 4, (uint32_t)(h >> 32));
  imprint_head *bad = NULL;
  CHECK(imprint_head_load(v1, v1_size, dim, HASH, &bad) == IMPRINT_ERR_HEAD_CORRUPT && !bad,
        "a version 1 file with the rate flag is refused");
  imprint_head_destroy(loaded);
  imprint_head_destroy(head);
  free(v1);
  free(v2);
}

int main(void) {
  test_imprinting_and_training();
  test_predict_outputs();
  test_errors_and_limits();
  test_head_file();
  test_unknown_rate();
  test_version1_file();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
