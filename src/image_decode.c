/* image_decode.c — encoded bytes to 8-bit pixels with stb_image, with limits checked first. */
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "checks.h"
#include "image.h"
#include "jpeg_decode.h"
#include "jpeg_scan.h"
#include "jpeg_split.h"
#include "model_file.h"

/* stb_image's API, compiled in stb_image_impl.c. Declared here so that only one translation unit
 * includes the implementation. */
#include <stb_image.h>

/* `rotated`: the size is the one after EXIF orientation (what decode() returns), which the message
 * says so a user comparing it with the stored size is not misled. */
static imprint_status check_limits(uint32_t width, uint32_t height, int rotated, const imprint_limits *limits,
                                   char *why, size_t why_size) {
  uint32_t max_width = limits && limits->max_width ? limits->max_width : IMPRINT_DEFAULT_MAX_SIDE;
  uint32_t max_height = limits && limits->max_height ? limits->max_height : IMPRINT_DEFAULT_MAX_SIDE;
  uint64_t max_pixels = limits && limits->max_pixels ? limits->max_pixels : IMPRINT_DEFAULT_MAX_PIXELS;
  if (width == 0 || height == 0)
    return explain(IMPRINT_ERR_INVALID_ARGUMENT, why, why_size, "the image has no pixels (%ux%u)", width, height);
  const char *as_shown = rotated ? " once turned upright by its EXIF orientation" : "";
  if (width > max_width)
    return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size,
                   "the image is %ux%u pixels%s; its width is over the limit maxWidth = %u", width, height, as_shown,
                   max_width);
  if (height > max_height)
    return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size,
                   "the image is %ux%u pixels%s; its height is over the limit maxHeight = %u", width, height, as_shown,
                   max_height);
  if ((uint64_t)width * height > max_pixels)
    return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size,
                   "the image is %ux%u pixels%s, %llu in all; that is over the limit maxPixels = %llu", width, height,
                   as_shown, (unsigned long long)width * height, (unsigned long long)max_pixels);
  return IMPRINT_OK;
}

imprint_status image_check_limits(uint32_t width, uint32_t height, const imprint_limits *limits, char *why,
                                  size_t why_size) {
  return check_limits(width, height, 0, limits, why, why_size);
}

/* What to do with a format imprint's core does not decode. */
#define CONVERT_ADVICE                                                                                    \
  "convert it to PNG or JPEG (in a page, pass an <img> or ImageBitmap instead of the bytes: the browser " \
  "decodes it)"

/* A format stb_image does not read, recognised by its signature so the error can say what it is. */
typedef struct unsupported_format {
  const char *name;
  const char *advice;
} unsupported_format;

/* 1 when the data is text starting (after a BOM and white space) with '<' and an <svg element
 * opens within its first 4 KiB: an SVG file, with or without an XML declaration or DOCTYPE. */
static int looks_like_svg(const uint8_t *b, size_t n) {
  size_t at = 0;
  if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) at = 3;
  while (at < n && (b[at] == ' ' || b[at] == '\t' || b[at] == '\r' || b[at] == '\n')) at++;
  if (at >= n || b[at] != '<') return 0;
  size_t end = n < 4096 ? n : 4096;
  for (size_t i = at; i + 4 <= end; i++)
    if (memcmp(b + i, "<svg", 4) == 0 && (i + 4 == end || !((b[i + 4] | 32) >= 'a' && (b[i + 4] | 32) <= 'z')))
      return 1;
  return 0;
}

