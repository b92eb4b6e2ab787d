#!/bin/sh
# Prepare a Debian 12 machine (as root) to build and test imprint, then build.
#
#   scripts/setup.sh          # from any directory; safe to run again (fast then)
#
# 1. installs the Debian packages the build needs (only those missing;
#    `apt-get update` only when something must be installed),
# 2. installs the pinned npm dev dependencies (`npm ci` from package-lock.json,
#    skipped when node_modules/ already matches it),
# 3. fetches the pinned XNNPACK / pthreadpool / FXdiv sources (scripts/fetch-deps.sh),
# 4. builds (scripts/build.sh).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# emscripten: emcc/emcmake (Debian's 3.1.6, with clang-14, lld-14, binaryen)
# cmake, ninja-build: the build; python3: XNNPACK's configure step
# libstb-dev: stb_image.h; clang: native builds of tools and tests
# patch: applies cmake/xnnpack-emscripten.patch and cmake/pthreadpool-emscripten.patch; xz-utils, ca-certificates: fetching
# libcpuinfo-dev: x86 CPU detection for the native XNNPACK of the C tests (cmake/Native.cmake)
# clang-format: the C style check of scripts/check-format.sh (Debian 12's is version 14)
# libjpeg-turbo-progs: cjpeg, which tests/support/phone-jpeg.js runs to encode phone-like JPEGs
# (4:2:0, quality 92, baseline and progressive) for the large-JPEG test and benchmarks
PACKAGES="emscripten cmake ninja-build python3 libstb-dev clang clang-format patch xz-utils ca-certificates libcpuinfo-dev libjpeg-turbo-progs"

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=""
for pkg in $PACKAGES; do
    is_installed "$pkg" || missing="$missing $pkg"
done
# Node.js: keep whichever node/npm the machine has (Debian's or another
# repository's); install Debian's only when there is none.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
    [ "$(id -u)" -eq 0 ] || die "missing packages:$missing (run as root, or install them)"
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    say "Debian packages: all present"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "Node.js >= 18 is needed (found $(node --version))"

cd "$ROOT"
# npm ci wipes node_modules/ first; skip it when node_modules/ was installed
# from this very package-lock.json (a stamp holds the lock's sha256), so a
# second run is fast and does not pull node_modules/ from under running tests.
NPM_STAMP=node_modules/.imprint-npm-ci.sha256
if [ -f package-lock.json ]; then
    lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [ -f "$NPM_STAMP" ] && [ "$(cat "$NPM_STAMP")" = "$lock_sum" ]; then
        say "npm packages: installed from the current package-lock.json"
    else
        say "npm ci"
        npm ci --no-audit --no-fund --loglevel=error
        printf '%s\n' "$lock_sum" > "$NPM_STAMP"
    fi
elif [ -f package.json ]; then
    say "npm install (no package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error
fi

say "fetching pinned sources"
"$ROOT/scripts/fetch-deps.sh"

say "building"
"$ROOT/scripts/build.sh"
say "done"
