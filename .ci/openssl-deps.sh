#!/usr/bin/env bash
# Installs the openssl command line tool, which crates/emrtd-pa's differential test
# (tests/diff_openssl.rs) and `cargo xtask diff-pa` compare passive authentication with.
# Prints the reason and exits 0 when it cannot install; the test then prints a SKIP reason.
set -uo pipefail
if command -v openssl >/dev/null 2>&1; then
    echo "openssl-deps: $(openssl version) already installed"
    exit 0
fi
# shellcheck source=.ci/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
if ! apt_install openssl-deps openssl; then
    echo "openssl-deps: the OpenSSL differential test will be skipped"
    exit 0
fi
echo "openssl-deps: installed $(openssl version)"
