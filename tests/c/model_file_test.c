/* model_file_test.c — the model-file parser accepts a real converted model and rejects damage.
 *
 *   gcc -std=c11 -Wall -Wextra -Werror -fsanitize=address,undefined -Iinclude -Isrc \
 *       src/model_file.c src/checks.c tests/c/model_file_test.c -o build/model_file_test -lm
 *   build/model_file_test dist/models/mobilenet_v2.imprint
 *
 * Every damaged copy is parsed from a heap buffer of exactly its length, so AddressSanitizer
 * reports any read past the end. Prints "N passed, N failed"; exits 1 on any failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "model_file.h"

#include "check.h"
#include "read_file.h"

#include "byte_order.h"

static void refresh_checksum(uint8_t *bytes, size_t size) { le_put_u64(bytes + size - 8, fnv1a64(bytes, size - 8)); }

/* Parses an exact-size heap copy of bytes[0..size). Returns the status; *why gets the reason. */
static imprint_status parse_copy(const uint8_t *bytes, size_t size, char *why, size_t why_size, int walk) {
  uint8_t *copy = malloc(size ? size : 1);
  memcpy(copy, bytes, size);
  model_file m;
  imprint_status s = model_file_parse(copy, size, &m, why, why_size);
  if (s == IMPRINT_OK && walk) {
    /* Whatever the parser accepted must be safe to walk: dequantize every tensor. */
    for (uint32_t i = 0; i < m.tensor_count; i++) {
      float *values = malloc(m.tensors[i].element_count * sizeof *values);
      model_tensor_to_f32(&m.tensors[i], values);
      free(values);
    }
  }
  model_file_free(&m);
  free(copy);
  return s;
}

/* ---- a valid file: checks what it holds -------------------------------------------------- */

static void test_valid_model(const uint8_t *bytes, size_t size) {
  model_file m;
  char why[256];
  imprint_status s = model_file_parse(bytes, size, &m, why, sizeof why);
  CHECK(s == IMPRINT_OK, "parse of the real model failed: %s", why);
  if (s != IMPRINT_OK) return;
  CHECK(m.version == 1, "version %u", m.version);
  CHECK(m.node_count > 1 && m.nodes[0].op == MODEL_OP_INPUT, "node 0 is INPUT");
  CHECK(m.input_channels == 3 && m.input_height > 0 && m.input_width > 0, "input shape");
  CHECK(m.nodes[0].out_shape[0] == m.input_height && m.nodes[0].out_shape[1] == m.input_width, "INPUT shape = header");
  CHECK(m.name_len > 0, "model has a name");
  uint64_t trailer = 0;
  for (int i = 7; i >= 0; i--) trailer = trailer << 8 | bytes[size - 8 + (size_t)i];
  CHECK(m.hash == trailer, "hash equals the trailer");
  CHECK(m.embed_count >= 1 && m.embed_count <= 4, "embed count %u", m.embed_count);
  for (uint32_t k = 0; k < m.embed_count; k++)
    CHECK(m.embed_nodes[k] > 0 && m.embed_nodes[k] < m.node_count, "embed node");

  uint32_t found = 0;
  for (uint32_t i = 0; i < m.node_count; i++)
    found += model_file_find_node(&m, m.nodes[i].name, m.nodes[i].name_len) == i;
  CHECK(found == m.node_count, "every node is found by its name (%u of %u)", found, m.node_count);
  CHECK(model_file_find_node(&m, "no such layer", 13) == MODEL_FILE_NONE, "unknown names are not found");

  size_t finite = 0, elements = 0;
  for (uint32_t i = 0; i < m.tensor_count; i++) {
    const model_tensor *t = &m.tensors[i];
    float *values = malloc(t->element_count * sizeof *values);
    model_tensor_to_f32(t, values);
    for (size_t j = 0; j < t->element_count; j++) finite += isfinite(values[j]) != 0;
    elements += t->element_count;
    free(values);
  }
  CHECK(finite == elements, "all %zu weights dequantize to finite values", elements);

  printf("model '%.*s': %ux%u input, %u nodes, %u tensors, %zu weights, embed:", (int)m.name_len, m.name,
         m.input_height, m.input_width, m.node_count, m.tensor_count, elements);
  for (uint32_t k = 0; k < m.embed_count; k++) {
    const model_node *n = &m.nodes[m.embed_nodes[k]];
    printf(" %.*s (%u channels)", (int)n->name_len, n->name, n->out_shape[2]);
  }
  printf("\n");

  if (m.name_len == 19 && memcmp(m.name, "nsfwjs-mobilenet_v2", 19) == 0) {
    CHECK(m.input_height == 224 && m.input_width == 224, "mobilenet_v2 is 224x224");
    uint32_t bn = model_file_find_node(&m, "block_10_project_BN", 19);
    CHECK(bn != MODEL_FILE_NONE && m.nodes[bn].op == MODEL_OP_BATCH_NORM, "block_10_project_BN is a BATCH_NORM node");
    if (bn != MODEL_FILE_NONE)
      CHECK(m.nodes[bn].out_shape[0] == 14 && m.nodes[bn].out_shape[2] == 96, "block_10_project_BN is 14x14x96");
    uint32_t conv1 = model_file_find_node(&m, "Conv1", 5);
    CHECK(conv1 != MODEL_FILE_NONE && m.nodes[conv1].out_shape[0] == 112, "Conv1 is 112x112");
  }
  model_file_free(&m);
  CHECK(m.nodes == NULL && m.tensors == NULL, "free clears the model");
}

