#!/usr/bin/env bash
# Sourced by the .ci/*-deps.sh scripts: one way to install Debian packages.
#
# apt_install NAME PACKAGE...: installs the packages through apt-get (as root or with
# password-less sudo; runs `apt-get update` once when the first try fails). Returns 1 after
# printing why when it cannot (no apt-get, no privilege, a failed install; log /tmp/NAME.log).
apt_install() {
    local name="$1"
    shift
    local log="/tmp/${name}.log"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "${name}: no apt-get on this machine; missing: $*"
        return 1
    fi
    local sudo=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            echo "${name}: not root and no password-less sudo; missing: $*"
            return 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y --no-install-recommends "$@" >"$log" 2>&1; then
        $sudo apt-get update >>"$log" 2>&1 || true
        if ! $sudo apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1; then
            echo "${name}: apt-get install $* failed (log: $log)"
            tail -5 "$log"
            return 1
        fi
    fi
    return 0
}
