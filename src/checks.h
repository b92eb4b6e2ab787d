/* checks.h — the checks that more than one reader of outside data makes, and how a failed check
 * explains itself: strict UTF-8 for names and labels, the model hash as 16 hex digits, the FNV-1a
 * checksum of model and head files, and the sentence left in a caller's `why` buffer. */
#ifndef IMPRINT_CHECKS_H
#define IMPRINT_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "imprint.h"

/* 1 when s[0..len) is UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing
 * above U+10FFFF) and holds no NUL byte (names and labels are also handed out as C strings). */
int utf8_valid(const char *s, size_t len);

/* 1 when s[0..16) are lowercase hex digits, as imprint_model_hash() spells a model hash. */
int hash_hex_valid(const char *s);

/* 64-bit FNV-1a (Fowler, Noll, Vo) of `size` bytes: the model hash, and the trailing checksum of
 * model and head files. */
uint64_t fnv1a64(const uint8_t *bytes, size_t size);

/* Writes a printf-style sentence into `why` (NUL-terminated, truncated to why_size; nothing when
 * why is NULL or why_size 0) and returns `status`, so a failed check reads
 * `return explain(IMPRINT_ERR_..., why, why_size, "...", ...);`. */
imprint_status explain(imprint_status status, char *why, size_t why_size, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5))) /* the compiler checks every message against its arguments */
#endif
    ;

#endif
