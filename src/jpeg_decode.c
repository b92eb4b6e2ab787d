/* jpeg_decode.c — Huffman decoding of every scan of a JPEG: damage checks and the 1/4- and 1/8-scale
 * decodes' means (see jpeg_decode.h), which jpeg_image.c makes into an image. Section numbers are
 * ITU-T T.81's. */
#include "jpeg_decode.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byte_order.h"
#include "jpeg_image.h"
#include "lanes.h"

#define FAST_BITS 10 /* codes up to this long are found with one table look-up */
/* AC codes with their coefficient bits, several, read in one step: 13 bits, as fast as 12 in the
 * check and faster in the 1/4-scale decode (fewer long codes left to the one-code path); 14 was
 * slower (BENCHMARKS.md, "Ninth session"). Two steps must fit in the 32 bits a refill leaves. */
#define MULTI_BITS 13
_Static_assert(2 * MULTI_BITS <= 32, "two table steps per refill");
/* Zig-zag positions one step of the 1/4- and 1/2-scale decodes writes: its coefficients with the
 * zeros between and after them, as one 16-byte (SIMD) store. */
#define PATTERN_SPAN 16

/* Table making, once per table or scan: compiled for size, and kept out of the functions that call
 * it (unrolled and inlined, it took some 4 KB of wasm). */
#if defined(__GNUC__)
#define TABLE_MAKING __attribute__((cold, noinline))
#else
#define TABLE_MAKING
#endif

/* An AC table's multi-symbol entry (0 when the first code and its bits are longer than MULTI_BITS
 * or its coefficient needs more than 7 bits): (run, size) codes each with the coefficient bits
 * after it, then possibly an EOB, all within MULTI_BITS and, for the 1/4- and 1/2-scale decodes,
 * within PATTERN_SPAN positions. */
#define MULTI_LENGTH(e) ((int)((e)&15))         /* bits taken by the codes and coefficient bits */
#define MULTI_ADVANCE(e) ((int)((e) >> 4 & 63)) /* zig-zag positions passed (runs, coefficients, ZRLs, EOB) */
#define MULTI_EOB 0x400u                        /* the last code is an EOB: the block ends */

/* A Huffman table as Annex C builds it from the DHT segment's code-length counts. */
typedef struct huffman_table {
  int defined;
  int built;          /* the fields below were made from counts[] and values[] (kept tables: see kept_ac_tables) */
  uint8_t counts[16]; /* the DHT segment's code-length counts */
  uint16_t fast[1 << FAST_BITS]; /* (length << 8) | symbol, 0 when the code is longer */
  int32_t max_code[17];          /* largest code of each length, -1 when there is none */
  int32_t value_offset[17];      /* values[value_offset[l] + code] for a code of length l */
  uint8_t values[256];
  /* For AC tables, made when a sequential scan first uses the table (make_multi_entries): the
   * multi-symbol entries above, by the next MULTI_BITS bits, and for the 1/4- and 1/2-scale
   * decodes apart (not needed to find the next code) each entry's PATTERN_SPAN coefficients from
   * the first position it passes: the EXTENDed values (-127..127) where its codes put them, else 0. */
  int multi_span;                   /* the positions an entry may pass: 0 (not made yet), PATTERN_SPAN or 63 */
  uint16_t multi[1 << MULTI_BITS];  /* 16 bits: the two AC tables' entries fit in L1 cache together */
  int8_t (*patterns)[PATTERN_SPAN]; /* 1 << MULTI_BITS rows, malloc'ed, for the span PATTERN_SPAN */
} huffman_table;

typedef struct frame_component {
  uint8_t id, h, v, quant_table;
  uint32_t blocks_wide, blocks_high; /* the block grid, padded to whole MCUs (A.2.4) */
  uint32_t used_wide, used_high;     /* blocks that hold the component's samples (A.2.2) */
  uint32_t samples_wide, samples_high;
  int dc_prediction;
  int scanned; /* a scan has covered the component (a sequential one writes every block's means) */
  uint8_t dc_table, ac_table;
  float *means; /* the scaled decode: each block's 16 2x2 means (1/2), 4 quadrant means (1/4) or mean (1/8) */
  /* The sequential 1/4-scale decode: the zig-zag positions of the quadrant terms this component's
   * means need (all 24 AC ones, or fewer when its boxes are whole blocks along an axis), in
   * order; and for it and the 1/2-scale decode, the block's coefficients as they are read. Each
   * table step writes PATTERN_SPAN positions from the first it passes (its values and zeros), and
   * a code read alone zeroes as many before its value, so every position below the block's end is
   * written in the block and nothing is cleared between blocks; positions past the end keep stale
   * values, never read. A value outside -128..127 (read alone) is kept in `large` instead, its bit
   * set in a mask. */
  uint64_t term_mask; /* the same positions as bits; for the progressive decode at 1/2, all that count */
  uint8_t term_positions[24];
  int term_count;
  uint8_t terms_below[65]; /* how many of term_positions lie below each zig-zag position */
  int8_t coefficients[64 + PATTERN_SPAN] __attribute__((aligned(16)));
  int32_t large[64];
  uint64_t *nonzero;  /* progressive refinement: bit k set once coefficient k (zig-zag) is nonzero */
  uint64_t *negative; /* progressive, 1/4 and 1/2 scale: bit k set when that nonzero coefficient is negative */
} frame_component;

/* Per zig-zag position k of a quadrant term: its weight half_weights[u] * half_weights[v] and
 * which of the four sums it enters (bit 0: u odd, bit 1: v odd). */
typedef struct quadrant_terms {
  uint64_t mask; /* the 24 AC positions (k = 0 apart) */
  float weight[64];
  uint8_t kind[64];
} quadrant_terms;

typedef struct decoder {
  const uint8_t *bytes;
  size_t size;
  huffman_table dc_tables[4];
  huffman_table *ac_tables; /* kept_ac_tables, or 4 of this decode's own */
  uint16_t quant[4][64];    /* quantisation tables, in zig-zag order as DQT stores them */
  int quant_defined[4];
  frame_component components[4];
  int component_count, progressive, seen_frame, adobe_rgb, out_of_memory;
  int scale;                        /* 2, 4 or 8 for a scaled decode of this frame, 0 to only check */
  int whole_axes;                   /* JPEG_WHOLE_BLOCKS_X / _Y: see jpeg_decode_data() */
  quadrant_terms terms;             /* the 1/4-scale decode's coefficients */
  float quadrant_weights[4][64][4]; /* make_quadrant_weights(), per quantisation table */
  float pair_weights[4][64][16];    /* make_pair_weights(), per quantisation table */
  uint64_t pair_skipped;            /* the zig-zag positions the 1/2-scale means do not need */
  uint32_t width, height, h_max, v_max, mcus_wide, mcus_high, restart_interval;
  /* The bit reader (F.2.2.5): bits are taken from the top of `bits`. After the segment's marker
   * it feeds zero bits and counts them in `fake_bits`; consuming one means the data ended early. */
  size_t pos;
  uint64_t bits;
  int bit_count, fake_bits, at_marker;
  uint32_t eob_run;
  char *problem;
  size_t problem_size;
} decoder;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
damaged(decoder *d, const char *format, ...) {
  if (d->problem && d->problem_size) {
    va_list args;
    va_start(args, format);
    vsnprintf(d->problem, d->problem_size, format, args);
    va_end(args);
  }
  return 0;
}

/* The 1/4- and 1/2-scale decodes keep every coefficient's value; the check and 1/8 do not. */
static int keeps_values(const decoder *d) { return d->scale == 4 || d->scale == 2; }