static int find_unsupported_format(const uint8_t *b, size_t n, unsupported_format *out) {
  const char *name = NULL, *advice = CONVERT_ADVICE;
  if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) name = "WebP";
  if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0) {
    if (memcmp(b + 8, "avif", 4) == 0 || memcmp(b + 8, "avis", 4) == 0) name = "AVIF";
    if (memcmp(b + 8, "heic", 4) == 0 || memcmp(b + 8, "heix", 4) == 0 || memcmp(b + 8, "mif1", 4) == 0 ||
        memcmp(b + 8, "msf1", 4) == 0 || memcmp(b + 8, "hevc", 4) == 0)
      name = "HEIC/HEIF";
  }
  if (n >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0)) name = "TIFF";
  /* JPEG XL: the ISO/IEC 18181-2 container (box "JXL ") or a bare codestream (FF 0A). */
  if (n >= 12 && memcmp(b, "\0\0\0\x0cJXL \r\n\x87\n", 12) == 0) name = "JPEG XL";
  if (n >= 2 && b[0] == 0xFF && b[1] == 0x0A) name = "JPEG XL";
  /* JPEG 2000: the JP2 signature box (ISO/IEC 15444-1 Annex I) or a bare codestream (SOC, SIZ). */
  if (n >= 12 && memcmp(b, "\0\0\0\x0cjP  \r\n\x87\n", 12) == 0) name = "JPEG 2000";
  if (n >= 4 && memcmp(b, "\xFF\x4F\xFF\x51", 4) == 0) name = "JPEG 2000";
  if (n >= 4 && memcmp(b, "\0\0\1\0", 4) == 0) name = "ICO";
  if (n >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '4') {
    /* Netpbm's plain-text (P1-P3) and 1-bit (P4) variants; stb_image reads binary P5 and P6. */
    static const char *const names[] = {"plain-text PBM (P1)", "plain-text PGM (P2)", "plain-text PPM (P3)",
                                        "1-bit PBM (P4)"};
    if (n < 3 || b[2] == ' ' || b[2] == '\t' || b[2] == '\r' || b[2] == '\n' || b[2] == '#') {
      name = names[b[1] - '1'];
      advice = "convert it to binary PGM/PPM (P5/P6, e.g. pnmtopnm or ImageMagick's convert), PNG or JPEG";
    }
  }
  if (n >= 34 && b[0] == 'B' && b[1] == 'M' && le_get_u32(b + 14) >= 40) {
    /* BMP info header (BITMAPINFOHEADER and later), biCompression: stb_image reads BI_RGB and
     * BI_BITFIELDS only. */
    switch (le_get_u32(b + 30)) {
      case 1: name = "RLE8-compressed BMP"; break;
      case 2: name = "RLE4-compressed BMP"; break;
      case 4: name = "BMP holding a JPEG"; break;
      case 5: name = "BMP holding a PNG"; break;
      default: break;
    }
  }
  if (!name && looks_like_svg(b, n)) {
    name = "SVG";
    advice = "render it to PNG (in a page, pass an <img> showing it: the browser draws it)";
  }
  if (!name) return 0;
  out->name = name;
  out->advice = advice;
  return 1;
}

/* A binary PGM/PPM header's three numbers (width, height, largest sample) as stb_image reads them
 * (stbi__pnm_info: whitespace and # comments between them), each clamped to UINT32_MAX: stb_image
 * adds digits to an int without a bound, so a header number over INT_MAX is undefined behaviour
 * there (found by fuzzing) and must be refused before it reads one. 0 when not such a header. */
static int pnm_header_numbers(const uint8_t *b, size_t n, uint32_t numbers[3]) {
  if (n < 3 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return 0;
  size_t at = 2;
  for (int i = 0; i < 3; i++) {
    for (;;) { /* whitespace, then a comment to the end of its line, again */
      while (at < n && (b[at] == ' ' || (b[at] >= '\t' && b[at] <= '\r'))) at++;
      if (at >= n || b[at] != '#') break;
      while (at < n && b[at] != '\n' && b[at] != '\r') at++;
    }
    uint64_t value = 0;
    for (; at < n && b[at] >= '0' && b[at] <= '9'; at++) {
      value = value * 10 + (uint64_t)(b[at] - '0');
      if (value > UINT32_MAX) value = UINT32_MAX;
    }
    numbers[i] = (uint32_t)value;
  }
  return 1;
}

/* Width and height as PNG (IHDR), GIF (logical screen) and BMP (info header) state them (binary
 * PNM: pnm_header_numbers()). */
static void header_dimensions(const uint8_t *b, size_t n, uint32_t *width, uint32_t *height) {
  if (n >= 24 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0) {
    *width = be_get_u32(b + 16);
    *height = be_get_u32(b + 20);
  } else if (n >= 10 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) {
    *width = le_get_u16(b + 6);
    *height = le_get_u16(b + 8);
  } else if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    int32_t h = (int32_t)le_get_u32(b + 22); /* negative height: rows stored top-down */
    *width = le_get_u32(b + 18);
    *height = h < 0 ? (uint32_t)(-(int64_t)h) : (uint32_t)h;
  }
}

