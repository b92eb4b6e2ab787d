#!/bin/sh
# Builds the native C tests with AddressSanitizer + UBSan and runs them: the model-file parser
# against the default model (built first if missing), then the few-shot head.
# Usage: tests/c/run-native.sh [model.imprint]
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

# The few-shot head: imprinting, training, prediction, head files (every flipped bit and every
# truncation of a saved head), limits and errors. Synthetic embeddings, no model needed.
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -Iinclude -Isrc src/head.c src/head_train.c src/head_file.c src/model_file.c src/status.c tests/c/head_test.c \
  -o build/native/head_test -lm
build/native/head_test
