#!/usr/bin/env bash
# Installs the reference programs of emrtd-bridge's tests: Debian's AusweisApp2 (differential
# test, bins/emrtd-bridge/tests/differential.rs) and the PyPI `mrz` checker (Sinosecu test).
# Prints the reason and exits 0 when one cannot be installed: the test then prints SKIPPED.
set -uo pipefail
if python3 -c "import mrz" >/dev/null 2>&1; then
    echo "ausweisapp-deps: PyPI mrz already installed"
elif command -v python3 >/dev/null 2>&1; then
    if python3 -m pip install --quiet mrz >/tmp/mrz-deps.log 2>&1 \
        || python3 -m pip install --quiet --break-system-packages mrz >>/tmp/mrz-deps.log 2>&1; then
        echo "ausweisapp-deps: installed PyPI mrz"
    else
        echo "ausweisapp-deps: pip install mrz failed (log: /tmp/mrz-deps.log); the MRZ check will be skipped"
    fi
else
    echo "ausweisapp-deps: no python3; the MRZ check will be skipped"
fi
if command -v AusweisApp2 >/dev/null 2>&1; then
    echo "ausweisapp-deps: AusweisApp2 already installed"
    exit 0
fi
# shellcheck source=.ci/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
if ! apt_install ausweisapp-deps ausweisapp2; then
    echo "ausweisapp-deps: the AusweisApp2 differential test will be skipped"
    exit 0
fi
echo "ausweisapp-deps: installed $(dpkg-query -W -f='${Package} ${Version}' ausweisapp2 2>/dev/null)"