/* stb_image reads PNGs of at most 2^30 bytes of samples (stbi__parse_png_file: 4 per pixel counted
 * for palette images). A larger PNG is a real image, too large for the decoder, not a damaged one. */
static int png_over_decoder_limit(const uint8_t *b, size_t n) {
  if (n < 26 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0) return 0;
  uint32_t width = be_get_u32(b + 16), height = be_get_u32(b + 20), samples;
  switch (b[25]) {              /* colour type */
    case 0: samples = 1; break; /* gray */
    case 2: samples = 3; break; /* RGB */
    case 3: samples = 4; break; /* palette */
    case 4: samples = 2; break; /* gray + alpha */
    case 6: samples = 4; break; /* RGBA */
    default: return 0;
  }
  return width > 0 && height > 0 && (uint64_t)width * height * samples > (1ull << 30);
}

/* stb_image forms `idata + 0` from a NULL idata when an empty IDAT chunk comes before the first one
 * with data (stbi__parse_png_file; undefined behaviour that the fuzzer's UBSan reports). Empty IDAT
 * chunks hold nothing, so the same PNG without them decodes to the same pixels: returns such a copy
 * (its size in *copy_size), or NULL when there is nothing to drop (also for anything not a PNG, or
 * chunks that run past the end: stb_image refuses those itself). *failed is set when the copy
 * cannot be allocated. */
static uint8_t *png_without_leading_empty_idat(const uint8_t *b, size_t n, size_t *copy_size, int *failed) {
  *failed = 0;
  if (n < 8 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) != 0) return NULL;
  size_t pos = 8, empty = 0;
  while (pos + 12 <= n) {
    uint32_t len = be_get_u32(b + pos);
    if (len > n - pos - 12) break;
    int idat = memcmp(b + pos + 4, "IDAT", 4) == 0;
    if (idat && len > 0) break;
    if (idat) empty++;
    if (memcmp(b + pos + 4, "IEND", 4) == 0) break;
    pos += 12 + (size_t)len;
  }
  if (!empty) return NULL;
  uint8_t *copy = malloc(n);
  if (!copy) {
    *failed = 1;
    return NULL;
  }
  size_t in = 8, out = 8;
  memcpy(copy, b, 8);
  while (empty) {
    uint32_t len = be_get_u32(b + in);
    if (len == 0 && memcmp(b + in + 4, "IDAT", 4) == 0) {
      empty--;
    } else {
      memcpy(copy + out, b + in, 12 + (size_t)len);
      out += 12 + (size_t)len;
    }
    in += 12 + (size_t)len;
  }
  memcpy(copy + out, b + in, n - in);
  *copy_size = out + (n - in);
  return copy;
}

/* The area filter's box size along each stored axis of a JPEG stored width x height (the filter
 * works on the shown image: orientations 5..8 swap the axes), at least 1. */
static void stored_box_factors(uint32_t width, uint32_t height, int orientation, uint32_t out_width,
                               uint32_t out_height, uint32_t *stored_x, uint32_t *stored_y) {
  int swapped = orientation >= 5;
  uint32_t shown_width = swapped ? height : width, shown_height = swapped ? width : height;
  uint32_t factor_x = shown_width / (2 * out_width), factor_y = shown_height / (2 * out_height);
  if (factor_x < 1) factor_x = 1;
  if (factor_y < 1) factor_y = 1;
  *stored_x = swapped ? factor_y : factor_x;
  *stored_y = swapped ? factor_x : factor_y;
}

