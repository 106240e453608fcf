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
if ! command -v apt-get >/dev/null 2>&1; then
    echo "pcsc-deps: no apt-get; missing: ${need[*]} (PC/SC tests will be skipped)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "pcsc-deps: not root and no password-less sudo; missing: ${need[*]}"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/tmp/pcsc-deps.log 2>&1; then
    $SUDO apt-get update >>/tmp/pcsc-deps.log 2>&1 || true
    if ! $SUDO apt-get install -y --no-install-recommends "${need[@]}" >>/tmp/pcsc-deps.log 2>&1; then
        echo "pcsc-deps: apt-get install ${need[*]} failed (log: /tmp/pcsc-deps.log)"
        tail -5 /tmp/pcsc-deps.log
        exit 0
    fi
fi
echo "pcsc-deps: installed ${need[*]}"
