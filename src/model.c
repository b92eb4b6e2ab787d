/* model.c — imprint_model: a loaded model file, its backbone runtimes and its input buffer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#include "backbone.h"
#include "checks.h"
#include "image.h"
#include "model_file.h"

#define FEATURE_RUNTIME_CACHE 8
#define ERROR_BYTES 320

struct imprint_model {
  uint8_t *file_bytes; /* the file, owned: model_file and lazily expanded weights point into it */
  model_file file;
  backbone bb;
  float *input; /* NHWC input tensor + XNN_EXTRA_BYTES */
  int has_input;
  preprocess_spec spec;
  preprocess_scratch scratch;
  imprint_limits limits;
  backbone_runtime embed;
  uint32_t embed_dim;
  backbone_runtime features[FEATURE_RUNTIME_CACHE];
  uint64_t features_used[FEATURE_RUNTIME_CACHE]; /* last use, for least-recently-used eviction */
  uint64_t clock;
  uint32_t *layers; /* readable node indices */
  uint32_t layer_count;
  char **layer_names;
  char *name;
  char *embed_layers;
  char hash_hex[17];
  char error[ERROR_BYTES];
};

static char *copy_name(const char *s, size_t len) {
  char *out = malloc(len + 1);
  if (out) {
    memcpy(out, s, len);
    out[len] = '\0';
  }
  return out;
}

imprint_status imprint_model_create(const uint8_t *bytes, size_t size, char *error, size_t error_size,
                                    imprint_model **out) {
  if (!out) return IMPRINT_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!bytes || size == 0) return explain(IMPRINT_ERR_MODEL_CORRUPT, error, error_size, "the model data is empty");
  uint8_t *copy = malloc(size);
  if (!copy) return explain(IMPRINT_ERR_OUT_OF_MEMORY, error, error_size, "out of memory while loading the model");
  memcpy(copy, bytes, size);
  return imprint_model_create_owned(copy, size, error, error_size, out);
}

imprint_status imprint_model_create_owned(uint8_t *bytes, size_t size, char *error, size_t error_size,
                                          imprint_model **out) {
  if (!out) {
    free(bytes);
    return IMPRINT_ERR_INVALID_ARGUMENT;
  }
  *out = NULL;
  if (!bytes || size == 0) {
    free(bytes);
    return explain(IMPRINT_ERR_MODEL_CORRUPT, error, error_size, "the model data is empty");
  }
  imprint_model *m = calloc(1, sizeof *m);
  if (!m) {
    free(bytes);
    return IMPRINT_ERR_OUT_OF_MEMORY;
  }
  m->file_bytes = bytes; /* freed with the model, also on failure below */
  char why[ERROR_BYTES] = "out of memory while loading the model";
  imprint_status status = model_file_parse(m->file_bytes, size, &m->file, why, sizeof why);
  if (status != IMPRINT_OK) goto fail;
  status = backbone_init(&m->bb, &m->file, why, sizeof why);
  if (status != IMPRINT_OK) goto fail;

  const model_file *f = &m->file;
  status = explain(IMPRINT_ERR_OUT_OF_MEMORY, why, sizeof why, "out of memory while loading the model");
  m->input = calloc(1, (size_t)f->input_height * f->input_width * 3 * sizeof(float) + XNN_EXTRA_BYTES);
  m->name = copy_name(f->name, f->name_len);
  m->layers = malloc(sizeof(uint32_t) * f->node_count);
  m->layer_names = calloc(f->node_count, sizeof(char *));
  if (!m->input || !m->name || !m->layers || !m->layer_names) goto fail;
  for (uint32_t i = 0; i < f->node_count; i++) {
    if (!backbone_node_readable(&m->bb, i)) continue;
    m->layer_names[m->layer_count] = copy_name(f->nodes[i].name, f->nodes[i].name_len);
    if (!m->layer_names[m->layer_count]) goto fail;
    m->layers[m->layer_count++] = i;
  }
  size_t embed_names = 1;
  for (uint32_t k = 0; k < f->embed_count; k++) embed_names += f->nodes[f->embed_nodes[k]].name_len + 1;
  m->embed_layers = calloc(1, embed_names);
  if (!m->embed_layers) goto fail;
  for (uint32_t k = 0; k < f->embed_count; k++) {
    const model_node *n = &f->nodes[f->embed_nodes[k]];
    if (k) strcat(m->embed_layers, ",");
    strncat(m->embed_layers, n->name, n->name_len);
    if (!backbone_node_readable(&m->bb, f->embed_nodes[k])) {
      status = explain(IMPRINT_ERR_MODEL_CORRUPT, why, sizeof why,
                       "the embedding layer '%.*s' is a convolution folded into its batch norm; name the "
                       "batch-norm layer instead",
                       (int)n->name_len, n->name);
      goto fail;
    }
  }
  snprintf(m->hash_hex, sizeof m->hash_hex, "%016llx", (unsigned long long)f->hash);

  m->spec.out_height = f->input_height;
  m->spec.out_width = f->input_width;
  for (int c = 0; c < 3; c++) {
    m->spec.scale[c] = f->scale[c];
    m->spec.bias[c] = f->bias[c];
    m->spec.background[c] = 255;
  }
  m->spec.resize = (int)f->resize;
  m->spec.bgr = f->colour_order == 1;

  status = backbone_runtime_create(&m->bb, f->embed_nodes, f->embed_count, m->input, &m->embed, why, sizeof why);
  if (status != IMPRINT_OK) goto fail;
  for (uint32_t k = 0; k < f->embed_count; k++) m->embed_dim += m->embed.channels[k];
  *out = m;
  return IMPRINT_OK;

fail:
  explain(status, error, error_size, "%s", why);
  imprint_model_destroy(m);
  return status;
}