/* The area filter's boxes for a JPEG stored width x height, in stored orientation: the image
 * preprocess()'s box step would make from the full decode, which jpeg_decode_data() makes from the
 * scaled decode's means. preprocess() then only has its bilinear step left, as on the full path,
 * so both give nearly the same input. */
static jpeg_boxes boxes_for(uint32_t width, uint32_t height, int orientation, uint32_t out_width, uint32_t out_height) {
  jpeg_boxes boxes;
  stored_box_factors(width, height, orientation, out_width, out_height, &boxes.factor_x, &boxes.factor_y);
  /* Which stored axes run backwards when shown (image_apply_orientation's cases). */
  boxes.flip_x = orientation == 2 || orientation == 3 || orientation == 7 || orientation == 8;
  boxes.flip_y = orientation == 3 || orientation == 4 || orientation == 6 || orientation == 7;
  return boxes;
}

/* The stored axes along which boxes_for()'s boxes will be whole 8x8 blocks (a multiple of 8
 * pixels, over a size that is a multiple of 8, so from either end): JPEG_WHOLE_BLOCKS_X / _Y for
 * jpeg_decode_data(). */
static int whole_block_axes(uint32_t width, uint32_t height, int orientation, uint32_t out_width, uint32_t out_height) {
  uint32_t factor_x, factor_y;
  stored_box_factors(width, height, orientation, out_width, out_height, &factor_x, &factor_y);
  int axes = 0;
  if (factor_x % 8 == 0 && width % 8 == 0) axes |= JPEG_WHOLE_BLOCKS_X;
  if (factor_y % 8 == 0 && height % 8 == 0) axes |= JPEG_WHOLE_BLOCKS_Y;
  return axes;
}

/* Hands `decoded` (malloc'ed; taken over) out upright as its EXIF orientation says. */
static imprint_status oriented(imprint_image *decoded, int orientation, imprint_image *out, char *why,
                               size_t why_size) {
  if (orientation == 1) {
    *out = *decoded;
    return IMPRINT_OK;
  }
  imprint_status status = image_apply_orientation(decoded, orientation, out);
  free(decoded->pixels); /* stb_image allocates with malloc, as the scaled decode does */
  if (status != IMPRINT_OK) explain(status, why, why_size, "out of memory while rotating the image");
  return status;
}

int jpeg_scale_for(uint32_t shown_width, uint32_t shown_height, uint32_t out_width, uint32_t out_height) {
  if (!out_width || !out_height) return 0;
  /* The area filter's boxes: shown / (2 x out) pixels a side (preprocess.c). */
  uint32_t factor_x = shown_width / (2 * out_width), factor_y = shown_height / (2 * out_height);
  int eighth_x = factor_x % 8 == 0 || factor_x >= JPEG_EIGHTH_ANY_BOX;
  int eighth_y = factor_y % 8 == 0 || factor_y >= JPEG_EIGHTH_ANY_BOX;
  if (factor_x >= 8 && factor_y >= 8 && eighth_x && eighth_y) return 8;
  /* Boxes of 5 pixels against 4 or 5: partial squares on both axes (image.h). */
  int small_boxes = (factor_x == JPEG_QUARTER_SMALL_BOX && factor_y <= JPEG_QUARTER_SMALL_BOX) ||
                    (factor_y == JPEG_QUARTER_SMALL_BOX && factor_x <= JPEG_QUARTER_SMALL_BOX);
  if (!small_boxes && (shown_width + 3) / 4 >= 2 * out_width && (shown_height + 3) / 4 >= 2 * out_height) return 4;
  if (factor_x >= JPEG_HALF_MIN_BOX && factor_y >= JPEG_HALF_MIN_BOX) return 2;
  return 0;
}

