#!/bin/sh
# Fetch the pinned XNNPACK, pthreadpool and FXdiv sources (scripts/deps.lock)
# from Debian's source archive into .deps/, verified by SHA-256.
#
# Only Debian trixie carries these versions, and only their orig tarballs. We
# ask apt for their URIs through a private apt configuration under
# .deps/apt/: a deb-src-only trixie entry whose URIs are copied at run time
# from this machine's /etc/apt/sources.list.d/debian.sources, with its own
# package lists. The system's apt configuration is never touched, so a later
# `apt-get install` can never pull trixie binaries.
#
# A tarball already in .deps/ that matches its pin is never fetched again.
# Usage: scripts/fetch-deps.sh   (from any directory; root or not)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCK="$ROOT/scripts/deps.lock"
DEPS="$ROOT/.deps"
SYSTEM_SOURCES=/etc/apt/sources.list.d/debian.sources

say() { printf 'fetch-deps: %s\n' "$*"; }
die() { printf 'fetch-deps: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$DEPS"

# Which pinned tarballs are missing (or present but not matching their pin)?
missing=""
cached=0
while read -r pkg debver orig sha strip; do
    case "$pkg" in ''|'#'*) continue ;; esac
    file="$DEPS/$orig"
    if [ -f "$file" ]; then
        if printf '%s  %s\n' "$sha" "$file" | sha256sum --check --status; then
            cached=$((cached + 1))
            continue
        fi
        say "$orig: cached copy does not match its pin; fetching it again"
        rm -f "$file"
    fi
    missing="$missing $pkg"
done < "$LOCK"

[ "$cached" -gt 0 ] && say "$cached pinned tarball(s) in .deps/ verified"
[ -z "$missing" ] && exit 0

# Private apt state: a deb-src-only trixie entry and its own lists and cache.
[ -r "$SYSTEM_SOURCES" ] || die "$SYSTEM_SOURCES not found (a Debian 12 machine is expected)"
# The URIs of the stanza that serves the main archive (Suites: bookworm ...),
# not the security one.
uris=$(awk '
    /^[[:space:]]*$/ { if (suite_ok && u != "") { print u; exit } u = ""; suite_ok = 0; next }
    /^URIs:/   { u = $0; sub(/^URIs:[[:space:]]*/, "", u) }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite_ok = 1 }
    END        { if (suite_ok && u != "") print u }
' "$SYSTEM_SOURCES" | head -n 1)
[ -n "$uris" ] || die "no URIs line for suite bookworm in $SYSTEM_SOURCES"

APTDIR="$DEPS/apt"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
cat > "$APTDIR/trixie-src.sources" <<EOF
# Written by scripts/fetch-deps.sh; used only through its private apt options.
Types: deb-src
URIs: $uris
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

apt_private() {
    apt-get \
        -o Dir::Etc::SourceList="$APTDIR/trixie-src.sources" \
        -o Dir::Etc::SourceParts=/nonexistent \
        -o Dir::State::Lists="$APTDIR/lists" \
        -o Dir::Cache="$APTDIR/cache" \
        -o APT::Sandbox::User="$(id -un)" \
        "$@"
}

say "updating the private trixie source index"
apt_private -qq update || die "apt-get update of the trixie source index failed"

while read -r pkg debver orig sha strip; do
    case "$pkg" in ''|'#'*) continue ;; esac
    case " $missing " in *" $pkg "*) ;; *) continue ;; esac

    # The orig tarball's line: 'URI' NAME SIZE SHA256:HASH
    uris_out=$(apt_private source --print-uris "$pkg=$debver" 2>/dev/null || true)
    line=$(printf '%s\n' "$uris_out" | awk -v f="$orig" '$2 == f')
    if [ -z "$line" ]; then
        say "$pkg=$debver is gone from the archive; looking for $orig in its current revision"
        uris_out=$(apt_private source --print-uris "$pkg" 2>/dev/null || true)
        line=$(printf '%s\n' "$uris_out" | awk -v f="$orig" '$2 == f')
    fi
    [ -n "$line" ] || die "apt has no URI for $orig (package $pkg)"
    uri=$(printf '%s\n' "$line" | awk '{ print $1 }' | tr -d "'")
    listed=$(printf '%s\n' "$line" | awk '{ print $4 }')
    [ "$listed" = "SHA256:$sha" ] ||
        die "$orig: the archive lists $listed but scripts/deps.lock pins SHA256:$sha"

    say "downloading $orig"
    tmp="$DEPS/$orig.part"
    rm -f "$tmp"
    /usr/lib/apt/apt-helper -o APT::Sandbox::User="$(id -un)" download-file "$uri" "$tmp" "SHA256:$sha" >/dev/null ||
        { rm -f "$tmp"; die "download or checksum of $orig failed"; }
    # apt-helper verified it already; check again against the pin before keeping it.
    printf '%s  %s\n' "$sha" "$tmp" | sha256sum --check --status ||
        { rm -f "$tmp"; die "$orig does not match its pinned sha256"; }
    mv "$tmp" "$DEPS/$orig"
    say "$orig: ok"
done < "$LOCK"
