/* libFuzzer target: outside bytes through the model-file parser and validator. Whatever it
 * accepts must be safe to read: every tensor is expanded to floats. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "checks.h"
#include "model_file.h"

static int parse_one(const uint8_t *data, size_t size);

/* Both files end in an FNV-1a 64 checksum of everything before it. Most mutations only break the
 * checksum, so each input is also parsed with its checksum recomputed: that lets the fuzzer reach
 * the structural validation behind it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_one(data, size);
  if (size < 16) return 0;
  uint8_t *fixed = malloc(size);
  if (!fixed) abort();
  memcpy(fixed, data, size);
  le_put_u64(fixed + size - 8, fnv1a64(fixed, size - 8));
  parse_one(fixed, size);
  free(fixed);
  return 0;
}

static int parse_one(const uint8_t *data, size_t size) {
  model_file model;
  char why[256];
  if (model_file_parse(data, size, &model, why, sizeof why) != IMPRINT_OK) return 0;
  for (uint32_t t = 0; t < model.tensor_count; t++) {
    const model_tensor *tensor = &model.tensors[t];
    if (tensor->element_count > (1u << 22)) continue;
    float *values = malloc(tensor->element_count * sizeof(float) + 1);
    if (!values) abort();
    model_tensor_to_f32(tensor, values);
    free(values);
  }
  for (uint32_t n = 0; n < model.node_count; n++) {
    if (model_file_find_node(&model, model.nodes[n].name, model.nodes[n].name_len) > n) abort();
  }
  model_file_free(&model);
  return 0;
}
