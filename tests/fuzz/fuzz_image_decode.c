/* libFuzzer target: outside bytes through the image decoder (stb_image + our JPEG scan, Huffman
 * decoding and 1/4- and 1/8-scale decodes, EXIF orientation and limits) and the resize/normalise step, as
 * imprint_model_set_input_encoded() runs them; and a JPEG's split into two parts at restart markers
 * (as two threads decode it), each part decoded. Limits are small so the fuzzer explores parsers
 * rather than allocating gigabytes. */
#include <stdint.h>
#include <stdlib.h>

#include "image.h"
#include "jpeg_split.h"
#include "model_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static float out[64 * 64 * 3];
  imprint_limits limits = {2048, 2048, 1u << 20};
  imprint_image image;
  char why[256];
  /* A model's path with an 8x8 input: a JPEG of 64 pixels or more per side is decoded at 1/4 scale,
   * of 128 or more at 1/8. */
  preprocess_spec tiny = {8, 8, {1, 1, 1}, {0, 0, 0}, MODEL_RESIZE_AREA_THEN_BILINEAR, 0, {255, 255, 255}};
  if (image_decode_for_model(data, size, &limits, &tiny, &image, why, sizeof why) == IMPRINT_OK) {
    if (!image.pixels || image.width == 0 || image.height == 0 || image.channels < 1 || image.channels > 4) abort();
    imprint_image_free(&image);
  }
  jpeg_split split;
  if (jpeg_split_rows(data, size, 0.42, &split) == JPEG_SPLIT_MADE) {
    if (split.bottom_first >= split.seam) abort();
    imprint_image part;
    if (image_decode(split.top, split.top_size, &limits, &part, why, sizeof why) == IMPRINT_OK)
      imprint_image_free(&part);
    if (image_decode(split.bottom, split.bottom_size, &limits, &part, why, sizeof why) == IMPRINT_OK)
      imprint_image_free(&part);
    free(split.top);
    free(split.bottom);
  }
  if (image_decode(data, size, &limits, &image, why, sizeof why) != IMPRINT_OK) return 0;
  if (!image.pixels || image.width == 0 || image.height == 0 || image.channels < 1 || image.channels > 4) abort();
  image_view view = {image.pixels, image.width, image.height, image.channels, (size_t)image.width * image.channels};
  preprocess_scratch scratch = {0};
  for (int resize = 0; resize < 3; resize++) {
    preprocess_spec spec = {
        64, 64, {1.0f / 255, 1.0f / 255, 1.0f / 255}, {0, 0, 0}, resize, resize == 1, {255, 255, 255}};
    if (preprocess(&view, &spec, &scratch, out) != IMPRINT_OK) abort();
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
      if (!(out[i] >= -1e-3f && out[i] <= 1.001f)) abort(); /* pixels stay in range, never NaN */
  }
  preprocess_scratch_free(&scratch);
  imprint_image_free(&image);
  return 0;
}
