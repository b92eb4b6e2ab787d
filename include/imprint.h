/* imprint.h — few-shot image embeddings and classification, on the user's device.
 *
 * A model (a backbone network from an imprint model file) turns an image into an embedding; a
 * head learns classes from a few labelled embeddings and classifies new ones:
 *
 *   imprint_model *model;
 *   char error[256];
 *   if (imprint_model_create(file_bytes, file_size, error, sizeof error, &model) != IMPRINT_OK) ...
 *   imprint_model_set_input_encoded(model, jpeg_bytes, jpeg_size);  // or _set_input_pixels()
 *   imprint_model_embed(model, embedding, imprint_model_embedding_dim(model));
 *   ...                                          // classify it with a head: "Heads" below
 *   imprint_model_destroy(model);
 *
 * Every fallible call returns an imprint_status; models also keep a sentence about their last
 * failure (imprint_model_last_error()). Objects are created and destroyed by the caller, who owns
 * every buffer passed in; nothing here keeps a pointer to caller memory after a call returns.
 * Neither models nor heads are thread-safe: use one per thread.
 */
#ifndef IMPRINT_H
#define IMPRINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible call returns one of these. IMPRINT_OK is 0; the values are stable (the JS layer
 * maps them to ImprintError codes by name, see imprint_status_code()). */
typedef enum imprint_status {
  IMPRINT_OK = 0,
  IMPRINT_ERR_INVALID_ARGUMENT = 1,   /* a NULL pointer, a zero size, a buffer too small */
  IMPRINT_ERR_DECODE_FAILED = 2,      /* bytes are not an image stb_image can read, or are damaged */
  IMPRINT_ERR_UNSUPPORTED_FORMAT = 3, /* a real image in a format/variant imprint cannot decode */
  IMPRINT_ERR_IMAGE_TOO_LARGE = 4,    /* width, height or pixel count over the configured limits */
  IMPRINT_ERR_MODEL_CORRUPT = 5,      /* model file fails validation or its checksum */
  IMPRINT_ERR_MODEL_MISMATCH = 6,     /* a head or vector made for another backbone / dimension */
  IMPRINT_ERR_UNKNOWN_LAYER = 7,      /* no layer of that name in the model (or it was fused away) */
  IMPRINT_ERR_OUT_OF_MEMORY = 8,
  IMPRINT_ERR_BACKEND_FAILED = 9, /* XNNPACK refused the graph or failed to run it */
  IMPRINT_ERR_NO_EXAMPLES = 10,
  IMPRINT_ERR_UNKNOWN_LABEL = 11,
  IMPRINT_ERR_HEAD_CORRUPT = 12,
  IMPRINT_ERR_LIMIT_EXCEEDED = 13,
  IMPRINT_ERR_UNKNOWN_ID = 14,            /* no item of an index has that id */
  IMPRINT_ERR_INDEX_CORRUPT = 15,         /* an index file fails validation or its checksum */
  IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES = 16 /* a head loaded from a file saved without its examples
                                              cannot learn more (imprint_head_add_example()) */
} imprint_status;
/* The earlier name of IMPRINT_ERR_BACKEND_FAILED, kept so that existing code still compiles. */
#define IMPRINT_ERR_BACKEND IMPRINT_ERR_BACKEND_FAILED

/* Short, stable, machine-readable name of a status: "OK", "DECODE_FAILED", "IMAGE_TOO_LARGE", ...
 * These are the `code` values of the JS ImprintError. Never NULL. */
const char *imprint_status_code(imprint_status status);
/* One sentence describing a status, for people. Never NULL. */
const char *imprint_status_string(imprint_status status);

/* ---------------------------------------------------------------------------------------------
 * Images
 * ------------------------------------------------------------------------------------------- */

/* Limits checked from an image's header before any pixel memory is allocated (decompression bombs)
 * and on raw pixels handed in. A zero field means "use the default". */
typedef struct imprint_limits {
  uint32_t max_width;  /* default IMPRINT_DEFAULT_MAX_SIDE */
  uint32_t max_height; /* default IMPRINT_DEFAULT_MAX_SIDE */
  uint64_t max_pixels; /* width * height; default IMPRINT_DEFAULT_MAX_PIXELS */
} imprint_limits;