/* ---- tensor conversion -------------------------------------------------------------------- */

static void test_half_to_float(void) {
  static const struct {
    uint16_t half;
    float value;
  } cases[] = {
      {0x0000, 0.0f},
      {0x3C00, 1.0f},
      {0xC000, -2.0f},
      {0x3555, 0.333251953125f},
      {0x7BFF, 65504.0f},
      {0x0400, 6.103515625e-05f},        /* smallest normal */
      {0x0001, 5.9604644775390625e-08f}, /* smallest subnormal */
      {0x03FF, 6.097555160522461e-05f},  /* largest subnormal */
      {0x8001, -5.9604644775390625e-08f},
      {0x0200, 3.0517578125e-05f},
  };
  size_t n = sizeof cases / sizeof cases[0];
  uint8_t raw[2 * 16 + 1];
  for (size_t i = 0; i < n; i++)
    raw[1 + 2 * i] = (uint8_t)cases[i].half, raw[2 + 2 * i] = (uint8_t)(cases[i].half >> 8);
  model_tensor t = {MODEL_DTYPE_F16, 1, {(uint32_t)n, 1, 1, 1}, n, raw + 1 /* unaligned on purpose */, 0, 0};
  float out[16];
  model_tensor_to_f32(&t, out);
  for (size_t i = 0; i < n; i++)
    CHECK(out[i] == cases[i].value, "half %04x → %g, expected %g", cases[i].half, (double)out[i],
          (double)cases[i].value);

  /* Signs of zero, infinities and NaN. */
  const uint16_t specials[5] = {0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFE01};
  for (int i = 0; i < 5; i++) raw[2 * i] = (uint8_t)specials[i], raw[2 * i + 1] = (uint8_t)(specials[i] >> 8);
  model_tensor s = {MODEL_DTYPE_F16, 1, {5, 1, 1, 1}, 5, raw, 0, 0};
  model_tensor_to_f32(&s, out);
  CHECK(out[0] == 0.0f && signbit(out[0]), "half -0");
  CHECK(isinf(out[1]) && out[1] > 0, "half +inf");
  CHECK(isinf(out[2]) && out[2] < 0, "half -inf");
  CHECK(isnan(out[3]) && isnan(out[4]), "half NaN");

  /* Every half: exact against the definition value = m · 2^(e-25) (normal) or m · 2^-24. */
  int wrong = 0;
  for (uint32_t h = 0; h < 0x10000; h++) {
    uint32_t e = (h >> 10) & 31, m = h & 1023;
    if (e == 31) continue;
    double v = e ? ldexp(1024.0 + m, (int)e - 25) : ldexp((double)m, -24);
    if (h & 0x8000) v = -v;
    uint8_t b[2] = {(uint8_t)h, (uint8_t)(h >> 8)};
    model_tensor one = {MODEL_DTYPE_F16, 1, {1, 1, 1, 1}, 1, b, 0, 0};
    float f;
    model_tensor_to_f32(&one, &f);
    wrong += (double)f != v;
  }
  CHECK(wrong == 0, "%d of 63488 finite halves convert inexactly", wrong);

  /* Every half again, in one tensor (the four-at-a-time path), bit-exact: finite values as above,
   * infinities and NaNs with sign and payload kept. */
  uint8_t *all = malloc(2 * 0x10000 + 1);
  float *converted = malloc(sizeof(float) * 0x10000);
  CHECK(all && converted, "out of memory");
  if (!all || !converted) {
    free(all);
    free(converted);
    return;
  }
  for (uint32_t h = 0; h < 0x10000; h++) all[1 + 2 * h] = (uint8_t)h, all[2 + 2 * h] = (uint8_t)(h >> 8);
  model_tensor every = {MODEL_DTYPE_F16, 1, {0x10000, 1, 1, 1}, 0x10000, all + 1, 0, 0};
  model_tensor_to_f32(&every, converted);
  wrong = 0;
  for (uint32_t h = 0; h < 0x10000; h++) {
    uint32_t e = (h >> 10) & 31, m = h & 1023, bits;
    memcpy(&bits, &converted[h], sizeof bits);
    if (e == 31) {
      wrong += bits != ((h & 0x8000u) << 16 | 0x7F800000u | m << 13);
    } else {
      double v = e ? ldexp(1024.0 + m, (int)e - 25) : ldexp((double)m, -24);
      if (h & 0x8000) v = -v;
      wrong += (double)converted[h] != v || !signbit(converted[h]) != !signbit(v);
    }
  }
  CHECK(wrong == 0, "%d of 65536 halves convert inexactly in one tensor", wrong);
  free(all);
  free(converted);
}

