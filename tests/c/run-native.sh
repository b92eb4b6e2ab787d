#!/bin/sh
# The native C tests, AddressSanitizer + UBSan on our code: ctest in the native build of the CMake
# project (build/native, IMPRINT_SANITIZE=ON; see cmake/Native.cmake). First the tests that need no
# XNNPACK (label `unit`: the model-file parser against the default model, built first if missing;
# the few-shot head; the similarity index), then the whole core on real photos and stamps against the wasm build
# (core_test), which links a native XNNPACK: 2 minutes to compile the first time on an idle 2-core
# machine, then only what changed.
# Usage: tests/c/run-native.sh [model.imprint]   (the model-file test's model; default: the default model)
#        IMPRINT_NATIVE_BUILD_DIR=<dir>          (another build directory)
set -eu
cd "$(dirname "$0")/../.."
build=${IMPRINT_NATIVE_BUILD_DIR:-build/native}
if [ "$#" -gt 0 ]; then
    IMPRINT_TEST_MODEL=$(realpath "$1")
    export IMPRINT_TEST_MODEL
fi
sh scripts/fetch-deps.sh >/dev/null  # the pinned XNNPACK (a no-op when cached)
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DIMPRINT_SANITIZE=ON >/dev/null
# Each test's count of checks (ctest shows a passing test's output only in its log).
counts() { grep -E "[0-9]+ passed, [0-9]+ failed" "$build/Testing/Temporary/LastTest.log" || true; }
cmake --build "$build" --target model_file_test head_test index_test jpeg_decode_test preprocess_test -- --quiet
ctest --test-dir "$build" --output-on-failure -L unit
counts
nice -n 5 cmake --build "$build" -- --quiet
ctest --test-dir "$build" --output-on-failure -LE unit
counts
