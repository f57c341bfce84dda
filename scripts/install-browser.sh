#!/usr/bin/env bash
# Install Chromium (Debian's package, /usr/bin/chromium) for tests/test_browser.py, if missing.
# Playwright drives it through executable_path; `playwright install` is not used (it downloads
# a browser from a CDN). Failure is tolerated: without a browser the browser tests are skipped
# with the reason printed.
set -uo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: /usr/bin/chromium is missing and apt-get is not available; the browser tests will be skipped." >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-browser: /usr/bin/chromium is missing and this user cannot apt-get install; the browser tests will be skipped." >&2
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: installing chromium with apt-get" >&2
if ! { timeout 300 $SUDO apt-get update -qq && timeout 600 $SUDO apt-get install -y -qq chromium >/dev/null; }; then
    echo "install-browser: apt-get could not install chromium; the browser tests will be skipped." >&2
    exit 0
fi
[ -x /usr/bin/chromium ] && /usr/bin/chromium --version >&2
exit 0
