#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/browser): Debian's `chromium` package.
# Idempotent; never fails: where it cannot install, it says why and the browser tests skip.
# Playwright's own browser download is not used (`playwright install` needs the internet).
set -u

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    echo "install_browser: chromium present at $CHROMIUM"
    exit 0
fi
for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "install_browser: chromium present at $(command -v "$name")"
        exit 0
    fi
done

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: no chromium and cannot install it here (needs root and apt-get);" \
         "browser tests will be skipped. As root: apt-get install -y chromium"
    exit 0
fi

echo "install_browser: installing Debian's chromium (apt-get) ..."
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/tmp/install_browser.log 2>&1 \
   && apt-get install -y -qq chromium >>/tmp/install_browser.log 2>&1 \
   && [ -x /usr/bin/chromium ]; then
    echo "install_browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
else
    echo "install_browser: apt-get could not install chromium (see /tmp/install_browser.log);" \
         "browser tests will be skipped"
fi
exit 0