void imprint_model_destroy(imprint_model *m) {
  if (!m) return;
  backbone_runtime_free(&m->embed);
  for (int k = 0; k < FEATURE_RUNTIME_CACHE; k++) backbone_runtime_free(&m->features[k]);
  backbone_free(&m->bb);
  if (m->layer_names)
    for (uint32_t i = 0; i < m->layer_count; i++) free(m->layer_names[i]);
  free(m->layer_names);
  free(m->layers);
  free(m->embed_layers);
  free(m->name);
  free(m->input);
  preprocess_scratch_free(&m->scratch);
  model_file_free(&m->file);
  free(m->file_bytes);
  free(m);
}

const char *imprint_model_last_error(const imprint_model *m) { return m ? m->error : ""; }
const char *imprint_model_name(const imprint_model *m) { return m->name; }
uint32_t imprint_model_input_height(const imprint_model *m) { return m->file.input_height; }
uint32_t imprint_model_input_width(const imprint_model *m) { return m->file.input_width; }
uint32_t imprint_model_embedding_dim(const imprint_model *m) { return m->embed_dim; }
const char *imprint_model_hash(const imprint_model *m) { return m->hash_hex; }
float imprint_model_input_scale(const imprint_model *m, uint32_t c) { return c < 3 ? m->file.scale[c] : 0.0f; }
float imprint_model_input_bias(const imprint_model *m, uint32_t c) { return c < 3 ? m->file.bias[c] : 0.0f; }
float imprint_model_unknown_threshold(const imprint_model *m) { return m ? m->file.unknown_threshold : 0.0f; }
const char *imprint_model_colour_order(const imprint_model *m) { return m->file.colour_order == 1 ? "BGR" : "RGB"; }
const char *imprint_model_embedding_layers(const imprint_model *m) { return m->embed_layers; }

const char *imprint_model_resize_method(const imprint_model *m) {
  switch (m->file.resize) {
    case MODEL_RESIZE_BILINEAR_ALIGN_CORNERS: return "bilinear-align-corners";
    case MODEL_RESIZE_BILINEAR_HALF_PIXEL: return "bilinear-half-pixel";
    case MODEL_RESIZE_AREA_THEN_BILINEAR: return "area-then-bilinear-align-corners";
  }
  return "unknown";
}