/* The means a block has at 1/scale: 16 (1/2), 4 (1/4) or 1 (1/8). */
static size_t means_per_block(int scale) { return (size_t)(64 / (scale * scale)); }

/* ---- Huffman tables (C.2, F.2.2.3) ---------------------------------------------------------- */

/* The symbol of the code at the top of the `avail`-bit window, and its length; -1 when no code
 * of at most `avail` bits matches (F.2.2.3's DECODE over the window). */
static int window_symbol(const huffman_table *t, uint32_t window, int avail, int *length) {
  for (int l = 1; l <= avail; l++) {
    int32_t code = (int32_t)(window >> (avail - l));
    if (code <= t->max_code[l]) {
      *length = l;
      return t->values[t->value_offset[l] + code];
    }
  }
  return -1;
}

/* The multi-symbol entries of an AC table (MULTI_ above), for every MULTI_BITS-bit pattern: the
 * codes it starts with, as the one-symbol path would read them at a position k that leaves room
 * (the decode checks k + advance <= 64 before taking an entry whole). A code whose coefficient
 * needs more than 7 bits, or that would take the entry past `span` positions, ends it; an EOB ends
 * it too, as it ends the block. With span PATTERN_SPAN (the 1/4- and 1/2-scale decodes) the
 * entries' values go to t->patterns, which the caller has allocated. */
TABLE_MAKING static void make_multi_entries(huffman_table *t, int span) {
  const uint32_t top = 1u << MULTI_BITS;
  memset(t->multi, 0, sizeof t->multi);
  if (span == PATTERN_SPAN) memset(t->patterns, 0, top * sizeof *t->patterns);
  for (uint32_t pattern = 0; pattern < top; pattern++) {
    int used = 0, advance = 0, eob = 0;
    for (;;) {
      int avail = MULTI_BITS - used, length = 0;
      uint32_t window = pattern & ((1u << avail) - 1); /* the bits left, at the bottom */
      int symbol = avail > 0 ? window_symbol(t, window, avail, &length) : -1;
      if (symbol < 0) break;
      int run = symbol >> 4, size = symbol & 15;
      if (size == 0) {
        if (run == 15) { /* ZRL: sixteen zeros */
          if (advance + 16 > span) break;
          advance += 16;
          used += length;
          continue;
        }
        /* EOB (any size-0 code but ZRL ends a sequential block). It counts as one more position
         * passed: a block whose 63rd coefficient is coded has no EOB, so an entry ending in one
         * is taken only when k + advance <= 64 leaves a position for it. */
        if (advance + 1 > span) break;
        advance++;
        eob = 1;
        used += length;
        break;
      }
      if (length + size > avail || size > 7 || advance + run + 1 > span) break;
      uint32_t raw = (window >> (avail - length - size)) & ((1u << size) - 1);
      int32_t value = raw < (1u << (size - 1)) ? (int32_t)raw - (1 << size) + 1 : (int32_t)raw; /* EXTEND */
      advance += run + 1;
      if (span == PATTERN_SPAN) t->patterns[pattern][advance - 1] = (int8_t)value;
      used += length + size;
    }
    if (!used) continue; /* the first code does not fit: the one-symbol path */
    t->multi[pattern] = (uint16_t)((uint32_t)used | (uint32_t)advance << 4 | (eob ? MULTI_EOB : 0));
  }
  t->multi_span = span;
}

static int build_table(huffman_table *t, const uint8_t counts[16], const uint8_t *symbols, size_t symbol_count) {
  /* The same table as the one made last in this slot (of this decode or, kept, an earlier one):
   * its multi-symbol entries stand. */
  if (t->built && memcmp(t->counts, counts, sizeof t->counts) == 0 && memcmp(t->values, symbols, symbol_count) == 0) {
    t->defined = 1;
    return 1;
  }
  int8_t(*patterns)[PATTERN_SPAN] = t->patterns; /* kept for a table defined again */
  memset(t, 0, sizeof *t);
  t->patterns = patterns;
  memcpy(t->counts, counts, sizeof t->counts);
  int32_t code = 0, k = 0;
  for (int length = 1; length <= 16; length++) {
    int count = counts[length - 1];
    t->value_offset[length] = k - code;
    t->max_code[length] = count ? code + count - 1 : -1;
    for (int i = 0; i < count; i++, code++, k++) {
      if (code >= (1 << length)) return 0; /* more codes than this length can hold (found by fuzzing) */
      t->values[k] = symbols[k];
      if (length <= FAST_BITS) {
        int shift = FAST_BITS - length;
        for (int j = 0; j < (1 << shift); j++) t->fast[(code << shift) | j] = (uint16_t)((length << 8) | symbols[k]);
      }
    }
    code <<= 1;
  }
  t->defined = t->built = 1;
  return 1;
}

/* ---- The bit reader ----------------------------------------------------------------------- */

/* With bytes[pos] = 0xFF in entropy-coded data: the position after it when it is a data byte, the
 * 0x00 that follows it stuffed (F.1.2.3) after any fill bytes (libjpeg and stb_image read FF FF 00
 * as one 0xFF: so must the check, or it stops where they go on; found by fuzzing); 0 when a marker
 * starts there. */
static size_t after_stuffed_ff(const decoder *d, size_t pos) {
  size_t next = pos + 1;
  while (next < d->size && d->bytes[next] == 0xFF) next++;
  return next < d->size && d->bytes[next] == 0x00 ? next + 1 : 0;
}

static void fill(decoder *d) {
  /* The common case first: whole bytes, none of them 0xFF, well before the end of the data. */
  if (!d->at_marker && d->pos + 8 <= d->size) {
    const uint8_t *p = d->bytes + d->pos;
    while (d->bit_count <= 56 && *p != 0xFF) {
      d->bits |= (uint64_t)*p++ << (56 - d->bit_count);
      d->bit_count += 8;
    }
    d->pos = (size_t)(p - d->bytes);
  }
  while (d->bit_count <= 56) {
    uint32_t byte = 0;
    if (!d->at_marker) {
      if (d->pos >= d->size) {
        d->at_marker = 1;
      } else if (d->bytes[d->pos] != 0xFF) {
        byte = d->bytes[d->pos++];
      } else {
        size_t after = after_stuffed_ff(d, d->pos);
        if (after) {
          byte = 0xFF;
          d->pos = after;
        } else {
          d->at_marker = 1; /* a marker (or fill bytes before one) ends the segment */
        }
      }
    }
    if (d->at_marker) d->fake_bits += 8;
    d->bits |= (uint64_t)byte << (56 - d->bit_count);
    d->bit_count += 8;
  }
}

/* The bit reader's common case, inline: the next 8 bytes hold no 0xFF (so no stuffed byte and no
 * marker), and as many whole bytes as fit are taken at once. Bits below `*bit_count` may then
 * hold the start of the next byte: its true bits, which the next refill ORs in again. 0 when the
 * slow path (fill) must run. */