static image_pair_runner pair_runner = NULL;

void image_set_pair_runner(image_pair_runner runner) { pair_runner = runner; }
image_pair_runner image_current_pair_runner(void) { return pair_runner; }

/* stb_image's decode of the whole file: its failure reason is taken on the thread that decoded
 * (stb_image keeps it in a global, never a thread-local, here). `wanted`: the channels asked for
 * (0: the file's own); `channels` is then the pixels' count. */
typedef struct stb_decode_task {
  const uint8_t *bytes;
  size_t size;
  int wanted;
  uint8_t *pixels;
  int width, height, channels;
  const char *reason;
} stb_decode_task;

static void stb_decode(stb_decode_task *task) {
  task->pixels =
      stbi_load_from_memory(task->bytes, (int)task->size, &task->width, &task->height, &task->channels, task->wanted);
  task->reason = task->pixels ? NULL : stbi_failure_reason();
  if (task->pixels && task->wanted) task->channels = task->wanted;
}

/* A full-size JPEG's check (jpeg_check_data) and its stb_image decode, for pair_runner. */
typedef struct check_and_decode {
  jpeg_data_result checked;
  char problem[160];
  stb_decode_task decode;
} check_and_decode;

static void run_check(void *context) {
  check_and_decode *both = context;
  both->checked = jpeg_check_data(both->decode.bytes, both->decode.size, both->problem, sizeof both->problem);
}

static void run_decode(void *context) { stb_decode(&((check_and_decode *)context)->decode); }

/* A JPEG with restart intervals decoded in full on two threads: its check and the top part's decode
 * on one, the bottom part's decode on the other (jpeg_split.h). The check takes about a sixth of
 * stb_image's time for the whole image, so the top part has fewer rows. */
#define SPLIT_TOP_SHARE 0.42

typedef struct split_decode {
  const uint8_t *bytes; /* the whole file, which is checked */
  size_t size;
  jpeg_data_result checked;
  char problem[160];
  stb_decode_task top, bottom;
} split_decode;

static void run_check_and_top(void *context) {
  split_decode *job = context;
  job->checked = jpeg_check_data(job->bytes, job->size, job->problem, sizeof job->problem);
  stb_decode(&job->top);
}

static void run_bottom(void *context) { stb_decode(&((split_decode *)context)->bottom); }

/* The parts' pixels as the whole image's (top->pixels grown to hold it, or NULL), freeing both. */
static uint8_t *joined(stb_decode_task *top, stb_decode_task *bottom, const jpeg_split *split, int width, int height) {
  uint8_t *pixels = NULL;
  if (top->pixels && bottom->pixels && top->width == width && bottom->width == width &&
      top->channels == bottom->channels && (uint32_t)top->height >= split->seam &&
      (uint32_t)bottom->height == (uint32_t)height - split->bottom_first) {
    size_t row = (size_t)width * (size_t)top->channels;
    pixels = realloc(top->pixels, row * (size_t)height);
    if (pixels) {
      top->pixels = NULL;
      memcpy(pixels + row * split->seam, bottom->pixels + row * (split->seam - split->bottom_first),
             row * ((size_t)height - split->seam));
    }
  }
  stbi_image_free(top->pixels);
  stbi_image_free(bottom->pixels);
  top->pixels = bottom->pixels = NULL;
  return pixels;
}

/* out_width, out_height: a model's input size when its resize is the area filter (else 0): a large
 * enough JPEG (as shown, after orientation) is decoded at the scale jpeg_scale_for() gives, 1/2,
 * 1/4 or 1/8, so the filter's boxes average 2x2, 4x4 or 8x8 means instead of pixels.
 * for_model: the pixels go to preprocess(), which reads 1 to 4 channels alike, so a colour JPEG
 * decoded in full comes out RGBA (alpha 255, composited to the same values): stb_image converts
 * YCbCr to 4 channels with SIMD but to 3 one pixel at a time, about 30 % of its decode. */
