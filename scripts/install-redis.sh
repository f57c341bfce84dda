#!/usr/bin/env bash
# Install redis-server (Debian's package) for the Redis tests, if it is not there yet.
# The tests start their own redis-server on a free loopback port and stop it; this only
# puts the binary on the machine. Without it (no root, no apt) the Redis tests are skipped.
set -uo pipefail

if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-redis: redis-server is missing and apt-get is not available; the Redis tests will be skipped." >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-redis: redis-server is missing and this user cannot apt-get install; the Redis tests will be skipped." >&2
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-redis: installing redis-server with apt-get" >&2
if ! { timeout 300 $SUDO apt-get update -qq && timeout 300 $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }; then
    echo "install-redis: apt-get could not install redis-server; the Redis tests will be skipped." >&2
    exit 0
fi
# The package may start a system-wide redis-server (port 6379); the tests do not use it.
command -v redis-server >/dev/null 2>&1 && redis-server --version >&2
exit 0