static inline int refill_fast(decoder *d, uint64_t *bits, int *bit_count) {
  if (d->at_marker || d->pos + 8 > d->size) return 0;
#ifdef __wasm_simd128__
  /* wasm has no byte swap: the eight bytes are compared with 0xFF and reversed in a SIMD register
   * (a few instructions instead of some twenty shifts and masks per refill). */
  v128_t next = wasm_v128_load64_zero(d->bytes + d->pos);
  if (wasm_i8x16_bitmask(wasm_i8x16_eq(next, wasm_i8x16_splat((int8_t)0xFF))) & 0xFF) return 0;
  uint64_t word = (uint64_t)wasm_i64x2_extract_lane(
      wasm_i8x16_shuffle(next, next, 7, 6, 5, 4, 3, 2, 1, 0, 8, 9, 10, 11, 12, 13, 14, 15), 0);
#else
  uint64_t word = be_get_u64(d->bytes + d->pos);
  uint64_t inverted = ~word; /* a zero byte where the data has 0xFF */
  if ((inverted - 0x0101010101010101ull) & ~inverted & 0x8080808080808080ull) return 0;
#endif
  *bits |= word >> *bit_count;
  d->pos += (size_t)((63 - *bit_count) >> 3);
  *bit_count |= 56;
  return 1;
}

static inline void consume(decoder *d, int n) {
  d->bits <<= n;
  d->bit_count -= n;
}

static inline uint32_t get_bits(decoder *d, int n) {
  if (n == 0) return 0;
  if (d->bit_count < n) fill(d);
  uint32_t value = (uint32_t)(d->bits >> (64 - n));
  consume(d, n);
  return value;
}

/* EXTEND (F.2.2.1): an s-bit magnitude category value as a signed difference. */
static inline int32_t receive_extend(decoder *d, int s) {
  if (s == 0) return 0;
  int32_t value = (int32_t)get_bits(d, s);
  return value < (1 << (s - 1)) ? value - (1 << s) + 1 : value;
}

/* DECODE (F.2.2.3); -1 for a bit pattern that is no code of the table. */
static inline int decode_symbol(decoder *d, const huffman_table *t) {
  if (d->bit_count < 16) fill(d);
  uint16_t fast = t->fast[d->bits >> (64 - FAST_BITS)];
  if (fast) {
    consume(d, fast >> 8);
    return fast & 255;
  }
  uint32_t top = (uint32_t)(d->bits >> 48);
  for (int length = FAST_BITS + 1; length <= 16; length++) {
    int32_t code = (int32_t)(top >> (16 - length));
    if (code <= t->max_code[length]) {
      consume(d, length);
      return t->values[t->value_offset[length] + code];
    }
  }
  return -1;
}

static int ran_out(const decoder *d) { return d->bit_count < d->fake_bits; }

static void start_segment(decoder *d, size_t pos) {
  d->pos = pos;
  d->bits = 0;
  d->bit_count = d->fake_bits = d->at_marker = 0;
  d->eob_run = 0;
  for (int i = 0; i < d->component_count; i++) d->components[i].dc_prediction = 0;
}

/* The end of an entropy-coded segment: what is left must be padding, 1-bits (F.1.2.3), then a
 * marker. Some encoders pad a whole byte more (jpeg-js writes 0xFF 0x00 when already aligned),
 * so whole bytes of 1-bits pass too; anything else left over is data the decode never reached.
 * Leaves d->pos at the marker's first 0xFF. */
static int end_segment(decoder *d, const char *where) {
  if (ran_out(d)) return damaged(d, "its compressed data ends early (%s)", where);
  int real = d->bit_count - d->fake_bits, partial = real % 8, whole = real / 8;
  size_t unused = 0;
  if (whole) {
    uint64_t bytes = (d->bits << partial) >> (64 - 8 * whole);
    if (bytes != (1ull << (8 * whole)) - 1) unused = (size_t)whole;
  }
  if (!d->at_marker) {
    for (;;) {
      if (d->pos >= d->size) break;
      uint8_t byte = d->bytes[d->pos];
      size_t after = byte == 0xFF ? after_stuffed_ff(d, d->pos) : d->pos + 1;
      if (!after) break; /* the marker */
      if (byte != 0xFF || unused) unused++;
      d->pos = after;
    }
  }
  if (unused)
    return damaged(d, "%zu byte%s of compressed data %s left over (%s)", unused, unused == 1 ? "" : "s",
                   unused == 1 ? "is" : "are", where);
  return 1;
}

/* ---- Blocks ----------------------------------------------------------------------------- */

/* Adds a DC difference (F.2.2.1). With 8-bit samples a block's DC coefficient lies in
 * -1024..1016 before quantisation (A.3.3), so a predictor far outside that is damage. */
static int add_dc_difference(decoder *d, frame_component *c, int al) {
  int s = decode_symbol(d, &d->dc_tables[c->dc_table]);
  if (s < 0 || s > 11) return damaged(d, "an impossible DC code");
  c->dc_prediction += receive_extend(d, s);
  if (c->dc_prediction > (2047 >> al) || c->dc_prediction < -(2048 >> al))
    return damaged(d, "a DC coefficient out of range");
  return 1;
}

/* The coefficients a 4x4 quadrant mean depends on: over half a block (n = 0..3) the cosines
 * cos((2n + 1) u pi / 16) of the even frequencies u = 2, 4, 6 sum to zero, so each quadrant's mean
 * is exact from u, v in {0, 1, 3, 5, 7} (A.3.3's inverse DCT, averaged). Their zig-zag indices
 * (Figure A.6) by frequency: */
static const uint8_t zigzag_of[8][8] = {{0, 1, 5, 6, 14, 15, 27, 28},     {2, 4, 7, 13, 16, 26, 29, 42},
                                        {3, 8, 12, 17, 25, 30, 41, 43},   {9, 11, 18, 24, 31, 40, 44, 53},
                                        {10, 19, 23, 32, 39, 45, 52, 54}, {20, 22, 33, 38, 46, 51, 55, 60},
                                        {21, 34, 37, 47, 50, 56, 59, 61}, {35, 36, 48, 49, 57, 58, 62, 63}};
static const uint8_t half_frequencies[5] = {0, 1, 3, 5, 7};
/* C(u) / 2 times the mean of cos((2n + 1) u pi / 16) over n = 0..3, for u = 0, 1, 3, 5, 7; over
 * n = 4..7 the odd ones change sign. */
static const float half_weights[5] = {0.35355339f, 0.32036443f, -0.11249703f, 0.07516811f, -0.06372445f};

static void make_quadrant_terms(quadrant_terms *t) {
  memset(t, 0, sizeof *t);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++) {
      int k = zigzag_of[half_frequencies[j]][half_frequencies[i]]; /* row v = j, column u = i */
      t->weight[k] = half_weights[i] * half_weights[j];
      t->kind[k] = (uint8_t)((i > 0) | (j > 0) << 1);
      if (k) t->mask |= 1ull << k;
    }
}

/* Each quadrant term's weight times its quantisation step, signed for each of the four quadrants
 * (top left, top right, bottom left, bottom right: an odd horizontal frequency changes sign from
 * left to right, an odd vertical one from top to bottom), for the quantisation tables in use. */
TABLE_MAKING static void make_quadrant_weights(decoder *d) {
  for (int t = 0; t < 4; t++)
    for (int k = 0; k < 64; k++) {
      float w = d->terms.weight[k] * (float)d->quant[t][k];
      int odd_u = d->terms.kind[k] & 1, odd_v = d->terms.kind[k] >> 1;
      d->quadrant_weights[t][k][0] = w;
      d->quadrant_weights[t][k][1] = odd_u ? -w : w;
      d->quadrant_weights[t][k][2] = odd_v ? -w : w;
      d->quadrant_weights[t][k][3] = odd_u != odd_v ? -w : w;
    }
}