uint32_t imprint_model_layer_count(const imprint_model *m) { return m->layer_count; }
const char *imprint_model_layer_name(const imprint_model *m, uint32_t i) {
  return i < m->layer_count ? m->layer_names[i] : NULL;
}
uint32_t imprint_model_layer_height(const imprint_model *m, uint32_t i) {
  return i < m->layer_count ? m->file.nodes[m->layers[i]].out_shape[0] : 0;
}
uint32_t imprint_model_layer_width(const imprint_model *m, uint32_t i) {
  return i < m->layer_count ? m->file.nodes[m->layers[i]].out_shape[1] : 0;
}
uint32_t imprint_model_layer_channels(const imprint_model *m, uint32_t i) {
  return i < m->layer_count ? m->file.nodes[m->layers[i]].out_shape[2] : 0;
}

void imprint_model_set_limits(imprint_model *m, const imprint_limits *limits) {
  if (limits) {
    m->limits = *limits;
  } else {
    memset(&m->limits, 0, sizeof m->limits);
  }
}

void imprint_model_set_background(imprint_model *m, uint8_t r, uint8_t g, uint8_t b) {
  m->spec.background[0] = r;
  m->spec.background[1] = g;
  m->spec.background[2] = b;
}

static imprint_status set_input(imprint_model *m, const image_view *view) {
  imprint_status status = preprocess(view, &m->spec, &m->scratch, m->input);
  if (status != IMPRINT_OK)
    return explain(status, m->error, sizeof m->error, "%s",
                   status == IMPRINT_ERR_OUT_OF_MEMORY ? "out of memory while resizing the image"
                                                       : "the pixels could not be resized");
  m->has_input = 1;
  return IMPRINT_OK;
}

imprint_status imprint_model_set_input_encoded(imprint_model *m, const uint8_t *bytes, size_t size) {
  if (!m) return IMPRINT_ERR_INVALID_ARGUMENT;
  m->error[0] = '\0';
  m->has_input = 0;
  imprint_image image;
  imprint_status status = image_decode_for_model(bytes, size, &m->limits, &m->spec, &image, m->error, sizeof m->error);
  if (status != IMPRINT_OK) return status;
  image_view view = {image.pixels, image.width, image.height, image.channels, (size_t)image.width * image.channels};
  status = set_input(m, &view);
  imprint_image_free(&image);
  return status;
}

imprint_status imprint_model_set_input_pixels(imprint_model *m, const uint8_t *pixels, uint32_t width, uint32_t height,
                                              uint32_t channels, size_t stride) {
  if (!m) return IMPRINT_ERR_INVALID_ARGUMENT;
  m->error[0] = '\0';
  m->has_input = 0;
  if (channels < 1 || channels > 4)
    return explain(IMPRINT_ERR_INVALID_ARGUMENT, m->error, sizeof m->error,
                   "raw pixels must have 1, 2, 3 or 4 channels, not %u", channels);
  imprint_status status = image_check_limits(width, height, &m->limits, m->error, sizeof m->error);
  if (status != IMPRINT_OK) return status;
  if (!pixels) return explain(IMPRINT_ERR_INVALID_ARGUMENT, m->error, sizeof m->error, "the pixel data is missing");
  size_t row = (size_t)width * channels;
  if (stride == 0) stride = row;
  if (stride < row)
    return explain(IMPRINT_ERR_INVALID_ARGUMENT, m->error, sizeof m->error,
                   "the row stride (%zu bytes) is shorter than a row (%zu bytes)", stride, row);
  image_view view = {pixels, width, height, channels, stride};
  return set_input(m, &view);
}

static imprint_status require_input(imprint_model *m) {
  if (m->has_input) return IMPRINT_OK;
  return explain(IMPRINT_ERR_INVALID_ARGUMENT, m->error, sizeof m->error, "no input: set an image first");
}

static imprint_status run(imprint_model *m, backbone_runtime *rt) {
  imprint_status status = require_input(m);
  if (status != IMPRINT_OK) return status;
  status = backbone_run(rt);
  if (status != IMPRINT_OK) return explain(status, m->error, sizeof m->error, "XNNPACK failed to run the model");
  return IMPRINT_OK;
}

static void l2_normalise(float *v, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += (double)v[i] * v[i];
  if (sum <= 0.0) return; /* an all-zero vector stays zero rather than becoming NaN */
  float inv = (float)(1.0 / sqrt(sum));
  for (size_t i = 0; i < n; i++) v[i] *= inv;
}

