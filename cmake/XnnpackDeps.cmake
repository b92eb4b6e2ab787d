# Unpack the pinned XNNPACK, pthreadpool and FXdiv tarballs (fetched into
# .deps/ by scripts/fetch-deps.sh), patch XNNPACK for Emscripten, and add it to
# the build as the static library target `XNNPACK`.
#
# Unpacking and patching happen at configure time, once: each source tree
# carries a stamp naming the tarball hash (and patch hash) it was made from,
# and is only remade when that changes. The trees live in a stable place under
# the build directory, so incremental builds never touch XNNPACK again.

include("${CMAKE_CURRENT_LIST_DIR}/DepsUnpack.cmake")

set(IMPRINT_XNNPACK_PATCH "${PROJECT_SOURCE_DIR}/cmake/xnnpack-emscripten.patch")
set(IMPRINT_THIRD_PARTY_DIR "${CMAKE_BINARY_DIR}/third_party")

# Reconfigure (and so re-check the stamps) when the patch changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${IMPRINT_XNNPACK_PATCH}")

imprint_unpack(xnnpack "${IMPRINT_THIRD_PARTY_DIR}/xnnpack-src" PATCH "${IMPRINT_XNNPACK_PATCH}")
imprint_unpack(pthreadpool "${IMPRINT_THIRD_PARTY_DIR}/pthreadpool-src")
imprint_unpack(fxdiv "${IMPRINT_THIRD_PARTY_DIR}/fxdiv-src")

# XNNPACK's options, as normal variables (its CMake honours them, CMP0077).
set(XNNPACK_LIBRARY_TYPE static)
set(XNNPACK_BUILD_TESTS OFF)
set(XNNPACK_BUILD_BENCHMARKS OFF)
set(XNNPACK_BUILD_ALL_MICROKERNELS OFF)
set(XNNPACK_ENABLE_KLEIDIAI OFF)
set(PTHREADPOOL_SOURCE_DIR "${IMPRINT_THIRD_PARTY_DIR}/pthreadpool-src")
set(FXDIV_SOURCE_DIR "${IMPRINT_THIRD_PARTY_DIR}/fxdiv-src")
# pthreadpool builds its single-threaded shim on Emscripten; we always pass a
# NULL threadpool, so nothing here needs -pthread.
set(PTHREADPOOL_BUILD_TESTS OFF)
set(PTHREADPOOL_BUILD_BENCHMARKS OFF)
set(FXDIV_BUILD_TESTS OFF)
set(FXDIV_BUILD_BENCHMARKS OFF)

# EXCLUDE_FROM_ALL: only what our targets link (XNNPACK and its pieces) is built.
add_subdirectory("${IMPRINT_THIRD_PARTY_DIR}/xnnpack-src"
                 "${CMAKE_BINARY_DIR}/xnnpack" EXCLUDE_FROM_ALL SYSTEM)