/* The 1/2-scale decode's 16 means per block, each over a 2x2 square (the block's squares row by
 * row): coefficient (u, v) adds its value times pair_weights[m_x][u] x pair_weights[m_y][v] to
 * square (m_x, m_y), each being C(u) / 2 times the mean of cos((2n + 1) u pi / 16) over the two
 * samples n = 2m, 2m + 1 (A.3.3's inverse DCT, averaged). Those of u = 4 are zero: the coefficients
 * with u or v = 4 do not count (pair_skipped). */
static const float pair_weights_1d[4][8] = {
    {0.35355339f, 0.45306372f, 0.32664074f, 0.15909482f, 0.0f, -0.10630376f, -0.13529903f, -0.09011998f},
    {0.35355339f, 0.18766514f, -0.32664074f, -0.38408888f, 0.0f, 0.25663998f, 0.13529903f, -0.03732892f},
    {0.35355339f, -0.18766514f, -0.32664074f, 0.38408888f, 0.0f, -0.25663998f, 0.13529903f, 0.03732892f},
    {0.35355339f, -0.45306372f, 0.32664074f, -0.15909482f, 0.0f, 0.10630376f, -0.13529903f, 0.09011998f}};

/* pair_weights_1d's products times the quantisation steps, for the tables in use, and the zig-zag
 * positions whose weights are all zero. */
TABLE_MAKING static void make_pair_weights(decoder *d) {
  d->pair_skipped = 0;
  for (int v = 0; v < 8; v++)
    for (int u = 0; u < 8; u++) {
      int k = zigzag_of[v][u];
      if (u == 4 || v == 4) d->pair_skipped |= 1ull << k;
      for (int t = 0; t < 4; t++)
        for (int i = 0; i < 16; i++)
          d->pair_weights[t][k][i] = pair_weights_1d[i & 3][u] * pair_weights_1d[i >> 2][v] * (float)d->quant[t][k];
    }
}

/* The quadrant terms each component's means need. Where the boxes are whole blocks along an axis
 * (d->whole_axes) and the component is not upsampled along it, a box sees only the sum of a block's
 * two halves along that axis, so both halves get its mean: the terms with an odd frequency along
 * the axis (which change sign from one half to the other) are left out. */
TABLE_MAKING static void choose_terms(decoder *d) {
  for (int i = 0; i < d->component_count; i++) {
    frame_component *c = &d->components[i];
    int merge_x = (d->whole_axes & JPEG_WHOLE_BLOCKS_X) && c->h == d->h_max;
    int merge_y = (d->whole_axes & JPEG_WHOLE_BLOCKS_Y) && c->v == d->v_max;
    c->term_mask = 0;
    c->term_count = 0;
    for (int k = 1; k < 64; k++) {
      if (!(d->terms.mask >> k & 1)) continue;
      if ((merge_x && (d->terms.kind[k] & 1)) || (merge_y && (d->terms.kind[k] & 2))) continue;
      c->term_mask |= 1ull << k;
      c->term_positions[c->term_count++] = (uint8_t)k;
    }
    for (int k = 0, below = 0; k <= 64; k++) {
      c->terms_below[k] = (uint8_t)below;
      if (k < 64 && (c->term_mask >> k & 1)) below++;
    }
  }
}

/* The four quadrant means of a sequential block from its DC coefficient and the component's quadrant
 * terms below `end` (the position after the block's last code: the rest are zero), from
 * c->coefficients, or c->large at the bits of `large_mask`. */
static void quadrant_means(const decoder *d, const frame_component *c, int32_t dc_coefficient, int end,
                           uint64_t large_mask, float out[4]) {
  float dc = 128.0f + (float)(dc_coefficient * d->quant[c->quant_table][0]) * 0.125f;
  /* The four sums side by side (one SIMD register where there is one, wasm's included), in two
   * accumulators so consecutive terms do not wait on each other. */
  four_floats sums = {dc, dc, dc, dc}, more = {0.0f, 0.0f, 0.0f, 0.0f};
  const float(*w)[4] = d->quadrant_weights[c->quant_table];
  const int8_t *coefficients = c->coefficients;
  int i = 0, count = c->terms_below[end];
  for (; i + 1 < count; i += 2) {
    int k0 = c->term_positions[i], k1 = c->term_positions[i + 1];
    four_floats w0, w1;
    memcpy(&w0, w[k0], sizeof w0);
    memcpy(&w1, w[k1], sizeof w1);
    sums += (float)coefficients[k0] * w0;
    more += (float)coefficients[k1] * w1;
  }
  if (i < count) {
    int k = c->term_positions[i];
    four_floats weights;
    memcpy(&weights, w[k], sizeof weights);
    sums += (float)coefficients[k] * weights;
  }
  for (uint64_t m = large_mask & c->term_mask; m; m &= m - 1) { /* rare: large values read alone */
    int k = __builtin_ctzll(m);
    four_floats weights;
    memcpy(&weights, w[k], sizeof weights);
    sums += (float)c->large[k] * weights;
  }
  sums += more;
  memcpy(out, &sums, sizeof sums);
}

/* One coefficient's share of a block's 16 means at 1/2 scale, as four rows of four. */
static inline void add_pair_term(four_floats rows[4], const float weights[16], float value) {
  for (int r = 0; r < 4; r++) {
    four_floats row;
    memcpy(&row, weights + 4 * r, sizeof row);
    rows[r] += value * row;
  }
}

/* The 16 means of a sequential block at 1/2 scale (make_pair_weights) from its DC coefficient and
 * every nonzero coefficient below `end` (c->coefficients, or c->large at the bits of
 * `large_mask`), found 16 positions at a time. */
static void pair_means(const decoder *d, const frame_component *c, int32_t dc_coefficient, int end, uint64_t large_mask,
                       float out[16]) {
  float dc = 128.0f + (float)(dc_coefficient * d->quant[c->quant_table][0]) * 0.125f;
  four_floats rows[4] = {{dc, dc, dc, dc}, {dc, dc, dc, dc}, {dc, dc, dc, dc}, {dc, dc, dc, dc}};
  const float(*w)[16] = d->pair_weights[c->quant_table];
  const int8_t *coefficients = c->coefficients;
  uint64_t nonzero = 0;
  for (int at = 0; at < 64; at += 16) {
#ifdef __wasm_simd128__
    v128_t zero = wasm_i8x16_eq(wasm_v128_load(coefficients + at), wasm_i8x16_splat(0));
    nonzero |= (uint64_t)(uint16_t)~wasm_i8x16_bitmask(zero) << at;
#else
    for (int i = 0; i < 16; i++) nonzero |= (uint64_t)(coefficients[at + i] != 0) << (at + i);
#endif
  }
  nonzero &= (end >= 64 ? ~1ull : ((1ull << end) - 1) & ~1ull) & ~d->pair_skipped; /* positions 1 .. end - 1 */
  for (uint64_t m = nonzero; m; m &= m - 1) {
    int k = __builtin_ctzll(m);
    add_pair_term(rows, w[k], (float)coefficients[k]);
  }
  for (uint64_t m = large_mask & ~d->pair_skipped; m; m &= m - 1) { /* rare: large values read alone */
    int k = __builtin_ctzll(m);
    add_pair_term(rows, w[k], (float)c->large[k]);
  }
  memcpy(out, rows, sizeof rows);
}

/* The bit reader's state in locals (through `d` the compiler would reload it for every code),
 * stored back around the calls that take `d`. REFILL leaves 32 bits or more: any one code with its
 * coefficient bits (at most 16 + 11). */
