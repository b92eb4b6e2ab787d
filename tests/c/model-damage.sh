#!/bin/sh
# The long damage run for the model file (figures in RELIABILITY.md): every truncation, a large
# random sample of damaged bytes, random header/table bytes with the checksum recomputed.
# Optimised, no sanitizers (tests/c/run-native.sh runs the short sanitized version in CI): the
# target model_damage of the native build (cmake/Native.cmake); about 7 minutes on 2 shared cores,
# nearly all of it the 100,000 checksums of 2.6 MB.
# Usage: tests/c/model-damage.sh [model.imprint] [flips, default 100000] [seed, default 0x5EED] [structural edits, default 5000]
set -eu
cd "$(dirname "$0")/../.."
build=${IMPRINT_NATIVE_BUILD_DIR:-build/native}
model="${1:-dist/models/mobilenet_v2.imprint}"
sh scripts/fetch-deps.sh >/dev/null
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DIMPRINT_SANITIZE=ON >/dev/null
cmake --build "$build" --target model_damage -- --quiet
"$build/tests/model_damage" "$model" "${2:-100000}" "${3:-0x5EED}" "${4:-5000}"
