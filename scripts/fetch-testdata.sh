#!/usr/bin/env bash
# Fetch the real test data (photos and Fashion-MNIST) from Debian packages into .cache/testdata/.
#
# Idempotent: a package whose .deb is present with the pinned sha256 and whose extraction is marked
# complete is not touched again. Packages are downloaded with `apt-get download` and unpacked with
# `dpkg -x` (nothing is installed), so the script needs no root beyond what apt-get download needs.
#
# Pinned packages (Debian bookworm): name, exact version, sha256 of the .deb.
#   tuxpaint-stamps-default  photos of objects on a transparent background (few-shot protocol A)
#   darknet                  sample photos: dog.jpg, eagle.jpg, giraffe.jpg, horses.jpg, kite.jpg,
#                            person.jpg, scream.jpg (in usr/share/darknet/data/)
#   dataset-fashion-mnist    Fashion-MNIST idx files (few-shot protocol B)
#
# Layout after a run (paths relative to the repository root):
#   .cache/testdata/debs/<package>_<version>_<arch>.deb
#   .cache/testdata/<package>/...            the package's files as dpkg -x lays them out
#   .cache/testdata/stamps                -> tuxpaint-stamps-default/usr/share/tuxpaint/stamps
#   .cache/testdata/photos                -> darknet/usr/share/darknet/data
#   .cache/testdata/fashion-mnist         -> dataset-fashion-mnist/usr/share/datasets/fashion-mnist
# tests/support/testdata.js resolves these paths for tests and benchmarks.
set -euo pipefail

PINS=(
  "tuxpaint-stamps-default 2022.06.04-1 6db6c1bfc870a47f1499d6203b083522eacb57c5f9c87d468f2e92eb6d9d5f34"
  "darknet 0.0.0+git20180914.61c9d02e-2+b4 9ca14d36112d242a782bfed4104fa5adcd2ae8bc599ab610f42eb609ee125a01"
  "dataset-fashion-mnist 0.0~git20200523.55506a9-1 39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${IMPRINT_TESTDATA:-$ROOT/.cache/testdata}"
DEBS="$DATA/debs"
mkdir -p "$DEBS"

# Returns the path of the pinned .deb in $DEBS if one with the right checksum is there.
find_verified_deb() {
  local name="$1" sum="$2" f
  for f in "$DEBS/${name}"_*.deb; do
    [ -f "$f" ] || continue
    if [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sum" ]; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

apt_lists_ready=0
ensure_apt_lists() {
  [ "$apt_lists_ready" = 1 ] && return 0
  # apt-get download needs package lists; a fresh machine may have none.
  if ! apt-cache show tuxpaint-stamps-default >/dev/null 2>&1; then
    echo "fetch-testdata: package lists missing, running apt-get update" >&2
    apt-get update -qq
  fi
  apt_lists_ready=1
}

for pin in "${PINS[@]}"; do
  read -r name version sum <<<"$pin"
  deb="$(find_verified_deb "$name" "$sum" || true)"
  if [ -z "$deb" ]; then
    ensure_apt_lists
    echo "fetch-testdata: downloading $name=$version" >&2
    # Download as root into a folder the _apt sandbox user may not read: tell apt so it does not warn.
    (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$name=$version")
    deb="$(find_verified_deb "$name" "$sum" || true)"
    if [ -z "$deb" ]; then
      echo "fetch-testdata: $name=$version downloaded but its sha256 is not $sum; refusing to use it" >&2
      ls -l "$DEBS"/"${name}"_*.deb >&2 || true
      exit 1
    fi
  fi
  dest="$DATA/$name"
  marker="$dest/.extracted-$sum"
  if [ ! -f "$marker" ]; then
    echo "fetch-testdata: extracting $(basename "$deb")" >&2
    rm -rf "$dest"
    mkdir -p "$dest"
    dpkg -x "$deb" "$dest"
    touch "$marker"
  fi
done

ln -sfn "tuxpaint-stamps-default/usr/share/tuxpaint/stamps" "$DATA/stamps"
ln -sfn "darknet/usr/share/darknet/data" "$DATA/photos"
ln -sfn "dataset-fashion-mnist/usr/share/datasets/fashion-mnist" "$DATA/fashion-mnist"

for f in "$DATA/stamps/animals/mammals" "$DATA/photos/dog.jpg" \
  "$DATA/fashion-mnist/train-images-idx3-ubyte.gz" "$DATA/fashion-mnist/t10k-labels-idx1-ubyte.gz"; do
  [ -e "$f" ] || { echo "fetch-testdata: expected $f after extraction, it is missing" >&2; exit 1; }
done

echo "Test data is ready:"
echo "  photo stamps (protocol A): $DATA/stamps"
echo "  sample photos (darknet):   $DATA/photos/{dog,eagle,giraffe,horses,kite,person,scream}.jpg"
echo "  Fashion-MNIST (protocol B): $DATA/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz"
