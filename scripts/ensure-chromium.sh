#!/usr/bin/env bash
# Install what the browser tests (tests/e2e) need from Debian when it is missing: chromium, and a Korean font so
# screenshots show Hangul instead of empty boxes. Idempotent and silent when both are present.
# Never `playwright install`: it downloads a browser build of its own, which this project does not use.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-nanum 2>/dev/null | grep -q "ok installed" || missing+=(fonts-nanum)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-chromium: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "ensure-chromium: installing ${missing[*]} (first run only)..." >&2
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
if ! install 2>/dev/null; then
    apt-get update -qq
    install
fi
"$CHROMIUM" --version >&2 2>/dev/null || true