#define STORE_BITS() (d->bits = bits, d->bit_count = bit_count)
#define LOAD_BITS() (bits = d->bits, bit_count = d->bit_count)
#define REFILL()                                                \
  do {                                                          \
    if (bit_count < 32 && !refill_fast(d, &bits, &bit_count)) { \
      STORE_BITS();                                             \
      fill(d);                                                  \
      LOAD_BITS();                                              \
    }                                                           \
  } while (0)

/* A sequential block (F.2.2): the DC difference, then every AC code, mostly several per table
 * step. values = 1 (the 1/4- and 1/2-scale decodes) keeps the coefficients (see frame_component)
 * and computes the block's means; values = 0 only reads past the AC codes (the check, and the
 * 1/8-scale decode, which keeps the DC coefficient: the block's mean). */
static inline int sequential_block_with(decoder *d, frame_component *c, size_t block, int values) {
  uint64_t bits = d->bits;
  int bit_count = d->bit_count;
  REFILL();
  /* The DC difference (F.2.2.1): with 8-bit samples the coefficient lies in -1024..1016 before
   * quantisation (A.3.3), so a predictor far outside that is damage. */
  const huffman_table *dc_table = &d->dc_tables[c->dc_table];
  uint16_t fast = dc_table->fast[bits >> (64 - FAST_BITS)];
  int s;
  if (fast) {
    s = fast & 255;
    bits <<= fast >> 8, bit_count -= fast >> 8;
  } else {
    STORE_BITS();
    s = decode_symbol(d, dc_table);
    LOAD_BITS();
  }
  if (s < 0 || s > 11) return damaged(d, "an impossible DC code");
  if (s) {
    int32_t raw = (int32_t)(bits >> (64 - s));
    bits <<= s, bit_count -= s;
    c->dc_prediction += raw < (1 << (s - 1)) ? raw - (1 << s) + 1 : raw; /* EXTEND */
    if (c->dc_prediction > 2047 || c->dc_prediction < -2048) return damaged(d, "a DC coefficient out of range");
  }

  int8_t *coefficients = c->coefficients; /* see frame_component */
  uint64_t large_mask = 0;
  const huffman_table *ac = &d->ac_tables[c->ac_table];
  int k = 1;
  while (k < 64) {
    REFILL();
    uint32_t index = (uint32_t)(bits >> (64 - MULTI_BITS)), entry = ac->multi[index];
    if (entry && k + MULTI_ADVANCE(entry) <= 64) {
      /* Two table steps per refill: 32 bits were there, a step takes MULTI_BITS at most (in wasm
       * the refill check costs as much as a step). */
      int steps = 0;
      do {
        /* One 16-byte store instead of a store per coefficient: 2.5 ms less on a 12 MP JPEG. */
        if (values) memcpy(coefficients + k, ac->patterns[index], PATTERN_SPAN);
        int length = MULTI_LENGTH(entry);
        bits <<= length, bit_count -= length;
        k += MULTI_ADVANCE(entry);
        if (entry & MULTI_EOB) goto block_end;
        if (++steps == 2) break;
        index = (uint32_t)(bits >> (64 - MULTI_BITS)), entry = ac->multi[index];
      } while (entry && k + MULTI_ADVANCE(entry) <= 64);
      continue; /* a refill, then the next step or the one-code path */
    }
    /* One code at a time: long codes, large coefficients, and codes near the end of the block;
     * codes up to FAST_BITS long in one look-up, longer ones by decode_symbol(). */
    uint16_t fast_ac = ac->fast[bits >> (64 - FAST_BITS)];
    int rs;
    if (fast_ac) {
      rs = fast_ac & 255;
      bits <<= fast_ac >> 8, bit_count -= fast_ac >> 8;
    } else {
      STORE_BITS();
      rs = decode_symbol(d, ac);
      LOAD_BITS();
      if (rs < 0) return damaged(d, "an impossible AC code");
    }
    int run = rs >> 4, size = rs & 15;
    if (values) memset(coefficients + k, 0, PATTERN_SPAN); /* the run's zeros (a ZRL's sixteen) */
    if (size == 0) {
      if (run != 15) break; /* EOB */
      k += 16;              /* ZRL: sixteen zeros */
      continue;
    }
    k += run;
    if (k > 63 || size > 10) return damaged(d, "a block with more than 64 coefficients");
    int32_t raw = (int32_t)(bits >> (64 - size));
    bits <<= size, bit_count -= size;
    if (values) {
      int32_t value = raw < (1 << (size - 1)) ? raw - (1 << size) + 1 : raw; /* EXTEND */
      if (value >= -128 && value <= 127) {
        coefficients[k] = (int8_t)value;
      } else {
        coefficients[k] = 0;
        c->large[k] = value;
        large_mask |= 1ull << k;
      }
    }
    k++;
  }
block_end:
  STORE_BITS();
  if (values && d->scale == 2)
    pair_means(d, c, c->dc_prediction, k < 64 ? k : 64, large_mask, c->means + block * 16);
  else if (values)
    quadrant_means(d, c, c->dc_prediction, k < 64 ? k : 64, large_mask, c->means + block * 4);
  else if (d->scale == 8)
    c->means[block] = 128.0f + (float)(c->dc_prediction * d->quant[c->quant_table][0]) * 0.125f;
  return 1;
}

static int sequential_block(decoder *d, frame_component *c, size_t block) {
  return keeps_values(d) ? sequential_block_with(d, c, block, 1) : sequential_block_with(d, c, block, 0);
}

/* A progressive JPEG's scaled decode adds each coefficient's share (value: its bits so far, or a
 * refinement's change) to the block's means as it arrives: its DC coefficient to every mean, at
 * 1/4 scale the quadrant terms to their quadrants, at 1/2 every coefficient to the 16 means. */
static void add_term(decoder *d, frame_component *c, size_t block, int k, int32_t value) {
  if (k == 0) {
    float v = (float)(value * d->quant[c->quant_table][0]) * 0.125f;
    size_t count = means_per_block(d->scale);
    for (size_t i = 0; i < count; i++) c->means[block * count + i] += v;
  } else if (d->scale == 4 && (c->term_mask >> k & 1)) {
    const float *w = d->quadrant_weights[c->quant_table][k];
    for (int i = 0; i < 4; i++) c->means[block * 4 + i] += (float)value * w[i];
  } else if (d->scale == 2 && (c->term_mask >> k & 1)) {
    const float *w = d->pair_weights[c->quant_table][k];
    float *means = c->means + block * 16;
    for (int i = 0; i < 16; i++) means[i] += (float)value * w[i];
  }
}

/* Progressive DC scans, G.1.2.1: the first sets the coefficient's high bits, later ones add one. */
static int dc_first_block(decoder *d, frame_component *c, size_t block, int al) {
  if (!add_dc_difference(d, c, al)) return 0;
  if (d->scale) {
    add_term(d, c, block, 0, c->dc_prediction * (1 << al));
    size_t count = means_per_block(d->scale);
    float *means = c->means + block * count;
    for (size_t i = 0; i < count; i++) means[i] += 128.0f; /* the level shift (A.3.1) */
  }
  return 1;
}

static int dc_refine_block(decoder *d, frame_component *c, size_t block, int al) {
  if (get_bits(d, 1) && d->scale) add_term(d, c, block, 0, 1 << al);
  return 1;
}

/* Progressive AC scans, G.1.2.2 (one component each): which coefficients are nonzero decides how
 * a refinement scan is read; the scaled decodes also keep their signs and add their shares. */
