# The native (x86-64 Linux) build of the core, for the C tests and the fuzzers; included by the root
# CMakeLists.txt when it is not configured with emcmake.
#
#   cmake -S . -B build/native -G Ninja -DIMPRINT_SANITIZE=ON          # tests/c/run-native.sh
#   CC=clang cmake -S . -B build/fuzz -G Ninja -DIMPRINT_FUZZ=ON       # scripts/fuzz.sh
#
# Targets: `imprint` (every src/*.c, a static library), the tests in tests/c/ as ctest tests, and
# with IMPRINT_FUZZ the libFuzzer targets tests/fuzz/fuzz_*.c and their smoke runs (cmake/Fuzz.cmake).
#
# XNNPACK is built without sanitizers, on purpose: its kernels read up to XNN_EXTRA_BYTES past the
# end of their inputs by design, and instrumenting them would report that as overflows (and make
# the build and the run much slower). Our code is what is instrumented; ASan's allocator still
# surrounds every heap buffer we hand to XNNPACK with redzones, and our own reads and writes of
# them are checked.

option(IMPRINT_SANITIZE "AddressSanitizer + UndefinedBehaviorSanitizer on our code (-O1 -g)" OFF)
option(IMPRINT_FUZZ "libFuzzer targets and their ctest smoke runs instead of the tests (clang; ASan + UBSan)" OFF)
find_program(IMPRINT_NODE node REQUIRED)
set(IMPRINT_TESTDATA_DIR "${PROJECT_SOURCE_DIR}/.cache/testdata" CACHE PATH
    "Real photos and stamps (scripts/fetch-testdata.sh)")
set(IMPRINT_DEFAULT_MODEL "${IMPRINT_DIST_DIR}/models/mobilenet_v2.imprint")

# ---[ XNNPACK: the same pinned tarballs as the wasm build, upstream, not instrumented. The fuzz
# build links none of it (the fuzzed parsers do not run the backbone), so it takes only the headers.
if(IMPRINT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "IMPRINT_FUZZ needs clang (libFuzzer): configure with CC=clang")
  endif()
  set(IMPRINT_XNNPACK_HEADERS_ONLY ON)
else()
  enable_language(CXX)  # a few XNNPACK sources
endif()
include("${CMAKE_CURRENT_LIST_DIR}/XnnpackDeps.cmake")

