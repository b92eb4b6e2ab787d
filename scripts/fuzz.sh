#!/bin/sh
# Fuzz every parser that takes outside bytes with libFuzzer (clang, AddressSanitizer + UBSan):
# image decode + preprocessing, the model file loader, the head file loader, the index file
# loader; and the converter's TensorFlow Lite and TF.js graph readers (JavaScript:
# tests/fuzz/fuzz_tflite_import.js, fuzz_tfjs_graph.js, under the same libFuzzer through
# tests/fuzz/node/). Seed corpora are real files: the test photos and stamps, a small converted
# model, a head and an index saved by the library, generated TFLite and graph models.
#
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
#
# Builds the fuzz configuration of the CMake project (build/fuzz: clang, IMPRINT_FUZZ=ON; see
# cmake/Fuzz.cmake) and runs its ctest tests: first every input in tests/fuzz/regressions/<target>/,
# then the fuzzing itself. Crashes are written to build/fuzz/crashes/<target>/ and make the script
# fail; logs are build/fuzz/<target>.log. IMPRINT_FUZZ_BUILD_DIR: another build directory.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECONDS_PER_TARGET=${1:-60}
[ "$#" -gt 0 ] && shift
TARGETS=${*:-image_decode model_file head_file index_file tflite_import tfjs_graph}
BUILD=${IMPRINT_FUZZ_BUILD_DIR:-build/fuzz}

command -v clang >/dev/null || { echo "fuzz: clang not found; run scripts/setup.sh" >&2; exit 1; }
"$ROOT/scripts/fetch-deps.sh" >/dev/null  # XNNPACK's headers: the backbone's sources include them
[ -f "$BUILD/build.ninja" ] || CC=clang cmake -S . -B "$BUILD" -G Ninja -DIMPRINT_FUZZ=ON >/dev/null
cmake --build "$BUILD" -- --quiet

names=$(printf '%s' "$TARGETS" | tr -s ' ' '|')
status=0
IMPRINT_FUZZ_SECONDS=$SECONDS_PER_TARGET ctest --test-dir "$BUILD" --output-on-failure \
    --timeout $((SECONDS_PER_TARGET * 2 + 600)) -R "^fuzz-(regressions-)?($names)\$" || status=1
for t in $TARGETS; do
    [ -f "$BUILD/$t.log" ] || continue
    echo "fuzz: $t (${SECONDS_PER_TARGET}s):"
    grep -E "^stat::(number_of_executed_units|peak_rss_mb)|cov:" "$BUILD/$t.log" | tail -3
done
exit $status
