#!/bin/sh
# Builds the native C tests with AddressSanitizer + UBSan and runs them: the model-file parser
# against the default model (built first if missing), the few-shot head, then the whole core on
# real photos and stamps against the wasm build.
# Usage: tests/c/run-native.sh [model.imprint]   (the model-file test's model; default: the default model)
set -eu
cd "$(dirname "$0")/../.."
default_model=dist/models/mobilenet_v2.imprint
model="${1:-$default_model}"
if [ ! -f "$default_model" ]; then
  node models/build-default.js
fi
mkdir -p build/native
# -O1 keeps the sanitized run (hundreds of parses of a 2.6 MB file) to seconds.
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -Iinclude -Isrc src/model_file.c tests/c/model_file_test.c -o build/native/model_file_test -lm
build/native/model_file_test "$model"

# The few-shot head: imprinting, training, prediction, head files (every flipped bit and every
# truncation of a saved head), limits and errors. Synthetic embeddings, no model needed.
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -Iinclude -Isrc src/head.c src/head_train.c src/head_file.c src/model_file.c src/status.c tests/c/head_test.c \
  -o build/native/head_test -lm
build/native/head_test

# The whole core (every src/*.c, instrumented) linked against a native x86-64 build of the same
# pinned XNNPACK (not instrumented; see tests/c/native/CMakeLists.txt). XNNPACK is compiled once
# into build/native-core (about 10 minutes on 2 cores); later runs only rebuild what changed.
core=build/native-core
[ -f "$core/build.ninja" ] || cmake -S tests/c/native -B "$core" -G Ninja >/dev/null
nice -n 5 cmake --build "$core" -- --quiet
# Reference values from the wasm build (dist/imprint-core.wasm) for the same files, under the wasm
# build's lock so that a build running beside us cannot hand us a half-linked core.
photos=.cache/testdata/photos
stamps=.cache/testdata/stamps
flock build/wasm.lock node tests/c/native/wasm-reference.cjs "$core" "$default_model" out_relu \
  "$photos/dog.jpg" "$photos/eagle.jpg" "$photos/giraffe.jpg" "$photos/horses.jpg" "$photos/kite.jpg" \
  "$photos/person.jpg" "$photos/scream.jpg" \
  "$stamps/animals/birds/blackbird.png" "$stamps/food/fruit/apple_fuji.png" "$stamps/vehicles/auto/beetle.png"
# LeakSanitizer is on by default on x86-64 Linux; said explicitly because the test relies on it.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$core/core_test" "$default_model" "$core"