static int ac_first_block(decoder *d, frame_component *c, size_t block, int ss, int se, int al) {
  if (d->eob_run) {
    d->eob_run--;
    return 1;
  }
  const huffman_table *ac = &d->ac_tables[c->ac_table];
  uint64_t nonzero = c->nonzero[block];
  for (int k = ss; k <= se;) {
    int rs = decode_symbol(d, ac);
    if (rs < 0) return damaged(d, "an impossible AC code");
    int run = rs >> 4, size = rs & 15;
    if (size == 0) {
      if (run < 15) { /* EOBn: this block and the next 2^run - 1 + (run more bits) end here */
        d->eob_run = (1u << run) - 1 + get_bits(d, run);
        break;
      }
      k += 16;
      continue;
    }
    k += run;
    if (k > se || size > 10) return damaged(d, "a block with coefficients past its spectral band");
    int32_t value = receive_extend(d, size);
    nonzero |= 1ull << k;
    if (keeps_values(d)) {
      if (value < 0) c->negative[block] |= 1ull << k;
      add_term(d, c, block, k, value * (1 << al));
    }
    k++;
  }
  c->nonzero[block] = nonzero;
  return 1;
}

/* The correction bits of a refinement scan for the nonzero coefficients at the set bits of
 * `passed` (one bit each, in zig-zag order, G.1.2.3): a set bit grows the coefficient's magnitude
 * by 1 << al. Read 16 at a time. */
static void read_corrections(decoder *d, frame_component *c, size_t block, uint64_t passed, int al) {
  if (!keeps_values(d)) { /* only read past */
    for (int n = __builtin_popcountll(passed); n > 0; n -= 16) get_bits(d, n < 16 ? n : 16);
    return;
  }
  while (passed) {
    /* The next (up to) 16 positions' bits; only the terms among them matter. */
    int n = __builtin_popcountll(passed);
    uint64_t chunk = passed;
    if (n > 16) {
      n = 16;
      for (int i = 0; i < 16; i++) chunk &= chunk - 1; /* positions after the 16th */
      chunk = passed & ~chunk;
    }
    passed &= ~chunk;
    uint32_t bits = get_bits(d, n);
    if (!bits) continue;
    for (uint64_t terms = chunk & c->term_mask; terms; terms &= terms - 1) {
      int k = __builtin_ctzll(terms);
      int i = __builtin_popcountll(chunk & ((1ull << k) - 1)); /* k's place among the chunk's bits */
      if (bits >> (n - 1 - i) & 1) add_term(d, c, block, k, (c->negative[block] >> k & 1) ? -(1 << al) : 1 << al);
    }
  }
}

/* Zig-zag positions from..to as bits. */
static uint64_t band_mask(int from, int to) {
  uint64_t upto = to >= 63 ? ~0ull : (1ull << (to + 1)) - 1;
  return upto & ~((1ull << from) - 1);
}

static int ac_refine_block(decoder *d, frame_component *c, size_t block, int ss, int se, int al) {
  uint64_t nonzero = c->nonzero[block];
  int k = ss;
  if (!d->eob_run) {
    const huffman_table *ac = &d->ac_tables[c->ac_table];
    for (; k <= se; k++) {
      int rs = decode_symbol(d, ac);
      if (rs < 0) return damaged(d, "an impossible AC code");
      int run = rs >> 4, size = rs & 15, positive = 0;
      if (size == 0 && run < 15) {
        d->eob_run = (1u << run) + get_bits(d, run);
        break;
      }
      if (size != 0) {
        if (size != 1) return damaged(d, "a refinement coefficient larger than one bit");
        positive = (int)get_bits(d, 1); /* its sign */
      }
      /* Pass `run` zero coefficients and stop at the next zero one (the new coefficient's place;
       * past se when there is none), reading a correction bit for each nonzero one passed. */
      uint64_t band = band_mask(k, se), zeros = ~nonzero & band;
      for (int r = 0; r < run && zeros; r++) zeros &= zeros - 1;
      int stop = zeros ? __builtin_ctzll(zeros) : se + 1;
      read_corrections(d, c, block, nonzero & band & (stop > 63 ? ~0ull : (1ull << stop) - 1), al);
      k = stop;
      if (size != 0) {
        if (k > se) return damaged(d, "a block with coefficients past its spectral band");
        nonzero |= 1ull << k;
        if (keeps_values(d)) {
          if (!positive) c->negative[block] |= 1ull << k;
          add_term(d, c, block, k, positive ? 1 << al : -(1 << al));
        }
      }
    }
  }
  if (d->eob_run) {
    if (k <= se) read_corrections(d, c, block, nonzero & band_mask(k, se), al);
    d->eob_run--;
  }
  c->nonzero[block] = nonzero;
  return 1;
}

/* ---- Scans --------------------------------------------------------------------------------- */

/* An AC table's multi-symbol entries as this decode needs them (with their patterns at 1/4 and
 * 1/2 scale); 0 when out of memory. */
static int ready_multi_entries(decoder *d, huffman_table *t) {
  int span = keeps_values(d) ? PATTERN_SPAN : 63;
  if (!t->defined || t->multi_span == span) return 1;
  if (span == PATTERN_SPAN && !t->patterns &&
      !(t->patterns = malloc(((size_t)1 << MULTI_BITS) * sizeof *t->patterns))) {
    d->out_of_memory = 1;
    return 0;
  }
  make_multi_entries(t, span);
  return 1;
}

static int decode_block(decoder *d, frame_component *c, size_t block, int ss, int se, int ah, int al) {
  if (!d->progressive) return sequential_block(d, c, block);
  if (ss == 0) return ah ? dc_refine_block(d, c, block, al) : dc_first_block(d, c, block, al);
  return ah ? ac_refine_block(d, c, block, ss, se, al) : ac_first_block(d, c, block, ss, se, al);
}

/* One scan (B.2.3) whose header is payload[0..length) and whose data starts at d->pos; leaves
 * d->pos at the marker after it. */