imprint_status imprint_model_embed(imprint_model *m, float *out, size_t out_len) {
  if (!m || !out) return IMPRINT_ERR_INVALID_ARGUMENT;
  m->error[0] = '\0';
  if (out_len < m->embed_dim)
    return explain(IMPRINT_ERR_INVALID_ARGUMENT, m->error, sizeof m->error,
                   "the output holds %zu floats; the embedding has %u", out_len, m->embed_dim);
  imprint_status status = run(m, &m->embed);
  if (status != IMPRINT_OK) return status;
  /* Each pooled layer is normalised on its own first so that no layer dominates by scale, then
   * the concatenation is normalised (with one layer this is a plain L2 normalisation). */
  size_t offset = 0;
  for (uint32_t k = 0; k < m->embed.output_count; k++) {
    memcpy(out + offset, m->embed.outputs[k], m->embed.channels[k] * sizeof(float));
    if (m->embed.output_count > 1) l2_normalise(out + offset, m->embed.channels[k]);
    offset += m->embed.channels[k];
  }
  l2_normalise(out, offset);
  return IMPRINT_OK;
}

imprint_status imprint_model_features(imprint_model *m, const char *layer, float *out, size_t out_len) {
  if (!m || !layer) return IMPRINT_ERR_INVALID_ARGUMENT;
  m->error[0] = '\0';
  uint32_t node = model_file_find_node(&m->file, layer, strlen(layer));
  if (node == MODEL_FILE_NONE)
    return explain(IMPRINT_ERR_UNKNOWN_LAYER, m->error, sizeof m->error, "the model has no layer named '%s'", layer);
  if (!backbone_node_readable(&m->bb, node)) {
    const model_node *bn = &m->file.nodes[m->bb.nodes[node].fused_into];
    return explain(IMPRINT_ERR_UNKNOWN_LAYER, m->error, sizeof m->error,
                   "layer '%s' is folded into batch norm '%.*s' when the model loads, so its own output is never "
                   "computed; read '%.*s' instead",
                   layer, (int)bn->name_len, bn->name, (int)bn->name_len, bn->name);
  }
  uint32_t channels = m->file.nodes[node].out_shape[2];
  if (!out || out_len < channels)
    return explain(IMPRINT_ERR_INVALID_ARGUMENT, m->error, sizeof m->error,
                   "the output holds %zu floats; layer '%s' has %u channels", out_len, layer, channels);
  imprint_status status = require_input(m);
  if (status != IMPRINT_OK) return status;
  int slot = -1, oldest = 0;
  for (int k = 0; k < FEATURE_RUNTIME_CACHE; k++) {
    if (m->features[k].runtime && m->features[k].nodes[0] == node) slot = k;
    if (m->features_used[k] < m->features_used[oldest]) oldest = k;
  }
  if (slot < 0) {
    slot = oldest;
    backbone_runtime_free(&m->features[slot]);
    status = backbone_runtime_create(&m->bb, &node, 1, m->input, &m->features[slot], m->error, sizeof m->error);
    if (status != IMPRINT_OK) {
      m->features_used[slot] = 0;
      return status;
    }
  }
  m->features_used[slot] = ++m->clock;
  status = run(m, &m->features[slot]);
  if (status != IMPRINT_OK) return status;
  memcpy(out, m->features[slot].outputs[0], channels * sizeof(float));
  return IMPRINT_OK;
}

imprint_status imprint_model_mirror_input(imprint_model *m) {
  if (!m) return IMPRINT_ERR_INVALID_ARGUMENT;
  m->error[0] = '\0';
  imprint_status status = require_input(m);
  if (status != IMPRINT_OK) return status;
  uint32_t w = m->file.input_width;
  for (uint32_t y = 0; y < m->file.input_height; y++) {
    float *row = m->input + (size_t)y * w * 3;
    for (uint32_t a = 0, b = w - 1; a < b; a++, b--) {
      for (int c = 0; c < 3; c++) {
        float t = row[a * 3 + c];
        row[a * 3 + c] = row[b * 3 + c];
        row[b * 3 + c] = t;
      }
    }
  }
  return IMPRINT_OK;
}