#define IMPRINT_DEFAULT_MAX_SIDE 16384u
#define IMPRINT_DEFAULT_MAX_PIXELS (8192ull * 8192ull)

/* A decoded image: 8-bit interleaved, row-major, no padding between rows.
 * channels: 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA (what the file holds). */
typedef struct imprint_image {
  uint8_t *pixels; /* owned: release with imprint_image_free() */
  uint32_t width, height, channels;
} imprint_image;

/* Decodes JPEG (baseline and progressive, Huffman-coded, 8-bit; EXIF orientation applied; damaged
 * entropy-coded data refused), PNG (any bit depth, palette, gray, alpha), BMP (uncompressed),
 * GIF (first frame), TGA, PSD (composite), HDR, PIC and binary PNM (P5, P6) from memory.
 * `limits` may be NULL for the defaults. On failure *out is zeroed and nothing needs freeing.
 * Errors: IMPRINT_ERR_DECODE_FAILED (damaged or truncated data, or not an image),
 * IMPRINT_ERR_UNSUPPORTED_FORMAT (WebP, HEIC/AVIF, TIFF, JPEG XL, JPEG 2000, SVG, ICO, 12-bit,
 * arithmetic-coded or lossless JPEG, RLE-compressed BMP, plain-text or 1-bit PNM),
 * IMPRINT_ERR_IMAGE_TOO_LARGE, IMPRINT_ERR_OUT_OF_MEMORY. */
imprint_status imprint_image_decode(const uint8_t *bytes, size_t size, const imprint_limits *limits,
                                    imprint_image *out);
/* imprint_image_decode() that also says why it failed: on failure a sentence naming the problem
 * and what to do is written to why[0..why_size) (NUL-terminated; why may be NULL). */
imprint_status imprint_image_decode_explained(const uint8_t *bytes, size_t size, const imprint_limits *limits,
                                              imprint_image *out, char *why, size_t why_size);
void imprint_image_free(imprint_image *image);

/* ---------------------------------------------------------------------------------------------
 * Models: a backbone that turns an image into an embedding
 * ------------------------------------------------------------------------------------------- */

/* An opaque loaded model: the parsed model file, its weights (batch norm folded), and XNNPACK
 * runtimes built once (what the JS API calls an Extractor). Not thread-safe: use one per thread. */
typedef struct imprint_model imprint_model;

/* Parses and validates a model file (format: models/MODEL_FORMAT.md), builds the backbone graph and
 * packs its weights. `bytes` may be freed after the call. On failure, a sentence explaining why
 * is written to `error` (NUL-terminated, truncated to error_size; may be NULL).
 * Errors: IMPRINT_ERR_MODEL_CORRUPT, IMPRINT_ERR_OUT_OF_MEMORY, IMPRINT_ERR_BACKEND. */
imprint_status imprint_model_create(const uint8_t *bytes, size_t size, char *error, size_t error_size,
                                    imprint_model **out);
/* imprint_model_create() without its copy of the file: the model takes over `bytes`, a block of at
 * least `size` bytes from this library's malloc() (imprint's JS allocates it with the exported
 * malloc), whatever the outcome: the model frees it when destroyed, a failed call before it
 * returns. A model file is megabytes: loading holds it once in memory instead of twice. */
imprint_status imprint_model_create_owned(uint8_t *bytes, size_t size, char *error, size_t error_size,
                                          imprint_model **out);
void imprint_model_destroy(imprint_model *model);

/* Threads for the backbone (XNNPACK's thread pool), for the whole process: set once, before the
 * models that should use them are created; a model's calls still return when the work is done.
 * 1, the default, runs everything on the calling thread. A build without threads (the default
 * WebAssembly core) accepts only 1; the threads build (imprint-core-threads, for cross-origin
 * isolated pages) must have started threads - 1 pthread Workers (its JS loader does).
 * Errors: IMPRINT_ERR_INVALID_ARGUMENT (0, more than imprint_max_threads(), or another count
 * after one above 1 was set), IMPRINT_ERR_OUT_OF_MEMORY. */
