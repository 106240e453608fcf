#!/usr/bin/env bash
# Installs the PC/SC stack: libpcsclite-dev (needed to BUILD crates/emrtd-pcsc), pcscd and
# vsmartcard-vpcd (the virtual reader the PC/SC tests connect the virtual chip to). Prints the
# reason and exits 0 when it cannot install; the build then fails only if libpcsclite is missing.
set -uo pipefail
need=()
pkg-config --exists libpcsclite 2>/dev/null || need+=(libpcsclite-dev pkg-config)
command -v pcscd >/dev/null 2>&1 || [ -x /usr/sbin/pcscd ] || need+=(pcscd)
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || ls /usr/lib/pcsc/drivers/serial/*vpcd* >/dev/null 2>&1 || need+=(vsmartcard-vpcd)
if [ ${#need[@]} -eq 0 ]; then
    echo "pcsc-deps: libpcsclite-dev, pcscd and vsmartcard-vpcd already installed"
    exit 0
fi
# shellcheck source=.ci/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
if ! apt_install pcsc-deps "${need[@]}"; then
    echo "pcsc-deps: the PC/SC tests will be skipped (and crates/emrtd-pcsc does not build without libpcsclite-dev)"
    exit 0
fi
echo "pcsc-deps: installed ${need[*]}"
