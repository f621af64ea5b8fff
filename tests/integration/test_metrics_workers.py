"""``jointcert serve --workers 2``: /metrics sums both workers (prometheus-client multiprocess mode), so every
scrape reports the same totals whichever worker answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from jointcert.app import init_instance
from tests.interop.conftest import _free_port


def _wait_for_workers(url: str, metrics_dir: Path, server: subprocess.Popen[bytes]) -> None:
    """Until /healthz answers and both workers have created their metric files (at app start)."""
    deadline = time.monotonic() + 300  # generous: the shared CI machine may be busy
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        try:
            _get(f"{url}/healthz")
            if len(list(metrics_dir.glob("counter_*.db"))) >= 2:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the two workers did not start")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def _count(text: str) -> float:
    series = 'jointcert_http_requests_total{method="GET",route="/ca/{ca}.crt",status="200"} '
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series))


def test_metrics_sum_over_workers(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOINTCERT_", "PROMETHEUS_"))}
    env |= {"JOINTCERT_DATA_DIR": str(tmp_path / "data"), "JOINTCERT_SERVER__PUBLIC_URL": url}
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("JOINTCERT_")}
    try:
        init_instance(tmp_path / "data")
    finally:
        os.environ.update(saved)
    command = [sys.executable, "-m", "jointcert", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_workers(url, tmp_path / "data" / "metrics", server)
        for _ in range(12):
            _get(f"{url}/ca/root.crt")
        scrapes = [_count(_get(f"{url}/metrics").decode()) for _ in range(6)]
        print("per-scrape totals over 2 workers:", scrapes)
        assert scrapes == [12.0] * 6
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
