/* stb_image_impl.c — the one translation unit that compiles stb_image (from Debian's libstb-dev,
 * included at build time, never copied here). Configuration is ours: memory only, no stdio, no
 * thread-local failure strings (one decode at a time per instance; on two threads image_decode.c
 * reads the string on the thread that decoded), and dimension limits enforced by image_decode.c
 * before stb allocates anything. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#pragma clang diagnostic ignored "-Wsign-compare"
#pragma clang diagnostic ignored "-Wunused-parameter"
#pragma clang diagnostic ignored "-Wimplicit-fallthrough"
#pragma clang diagnostic ignored "-Wcast-qual"
#pragma clang diagnostic ignored "-Wdouble-promotion"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#endif

/* In wasm, stb_image's SSE2 JPEG paths (IDCT, YCbCr->RGB, chroma upsampling; documented by stb as
 * bit-identical to its scalar code) run on WebAssembly SIMD through Emscripten's SSE2 headers
 * (CMakeLists.txt compiles this file with -msse2). stb only enables them for x86 targets, so we
 * tell it this is one; nothing else in stb_image depends on that macro. */
#if defined(__EMSCRIPTEN__) && defined(__SSE2__)
#define STBI__X64_TARGET
#endif

#define STBI_NO_STDIO
#define STBI_NO_THREAD_LOCALS
#define STBI_MAX_DIMENSIONS (1 << 20)
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
