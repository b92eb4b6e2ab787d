#!/bin/sh
# The README's first command: sets everything up on a fresh Debian 12 machine (as root), then
# runs the main job on the embedded default model: embeds sample photos and prints each one's
# nearest neighbours. Extra arguments are images or folders to use instead.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/setup.sh"
if [ "$#" -eq 0 ]; then
    "$ROOT/scripts/fetch-testdata.sh"
fi
exec node "$ROOT/demo/nearest.js" "$@"
