#!/usr/bin/env bash
# Test dependencies of kyc-gateway: PostgreSQL (Debian), Node with @veriff/js-sdk and jsdom
# (npm), curl and Python requests (Debian), Chromium (Debian). Meant to be SOURCED from .ci/run
# before the tests:
#
#     source .ci/kyc-deps.sh
#
# It never fails the caller: whatever cannot be installed or started is reported, and the tests
# that need it print a SKIP reason. On success it exports
#   KYC_TEST_POSTGRES_URL   admin URL of a PostgreSQL server on 127.0.0.1 (tests create databases)
#   KYC_TEST_NODE_MODULES   node_modules holding @veriff/js-sdk and jsdom
#   KYC_TEST_CHROMIUM       a headless-capable chromium binary
# Set KYC_DEPS_SKIP=1 to do nothing.

_kyc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_kyc_dir="$_kyc_root/target/kyc-deps"
_kyc_env="$_kyc_dir/env.sh"

_kyc_install() {
    set +e
    mkdir -p "$_kyc_dir"
    : >"$_kyc_env"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    local apt_updated=""
    apt_install() {
        if [ -z "$apt_updated" ]; then
            $sudo apt-get update -qq >/dev/null 2>&1
            apt_updated=1
        fi
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >"$_kyc_dir/apt.log" 2>&1 \
            || { echo "kyc-deps: apt-get install $* failed (see $_kyc_dir/apt.log)"; return 1; }
    }

    # --- PostgreSQL ---
    local pgbin
    pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    if [ -z "$pgbin" ]; then
        apt_install postgresql
        pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    fi
    local state="$_kyc_dir/pg.state" reused=""
    if [ -n "$pgbin" ] && [ -f "$state" ]; then
        # A server started by an earlier run: reuse it while it runs.
        local old_data old_port
        read -r old_data old_port <"$state"
        if [ -n "$old_data" ] && [ -n "$old_port" ] && "$pgbin/pg_isready" -h 127.0.0.1 -p "$old_port" >/dev/null 2>&1; then
            echo "export KYC_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$old_port/postgres'" >>"$_kyc_env"
            echo "kyc-deps: PostgreSQL already running on 127.0.0.1:$old_port (data $old_data)"
            reused=1
        fi
    fi
    if [ -z "$reused" ] && [ -n "$pgbin" ] && [ -x "$pgbin/pg_ctl" ]; then
        local port data owner
        port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55439)"
        data="$(mktemp -d /tmp/kyc-pg.XXXXXX)"
        if [ "$(id -u)" = 0 ]; then
            owner=postgres
            id postgres >/dev/null 2>&1 || useradd -r -M postgres
            chown -R postgres "$data"
            run() { su postgres -s /bin/sh -c "$*"; }
        else
            owner="$(id -un)"
            run() { sh -c "$*"; }
        fi
        if run "'$pgbin/initdb' -D '$data/db' -A trust -U postgres" >"$_kyc_dir/initdb.log" 2>&1 \
            && run "'$pgbin/pg_ctl' -D '$data/db' -l '$data/log' -w -o \"-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off\" start" \
                >"$_kyc_dir/pg_ctl.log" 2>&1; then
            echo "$data $port" >"$state"
            echo "export KYC_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/postgres'" >>"$_kyc_env"
            echo "kyc-deps: PostgreSQL ($pgbin) on 127.0.0.1:$port, data $data (owner $owner)"
        else
            echo "kyc-deps: could not start PostgreSQL (see $_kyc_dir/initdb.log, pg_ctl.log)"
        fi
    elif [ -z "$reused" ]; then
        echo "kyc-deps: PostgreSQL not available"
    fi

    # --- Node: @veriff/js-sdk and jsdom ---
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    if command -v npm >/dev/null 2>&1; then
        mkdir -p "$_kyc_dir/node"
        # Its own package root, so that npm does not install into a parent directory.
        [ -f "$_kyc_dir/node/package.json" ] || echo '{"private": true}' >"$_kyc_dir/node/package.json"
        if [ -d "$_kyc_dir/node/node_modules/@veriff/js-sdk" ] && [ -d "$_kyc_dir/node/node_modules/jsdom" ] \
            || (cd "$_kyc_dir/node" && npm install --no-audit --no-fund --silent @veriff/js-sdk jsdom >"$_kyc_dir/npm.log" 2>&1); then
            echo "export KYC_TEST_NODE_MODULES='$_kyc_dir/node/node_modules'" >>"$_kyc_env"
            echo "kyc-deps: @veriff/js-sdk and jsdom in $_kyc_dir/node/node_modules"
        else
            echo "kyc-deps: npm install @veriff/js-sdk jsdom failed (see $_kyc_dir/npm.log)"
        fi
    else
        echo "kyc-deps: npm not available"
    fi

    # --- curl and Python requests: the API documentation's samples (tests/third_party.rs) ---
    command -v curl >/dev/null 2>&1 || apt_install curl
    if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import requests' >/dev/null 2>&1; then
        apt_install python3-requests
    fi
    if command -v curl >/dev/null 2>&1 && python3 -c 'import requests' >/dev/null 2>&1; then
        echo "kyc-deps: curl and python3 requests available"
    else
        echo "kyc-deps: curl or python3 requests not available (their documentation samples will SKIP)"
    fi

    # --- Chromium ---
    local chrome
    chrome="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
    if [ -z "$chrome" ]; then
        apt_install chromium
        chrome="$(command -v chromium || true)"
    fi
    if [ -n "$chrome" ]; then
        echo "export KYC_TEST_CHROMIUM='$chrome'" >>"$_kyc_env"
        echo "kyc-deps: chromium at $chrome"
    else
        echo "kyc-deps: chromium not available"
    fi
}

if [ "${KYC_DEPS_SKIP:-}" != 1 ]; then
    echo "== kyc-gateway test dependencies"
    (_kyc_install) || echo "kyc-deps: installer failed; tests needing its tools will skip"
    # shellcheck disable=SC1090
    [ -f "$_kyc_env" ] && . "$_kyc_env"
fi
unset -f _kyc_install
true
