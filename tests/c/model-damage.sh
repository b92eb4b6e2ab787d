#!/bin/sh
# The long damage run for the model file (figures in RELIABILITY.md): every truncation, a large
# random sample of damaged bytes, random header/table bytes with the checksum recomputed.
# Optimised, no sanitizers (tests/c/run-native.sh runs the short sanitized version in CI); about
# 7 minutes on 2 shared cores, nearly all of it the 100,000 checksums of 2.6 MB.
# Usage: tests/c/model-damage.sh [model.imprint] [flips, default 100000] [seed, default 0x5EED] [structural edits, default 5000]
set -eu
cd "$(dirname "$0")/../.."
model="${1:-dist/models/mobilenet_v2.imprint}"
mkdir -p build/native
gcc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude -Isrc src/model_file.c tests/c/model_damage.c \
  -o build/native/model_damage -lm
build/native/model_damage "$model" "${2:-100000}" "${3:-0x5EED}" "${4:-5000}"
