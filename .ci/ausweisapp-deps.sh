#!/usr/bin/env bash
# Installs Debian's AusweisApp2 (the reference program of emrtd-bridge's differential test,
# bins/emrtd-bridge/tests/differential.rs). Prints the reason and exits 0 when it cannot be
# installed: the test then prints SKIPPED and passes.
set -uo pipefail
if command -v AusweisApp2 >/dev/null 2>&1; then
    echo "ausweisapp-deps: AusweisApp2 already installed"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ausweisapp-deps: no apt-get on this machine; the AusweisApp2 differential test will be skipped"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ausweisapp-deps: not root and no password-less sudo; the AusweisApp2 differential test will be skipped"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends ausweisapp2 >/tmp/ausweisapp-deps.log 2>&1; then
    $SUDO apt-get update >>/tmp/ausweisapp-deps.log 2>&1 || true
    if ! $SUDO apt-get install -y --no-install-recommends ausweisapp2 >>/tmp/ausweisapp-deps.log 2>&1; then
        echo "ausweisapp-deps: apt-get install ausweisapp2 failed (log: /tmp/ausweisapp-deps.log); the differential test will be skipped"
        tail -5 /tmp/ausweisapp-deps.log
        exit 0
    fi
fi
echo "ausweisapp-deps: installed $(dpkg-query -W -f='${Package} ${Version}' ausweisapp2 2>/dev/null)"
