# Unpack the pinned XNNPACK, pthreadpool and FXdiv tarballs (fetched into .deps/ by
# scripts/fetch-deps.sh) and add XNNPACK to the build as the static library target `XNNPACK`, with
# its options set once for both builds:
# - wasm: XNNPACK patched by cmake/xnnpack-emscripten.patch (it only teaches XNNPACK's CMake the
#   Emscripten target and fixes includes in wasm kernels), pthreadpool by
#   cmake/pthreadpool-emscripten.patch (its threads' spin-wait bounded by time);
# - native x86-64: upstream unpatched, CPU detection from Debian's libcpuinfo-dev.
#
# Unpacking and patching happen at configure time, once: each source tree carries a stamp naming
# the tarball hash (and patch hash) it was made from, and is only remade when that changes. The
# trees live in a stable place under the build directory, so incremental builds never touch
# XNNPACK again.
#
# IMPRINT_XNNPACK_HEADERS_ONLY (set by the includer): unpack only, for builds that compile our
# sources (whose backbone includes <xnnpack.h>) but link no XNNPACK, i.e. the fuzz build.
# Sets IMPRINT_XNNPACK_INCLUDE_DIRS (xnnpack.h and the pthreadpool.h it includes).

include("${CMAKE_CURRENT_LIST_DIR}/DepsUnpack.cmake")

set(IMPRINT_THIRD_PARTY_DIR "${CMAKE_BINARY_DIR}/third_party")
if(CMAKE_SYSTEM_NAME STREQUAL "Emscripten")
  set(IMPRINT_XNNPACK_PATCH "${PROJECT_SOURCE_DIR}/cmake/xnnpack-emscripten.patch")
  # Reconfigure (and so re-check the stamps) when the patch changes.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${IMPRINT_XNNPACK_PATCH}")
  imprint_unpack(xnnpack "${IMPRINT_THIRD_PARTY_DIR}/xnnpack-src" PATCH "${IMPRINT_XNNPACK_PATCH}")
  # The threads' spin-wait bounded by time as well (the patch says why).
  set(IMPRINT_PTHREADPOOL_PATCH "${PROJECT_SOURCE_DIR}/cmake/pthreadpool-emscripten.patch")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${IMPRINT_PTHREADPOOL_PATCH}")
  imprint_unpack(pthreadpool "${IMPRINT_THIRD_PARTY_DIR}/pthreadpool-src" PATCH "${IMPRINT_PTHREADPOOL_PATCH}")
else()
  imprint_unpack(xnnpack "${IMPRINT_THIRD_PARTY_DIR}/xnnpack-src")
  imprint_unpack(pthreadpool "${IMPRINT_THIRD_PARTY_DIR}/pthreadpool-src")
endif()
imprint_unpack(fxdiv "${IMPRINT_THIRD_PARTY_DIR}/fxdiv-src")
set(IMPRINT_XNNPACK_INCLUDE_DIRS
  "${IMPRINT_THIRD_PARTY_DIR}/xnnpack-src/include" "${IMPRINT_THIRD_PARTY_DIR}/pthreadpool-src/include")
if(IMPRINT_XNNPACK_HEADERS_ONLY)
  return()
endif()

# XNNPACK's options, as normal variables (its CMake honours them, CMP0077).
set(XNNPACK_LIBRARY_TYPE static)
set(XNNPACK_BUILD_TESTS OFF)
set(XNNPACK_BUILD_BENCHMARKS OFF)
set(XNNPACK_BUILD_ALL_MICROKERNELS OFF)
set(XNNPACK_ENABLE_KLEIDIAI OFF)
set(PTHREADPOOL_SOURCE_DIR "${IMPRINT_THIRD_PARTY_DIR}/pthreadpool-src")
set(FXDIV_SOURCE_DIR "${IMPRINT_THIRD_PARTY_DIR}/fxdiv-src")
# pthreadpool builds its single-threaded shim on Emscripten (the default wasm build passes a NULL
# threadpool). The threaded wasm build (IMPRINT_THREADS, build/wasm-threads) needs its real
# implementation, which its CMake never builds for Emscripten: XNNPACK only adds pthreadpool when no
# target of that name exists, so it is defined here from the same pinned sources, compiled with
# -pthread (the whole build is, see CMakeLists.txt) and _GNU_SOURCE (posix_memalign). Its Emscripten
# code path waits with emscripten_futex_wait.
set(PTHREADPOOL_BUILD_TESTS OFF)
set(PTHREADPOOL_BUILD_BENCHMARKS OFF)
set(FXDIV_BUILD_TESTS OFF)
set(FXDIV_BUILD_BENCHMARKS OFF)