imprint_status imprint_set_threads(uint32_t threads);
/* The threads the backbone runs on: 1 unless imprint_set_threads() set more. */
uint32_t imprint_threads(void);
/* The most threads this build can use: 1 for a build without threads, else IMPRINT_MAX_THREADS. */
uint32_t imprint_max_threads(void);
#define IMPRINT_MAX_THREADS 64u

/* The detail of the last failed call on `model` ("" after a success). Valid until the next call. */
const char *imprint_model_last_error(const imprint_model *model);

/* Description of the model. */
const char *imprint_model_name(const imprint_model *model);
uint32_t imprint_model_input_height(const imprint_model *model);
uint32_t imprint_model_input_width(const imprint_model *model);
uint32_t imprint_model_embedding_dim(const imprint_model *model);
/* The model hash (FNV-1a 64 of the file) as 16 lowercase hex digits + NUL. */
const char *imprint_model_hash(const imprint_model *model);
/* Preprocessing: value = pixel * scale[c] + bias[c]; resize method and colour order names. */
float imprint_model_input_scale(const imprint_model *model, uint32_t channel);
float imprint_model_input_bias(const imprint_model *model, uint32_t channel);
const char *imprint_model_resize_method(const imprint_model *model); /* e.g. "bilinear-align-corners" */
const char *imprint_model_colour_order(const imprint_model *model);  /* "RGB" or "BGR" */
/* The unknown threshold the model file suggests for heads on its embedding (chosen by measurement
 * when the model was built; see imprint_head_set_unknown_threshold), or 0 when it suggests none. */
float imprint_model_unknown_threshold(const imprint_model *model);

/* Layers whose output can be read with imprint_model_features(): index 0 .. count-1. */
uint32_t imprint_model_layer_count(const imprint_model *model);
const char *imprint_model_layer_name(const imprint_model *model, uint32_t index);
/* Output shape of a layer (h, w, c), or 0 for an index out of range. */
uint32_t imprint_model_layer_height(const imprint_model *model, uint32_t index);
uint32_t imprint_model_layer_width(const imprint_model *model, uint32_t index);
uint32_t imprint_model_layer_channels(const imprint_model *model, uint32_t index);
/* Names of the layers the embedding pools, joined by ',' (NUL-terminated). */
const char *imprint_model_embedding_layers(const imprint_model *model);

/* Limits applied to encoded and raw inputs of this model (NULL restores the defaults). */
void imprint_model_set_limits(imprint_model *model, const imprint_limits *limits);
/* Colour that transparent pixels are composited over (default white: 255, 255, 255). */
void imprint_model_set_background(imprint_model *model, uint8_t r, uint8_t g, uint8_t b);

/* Sets the model's input from encoded image bytes: decode, orient, composite, resize, normalise. */
imprint_status imprint_model_set_input_encoded(imprint_model *model, const uint8_t *bytes, size_t size);
/* Sets the model's input from raw 8-bit pixels (channels 1..4 as in imprint_image; stride in
 * bytes, 0 for tightly packed rows). */
imprint_status imprint_model_set_input_pixels(imprint_model *model, const uint8_t *pixels, uint32_t width,
                                              uint32_t height, uint32_t channels, size_t stride);

/* Mirrors the current input left-right, in place (for flip augmentation: embed, mirror, embed). */
imprint_status imprint_model_mirror_input(imprint_model *model);

/* Runs the backbone on the current input and writes the embedding (L2-normalised,
 * imprint_model_embedding_dim() floats) into `out`. IMPRINT_ERR_INVALID_ARGUMENT if no input was
 * set or out_len is too small. */
imprint_status imprint_model_embed(imprint_model *model, float *out, size_t out_len);

/* Runs the backbone up to `layer` on the current input and writes that layer's global-average-
 * pooled activations (not normalised; imprint_model_layer_channels() floats) into `out`. The first
 * call for a layer builds a runtime for it (kept for later calls). IMPRINT_ERR_UNKNOWN_LAYER when
 * the model has no such layer, or it was fused into another op at load time. */
imprint_status imprint_model_features(imprint_model *model, const char *layer, float *out, size_t out_len);

/* ---------------------------------------------------------------------------------------------
 * Diagnostics
 * ------------------------------------------------------------------------------------------- */

/* Bytes currently allocated from the C heap by everything in this instance (0 where the platform
 * cannot tell). Tests use it to prove that repeated calls do not leak. */