static int decode_scan(decoder *d, const uint8_t *payload, size_t length) {
  if (length < 1 || payload[0] < 1 || payload[0] > 4 || length < 4u + 2u * payload[0])
    return damaged(d, "a malformed scan header");
  int count = payload[0];
  frame_component *scan[4];
  for (int i = 0; i < count; i++) {
    uint8_t id = payload[1 + 2 * i], tables = payload[2 + 2 * i];
    scan[i] = NULL;
    for (int j = 0; j < d->component_count; j++)
      if (d->components[j].id == id) scan[i] = &d->components[j];
    if (!scan[i]) return damaged(d, "a scan of a component the frame does not have");
    scan[i]->dc_table = tables >> 4;
    scan[i]->ac_table = tables & 15;
    scan[i]->scanned = 1; /* the scan fails as a whole if it fails */
    if (scan[i]->dc_table > 3 || scan[i]->ac_table > 3) return damaged(d, "a scan naming a Huffman table over 3");
  }
  int ss = payload[1 + 2 * count], se = payload[2 + 2 * count];
  int ah = payload[3 + 2 * count] >> 4, al = payload[3 + 2 * count] & 15;
  if (d->progressive) {
    if (ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && count != 1) || al > 13)
      return damaged(d, "a progressive scan with an impossible spectral band");
  } else {
    ss = 0, se = 63, ah = al = 0;
  }
  for (int i = 0; i < count; i++) {
    if (ss == 0 && ah == 0 && !d->dc_tables[scan[i]->dc_table].defined)
      return damaged(d, "a scan using a DC Huffman table that was never defined");
    if (se > 0 && !d->ac_tables[scan[i]->ac_table].defined)
      return damaged(d, "a scan using an AC Huffman table that was never defined");
    if (!d->progressive && !ready_multi_entries(d, &d->ac_tables[scan[i]->ac_table])) return 0;
  }

  /* A scan of one component codes its blocks one by one, over the component's own size; one of
   * several codes whole MCUs (A.2.2, A.2.3). */
  uint32_t wide = count == 1 ? scan[0]->used_wide : d->mcus_wide;
  uint32_t high = count == 1 ? scan[0]->used_high : d->mcus_high;
  uint64_t units = (uint64_t)wide * high;
  if (d->scale == 4) {
    make_quadrant_weights(d);
    choose_terms(d);
  }
  if (d->scale == 2) {
    make_pair_weights(d);
    for (int i = 0; i < d->component_count; i++) d->components[i].term_mask = ~d->pair_skipped & ~1ull;
  }
  start_segment(d, d->pos);
  /* A sequential scan of several components: each MCU's blocks in order as (component, offset
   * from the component's first block in the MCU), and where each component's MCU starts. */
  frame_component *mcu_component[10];
  size_t mcu_offset[10], mcu_first[4] = {0, 0, 0, 0};
  int mcu_blocks = 0;
  if (count > 1 && !d->progressive)
    for (int i = 0; i < count; i++)
      for (uint32_t by = 0; by < scan[i]->v; by++)
        for (uint32_t bx = 0; bx < scan[i]->h; bx++) {
          if (mcu_blocks == 10) return damaged(d, "an MCU of more than 10 blocks"); /* B.2.3 */
          mcu_component[mcu_blocks] = scan[i];
          mcu_offset[mcu_blocks++] = (size_t)by * scan[i]->blocks_wide + bx;
        }
  uint32_t restart_expected = 0, x = 0, y = 0, until_restart = d->restart_interval;
  for (uint64_t unit = 0; unit < units; unit++) {
    if (d->restart_interval && unit > 0 && --until_restart == 0) {
      until_restart = d->restart_interval;
      if (!end_segment(d, "before a restart marker")) return 0;
      size_t at = d->pos;
      while (at < d->size && d->bytes[at] == 0xFF) at++; /* fill bytes may precede a marker (B.1.1.2) */
      uint8_t marker = at < d->size ? d->bytes[at] : 0;
      if (marker != 0xD0 + restart_expected)
        return damaged(d, "restart marker %u is missing (found marker 0x%02X after %llu of %llu MCUs)",
                       restart_expected, marker, (unsigned long long)unit, (unsigned long long)units);
      restart_expected = (restart_expected + 1) & 7;
      start_segment(d, at + 1);
    }
    if (count == 1) {
      frame_component *c = scan[0];
      if (!decode_block(d, c, (size_t)y * c->blocks_wide + x, ss, se, ah, al)) return 0;
    } else if (!d->progressive) {
      /* Straight to the sequential block decode (no dispatch and no loops per component). */
      for (int b = 0; b < mcu_blocks; b++) {
        frame_component *c = mcu_component[b];
        if (!sequential_block(d, c, mcu_first[c - d->components] + mcu_offset[b])) return 0;
      }
      for (int i = 0; i < count; i++) {
        frame_component *c = scan[i];
        mcu_first[c - d->components] =
            x + 1 < wide ? mcu_first[c - d->components] + c->h : (size_t)(y + 1) * c->v * c->blocks_wide;
      }
    } else {
      for (int i = 0; i < count; i++) {
        frame_component *c = scan[i];
        for (uint32_t by = 0; by < c->v; by++)
          for (uint32_t bx = 0; bx < c->h; bx++) {
            size_t block = ((size_t)y * c->v + by) * c->blocks_wide + (size_t)x * c->h + bx;
            if (!decode_block(d, c, block, ss, se, ah, al)) return 0;
          }
      }
    }
    if (ran_out(d))
      return damaged(d, "its compressed data ends early (after %llu of %llu MCUs)", (unsigned long long)unit + 1,
                     (unsigned long long)units);
    if (++x == wide) x = 0, y++; /* the unit's place, without a division per unit */
  }
  return end_segment(d, "after the last MCU of a scan");
}

/* ---- Segments ------------------------------------------------------------------------------ */

static int read_frame(decoder *d, uint8_t marker, const uint8_t *p, size_t length) {
  if (d->seen_frame || length < 6 || p[0] != 8) return 0;
  d->progressive = marker == 0xC2;
  d->height = be_get_u16(p + 1);
  d->width = be_get_u16(p + 3);
  d->component_count = p[5];
  if (d->width == 0 || d->height == 0 || d->component_count < 1 || d->component_count > 4 ||
      length < 6u + 3u * (size_t)d->component_count)
    return 0;
  d->h_max = d->v_max = 1;
  for (int i = 0; i < d->component_count; i++) {
    frame_component *c = &d->components[i];
    c->id = p[6 + 3 * i];
    c->h = p[7 + 3 * i] >> 4;
    c->v = p[7 + 3 * i] & 15;
    c->quant_table = p[8 + 3 * i];
    if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4 || c->quant_table > 3) return 0;
    if (c->h > d->h_max) d->h_max = c->h;
    if (c->v > d->v_max) d->v_max = c->v;
  }
  d->mcus_wide = (d->width + 8 * d->h_max - 1) / (8 * d->h_max);
  d->mcus_high = (d->height + 8 * d->v_max - 1) / (8 * d->v_max);
  for (int i = 0; i < d->component_count; i++) {
    frame_component *c = &d->components[i];
    c->blocks_wide = d->mcus_wide * c->h;
    c->blocks_high = d->mcus_high * c->v;
    uint32_t samples_wide = (uint32_t)(((uint64_t)d->width * c->h + d->h_max - 1) / d->h_max);
    uint32_t samples_high = (uint32_t)(((uint64_t)d->height * c->v + d->v_max - 1) / d->v_max);
    c->used_wide = (samples_wide + 7) / 8;
    c->used_high = (samples_high + 7) / 8;
    c->samples_wide = samples_wide;
    c->samples_high = samples_high;
  }
  d->seen_frame = 1;
  return 1;
}

static int allocate_blocks(decoder *d) {
  for (int i = 0; i < d->component_count; i++) {
    frame_component *c = &d->components[i];
    size_t blocks = (size_t)c->blocks_wide * c->blocks_high;
    size_t per_block = d->scale ? means_per_block(d->scale) : 0;
    /* A sequential scan writes every block's means: zeroed only for a component no scan covers
     * (see walk()). A progressive JPEG's scans add to them. */
    if (d->scale && !(c->means = d->progressive ? calloc(blocks * per_block, sizeof *c->means)
                                                : malloc(blocks * per_block * sizeof *c->means)))
      return 0;
    if (d->progressive && !(c->nonzero = calloc(blocks, sizeof *c->nonzero))) return 0;
    if (d->progressive && keeps_values(d) && !(c->negative = calloc(blocks, sizeof *c->negative))) return 0;
  }
  return 1;
}

static void free_blocks(decoder *d) {
  for (int i = 0; i < 4; i++) {
    free(d->components[i].means);
    free(d->components[i].nonzero);
    free(d->components[i].negative);
    d->components[i].means = NULL;
    d->components[i].nonzero = NULL;
    d->components[i].negative = NULL;
  }
}

static int read_huffman_tables(decoder *d, const uint8_t *p, size_t length) {
  size_t at = 0;
  while (at + 17 <= length) {
    uint8_t tc = p[at] >> 4, th = p[at] & 15;
    size_t symbols = 0;
    for (int i = 1; i <= 16; i++) symbols += p[at + i];
    if (tc > 1 || th > 3 || symbols > 256 || length - at - 17 < symbols) return damaged(d, "a malformed Huffman table");
    huffman_table *t = tc ? &d->ac_tables[th] : &d->dc_tables[th];
    if (!build_table(t, p + at + 1, p + at + 17, symbols))
      return damaged(d, "a Huffman table with impossible code lengths");
    at += 17 + symbols;
  }
  return 1;
}