if(NOT CMAKE_SYSTEM_NAME STREQUAL "Emscripten")
  # XNNPACK detects the x86 CPU features with cpuinfo, which its CMake would download: use
  # Debian's libcpuinfo-dev instead (scripts/setup.sh installs it). It is older than the pinned
  # XNNPACK, which only matters for the kernel families switched off below. (Its CMake package
  # file names a static library the package does not ship, so the library and header are looked
  # up directly.)
  find_library(IMPRINT_CPUINFO_LIBRARY cpuinfo REQUIRED)
  find_path(IMPRINT_CPUINFO_INCLUDE cpuinfo.h REQUIRED)
  add_library(cpuinfo INTERFACE)
  target_link_libraries(cpuinfo INTERFACE "${IMPRINT_CPUINFO_LIBRARY}")
  target_include_directories(cpuinfo SYSTEM INTERFACE "${IMPRINT_CPUINFO_INCLUDE}")
  set(CPUINFO_SOURCE_DIR "${CMAKE_BINARY_DIR}/cpuinfo-unused")  # defined: no download
  # SSE2 to AVX2 + FMA3 + F16C is what the CI machines (and any x86-64 of the last decade) run,
  # and all the tests need. The AVX-512, AVX-VNNI and AVX10/256 families would add 165 of 972
  # compile steps (AMX and AVX512-FP16 need gcc 13), and Debian 12's cpuinfo lacks the detection
  # functions for the newest of them.
  foreach(family AVXVNNI AVXVNNIINT8 AVX256SKX AVX256VNNI AVX256VNNIGFNI AVX512F AVX512SKX
                 AVX512VBMI AVX512VNNI AVX512VNNIGFNI AVX512AMX AVX512FP16)
    set(XNNPACK_ENABLE_${family} OFF)
  endforeach()
endif()

if(CMAKE_SYSTEM_NAME STREQUAL "Emscripten" AND IMPRINT_THREADS)
  set(pthreadpool_dir "${IMPRINT_THIRD_PARTY_DIR}/pthreadpool-src")
  add_library(pthreadpool STATIC EXCLUDE_FROM_ALL
    "${pthreadpool_dir}/src/portable-api.c" "${pthreadpool_dir}/src/memory.c"
    "${pthreadpool_dir}/src/pthreads.c")
  target_include_directories(pthreadpool SYSTEM PUBLIC "${pthreadpool_dir}/include")
  target_include_directories(pthreadpool PRIVATE "${pthreadpool_dir}/src")
  target_compile_definitions(pthreadpool PRIVATE _GNU_SOURCE=1 PTHREADPOOL_USE_FASTPATH=0)
  target_compile_definitions(pthreadpool PUBLIC PTHREADPOOL_NO_DEPRECATED_API=1)
  set_target_properties(pthreadpool PROPERTIES C_STANDARD 11 C_EXTENSIONS OFF)
  target_include_directories(pthreadpool SYSTEM PRIVATE "${IMPRINT_THIRD_PARTY_DIR}/fxdiv-src/include")
endif()

# EXCLUDE_FROM_ALL: only what our targets link (XNNPACK and its pieces) is built.
add_subdirectory("${IMPRINT_THIRD_PARTY_DIR}/xnnpack-src"
                 "${CMAKE_BINARY_DIR}/xnnpack" EXCLUDE_FROM_ALL SYSTEM)