size_t imprint_memory_in_use(void);

/* ---------------------------------------------------------------------------------------------
 * Heads: a few-shot classifier over embeddings
 *
 *   imprint_head *head;
 *   imprint_head_create(imprint_model_embedding_dim(model), imprint_model_hash(model), &head);
 *   imprint_head_add_example(head, "cat", 3, cat_embedding, cat_mirrored_or_NULL, dim);  // any time
 *   imprint_head_add_example(head, "dog", 3, dog_embedding, NULL, dim);
 *   imprint_head_predict(head, query, NULL, dim, scores, 2, &prediction);  // works already (imprinting)
 *   imprint_head_train(head, NULL, &progress);         // or train_begin + train_step(n) in slices
 *   imprint_head_save(head, flags, NULL, 0, &size);    // ask the size, then save into a buffer
 *   imprint_head_destroy(head);
 *
 * Classes are created by their first example and named by UTF-8 labels (compared byte for byte).
 * The head keeps each example's embedding (never the image). How it classifies (chosen in
 * tests/bench/results/head-study.md; accuracy in BENCHMARKS.md): every embedding goes through a
 * power transform (signed square root, then L2 normalisation) and is centred on the class-balanced
 * mean of the training points, then normalised again (pooled ReLU embeddings are nearly collinear;
 * centring is what lets a linear head separate them). Right after an example is added, predictions
 * come from weight imprinting in that space (Qi, Brown & Lowe, "Low-Shot Learning with Imprinted
 * Weights", CVPR 2018): class weights are the normalised class means, times a scale fitted by
 * leave-one-out. Training fits a multinomial logistic regression (softmax) started from the
 * imprinted weights, and a temperature (Guo et al., ICML 2017) on held-out folds of the examples.
 * Any later change to the examples returns the head to imprinting until it is trained again.
 *
 * Embeddings passed in are transformed by the head as above, so any scale works (a zero, NaN or
 * infinite vector is refused). A head is not thread-safe. Prediction allocates nothing, except
 * that the first call after the examples changed refits the imprinted classifier (a few temporary
 * buffers). Heads made for one backbone (model hash + dimension) refuse to load for another.
 * ------------------------------------------------------------------------------------------- */

/* A few-shot classifier (what the JS API calls a Classifier; its file: a classifier file). */
typedef struct imprint_head imprint_head;

#define IMPRINT_HEAD_MAX_CLASSES 1000u     /* distinct labels per head */
#define IMPRINT_HEAD_MAX_EXAMPLES 20000u   /* stored examples per head, all classes together */
#define IMPRINT_HEAD_MAX_LABEL_BYTES 1024u /* UTF-8 bytes per label */
#define IMPRINT_HEAD_MAX_DIM 65536u        /* embedding length */

/* Creates an empty head for embeddings of length `dim` from the model whose hash (16 hex digits,
 * imprint_model_hash()) is `model_hash`. Errors: IMPRINT_ERR_INVALID_ARGUMENT, OUT_OF_MEMORY. */
imprint_status imprint_head_create(uint32_t dim, const char *model_hash, imprint_head **out);
/* Frees everything the head owns. NULL is ignored. */
void imprint_head_destroy(imprint_head *head);

uint32_t imprint_head_dim(const imprint_head *head);
/* The backbone's model hash the head was made for (16 hex digits + NUL). */
const char *imprint_head_model_hash(const imprint_head *head);

/* Adds one example of class `label` (created if new). `mirrored` is the embedding of the left-right
 * mirrored image, or NULL; when present, training also learns from it (flip augmentation).
 * Errors: IMPRINT_ERR_INVALID_ARGUMENT (empty label, not valid UTF-8, dim mismatch, zero/NaN
 * vector), IMPRINT_ERR_LIMIT_EXCEEDED (IMPRINT_HEAD_MAX_* reached), IMPRINT_ERR_OUT_OF_MEMORY,
 * IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES (see imprint_head_can_learn()). On error nothing changes. */
imprint_status imprint_head_add_example(imprint_head *head, const char *label, size_t label_len, const float *embedding,
                                        const float *mirrored, size_t dim);
