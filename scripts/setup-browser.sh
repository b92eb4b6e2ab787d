#!/bin/sh
# Installs what the browser tests need, if missing: Debian's Chromium (/usr/bin/chromium), driven by
# npm playwright-core (a devDependency). Playwright never downloads a browser of its own here.
# Idempotent; needs root for apt.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
echo "setup-browser: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