static void read_quant_tables(decoder *d, const uint8_t *p, size_t length) {
  size_t at = 0;
  while (at < length) {
    int precision = p[at] >> 4, table = p[at] & 15;
    size_t size = precision ? 128 : 64;
    if (table > 3 || length - at - 1 < size) return;
    for (int k = 0; k < 64; k++) d->quant[table][k] = precision ? be_get_u16(p + at + 1 + 2 * k) : p[at + 1 + k];
    d->quant_defined[table] = 1;
    at += 1 + size;
  }
}

/* The scaled decodes handle JPEGs (sequential or progressive) that stb_image would convert as gray
 * or YCbCr: one component, or three that are not RGB (ids 'R','G','B', or Adobe's transform 0),
 * with chroma halved or not. */
static int scaled_layout(const decoder *d) {
  if (d->component_count == 1) return 1;
  if (d->component_count != 3 || d->adobe_rgb) return 0;
  const frame_component *c = d->components;
  if (c[0].id == 'R' && c[1].id == 'G' && c[2].id == 'B') return 0;
  for (int i = 0; i < 3; i++)
    if ((d->h_max != c[i].h && d->h_max != 2u * c[i].h) || (d->v_max != c[i].v && d->v_max != 2u * c[i].v)) return 0;
  return 1;
}

static int scaled_possible(const decoder *d) {
  if (!scaled_layout(d)) return 0;
  for (int i = 0; i < d->component_count; i++)
    if (!d->quant_defined[d->components[i].quant_table]) return 0;
  return 1;
}

/* ---- The marker walk (B.2, B.3), as jpeg_scan() has already checked it ---------------------- */

static jpeg_data_result walk(decoder *d, int scale, const jpeg_boxes *boxes, jpeg_scaled *scaled) {
  size_t pos = 1;
  while (pos < d->size && d->bytes[pos] == 0xFF) pos++;
  pos++; /* SOI */
  for (;;) {
    while (pos < d->size && d->bytes[pos] != 0xFF) pos++;
    while (pos < d->size && d->bytes[pos] == 0xFF) pos++;
    if (pos >= d->size) return JPEG_DATA_NOT_CHECKED;
    uint8_t marker = d->bytes[pos++];
    if (marker == 0xD9) break;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (pos + 2 > d->size) return JPEG_DATA_NOT_CHECKED;
    size_t length = be_get_u16(d->bytes + pos);
    if (length < 2 || pos + length > d->size) return JPEG_DATA_NOT_CHECKED;
    const uint8_t *p = d->bytes + pos + 2;
    size_t n = length - 2;
    pos += length;
    switch (marker) {
      case 0xC0:
      case 0xC1:
      case 0xC2:
        if (!read_frame(d, marker, p, n)) return JPEG_DATA_NOT_CHECKED;
        d->scale = scaled && (scale == 2 || scale == 4 || scale == 8) && scaled_layout(d) ? scale : 0;
        if (!allocate_blocks(d)) return JPEG_DATA_OUT_OF_MEMORY;
        break;
      case 0xC4:
        if (!read_huffman_tables(d, p, n)) return JPEG_DATA_DAMAGED;
        break;
      case 0xDB: read_quant_tables(d, p, n); break;
      case 0xDD:
        if (n >= 2) d->restart_interval = be_get_u16(p);
        break;
      case 0xEE: /* Adobe APP14: transform 0 means the three components are RGB */
        if (n >= 12 && memcmp(p, "Adobe", 5) == 0 && p[11] == 0) d->adobe_rgb = 1;
        break;
      case 0xDA:
        if (!d->seen_frame) return JPEG_DATA_NOT_CHECKED;
        d->pos = pos;
        if (!decode_scan(d, p, n)) return d->out_of_memory ? JPEG_DATA_OUT_OF_MEMORY : JPEG_DATA_DAMAGED;
        pos = d->pos;
        break;
      default: break;
    }
  }
  if (!d->seen_frame) return JPEG_DATA_NOT_CHECKED;
  if (!d->scale || !scaled_possible(d)) return JPEG_DATA_OK;
  for (int i = 0; i < d->component_count; i++) {
    frame_component *c = &d->components[i];
    if (!c->scanned)
      memset(c->means, 0, (size_t)c->blocks_wide * c->blocks_high * means_per_block(d->scale) * sizeof *c->means);
  }
  jpeg_planes planes = {d->width, d->height, (uint32_t)d->scale, d->component_count == 1 ? 1 : 3, {{0}}};
  for (int i = 0; i < planes.count; i++) {
    const frame_component *c = &d->components[i];
    jpeg_plane plane = {c->means, c->blocks_wide, c->samples_wide, c->samples_high, c->h != d->h_max, c->v != d->v_max};
    planes.planes[i] = plane;
  }
  return boxes ? jpeg_image_boxes(&planes, boxes, scaled) : jpeg_image_scaled(&planes, scaled);
  return JPEG_DATA_OK;
}

/* The AC tables, kept from one decode to the next: most JPEGs define the same ones (Annex K's, or
 * their encoder's), and making a table's multi-symbol entries took a third of the check of a
 * 768x576 photo. A decode takes them when no other decode holds them (threads), else makes its
 * own. They hold up to 4 x 146 KB (entries and patterns) for the life of the program. */
static huffman_table kept_ac_tables[4];
static atomic_flag kept_ac_tables_taken = ATOMIC_FLAG_INIT;

jpeg_data_result jpeg_decode_data(const uint8_t *bytes, size_t size, int scale, int whole_axes, const jpeg_boxes *boxes,
                                  jpeg_scaled *scaled, char *problem, size_t problem_size) {
  if (scaled) memset(scaled, 0, sizeof *scaled);
  if (problem && problem_size) problem[0] = '\0';
  decoder *d = calloc(1, sizeof *d); /* some 90 KB of tables: not on the stack */
  if (!d) return JPEG_DATA_OUT_OF_MEMORY;
  int kept = !atomic_flag_test_and_set(&kept_ac_tables_taken);
  d->ac_tables = kept ? kept_ac_tables : calloc(4, sizeof *d->ac_tables);
  if (!d->ac_tables) {
    free(d);
    return JPEG_DATA_OUT_OF_MEMORY;
  }
  if (kept)
    for (int i = 0; i < 4; i++) kept_ac_tables[i].defined = 0; /* each JPEG defines the tables it uses */
  d->bytes = bytes;
  d->size = size;
  d->problem = problem;
  d->problem_size = problem_size;
  d->whole_axes = whole_axes;
  make_quadrant_terms(&d->terms);
  jpeg_data_result result = size >= 4 ? walk(d, scale, boxes, scaled) : JPEG_DATA_NOT_CHECKED;
  free_blocks(d);
  if (kept) {
    atomic_flag_clear(&kept_ac_tables_taken);
  } else {
    for (int i = 0; i < 4; i++) free(d->ac_tables[i].patterns);
    free(d->ac_tables);
  }
  free(d);
  return result;
}

jpeg_data_result jpeg_check_data(const uint8_t *bytes, size_t size, char *problem, size_t problem_size) {
  return jpeg_decode_data(bytes, size, 0, 0, NULL, NULL, problem, problem_size);
}