/* 0 for a head loaded from a file saved without its examples (while it has classes), 1 otherwise.
 * Such a head predicts exactly as the saved one, but it cannot learn: with only the class means
 * left of the old examples, adding examples, removing a class or training would replace the
 * trained weights by weights imprinted from those means, which predicts much worse
 * (models/HEAD_FORMAT.md), so imprint_head_add_example(), imprint_head_remove_class() and
 * imprint_head_train_begin() refuse with IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES and change nothing.
 * Save with IMPRINT_SAVE_EXAMPLES to keep learning later, or imprint_head_clear() to start again. */
int imprint_head_can_learn(const imprint_head *head);
/* Removes a class and all its examples. IMPRINT_ERR_UNKNOWN_LABEL if there is no such class,
 * IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES (see imprint_head_can_learn()). */
imprint_status imprint_head_remove_class(imprint_head *head, const char *label, size_t label_len);
/* Removes every class and example (the backbone binding stays). */
void imprint_head_clear(imprint_head *head);

/* Classes, in the order they were created (removal keeps the others' order). */
uint32_t imprint_head_class_count(const imprint_head *head);
/* Label of class `index` (NUL-terminated; its byte length in *len if len is not NULL), or NULL
 * for an index out of range. Valid until the class is removed. */
const char *imprint_head_label(const imprint_head *head, uint32_t index, size_t *len);
/* Index of the class named `label`, or IMPRINT_ERR_UNKNOWN_LABEL. */
imprint_status imprint_head_find_label(const imprint_head *head, const char *label, size_t label_len, uint32_t *index);
/* Examples stored for class `index` (0 for an index out of range, and for classes of a head
 * loaded from a file saved without examples). */
uint32_t imprint_head_example_count(const imprint_head *head, uint32_t index);
/* Examples stored over all classes. */
uint32_t imprint_head_total_examples(const imprint_head *head);
/* 1 when the weights come from training on the current examples, 0 while they are imprinted. */
int imprint_head_is_trained(const imprint_head *head);

/* Training options. Zero fields take the defaults below, the same for every number of examples. */
typedef struct imprint_train_options {
  float l2;                /* L2 penalty on the weights (not the bias), added to the mean loss;
                              0: IMPRINT_HEAD_DEFAULT_L2 */
  float tolerance;         /* a fit stops when its gradient norm falls below this;
                              0: IMPRINT_HEAD_DEFAULT_TOLERANCE */
  uint32_t max_iterations; /* cap on optimiser iterations of the fit on all examples;
                              0: IMPRINT_HEAD_DEFAULT_MAX_ITERATIONS */
  uint32_t seed;           /* shuffles the folds; same seed and examples → same head */
  uint32_t flags;          /* IMPRINT_TRAIN_* */
} imprint_train_options;

#define IMPRINT_HEAD_DEFAULT_L2 1e-3f
#define IMPRINT_HEAD_DEFAULT_TOLERANCE 1e-4f
#define IMPRINT_HEAD_DEFAULT_MAX_ITERATIONS 300u
#define IMPRINT_TRAIN_NO_MIRROR 1u      /* ignore the mirrored embeddings when training */
#define IMPRINT_TRAIN_NO_CALIBRATION 2u /* keep temperature 1 instead of fitting it */

/* Where a training run is. A run is several fits: the fit on all examples, then, to calibrate,
 * one per fold of the examples (up to 3; none, and temperature 1, with fewer than 10 examples per
 * class on average). `step` counts optimiser iterations over all of them; `loss` is the current
 * fit's class-balanced mean cross-entropy plus penalty. */
typedef struct imprint_train_progress {
  uint32_t step;
  float loss;
  float gradient_norm;
  float train_accuracy; /* fraction of training points predicted right (when done) */
  float temperature;    /* fitted calibration temperature (when done) */
  float l2;             /* penalty used (when done) */
  int done;             /* 1 once the weights are final */
} imprint_train_progress;

/* Starts training on the current examples (options may be NULL for the defaults). Training runs
 * in slices so that a caller can report progress and stay responsive: call
 * imprint_head_train_step() until progress.done. Until then predictions still use the previous
 * weights. Adding or removing examples cancels the run.
 * Errors: IMPRINT_ERR_NO_EXAMPLES (no class has an example), IMPRINT_ERR_INVALID_ARGUMENT,
 * IMPRINT_ERR_SAVED_WITHOUT_EXAMPLES (see imprint_head_can_learn()), IMPRINT_ERR_OUT_OF_MEMORY. */