static void test_affine_and_f32(void) {
  uint8_t q[4] = {0, 1, 4, 255};
  model_tensor t = {MODEL_DTYPE_U8_AFFINE, 1, {4, 1, 1, 1}, 4, q, -1.0f, 0.5f};
  float out[4];
  model_tensor_to_f32(&t, out);
  CHECK(out[0] == -1.0f && out[1] == -0.5f && out[2] == 1.0f && out[3] == 126.5f, "u8 affine values");

  /* TF.js rounding: q * scale + min in double, rounded once to float. */
  const float min = -0.87334511607301f, scale = 0.006666756611244351f;
  uint8_t all[256];
  for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
  model_tensor u = {MODEL_DTYPE_U8_AFFINE, 1, {256, 1, 1, 1}, 256, all, min, scale};
  float values[256];
  model_tensor_to_f32(&u, values);
  int mismatches = 0;
  for (int i = 0; i < 256; i++) mismatches += values[i] != (float)((double)i * (double)scale + (double)min);
  CHECK(mismatches == 0, "u8 dequantization rounds like TF.js (%d mismatches)", mismatches);

  uint8_t raw[13];
  const float f[3] = {1.5f, -2.25e-3f, 3.0e30f};
  for (int i = 0; i < 3; i++) le_put_f32(raw + 1 + 4 * i, f[i]);
  model_tensor g = {MODEL_DTYPE_F32, 1, {3, 1, 1, 1}, 3, raw + 1, 0, 0};
  model_tensor_to_f32(&g, out);
  CHECK(out[0] == f[0] && out[1] == f[1] && out[2] == f[2], "f32 from an unaligned buffer");

  CHECK(fnv1a64((const uint8_t *)"", 0) == 0xcbf29ce484222325ull, "FNV-1a of nothing");
  CHECK(fnv1a64((const uint8_t *)"a", 1) == 0xaf63dc4c8601ec8cull, "FNV-1a of 'a'");
  CHECK(fnv1a64((const uint8_t *)"foobar", 6) == 0x85944171f73967e8ull, "FNV-1a of 'foobar'");
  /* Eight bytes per step with a byte tail: every length and offset against the byte-by-byte
   * definition. */
  uint8_t text[64];
  for (int i = 0; i < 64; i++) text[i] = (uint8_t)(i * 37 + 11);
  int fnv_wrong = 0;
  for (size_t offset = 0; offset < 8; offset++) {
    for (size_t len = 0; offset + len <= sizeof text; len++) {
      uint64_t h = 0xcbf29ce484222325ull;
      for (size_t i = 0; i < len; i++) h = (h ^ text[offset + i]) * 0x100000001b3ull;
      fnv_wrong += fnv1a64(text + offset, len) != h;
    }
  }
  CHECK(fnv_wrong == 0, "FNV-1a differs from its definition for %d lengths", fnv_wrong);
}

/* ---- damage ------------------------------------------------------------------------------- */

static void test_arguments(const uint8_t *bytes, size_t size) {
  model_file m;
  char why[128];
  CHECK(model_file_parse(NULL, size, &m, why, sizeof why) == IMPRINT_ERR_INVALID_ARGUMENT, "NULL bytes");
  CHECK(model_file_parse(bytes, size, NULL, why, sizeof why) == IMPRINT_ERR_INVALID_ARGUMENT, "NULL model");
  CHECK(model_file_parse(bytes, size, &m, NULL, 0) == IMPRINT_OK, "why may be NULL");
  model_file_free(&m);
  model_file_free(NULL);
}

