#!/usr/bin/env bash
# Runs every library example where a consumer starts, against the virtual chip or fixtures
# (hardware-free), and fails when one does not end with its success line.
set -euo pipefail
cd "$(dirname "$0")/.."

run() {
    local expect="$1"; shift
    echo "== example: cargo run $*"
    local out
    out=$(cargo run --quiet "$@" 2>&1) || { echo "$out"; echo "example failed: $*"; exit 1; }
    echo "$out" | tail -n 4
    grep -q -- "$expect" <<<"$out" || { echo "$out"; echo "example did not print '$expect': $*"; exit 1; }
}

run "eMRTD application selected under secure messaging" -p emrtd-access --example pace_steps
run "passive authentication: VERIFIED" -p emrtd-pa --example verify_dump
run "verdict:    VERIFIED" -p emrtd-reader --example read_pcsc -- --can 123456 --virtual fixtures/documents/ref-1 --test-pki
run "clone detected: chip authentication FAILED" -p emrtd-sim --example virtual_chip_in_a_test