imprint_status imprint_head_train_begin(imprint_head *head, const imprint_train_options *options);
/* Runs up to `iterations` optimiser iterations. IMPRINT_ERR_INVALID_ARGUMENT when no run is in
 * progress (none started, or the examples changed since). */
imprint_status imprint_head_train_step(imprint_head *head, uint32_t iterations, imprint_train_progress *progress);
/* train_begin + train_step until done. */
imprint_status imprint_head_train(imprint_head *head, const imprint_train_options *options,
                                  imprint_train_progress *progress);

/* One prediction. */
typedef struct imprint_prediction {
  uint32_t best;    /* index of the most probable class */
  float confidence; /* its calibrated probability */
  float similarity; /* cosine similarity to the nearest class mean */
  int unknown;      /* 1 when similarity < the threshold in force (imprint_head_threshold_in_force) */
} imprint_prediction;

/* Default cosine similarity (between the power-transformed query and the nearest class mean,
 * before centring) below which a query counts as unknown. Pooled ReLU embeddings are nearly
 * collinear, so useful thresholds lie just below 1 and depend on the model and the images (what
 * 0.99 does with the default model: BENCHMARKS.md). Set your own with
 * imprint_head_set_unknown_threshold(). */
#define IMPRINT_HEAD_DEFAULT_UNKNOWN_THRESHOLD 0.99f

/* Classifies an embedding (and, if not NULL, its mirror image's embedding: both are power-
 * transformed and averaged into one query, test-time augmentation). Writes class_count probabilities into `scores` (may
 * be NULL when scores_len is 0; otherwise scores_len must be >= the class count) and fills *out. Errors:
 * IMPRINT_ERR_NO_EXAMPLES (no classes), IMPRINT_ERR_INVALID_ARGUMENT. */
imprint_status imprint_head_predict(imprint_head *head, const float *embedding, const float *mirrored, size_t dim,
                                    float *scores, size_t scores_len, imprint_prediction *out);

/* The fixed similarity below which predictions are marked unknown when the unknown rate is 0 or
 * cannot be estimated yet (saved in head files; a NaN or infinite threshold is ignored). */
void imprint_head_set_unknown_threshold(imprint_head *head, float threshold);
float imprint_head_unknown_threshold(const imprint_head *head);

/* Adaptive "unknown". With a rate r > 0, the threshold adapts to the classes taught: it is the
 * r-quantile of the examples' leave-one-out similarities (each example of a class with two or more
 * examples scored against the nearest class mean, its own class's mean computed without it), so
 * about a share r of new images of the taught classes are called unknown, whether the classes are
 * tight or spread out; images of untaught categories fall below it far more often (BENCHMARKS.md,
 * "Unknown"). Until IMPRINT_HEAD_MIN_RATE_EXAMPLES such examples exist (e.g. one example per
 * class), the fixed threshold applies. Rate 0 always uses the fixed threshold. New heads start
 * with IMPRINT_HEAD_DEFAULT_UNKNOWN_RATE (measured: about 10% of held-out images of taught classes,
 * on two data sets). Rates are in [0, IMPRINT_HEAD_MAX_UNKNOWN_RATE]; others are
 * IMPRINT_ERR_INVALID_ARGUMENT. Saved in head files (with the estimate, so a head saved without
 * examples keeps it; another rate on such a head has no examples to estimate from, so the fixed
 * threshold applies). */
#define IMPRINT_HEAD_DEFAULT_UNKNOWN_RATE 0.075f
#define IMPRINT_HEAD_MAX_UNKNOWN_RATE 0.5f
#define IMPRINT_HEAD_MIN_RATE_EXAMPLES 6
imprint_status imprint_head_set_unknown_rate(imprint_head *head, float rate);
float imprint_head_unknown_rate(const imprint_head *head);
/* The threshold predictions use now: the rate's estimate, or the fixed threshold. */
float imprint_head_threshold_in_force(imprint_head *head);
/* Calibration temperature (1 before training; logits are divided by it). */
float imprint_head_temperature(const imprint_head *head);