static void test_truncation(const uint8_t *bytes, size_t size) {
  char why[256];
  int rejected = 0, tried = 0, consistent_rejected = 0, consistent_tried = 0;
  uint8_t *copy = malloc(size);
  for (size_t len = 0; len < size; len = len < 400 ? len + 1 : len + size / 120 + 7) {
    tried++;
    why[0] = 0;
    rejected += parse_copy(bytes, len, why, sizeof why, 0) == IMPRINT_ERR_MODEL_CORRUPT && why[0];
    /* The same cut with a header that agrees with it and a valid checksum: the table and
     * data bounds checks, not the size check, must catch it. */
    if (len >= 136 && len % 3 == 0) {
      memcpy(copy, bytes, len);
      le_put_u64(copy + 16, len);
      refresh_checksum(copy, len);
      consistent_tried++;
      consistent_rejected += parse_copy(copy, len, why, sizeof why, 0) == IMPRINT_ERR_MODEL_CORRUPT;
    }
  }
  for (size_t cut = 1; cut <= 8; cut++) {
    tried++;
    rejected += parse_copy(bytes, size - cut, why, sizeof why, 0) == IMPRINT_ERR_MODEL_CORRUPT;
  }
  free(copy);
  CHECK(rejected == tried, "truncations rejected: %d of %d", rejected, tried);
  CHECK(consistent_rejected == consistent_tried, "truncations with a consistent header rejected: %d of %d",
        consistent_rejected, consistent_tried);
  printf("truncation: %d cuts, %d with a consistent header and checksum; last reason: %s\n", tried, consistent_tried,
         why);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

#define STRUCTURAL_EDITS 600

static void test_flips(const uint8_t *bytes, size_t size) {
  char why[256];
  uint8_t *copy = malloc(size);
  memcpy(copy, bytes, size);
  uint32_t tables_end = 128 + le_get_u32(bytes + 24) + le_get_u32(bytes + 28) * 48u + le_get_u32(bytes + 32) * 128u;

  /* Any flipped bit anywhere: the checksum must catch it. */
  int tried = 0, rejected = 0;
  for (int i = 0; i < 200; i++) {
    size_t at = i < 100 ? (size_t)rng() % (tables_end + 8) : (size_t)rng() % size;
    uint8_t bit = (uint8_t)(1u << (rng() % 8));
    copy[at] ^= bit;
    tried++;
    rejected += parse_copy(copy, size, why, sizeof why, 0) == IMPRINT_ERR_MODEL_CORRUPT;
    copy[at] ^= bit;
  }
  CHECK(rejected == tried, "flipped bits rejected: %d of %d", rejected, tried);

  /* Damage in the header and tables with the checksum recomputed: the structural checks must
   * reject or accept without crashing; what they accept must still be safe to walk. */
  int structural = 0, accepted = 0;
  for (int i = 0; i < STRUCTURAL_EDITS; i++) {
    size_t at = (size_t)rng() % tables_end;
    uint8_t old = copy[at];
    uint32_t kind = rng() % 4;
    copy[at] = kind == 0 ? (uint8_t)(old ^ (1u << (rng() % 8))) : kind == 1 ? 0xFF : kind == 2 ? 0 : (uint8_t)rng();
    refresh_checksum(copy, size);
    imprint_status s = parse_copy(copy, size, why, sizeof why, 1);
    structural += s == IMPRINT_ERR_MODEL_CORRUPT;
    accepted += s == IMPRINT_OK;
    copy[at] = old;
  }
  refresh_checksum(copy, size);
  CHECK(structural + accepted == STRUCTURAL_EDITS, "structural damage gives only OK or MODEL_CORRUPT");
  CHECK(structural > STRUCTURAL_EDITS / 2, "most structural damage is rejected (%d of %d)", structural,
        STRUCTURAL_EDITS);
  printf("flips: %d/%d bit flips rejected by the checksum; %d/%d structural edits rejected, %d harmless\n", rejected,
         tried, structural, STRUCTURAL_EDITS, accepted);
  free(copy);
}

/* One targeted edit (with checksum refreshed) that must be rejected with a reason containing `expect`. */
static void expect_rejected2(const uint8_t *bytes, size_t size, size_t at, uint32_t value, size_t at2, uint32_t value2,
                             const char *expect, const char *what) {
  uint8_t *copy = malloc(size);
  memcpy(copy, bytes, size);
  le_put_u32(copy + at, value);
  if (at2) le_put_u32(copy + at2, value2);
  refresh_checksum(copy, size);
  char why[256] = "";
  imprint_status s = parse_copy(copy, size, why, sizeof why, 0);
  CHECK(s == IMPRINT_ERR_MODEL_CORRUPT && strstr(why, expect), "%s: status %d, reason '%s' (expected '%s')", what, s,
        why, expect);
  free(copy);
}

static void expect_rejected(const uint8_t *bytes, size_t size, size_t at, uint32_t value, const char *expect,
                            const char *what) {
  expect_rejected2(bytes, size, at, value, 0, 0, expect, what);
}

/* The check of every weight finds the first inf or NaN wherever it sits against its sixteen-byte
 * steps (and unaligned), in float16 and float32, and passes finite values, subnormals and -0. */
static void test_not_finite(void) {
  enum { N = 64 };
  uint8_t raw[4 * N + 1];
  int wrong = 0;
  for (int f16 = 0; f16 < 2; f16++) {
    size_t width = f16 ? 2 : 4;
    uint8_t *p = raw + 1; /* unaligned on purpose */
    for (size_t i = 0; i < N; i++) {
      /* finite: 1.5, a subnormal, -0, the largest finite value, in turn */
      static const uint32_t f32[4] = {0x3FC00000u, 0x00000001u, 0x80000000u, 0x7F7FFFFFu};
      static const uint16_t half[4] = {0x3E00, 0x0001, 0x8000, 0x7BFF};
      if (f16)
        p[2 * i] = (uint8_t)half[i % 4], p[2 * i + 1] = (uint8_t)(half[i % 4] >> 8);
      else
        le_put_u32(p + 4 * i, f32[i % 4]);
    }
    for (size_t n = 0; n <= N; n++) wrong += model_first_not_finite(p, n, f16) != n;
    for (size_t bad = 0; bad < N; bad++) {
      for (int nan = 0; nan < 2; nan++) {
        uint8_t saved[4];
        memcpy(saved, p + bad * width, width);
        if (f16) {
          uint16_t h = nan ? 0xFE01 : 0x7C00; /* -NaN, +inf */
          p[2 * bad] = (uint8_t)h, p[2 * bad + 1] = (uint8_t)(h >> 8);
        } else {
          le_put_u32(p + 4 * bad, nan ? 0xFFC00001u : 0x7F800000u);
        }
        wrong += model_first_not_finite(p, N, f16) != bad;
        wrong += model_first_not_finite(p, bad, f16) != bad; /* before it: all finite */
        memcpy(p + bad * width, saved, width);
      }
    }
  }
  CHECK(wrong == 0, "the finite check misplaced %d of its answers", wrong);
}

static void test_targeted(const uint8_t *bytes, size_t size) {
  const size_t strings = le_get_u32(bytes + 24), tensors = 128 + strings, tensor_count = le_get_u32(bytes + 28);
  const size_t nodes = tensors + tensor_count * 48;
  model_file m;
  if (model_file_parse(bytes, size, &m, NULL, 0) != IMPRINT_OK) return;
  /* Find a CONV2D node with a predecessor and a BATCH_NORM node. */
  uint32_t conv = 0, bn = 0;
  for (uint32_t i = 1; i < m.node_count && (!conv || !bn); i++) {
    if (!conv && m.nodes[i].op == MODEL_OP_CONV2D) conv = i;
    if (!bn && m.nodes[i].op == MODEL_OP_BATCH_NORM) bn = i;
  }
  uint32_t kernel = conv ? m.nodes[conv].tensors[0] : 0;
  model_file_free(&m);
  CHECK(conv && bn, "model has CONV2D and BATCH_NORM nodes");
  if (!conv || !bn) return;
  const size_t cn = nodes + conv * 128u, bnn = nodes + bn * 128u, kt = tensors + kernel * 48u;

  expect_rejected(bytes, size, 0, 0x4C444F4D, "magic", "bad magic");
  expect_rejected(bytes, size, 8, 2, "version", "version 2");
  expect_rejected(bytes, size, 12, 64, "header size", "header size");
  expect_rejected(bytes, size, 24, 0xFFFFFFF0u, "string table", "huge string table");
  expect_rejected(bytes, size, 28, 0x7FFFFFFFu, "tensors", "huge tensor count");
  expect_rejected(bytes, size, 32, 0, "nodes", "no nodes");
  if (size / 48 <= 65536)
    expect_rejected(bytes, size, 28, (uint32_t)(size / 48), "tables need", "tensor table past the end");
  expect_rejected(bytes, size, 28, 65537, "tensors", "tensor count over the limit");
  expect_rejected(bytes, size, 36, (uint32_t)strings, "outside", "model name out of bounds");
  expect_rejected(bytes, size, 52, 4, "channels", "4 input channels");
  expect_rejected(bytes, size, 56, 0x7FC00000u, "finite", "NaN scale");
  expect_rejected(bytes, size, 80, 7, "resize", "unknown resize");
  expect_rejected(bytes, size, 88, 0, "embedding", "no embedding");
  expect_rejected(bytes, size, 92, 0, "embedding", "input as embedding");
  expect_rejected(bytes, size, 92, 100000, "embedding", "embedding past the nodes");
  expect_rejected(bytes, size, 104, 1, "unused embedding", "unused embedding slot");
  expect_rejected(bytes, size, 112, 2, "precision", "unknown compute precision");
  expect_rejected(bytes, size, 120, 1, "reserved", "reserved header byte");
  expect_rejected(bytes, size, kt + 0, 9, "dtype", "unknown dtype");
  expect_rejected(bytes, size, kt + 4, 5, "rank", "rank 5");
  expect_rejected(bytes, size, kt + 8, 0, "dimension", "zero dimension");
  expect_rejected(bytes, size, kt + 24, le_get_u32(bytes + kt + 24) + 1, "aligned", "unaligned data");
  expect_rejected(bytes, size, kt + 24, 16, "outside the data region", "data inside the tables");
  expect_rejected(bytes, size, kt + 28, 1, "outside the data region", "data offset past 4 GiB");
  expect_rejected(bytes, size, kt + 32, le_get_u32(bytes + kt + 32) + 1, "data bytes", "data_bytes wrong");
  expect_rejected(bytes, size, kt + 40, 0x7F800000u,
                  le_get_u32(bytes + kt) == MODEL_DTYPE_U8_AFFINE ? "finite" : "must be 0", "infinite q_min");
  expect_rejected(bytes, size, nodes + 0, 5, "INPUT", "node 0 not INPUT");
  expect_rejected(bytes, size, cn + 0, 99, "unknown op", "op 99");
  expect_rejected(bytes, size, cn + 0, 0, "INPUT", "second INPUT");
  expect_rejected(bytes, size, cn + 8, 0xFFFF, "outside", "name past the string table");
  expect_rejected2(bytes, size, cn + 4, le_get_u32(bytes + nodes + 4), cn + 8, le_get_u32(bytes + nodes + 8),
                   "share the name", "duplicate name");
  expect_rejected(bytes, size, cn + 12, 2, "inputs", "conv with 2 inputs");
  expect_rejected(bytes, size, cn + 16, conv, "earlier node", "self input");
  expect_rejected(bytes, size, cn + 20, 0, "unused input", "unused input slot set");
  expect_rejected(bytes, size, cn + 48, 0, "kernel/stride", "zero kernel");
  expect_rejected(bytes, size, cn + 56, 0, "kernel/stride", "zero stride");
  expect_rejected(bytes, size, cn + 56, 100000, "kernel/stride", "huge stride");
  expect_rejected(bytes, size, cn + 64, 1000, "dilation", "huge dilation");
  expect_rejected(bytes, size, cn + 72, 5000, "padding", "huge padding");
  expect_rejected(bytes, size, cn + 88, 0x7FC00000u, "clamp", "NaN clamp");
  expect_rejected(bytes, size, cn + 96, 0x3F800000u, "fparams[2]", "epsilon on a conv");
  expect_rejected(bytes, size, cn + 100, 0xFFFFFFF0u, "tensor", "kernel index out of range");
  expect_rejected(bytes, size, cn + 100, MODEL_FILE_NONE, "kernel", "kernel missing");
  expect_rejected(bytes, size, cn + 112, 0, "must be NONE", "tensor in an unused slot");
  expect_rejected(bytes, size, cn + 116, le_get_u32(bytes + cn + 116) + 1, "differs", "wrong stored height");
  expect_rejected(bytes, size, cn + 124, le_get_u32(bytes + cn + 124) + 1, "differs", "wrong stored channels");
  expect_rejected2(bytes, size, kt + 16, le_get_u32(bytes + kt + 20), kt + 20, le_get_u32(bytes + kt + 16), "dimension",
                   "kernel cin and cout swapped");
  expect_rejected(bytes, size, bnn + 96, 0, "epsilon", "zero epsilon");
  expect_rejected(bytes, size, bnn + 88, 0, "cannot carry a clamp", "clamp on batch norm");
  expect_rejected(bytes, size, bnn + 108, MODEL_FILE_NONE, "required", "batch norm without mean");
  expect_rejected(bytes, size, bnn + 48, 3, "unused iparams", "iparams on batch norm");
}

/* ---- the binary and newer ops (codes 15-20), on a small model written here ---------------- */

typedef struct test_node {
  uint32_t op, input_count, inputs[8], ip[10];
  float fp[3];
  uint32_t tensors[4], shape[3];
} test_node;

typedef struct test_tensor {
  uint32_t rank, dims[4];
} test_tensor;

#define OPS_NODES 12
#define OPS_TENSORS 6

/* Serialises nodes and f32 tensors (small made-up values) as models/MODEL_FORMAT.md lays them out;
 * node k is named "n<k>". Returns an exact-size heap buffer. */
static uint8_t *write_model(const test_node *nodes, uint32_t node_count, const test_tensor *tensors,
                            uint32_t tensor_count, size_t *size_out) {
  char strings[16 * 20 + 16] = "ops";
  uint32_t name_at[OPS_NODES + 4], name_len[OPS_NODES + 4], used = 3;
  for (uint32_t i = 0; i < node_count; i++) {
    name_at[i] = used;
    name_len[i] = (uint32_t)sprintf(strings + used, "n%u", i);
    used += name_len[i];
  }
  uint32_t string_bytes = (used + 15) / 16 * 16;
  uint64_t data_at = 128u + string_bytes + 48u * tensor_count + 128u * node_count, at = data_at;
  uint64_t offsets[OPS_TENSORS + 4];
  for (uint32_t t = 0; t < tensor_count; t++) {
    uint64_t count = 1;
    for (uint32_t d = 0; d < tensors[t].rank; d++) count *= tensors[t].dims[d];
    offsets[t] = at;
    at += (count * 4 + 15) / 16 * 16;
  }
  size_t size = (size_t)at + 8;
  uint8_t *b = calloc(size, 1);
  memcpy(b, MODEL_FILE_MAGIC, 8);
  le_put_u32(b + 8, 1);
  le_put_u32(b + 12, 128);
  le_put_u64(b + 16, size);
  le_put_u32(b + 24, string_bytes);
  le_put_u32(b + 28, tensor_count);
  le_put_u32(b + 32, node_count);
  le_put_u32(b + 36, 0);
  le_put_u32(b + 40, 3);
  le_put_u32(b + 44, nodes[0].shape[0]);
  le_put_u32(b + 48, nodes[0].shape[1]);
  le_put_u32(b + 52, 3);
  for (int k = 0; k < 3; k++) le_put_f32(b + 56 + 4 * k, 1.0f / 255.0f);
  le_put_u32(b + 88, 1);
  le_put_u32(b + 92, node_count - 1);
  for (int k = 1; k < 4; k++) le_put_u32(b + 92 + 4 * k, MODEL_FILE_NONE);
  memcpy(b + 128, strings, used);
  for (uint32_t t = 0; t < tensor_count; t++) {
    uint8_t *r = b + 128 + string_bytes + 48 * t;
    uint64_t count = 1;
    le_put_u32(r + 4, tensors[t].rank);
    for (uint32_t d = 0; d < 4; d++) {
      uint32_t dim = d < tensors[t].rank ? tensors[t].dims[d] : 1;
      le_put_u32(r + 8 + 4 * d, dim);
      count *= dim;
    }
    le_put_u64(r + 24, offsets[t]);
    le_put_u64(r + 32, count * 4);
    for (uint64_t e = 0; e < count; e++) le_put_f32(b + offsets[t] + 4 * e, (float)((e * 7 + t) % 11) / 10.0f - 0.5f);
  }
  for (uint32_t i = 0; i < node_count; i++) {
    const test_node *n = &nodes[i];
    uint8_t *r = b + 128 + string_bytes + 48 * tensor_count + 128 * i;
    le_put_u32(r, n->op);
    le_put_u32(r + 4, name_at[i]);
    le_put_u32(r + 8, name_len[i]);
    le_put_u32(r + 12, n->input_count);
    for (uint32_t k = 0; k < 8; k++) le_put_u32(r + 16 + 4 * k, k < n->input_count ? n->inputs[k] : MODEL_FILE_NONE);
    for (uint32_t k = 0; k < 10; k++) le_put_u32(r + 48 + 4 * k, n->ip[k]);
    for (uint32_t k = 0; k < 3; k++) le_put_f32(r + 88 + 4 * k, n->fp[k]);
    for (uint32_t k = 0; k < 4; k++) le_put_u32(r + 100 + 4 * k, n->tensors[k]);
    for (uint32_t k = 0; k < 3; k++) le_put_u32(r + 116 + 4 * k, n->shape[k]);
  }
  refresh_checksum(b, size);
  *size_out = size;
  return b;
}

#define NO_T \
  { MODEL_FILE_NONE, MODEL_FILE_NONE, MODEL_FILE_NONE, MODEL_FILE_NONE }
#define LINEAR \
  { -INFINITY, INFINITY, 0 }

/* Every new op and every binary form, valid: the base that the refusals below damage one field of. */
static void ops_base(test_node *n, test_tensor *t) {
  const test_node nodes[OPS_NODES] = {
      {MODEL_OP_INPUT, 0, {0}, {0}, LINEAR, NO_T, {8, 8, 3}},
      {MODEL_OP_GLOBAL_AVG_POOL, 1, {0}, {0}, LINEAR, NO_T, {1, 1, 3}},
      {MODEL_OP_SIGMOID, 1, {1}, {0}, LINEAR, NO_T, {1, 1, 3}},
      {MODEL_OP_MUL, 2, {0, 2}, {0}, LINEAR, NO_T, {8, 8, 3}}, /* squeeze-and-excite gate [1,1,c] */
      {MODEL_OP_HARD_SWISH, 1, {3}, {0}, LINEAR, NO_T, {8, 8, 3}},
      {MODEL_OP_SUB, 1, {4}, {0}, LINEAR, {0, MODEL_FILE_NONE, MODEL_FILE_NONE, MODEL_FILE_NONE}, {8, 8, 3}},
      {MODEL_OP_ADD, 1, {5}, {0}, LINEAR, {1, MODEL_FILE_NONE, MODEL_FILE_NONE, MODEL_FILE_NONE}, {8, 8, 3}},
      {MODEL_OP_CONV2D,
       1,
       {1},
       {1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
       LINEAR,
       {2, MODEL_FILE_NONE, MODEL_FILE_NONE, MODEL_FILE_NONE},
       {1, 1, 1}},
      {MODEL_OP_SUB, 2, {6, 7}, {0}, LINEAR, NO_T, {8, 8, 3}}, /* scalar [1,1,1] */
      {MODEL_OP_RESIZE_BILINEAR, 1, {8}, {5, 11, 0, 1}, LINEAR, NO_T, {5, 11, 3}},
      {MODEL_OP_TRANSPOSE_CONV2D,
       1,
       {9},
       {3, 3, 2, 2, 1, 1, 1, 1, 0, 0},
       {0.0f, 6.0f, 0},
       {3, 4, MODEL_FILE_NONE, MODEL_FILE_NONE},
       {10, 22, 2}},
      {MODEL_OP_MUL, 2, {10, 10}, {0}, LINEAR, NO_T, {10, 22, 2}}, /* same shape */
  };
  const test_tensor tensors[OPS_TENSORS] = {
      {1, {3}}, {1, {1}}, {4, {1, 1, 3, 1}}, {4, {3, 3, 3, 2}}, {1, {2}}, {2, {1, 3}},
  };
  memcpy(n, nodes, sizeof nodes);
  memcpy(t, tensors, sizeof tensors);
}

/* Parses the model with one edit applied; checks acceptance, or refusal with `expect` in the reason. */
static void ops_case(const test_node *nodes, const test_tensor *tensors, const char *expect, const char *what) {
  size_t size = 0;
  uint8_t *bytes = write_model(nodes, OPS_NODES, tensors, OPS_TENSORS, &size);
  char why[256] = "";
  imprint_status s = parse_copy(bytes, size, why, sizeof why, 1);
  if (!expect)
    CHECK(s == IMPRINT_OK, "%s: refused: %s", what, why);
  else
    CHECK(s == IMPRINT_ERR_MODEL_CORRUPT && strstr(why, expect), "%s: status %d, reason '%s' (expected '%s')", what, s,
          why, expect);
  free(bytes);
}

#define OPS_EDIT(expect, what, edit) \
  do {                               \
    test_node n[OPS_NODES];          \
    test_tensor t[OPS_TENSORS];      \
    ops_base(n, t);                  \
    edit;                            \
    ops_case(n, t, expect, what);    \
  } while (0)

static void test_new_ops(void) {
  OPS_EDIT(NULL, "every new op and binary form", (void)0);
  {
    test_node n[OPS_NODES];
    test_tensor t[OPS_TENSORS];
    ops_base(n, t);
    size_t size = 0;
    uint8_t *bytes = write_model(n, OPS_NODES, t, OPS_TENSORS, &size);
    model_file m;
    if (model_file_parse(bytes, size, &m, NULL, 0) == IMPRINT_OK) {
      CHECK(m.nodes[10].op == MODEL_OP_TRANSPOSE_CONV2D && m.nodes[10].out_shape[1] == 22, "transpose conv parsed");
      CHECK(strcmp(model_op_name(MODEL_OP_TRANSPOSE_CONV2D), "TRANSPOSE_CONV2D") == 0 &&
                strcmp(model_op_name(MODEL_OP_MUL), "MUL") == 0 &&
                strcmp(model_op_name(MODEL_OP_SIGMOID), "SIGMOID") == 0,
            "op names");
      model_file_free(&m);
    }
    free(bytes);
  }
  /* Accepted variants. */
  OPS_EDIT(NULL, "ADD with a broadcast second input", n[3].op = MODEL_OP_ADD);
  OPS_EDIT(NULL, "MUL with a scalar constant", (n[6].op = MODEL_OP_MUL, n[5].tensors[0] = 1));
  OPS_EDIT(NULL, "align_corners resize", (n[9].ip[2] = 1, n[9].ip[3] = 0));
  OPS_EDIT(NULL, "legacy resize (neither flag)", n[9].ip[3] = 0);
  OPS_EDIT(NULL, "transpose conv without crops or clamp",
           (n[10].ip[6] = n[10].ip[7] = 0, n[10].fp[0] = -INFINITY, n[10].fp[1] = INFINITY, n[10].shape[0] = 11,
            n[10].shape[1] = 23, n[11].shape[0] = 11, n[11].shape[1] = 23));
  OPS_EDIT(NULL, "transpose conv with bias", n[10].tensors[1] = 4);
  /* Binary ops. */
  OPS_EDIT("neither the first's shape", "broadcast first input", (n[3].inputs[0] = 2, n[3].inputs[1] = 0));
  OPS_EDIT("neither the first's shape", "second input of another shape", n[11].inputs[1] = 9);
  OPS_EDIT("two inputs and a constant", "two inputs and a constant", n[3].tensors[0] = 0);
  OPS_EDIT("needs a constant", "one input without a constant", n[5].tensors[0] = MODEL_FILE_NONE);
  OPS_EDIT("not [3] or [1]", "constant of the wrong length", t[0].dims[0] = 4);
  OPS_EDIT("not [3] or [1]", "constant of rank 2", n[6].tensors[0] = 5);
  OPS_EDIT("must be NONE", "constant in slot 1", n[6].tensors[1] = 1);
  OPS_EDIT("inputs, expected 1..2", "three inputs", (n[8].input_count = 3, n[8].inputs[2] = 0));
  OPS_EDIT("inputs, expected 1..2", "no input", n[8].input_count = 0);
  OPS_EDIT("cannot carry a clamp", "MUL with a clamp", n[3].fp[0] = 0.0f);
  OPS_EDIT("unused iparams", "SUB with iparams", n[8].ip[0] = 1);
  /* Unary ops. */
  OPS_EDIT("cannot carry a clamp", "HARD_SWISH with a clamp", n[4].fp[1] = 6.0f);
  OPS_EDIT("must be NONE", "SIGMOID with a tensor", n[2].tensors[0] = 0);
  OPS_EDIT("inputs", "SIGMOID with two inputs", (n[2].input_count = 2, n[2].inputs[1] = 1));
  OPS_EDIT("unused iparams", "HARD_SWISH with iparams", n[4].ip[9] = 1);
  OPS_EDIT("differs", "HARD_SWISH changing shape", n[4].shape[2] = 4);
  /* Resize. */
  OPS_EDIT("output size", "resize to height 0", n[9].ip[0] = 0);
  OPS_EDIT("output size", "resize past the size limit", n[9].ip[1] = 20000);
  OPS_EDIT("not both", "align_corners and half_pixel_centers", n[9].ip[2] = 1);
  OPS_EDIT("each 0 or 1", "align_corners 2", (n[9].ip[2] = 2, n[9].ip[3] = 0));
  OPS_EDIT("unused iparams", "resize with iparams[4]", n[9].ip[4] = 1);
  OPS_EDIT("differs", "resize with a wrong stored shape", n[9].shape[0] = 6);
  OPS_EDIT("cannot carry a clamp", "resize with a clamp", n[9].fp[0] = -1.0f);
  /* Transpose convolution. */
  OPS_EDIT("must be 1", "transpose conv with dilation 2", n[10].ip[4] = 2);
  OPS_EDIT("kernel/stride", "transpose conv stride 0", n[10].ip[2] = 0);
  OPS_EDIT("padding", "crop over the limit", n[10].ip[8] = 5000);
  OPS_EDIT("leave nothing", "crops eat the output", (n[10].ip[6] = 6, n[10].ip[8] = 5));
  OPS_EDIT("smaller than its stride", "output smaller than the stride",
           (n[10].ip[6] = 10, n[10].shape[0] = 1, n[11].shape[0] = 1));
  OPS_EDIT(NULL, "output as high as the stride, crops past the kernel",
           (n[10].ip[6] = 9, n[10].shape[0] = 2, n[11].shape[0] = 2));
  OPS_EDIT("exceeds", "output over the size limit", (n[10].ip[3] = 1024, n[9].ip[1] = n[9].shape[1] = 100));
  OPS_EDIT("required", "transpose conv without kernel", n[10].tensors[0] = MODEL_FILE_NONE);
  OPS_EDIT("dimension", "kernel cin differs from the input", t[3].dims[2] = 4);
  OPS_EDIT("dimension", "kernel size differs from iparams", n[10].ip[0] = 2);
  OPS_EDIT("dimension", "bias of the wrong length", n[10].tensors[1] = 0);
  OPS_EDIT("fparams[2]", "epsilon on a transpose conv", n[10].fp[2] = 1e-3f);
  OPS_EDIT("differs", "transpose conv with a wrong stored width", n[10].shape[1] = 23);
  OPS_EDIT("unknown op", "op 21", n[4].op = 21);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s model.imprint\n", argv[0]);
    return 2;
  }
  size_t size = 0;
  uint8_t *bytes = read_file(argv[1], &size);
  if (!bytes) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  test_half_to_float();
  test_not_finite();
  test_affine_and_f32();
  test_valid_model(bytes, size);
  test_new_ops();
  test_arguments(bytes, size);
  test_targeted(bytes, size);
  test_truncation(bytes, size);
  test_flips(bytes, size);
  free(bytes);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
