#!/bin/sh
# The test command of the README and of CI: sets everything up on a fresh Debian 12 machine (as
# root), fetches the real test data, then checks formatting and runs the native C tests, the fuzz
# smoke runs and the Node test suites.
#
#   scripts/test.sh              # everything
#   scripts/test.sh tests/decode.test.js   # only the named Node suites (after setup)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/setup-browser.sh"
"$ROOT/scripts/fetch-testdata.sh"

if [ "$#" -gt 0 ]; then
    exec node --test "$@"
fi

echo "test: formatting (clang-format for C, Prettier for JavaScript and TypeScript)"
"$ROOT/scripts/check-format.sh"

echo "test: native C tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
"$ROOT/tests/c/run-native.sh"

echo "test: XNNPACK toolchain smoke test (wasm, against a naive C reference)"
ctest --test-dir "$ROOT/build/wasm" --output-on-failure

echo "test: short fuzz run of every parser of outside bytes (libFuzzer, ASan + UBSan)"
"$ROOT/scripts/fuzz.sh" "${IMPRINT_FUZZ_SECONDS:-60}"

echo "test: Node suites"
node --test --test-reporter=spec tests/*.test.js