/* Evaluation: `count` embeddings (row-major, count * dim floats) with their true class indices.
 * Writes the confusion matrix (class_count * class_count uint32, row = truth, column =
 * prediction) if `confusion` is not NULL (confusion_len >= class_count^2), and the accuracy
 * (0 for no embeddings). Errors: IMPRINT_ERR_NO_EXAMPLES (no classes), IMPRINT_ERR_UNKNOWN_LABEL (a
 * truth index >= class_count), IMPRINT_ERR_INVALID_ARGUMENT. */
imprint_status imprint_head_evaluate(imprint_head *head, const float *embeddings, const uint32_t *truth, size_t count,
                                     size_t dim, uint32_t *confusion, size_t confusion_len, float *accuracy);

/* Head files (format: models/HEAD_FORMAT.md). */
#define IMPRINT_SAVE_EXAMPLES 1u /* include the example embeddings, so training can resume */

/* Serialises the head. With out == NULL (or out_len too small), only writes the needed size to
 * *size and returns IMPRINT_OK (or IMPRINT_ERR_INVALID_ARGUMENT when out is too small). */
imprint_status imprint_head_save(imprint_head *head, uint32_t flags, uint8_t *out, size_t out_len, size_t *size);
/* Parses and validates a head file for the backbone (dim, model_hash). Creates a new head only
 * when everything checks out. Errors: IMPRINT_ERR_HEAD_CORRUPT (bad magic, version, checksum,
 * size, label, number), IMPRINT_ERR_MODEL_MISMATCH (made for another backbone),
 * IMPRINT_ERR_OUT_OF_MEMORY, IMPRINT_ERR_INVALID_ARGUMENT. */
imprint_status imprint_head_load(const uint8_t *bytes, size_t size, uint32_t dim, const char *model_hash,
                                 imprint_head **out);

/* ---------------------------------------------------------------------------------------------
 * Indexes: similarity search over embeddings
 *
 *   imprint_index *index;
 *   imprint_index_create(imprint_model_embedding_dim(model), imprint_model_hash(model), &index);
 *   imprint_index_add(index, "cat.jpg", 7, embedding, dim);     // any number of items, any time
 *   uint32_t items[10], found;
 *   float similarities[10];
 *   imprint_index_query(index, query, dim, 10, items, similarities, &found);  // best first
 *   imprint_index_id(index, items[0], NULL);                    // the id of the nearest item
 *   imprint_index_save(index, NULL, 0, &size);                  // ask the size, then save into a buffer
 *   imprint_index_destroy(index);
 *
 * Items are embeddings named by ids (UTF-8, compared byte for byte, unique: adding an id that is
 * already there replaces its embedding). The index keeps the embeddings (never the images).
 *
 * Why not plain cosine similarity: pooled ReLU embeddings are all positive, so raw embeddings of
 * unrelated images have cosines around 0.99 and their ranking is mostly noise (BENCHMARKS.md,
 * "Similarity search"). The index compares them as the head does: each embedding is power-
 * transformed (signed square root, then L2 normalisation) when it is added; a query and every item
 * are centred on the mean of the index's items and normalised again, and the similarity is the
 * cosine of those centred vectors, in [-1, 1]: about 0 for unrelated images, near 1 for near
 * duplicates. Similarities are relative to the collection: adding or removing items moves the mean,
 * so a similarity is stable only while the index does not change (ranking changes little); with
 * one item, its similarity is 0 (it is the mean). Queries cost one dot product per item and
 * allocate nothing; the first query after a change recomputes the mean (one pass over the items).
 * ------------------------------------------------------------------------------------------- */

/* A similarity index (what the JS API calls a SimilarityIndex; its file: an index file). */
typedef struct imprint_index imprint_index;

#define IMPRINT_INDEX_MAX_ITEMS 1000000u /* items per index */
#define IMPRINT_INDEX_MAX_ID_BYTES 1024u /* UTF-8 bytes per id */
#define IMPRINT_INDEX_MAX_DIM 65536u     /* embedding length */

/* Creates an empty index for embeddings of length `dim` from the model whose hash (16 hex digits,
 * imprint_model_hash()) is `model_hash`. Errors: IMPRINT_ERR_INVALID_ARGUMENT, OUT_OF_MEMORY. */