# ---[ Flags of our code and of the programs that link it
# -UNDEBUG: the instrumented builds keep asserts (stb_image's) whatever the build type.
add_library(imprint-checks INTERFACE)
target_compile_options(imprint-checks INTERFACE ${IMPRINT_WARNINGS} -Werror)
if(IMPRINT_FUZZ OR IMPRINT_SANITIZE)
  set(sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  # -O1 keeps the sanitized runs (hundreds of parses of a 2.6 MB file) to seconds.
  target_compile_options(imprint-checks INTERFACE -O1 -g -UNDEBUG ${sanitizers}
    $<$<BOOL:${IMPRINT_FUZZ}>:-fsanitize=fuzzer-no-link>)
  target_link_options(imprint-checks INTERFACE ${sanitizers})
endif()

# ---[ Our sources: every src/*.c (CONFIGURE_DEPENDS in the root picks up new ones). A static
# library, so a program links only the objects it uses: the model-file and head tests (and the
# fuzzers) need no XNNPACK and are built and run before it is compiled.
add_library(imprint STATIC ${IMPRINT_SOURCES})
set_target_properties(imprint PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_include_directories(imprint PUBLIC "${PROJECT_SOURCE_DIR}/include" PRIVATE "${PROJECT_SOURCE_DIR}/src")
target_include_directories(imprint SYSTEM PRIVATE /usr/include/stb ${IMPRINT_XNNPACK_INCLUDE_DIRS})
target_link_libraries(imprint PUBLIC imprint-checks m)

if(IMPRINT_FUZZ)
  include("${CMAKE_CURRENT_LIST_DIR}/Fuzz.cmake")
  return()
endif()

# imprint_native_test(<name> [XNNPACK]): tests/c/<name>.c linked with the library.
function(imprint_native_test name)
  add_executable(${name} "${PROJECT_SOURCE_DIR}/tests/c/${name}.c")
  set_target_properties(${name} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}/tests/c")
  target_link_libraries(${name} PRIVATE imprint ${ARGN})
endfunction()

imprint_native_test(model_file_test)
imprint_native_test(head_test)
imprint_native_test(index_test)
imprint_native_test(jpeg_decode_test)
imprint_native_test(preprocess_test)
imprint_native_test(core_test XNNPACK)

# The long model-file damage run (tests/c/model-damage.sh): optimised, never instrumented, built
# only on request.
add_library(imprint-plain STATIC EXCLUDE_FROM_ALL ${IMPRINT_SOURCES})
set_target_properties(imprint-plain PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_include_directories(imprint-plain PUBLIC "${PROJECT_SOURCE_DIR}/include" PRIVATE "${PROJECT_SOURCE_DIR}/src")
target_include_directories(imprint-plain SYSTEM PRIVATE /usr/include/stb ${IMPRINT_XNNPACK_INCLUDE_DIRS})
target_compile_options(imprint-plain PRIVATE ${IMPRINT_WARNINGS} -Werror -O2)
target_link_libraries(imprint-plain PUBLIC m)
add_executable(model_damage EXCLUDE_FROM_ALL "${PROJECT_SOURCE_DIR}/tests/c/model_damage.c")
set_target_properties(model_damage PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
  RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
target_include_directories(model_damage PRIVATE "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}/tests/c")
target_compile_options(model_damage PRIVATE ${IMPRINT_WARNINGS} -Werror -O2)
target_link_libraries(model_damage PRIVATE imprint-plain)

# ---[ Tests (ctest, run from the repository root; label `unit`: no XNNPACK, run first by
# tests/c/run-native.sh)
add_test(NAME default-model
  COMMAND sh -c "test -f \"$0\" || \"$1\" models/build-default.js" "${IMPRINT_DEFAULT_MODEL}" "${IMPRINT_NODE}"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(default-model PROPERTIES FIXTURES_SETUP default-model)

# The model-file parser against the default model, or $IMPRINT_TEST_MODEL.
add_test(NAME model_file_test
  COMMAND sh -c "exec \"$0\" \"\${IMPRINT_TEST_MODEL:-$1}\"" "$<TARGET_FILE:model_file_test>" "${IMPRINT_DEFAULT_MODEL}"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(model_file_test PROPERTIES FIXTURES_REQUIRED default-model LABELS unit)

# The few-shot head: imprinting, training, prediction, head files (every flipped bit and every
# truncation of a saved head), limits and errors. Synthetic embeddings, no model needed.
add_test(NAME head_test COMMAND head_test WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(head_test PROPERTIES LABELS unit)

# preprocess() (resize, alpha, normalisation) against the plain per-pixel definition, bit for bit, its
# two halves run in either order. Random pixels, no model needed.
add_test(NAME preprocess_test COMMAND preprocess_test WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(preprocess_test PROPERTIES LABELS unit)

# The similarity index: ids, centred similarities, top-k, index files (every flipped bit and every
# truncation of a saved index, edits behind a valid checksum), limits and errors. Synthetic embeddings.
add_test(NAME index_test COMMAND index_test WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(index_test PROPERTIES LABELS unit)

# imprint's JPEG Huffman decoding on the real photos and on phone-like JPEGs made from them by cjpeg
# (baseline q92, progressive 4:2:0, 4:4:4 and gray, baseline with restart intervals; the fixture
# jpeg-test-images): the 1/4- and 1/8-scale images against stb_image's full decode, the two parts of
# a JPEG split at restart markers against its whole decode, damage found, and a sweep of damaged bytes
# under the sanitizers.
file(GLOB IMPRINT_TEST_PHOTOS "${IMPRINT_TESTDATA_DIR}/photos/*.jpg")
set(jpeg_test_images "${CMAKE_BINARY_DIR}/jpeg-test-images")
add_test(NAME jpeg-test-images
  COMMAND "${IMPRINT_NODE}" tests/c/make-test-jpegs.js "${jpeg_test_images}"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(jpeg-test-images PROPERTIES FIXTURES_SETUP jpeg-test-images LABELS unit
  ENVIRONMENT "IMPRINT_TESTDATA=${IMPRINT_TESTDATA_DIR}")
add_test(NAME jpeg_decode_test COMMAND jpeg_decode_test ${IMPRINT_TEST_PHOTOS}
  "${jpeg_test_images}/phone-420.jpg" "${jpeg_test_images}/phone-progressive-420.jpg"
  "${jpeg_test_images}/phone-progressive-444.jpg" "${jpeg_test_images}/phone-progressive-gray.jpg"
  "${jpeg_test_images}/phone-420-q100.jpg" "${jpeg_test_images}/phone-420-restart.jpg"
  "${jpeg_test_images}/phone-gray-restart.jpg" "${jpeg_test_images}/phone-444-restart-2-rows.jpg"
  --same "${jpeg_test_images}/phone-420.jpg" "${jpeg_test_images}/phone-progressive-420.jpg"
  --same "${jpeg_test_images}/phone-420-q100.jpg" "${jpeg_test_images}/phone-progressive-420-q100.jpg"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(jpeg_decode_test PROPERTIES LABELS unit FIXTURES_REQUIRED jpeg-test-images)

# The whole core on real photos and stamps against the wasm build: reference values from
# dist/imprint-core.wasm for the same files, under the wasm build's lock so that a build running
# beside us cannot hand us a half-linked core.
find_program(IMPRINT_FLOCK flock REQUIRED)
set(reference_dir "${CMAKE_BINARY_DIR}/wasm-reference")
file(RELATIVE_PATH photos "${PROJECT_SOURCE_DIR}" "${IMPRINT_TESTDATA_DIR}/photos")
file(RELATIVE_PATH stamps "${PROJECT_SOURCE_DIR}" "${IMPRINT_TESTDATA_DIR}/stamps")
add_test(NAME core_test-wasm-reference
  COMMAND "${IMPRINT_FLOCK}" "${PROJECT_SOURCE_DIR}/build/wasm.lock"
          "${IMPRINT_NODE}" tests/c/native/wasm-reference.cjs "${reference_dir}" "${IMPRINT_DEFAULT_MODEL}" out_relu
          ${photos}/dog.jpg ${photos}/eagle.jpg ${photos}/giraffe.jpg ${photos}/horses.jpg ${photos}/kite.jpg
          ${photos}/person.jpg ${photos}/scream.jpg
          ${stamps}/animals/birds/blackbird.png ${stamps}/food/fruit/apple_fuji.png ${stamps}/vehicles/auto/beetle.png
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(core_test-wasm-reference PROPERTIES
  FIXTURES_SETUP wasm-reference FIXTURES_REQUIRED default-model)
add_test(NAME core_test COMMAND core_test "${IMPRINT_DEFAULT_MODEL}" "${reference_dir}"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
# LeakSanitizer is on by default on x86-64 Linux; said explicitly because the test relies on it.
set_tests_properties(core_test PROPERTIES FIXTURES_REQUIRED "default-model;wasm-reference"
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1")
