#!/bin/sh
# Builds the native model-file parser test with AddressSanitizer + UBSan and runs it against the
# default model (built first if missing). Usage: tests/c/run-native.sh [model.imprint]
set -eu
cd "$(dirname "$0")/../.."
model="${1:-dist/models/mobilenet_v2.imprint}"
if [ ! -f "$model" ] && [ "$model" = "dist/models/mobilenet_v2.imprint" ]; then
  node models/build-default.js
fi
mkdir -p build/native
# -O1 keeps the sanitized run (hundreds of parses of a 2.6 MB file) to seconds.
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -Iinclude -Isrc src/model_file.c tests/c/model_file_test.c -o build/native/model_file_test -lm
build/native/model_file_test "$model"