imprint_status imprint_index_create(uint32_t dim, const char *model_hash, imprint_index **out);
/* Frees everything the index owns. NULL is ignored. */
void imprint_index_destroy(imprint_index *index);

uint32_t imprint_index_dim(const imprint_index *index);
/* The backbone's model hash the index was made for (16 hex digits + NUL). */
const char *imprint_index_model_hash(const imprint_index *index);
/* Items in the index. */
uint32_t imprint_index_count(const imprint_index *index);

/* Adds the item `id` with its embedding, or replaces the embedding of the item that has this id
 * (it keeps its place). Any scale of embedding works (it is normalised).
 * Errors: IMPRINT_ERR_INVALID_ARGUMENT (empty id, not valid UTF-8, dim mismatch, zero/NaN/infinite
 * vector), IMPRINT_ERR_LIMIT_EXCEEDED (IMPRINT_INDEX_MAX_ITEMS items, or an id over
 * IMPRINT_INDEX_MAX_ID_BYTES), IMPRINT_ERR_OUT_OF_MEMORY. On error nothing changes. */
imprint_status imprint_index_add(imprint_index *index, const char *id, size_t id_len, const float *embedding,
                                 size_t dim);
/* Removes the item `id`; the others keep their order. IMPRINT_ERR_UNKNOWN_ID if there is none. */
imprint_status imprint_index_remove(imprint_index *index, const char *id, size_t id_len);
/* Removes every item (the backbone binding stays). */
void imprint_index_clear(imprint_index *index);

/* Id of item `item` (0 .. count-1, in the order the items were first added; NUL-terminated, its
 * byte length in *len if len is not NULL), or NULL for an item out of range. Valid until that
 * item is removed or the index changes size. */
const char *imprint_index_id(const imprint_index *index, uint32_t item, size_t *len);
/* Position of the item `id`, or IMPRINT_ERR_UNKNOWN_ID. */
imprint_status imprint_index_find(const imprint_index *index, const char *id, size_t id_len, uint32_t *item);

/* The (at most) k items most similar to `embedding`, best first (ties: the earlier item first):
 * their positions into items[k] and similarities (see above) into similarities[k]; *found is
 * min(k, count). An empty index finds nothing (IMPRINT_OK, *found 0).
 * Errors: IMPRINT_ERR_INVALID_ARGUMENT (dim mismatch, a zero/NaN/infinite vector, k == 0, NULL
 * buffers). */
imprint_status imprint_index_query(imprint_index *index, const float *embedding, size_t dim, uint32_t k,
                                   uint32_t *items, float *similarities, uint32_t *found);

/* The vector the index compares for `embedding`: power-transformed, centred on the index's current
 * mean, L2-normalised (dim floats into out; all zeros for an embedding at the mean). The plain
 * cosine (dot product) of two such vectors is the index's similarity, so they can go into any
 * vector store; they are valid while the index does not change. Errors:
 * IMPRINT_ERR_INVALID_ARGUMENT (dim or out_len mismatch, a zero/NaN/infinite vector). */
imprint_status imprint_index_transform(imprint_index *index, const float *embedding, size_t dim, float *out,
                                       size_t out_len);

/* Index files (format: models/INDEX_FORMAT.md). With out == NULL (or out_len too small), only
 * writes the needed size to *size and returns IMPRINT_OK (or IMPRINT_ERR_INVALID_ARGUMENT when out
 * is too small). */
imprint_status imprint_index_save(const imprint_index *index, uint8_t *out, size_t out_len, size_t *size);
/* Parses and validates an index file for the backbone (dim, model_hash); creates a new index only
 * when everything checks out. Sizes are checked against the file's length before anything is
 * allocated. Errors: IMPRINT_ERR_INDEX_CORRUPT (bad magic, version, checksum, size, id, number),
 * IMPRINT_ERR_MODEL_MISMATCH (made for another backbone), IMPRINT_ERR_OUT_OF_MEMORY,
 * IMPRINT_ERR_INVALID_ARGUMENT. */
imprint_status imprint_index_load(const uint8_t *bytes, size_t size, uint32_t dim, const char *model_hash,
                                  imprint_index **out);

#ifdef __cplusplus
}
#endif
#endif
