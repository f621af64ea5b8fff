#!/usr/bin/env bash
# Install Debian's haproxy when it is missing: the many-nodes test (tests/integration/test_nodes_cluster.py) puts it
# in front of three `jointcert serve` processes. Idempotent and silent when present. Without root (or apt) the test
# falls back to a round-robin client and says so.
set -euo pipefail

command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-haproxy: haproxy is missing; run: sudo apt-get install -y haproxy (the test falls back to a round-robin client)" >&2
    exit 0
fi

echo "ensure-haproxy: installing haproxy (first run only)..." >&2
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends haproxy >/dev/null; }
if ! install 2>/dev/null; then
    apt-get update -qq
    install
fi
