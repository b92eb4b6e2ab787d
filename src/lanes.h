/* lanes.h — four floats or ints side by side: one SIMD register where there is one (wasm's
 * included, with its intrinsics), plain C vector arithmetic elsewhere. */
#ifndef IMPRINT_LANES_H
#define IMPRINT_LANES_H

#include <stdint.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

typedef float four_floats __attribute__((vector_size(16)));
typedef int32_t four_ints __attribute__((vector_size(16)));

#endif
