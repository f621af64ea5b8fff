#!/usr/bin/env bash
# Install what the PKCS#11 tests (tests/interop/test_pkcs11_softhsm.py) need from Debian when it is missing:
# softhsm2 (the token the CA keys live in during tests) and opensc (pkcs11-tool, for operators poking at a token).
# Idempotent and silent when both are present.
set -euo pipefail

missing=()
[ -e /usr/lib/softhsm/libsofthsm2.so ] && command -v softhsm2-util >/dev/null || missing+=(softhsm2)
command -v pkcs11-tool >/dev/null || missing+=(opensc)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-softhsm: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "ensure-softhsm: installing ${missing[*]} (first run only)..." >&2
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
if ! install 2>/dev/null; then
    apt-get update -qq
    install
fi
softhsm2-util --version >&2