static imprint_status decode(const uint8_t *bytes, size_t size, const imprint_limits *limits, int for_model,
                             uint32_t out_width, uint32_t out_height, imprint_image *out, char *why, size_t why_size) {
  memset(out, 0, sizeof *out);
  if (!bytes || size == 0) return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size, "the image data is empty");
  if (size > (size_t)INT32_MAX)
    return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size, "the encoded image is larger than 2 GiB");
  unsupported_format unsupported;
  if (find_unsupported_format(bytes, size, &unsupported))
    return explain(IMPRINT_ERR_UNSUPPORTED_FORMAT, why, why_size, "%s images are not decoded by imprint; %s",
                   unsupported.name, unsupported.advice);
  /* Sizes from the header first, so a decompression bomb is refused as too large (not as damaged)
   * and before anything is allocated for it. */
  uint32_t header_width = 0, header_height = 0, pnm[3];
  jpeg_info jpeg = {1, 0, 0, NULL};
  jpeg_scan_result scan = jpeg_scan(bytes, size, &jpeg);
  if (scan != JPEG_SCAN_NOT_JPEG) {
    header_width = jpeg.width;
    header_height = jpeg.height;
  } else if (pnm_header_numbers(bytes, size, pnm)) { /* numbers stb_image cannot hold: see there */
    if (pnm[0] > INT32_MAX || pnm[1] > INT32_MAX)
      return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size,
                     "the image is too large to decode (its PNM header states an enormous size)");
    if (pnm[2] > 65535)
      return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size,
                     "the PNM header's largest sample value is over 65535 (a damaged file?)");
    header_width = pnm[0];
    header_height = pnm[1];
  } else {
    header_dimensions(bytes, size, &header_width, &header_height);
  }
  /* EXIF orientations 5..8 swap width and height: limits apply to the size decode() returns. */
  int orientation = jpeg.orientation, swapped = orientation >= 5;
  if (header_width && header_height) {
    imprint_status too_large = swapped ? check_limits(header_height, header_width, 1, limits, why, why_size)
                                       : check_limits(header_width, header_height, 0, limits, why, why_size);
    if (too_large == IMPRINT_ERR_IMAGE_TOO_LARGE) return too_large;
  }
  if (scan == JPEG_SCAN_TRUNCATED)
    return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size,
                   "the JPEG data ends before its end-of-image marker (truncated file?)");
  if (scan == JPEG_SCAN_MALFORMED)
    return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size, "the JPEG data is damaged (a segment is malformed)");
  if (scan == JPEG_SCAN_PROCESS)
    return explain(IMPRINT_ERR_UNSUPPORTED_FORMAT, why, why_size,
                   "%s JPEG is not decoded by imprint (it reads baseline and progressive JPEG); convert it losslessly "
                   "with jpegtran, or to PNG (in a page, pass an <img> or ImageBitmap instead of the bytes)",
                   jpeg.process);
  if (scan == JPEG_SCAN_12_BIT)
    return explain(IMPRINT_ERR_UNSUPPORTED_FORMAT, why, why_size,
                   "12-bit (or other non-8-bit) JPEG is not supported; re-encode as 8-bit JPEG or PNG");

  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(bytes, (int)size, &width, &height, &channels)) {
    const char *reason = stbi_failure_reason();
    if (reason && strcmp(reason, "too large") == 0)
      return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size,
                     "the image is too large to decode (its header states an enormous size)");
    if (png_over_decoder_limit(bytes, size))
      return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size,
                     "the PNG holds more than 1 GiB of pixel data, more than the decoder reads");
    return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size, "not a readable image (%s)",
                   reason && *reason ? reason : "unknown format");
  }
  imprint_status status = swapped ? check_limits((uint32_t)height, (uint32_t)width, 1, limits, why, why_size)
                                  : check_limits((uint32_t)width, (uint32_t)height, 0, limits, why, why_size);
  if (status == IMPRINT_ERR_INVALID_ARGUMENT) status = IMPRINT_ERR_DECODE_FAILED;
  if (status != IMPRINT_OK) return status;

  stb_decode_task full = {bytes, size, for_model && scan == JPEG_SCAN_OK && channels == 3 ? 4 : 0, NULL, 0, 0, 0, NULL};
  int decoded_in_full = 0; /* `full` holds stb_image's result already */
  if (scan == JPEG_SCAN_OK) {
    /* stb_image decodes damaged entropy-coded data without a word (missing data becomes zeros),
     * so imprint Huffman-decodes every scan first; that pass also gives the scaled image. A JPEG
     * decoded in full is checked while stb_image decodes it where two threads are there (the
     * pixels are dropped if the check fails), else checked first. */
    uint32_t shown_width = (uint32_t)(swapped ? height : width), shown_height = (uint32_t)(swapped ? width : height);
    int scale = jpeg_scale_for(shown_width, shown_height, out_width, out_height);
    jpeg_scaled scaled;
    char problem[160];
    jpeg_data_result data;
    jpeg_split split;
    if (!scale && pair_runner && jpeg_split_rows(bytes, size, SPLIT_TOP_SHARE, &split) == JPEG_SPLIT_MADE) {
      split_decode job = {bytes, size, JPEG_DATA_OK, {0}, full, full};
      job.top.bytes = split.top;
      job.top.size = split.top_size;
      job.bottom.bytes = split.bottom;
      job.bottom.size = split.bottom_size;
      pair_runner(run_check_and_top, run_bottom, &job);
      data = job.checked;
      memcpy(problem, job.problem, sizeof problem);
      full.pixels = joined(&job.top, &job.bottom, &split, width, height);
      full.width = width;
      full.height = height;
      full.channels = job.top.channels;
      free(split.top);
      free(split.bottom);
      /* A part stb_image refused (damage the check reports anyway): the whole file on this thread,
       * for its own reason. */
      if (!full.pixels && data != JPEG_DATA_DAMAGED && data != JPEG_DATA_OUT_OF_MEMORY) stb_decode(&full);
      decoded_in_full = 1;
    } else if (!scale && pair_runner) {
      check_and_decode both = {JPEG_DATA_OK, {0}, full};
      pair_runner(run_check, run_decode, &both);
      data = both.checked;
      memcpy(problem, both.problem, sizeof problem);
      full = both.decode;
      decoded_in_full = 1;
    } else {
      int whole_axes =
          scale == 4 ? whole_block_axes((uint32_t)width, (uint32_t)height, orientation, out_width, out_height) : 0;
      jpeg_boxes boxes = {0, 0, 0, 0};
      if (scale) boxes = boxes_for((uint32_t)width, (uint32_t)height, orientation, out_width, out_height);
      data = jpeg_decode_data(bytes, size, scale, whole_axes, scale ? &boxes : NULL, scale ? &scaled : NULL, problem,
                              sizeof problem);
    }
    /* Pixels decoded beside a check that failed are dropped (NULL after a scaled decode). */
    if (data == JPEG_DATA_DAMAGED || data == JPEG_DATA_OUT_OF_MEMORY) stbi_image_free(full.pixels);
    if (data == JPEG_DATA_DAMAGED)
      return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size, "the JPEG data is damaged: %s", problem);
    if (data == JPEG_DATA_OUT_OF_MEMORY)
      return explain(IMPRINT_ERR_OUT_OF_MEMORY, why, why_size, "out of memory while decoding the image");
    if (data == JPEG_DATA_OK && scale && scaled.pixels) {
      imprint_image boxed = {scaled.pixels, scaled.width, scaled.height, scaled.channels};
      return oriented(&boxed, orientation, out, why, why_size);
    }
  }

  if (!decoded_in_full) {
    int copy_failed;
    size_t png_size = 0;
    uint8_t *png = png_without_leading_empty_idat(bytes, size, &png_size, &copy_failed);
    if (copy_failed) return explain(IMPRINT_ERR_OUT_OF_MEMORY, why, why_size, "out of memory while decoding the image");
    if (png) full.bytes = png, full.size = png_size;
    stb_decode(&full);
    free(png);
  }
  uint8_t *pixels = full.pixels;
  int decoded_width = full.width, decoded_height = full.height, file_channels = full.channels;
  if (!pixels) {
    const char *reason = full.reason;
    if (reason && strcmp(reason, "too large") == 0)
      return explain(IMPRINT_ERR_IMAGE_TOO_LARGE, why, why_size, "the image is too large to decode");
    if (reason && strcmp(reason, "outofmem") == 0)
      return explain(IMPRINT_ERR_OUT_OF_MEMORY, why, why_size, "out of memory while decoding the image");
    return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size, "the image data is damaged (%s)",
                   reason && *reason ? reason : "decoder failed");
  }
  /* The header said one size; a damaged file must not make the pixels disagree with it. */
  if (decoded_width != width || decoded_height != height || file_channels < 1 || file_channels > 4) {
    stbi_image_free(pixels);
    return explain(IMPRINT_ERR_DECODE_FAILED, why, why_size,
                   "the image data is damaged (its size changed while decoding)");
  }
  imprint_image decoded = {pixels, (uint32_t)width, (uint32_t)height, (uint32_t)file_channels};
  return oriented(&decoded, orientation, out, why, why_size);
}

