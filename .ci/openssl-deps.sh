#!/usr/bin/env bash
# Installs the openssl command line tool, which crates/emrtd-pa's differential test
# (tests/diff_openssl.rs) and `cargo xtask diff-pa` compare passive authentication with.
# Prints the reason and exits 0 when it cannot install; the test then prints a SKIP reason.
set -uo pipefail
if command -v openssl >/dev/null 2>&1; then
    echo "openssl-deps: $(openssl version) already installed"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "openssl-deps: no apt-get; openssl missing (the OpenSSL differential test will be skipped)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "openssl-deps: not root and no password-less sudo; openssl missing"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends openssl >/tmp/openssl-deps.log 2>&1; then
    $SUDO apt-get update >>/tmp/openssl-deps.log 2>&1 || true
    if ! $SUDO apt-get install -y --no-install-recommends openssl >>/tmp/openssl-deps.log 2>&1; then
        echo "openssl-deps: apt-get install openssl failed (log: /tmp/openssl-deps.log)"
        tail -5 /tmp/openssl-deps.log
        exit 0
    fi
fi
echo "openssl-deps: installed $(openssl version)"
