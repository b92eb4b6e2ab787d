#!/bin/sh
# Build imprint's WebAssembly core, then the default model if its builder exists.
#
#   scripts/build.sh            # Release build into build/wasm, outputs in dist/
#   IMPRINT_BUILD_TYPE=Debug scripts/build.sh      # into build/wasm-debug
#   scripts/build.sh xnnpack-smoke                  # build only the named targets
#   IMPRINT_BUILD_DIR=/tmp/b scripts/build.sh       # another build directory
#
# Then the threads variant (dist/imprint-core-threads.*, for cross-origin isolated pages; README:
# Threads) in <build directory>-threads, e.g. build/wasm-threads: XNNPACK compiled a second time,
# with -pthread. IMPRINT_THREADS=0 skips it (dist/web then cannot be made).
#
# Fetches the pinned sources if needed (scripts/fetch-deps.sh; a no-op when
# cached), configures once (Ninja, Emscripten toolchain), then builds
# incrementally: XNNPACK is unpacked, patched and compiled only the first time.
# Works from any directory. Runs that share a build directory take turns (a
# lock next to it): two Ninja processes in one directory would corrupt its
# dependency log and rebuild everything.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_TYPE=${IMPRINT_BUILD_TYPE:-Release}
case "$BUILD_TYPE" in
    Release) BUILD_DIR="$ROOT/build/wasm" ;;
    Debug|RelWithDebInfo|MinSizeRel)
        BUILD_DIR="$ROOT/build/wasm-$(printf '%s' "$BUILD_TYPE" | tr '[:upper:]' '[:lower:]')" ;;
    *) echo "build: unknown IMPRINT_BUILD_TYPE '$BUILD_TYPE'" >&2; exit 2 ;;
esac
BUILD_DIR=${IMPRINT_BUILD_DIR:-$BUILD_DIR}

say() { printf 'build: %s\n' "$*"; }

for tool in emcmake emcc cmake ninja node python3 patch flock; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "build: '$tool' not found; run scripts/setup.sh first" >&2; exit 1; }
done

mkdir -p "$(dirname "$BUILD_DIR")"
exec 9>"$BUILD_DIR.lock"
if ! flock -n 9; then
    say "waiting for another build in ${BUILD_DIR#"$ROOT"/} to finish"
    flock 9
fi

"$ROOT/scripts/fetch-deps.sh"

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    say "configuring $BUILD_TYPE build in ${BUILD_DIR#"$ROOT"/}"
    emcmake cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
fi

say "building ${*:-all targets}"
if [ "$#" -gt 0 ]; then
    targets=""
    for t in "$@"; do targets="$targets --target $t"; done
    # shellcheck disable=SC2086
    cmake --build "$BUILD_DIR" $targets
    exit 0
fi
# The smoke test first: it needs only XNNPACK, so it says whether the
# toolchain works even while src/ is mid-change.
cmake --build "$BUILD_DIR" --target xnnpack-smoke
cmake --build "$BUILD_DIR"

if [ "${IMPRINT_THREADS:-1}" != 0 ]; then
    THREADS_DIR="$BUILD_DIR-threads"
    exec 8>"$THREADS_DIR.lock"
    if ! flock -n 8; then
        say "waiting for another build in ${THREADS_DIR#"$ROOT"/} to finish"
        flock 8
    fi
    if [ ! -f "$THREADS_DIR/build.ninja" ]; then
        say "configuring the $BUILD_TYPE threads build in ${THREADS_DIR#"$ROOT"/}"
        emcmake cmake -S "$ROOT" -B "$THREADS_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
            -DIMPRINT_THREADS=ON >/dev/null
    fi
    say "building the threads variant (dist/imprint-core-threads.*)"
    cmake --build "$THREADS_DIR" --target imprint-core
fi

if [ -f "$ROOT/models/build-default.js" ]; then
    say "building the default model (models/build-default.js)"
    (cd "$ROOT" && node models/build-default.js)
fi
node "$ROOT/scripts/build-web.js"   # dist/web/: the <script>, ES module and worker builds
say "done: $(cd "$ROOT" && ls dist/imprint-core.* 2>/dev/null | tr '\n' ' ')"