imprint_status image_decode(const uint8_t *bytes, size_t size, const imprint_limits *limits, imprint_image *out,
                            char *why, size_t why_size) {
  return decode(bytes, size, limits, 0, 0, 0, out, why, why_size);
}

imprint_status image_decode_for_model(const uint8_t *bytes, size_t size, const imprint_limits *limits,
                                      const preprocess_spec *spec, imprint_image *out, char *why, size_t why_size) {
  int area = spec->resize == MODEL_RESIZE_AREA_THEN_BILINEAR;
  return decode(bytes, size, limits, 1, area ? spec->out_width : 0, area ? spec->out_height : 0, out, why, why_size);
}

imprint_status image_apply_orientation(const imprint_image *in, int orientation, imprint_image *out) {
  /* EXIF orientations 5..8 swap width and height. For each output pixel (x, y) the stored pixel
   * is found by the inverse of the transform the tag describes (CIPA DC-008, Orientation). */
  int swap = orientation >= 5;
  uint32_t out_width = swap ? in->height : in->width;
  uint32_t out_height = swap ? in->width : in->height;
  size_t channels = in->channels;
  uint8_t *pixels = malloc((size_t)out_width * out_height * channels);
  if (!pixels) return IMPRINT_ERR_OUT_OF_MEMORY;
  uint32_t w = in->width, h = in->height;
  for (uint32_t y = 0; y < out_height; y++) {
    for (uint32_t x = 0; x < out_width; x++) {
      uint32_t sx, sy;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          sy = y;
          break; /* mirrored horizontally */
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break; /* rotated 180 */
        case 4:
          sx = x;
          sy = h - 1 - y;
          break; /* mirrored vertically */
        case 5:
          sx = y;
          sy = x;
          break; /* transposed */
        case 6:
          sx = y;
          sy = h - 1 - x;
          break; /* rotate 90 clockwise to view */
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break; /* transverse */
        case 8:
          sx = w - 1 - y;
          sy = x;
          break; /* rotate 90 counter-clockwise to view */
        default:
          sx = x;
          sy = y;
          break;
      }
      memcpy(pixels + ((size_t)y * out_width + x) * channels, in->pixels + ((size_t)sy * w + sx) * channels, channels);
    }
  }
  out->pixels = pixels;
  out->width = out_width;
  out->height = out_height;
  out->channels = in->channels;
  return IMPRINT_OK;
}
