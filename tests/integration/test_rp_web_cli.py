"""``jointcert login`` from an NPKI folder written by ``jointcert issue``, against ``jointcert serve`` (a subprocess
on a free 127.0.0.1 port): accepted at the bank after 타기관 인증서 등록, refused at the securities firm for a
limited-use certificate, and the exit codes say so."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jointcert.npki.store import NpkiStore
from jointcert.rp.policy import DEMO_BANK, DEMO_GOV, DEMO_SECURITIES
from tests.unit.ca.factories import fresh_rrn

PASSWORD = "Nuri!2026pass"
NAME = "이서연"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    """A served instance and an NPKI folder with one limited-use and one general-purpose certificate."""

    url: str
    data_dir: Path
    npki: Path
    env: dict[str, str]
    rrn: str
    limited: Path
    general: Path

    def jointcert(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jointcert", "--data-dir", str(self.data_dir), *args],
            capture_output=True, text=True, env=self.env, input=stdin, timeout=120, check=False,
        )  # fmt: skip

    def login(
        self, site: str, *args: str, cert: Path | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        chosen = ["--cert", str(cert)] if cert is not None else []
        return self.jointcert(
            "login", "--site", f"{self.url}/rp/{site}", "--npki-dir", str(self.npki), *chosen, *args, stdin=stdin
        )


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


def _issue(live: Live, profile: str) -> Path:
    before = {e.path for e in NpkiStore(live.npki).list()}
    done = live.jointcert(
        "issue", "--name", NAME, "--rrn", live.rrn, "--password", PASSWORD, "--profile", profile,
        "--npki-dir", str(live.npki),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (folder,) = {e.path for e in NpkiStore(live.npki).list()} - before
    return folder


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``jointcert init`` + two ``jointcert issue`` + ``jointcert serve``, stopped after the module."""
    base = tmp_path_factory.mktemp("rpcli")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env.update({"JOINTCERT_SERVER__PUBLIC_URL": url, "COLUMNS": "250"})
    instance = Live(url, base / "data", base / "NPKI", env, fresh_rrn(), Path(), Path())
    init = instance.jointcert("init")
    assert init.returncode == 0, init.stdout + init.stderr
    instance.limited, instance.general = _issue(instance, "limited"), _issue(instance, "general")
    server = subprocess.Popen(
        [sys.executable, "-m", "jointcert", "--data-dir", str(instance.data_dir), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_healthy(url, server)
        yield instance
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_bank_registers_then_logs_in_with_the_signature_alone(live: Live) -> None:
    first = live.login(DEMO_BANK, "--password", PASSWORD, cert=live.limited)
    assert first.returncode == 7, first.stdout + first.stderr
    assert "not_registered" in first.stdout + first.stderr and "--register --rrn" in first.stdout
    registered = live.login(DEMO_BANK, "--password", PASSWORD, "--register", "--rrn", live.rrn, cert=live.limited)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert f"환영합니다, {NAME} 님" in registered.stdout and "새빛은행" in registered.stdout
    assert "registration" in registered.stdout and "OCSP" in registered.stdout  # the table of checks
    again = live.login(DEMO_BANK, "--password", PASSWORD, "--json", cert=live.limited)
    assert again.returncode == 0, again.stdout + again.stderr
    verdict = json.loads(again.stdout)
    assert verdict["accepted"] and verdict["customer_name"] == NAME and verdict["customer_id"].startswith("c-")
    assert {c["name"]: c["status"] for c in verdict["checks"]}["registration"] == "passed"


def test_securities_firm_refuses_limited_use_and_accepts_general(live: Live) -> None:
    refused = live.login(DEMO_SECURITIES, "--password", PASSWORD, cert=live.limited)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert "증권 거래에는 범용 인증서가 필요합니다" in refused.stdout + refused.stderr
    assert "policy_not_accepted" in refused.stderr
    also_refused = live.login(DEMO_SECURITIES, "-p", PASSWORD, "--register", "--rrn", live.rrn, cert=live.limited)
    assert also_refused.returncode == 7
    general = live.login(DEMO_SECURITIES, "-p", PASSWORD, "--register", "--rrn", live.rrn, cert=live.general)
    assert general.returncode == 0, general.stdout + general.stderr
    assert "가온증권" in general.stdout


def test_refusals_and_errors_have_their_exit_codes(live: Live) -> None:
    wrong_rrn = live.login(DEMO_BANK, "-p", PASSWORD, "--register", "--rrn", fresh_rrn(), cert=live.general)
    assert wrong_rrn.returncode == 6 and "vid_mismatch" in wrong_rrn.stderr  # VID mismatch: authentication
    wrong_password = live.login(DEMO_GOV, "-p", PASSWORD + "x", cert=live.limited)
    assert wrong_password.returncode == 6 and "key_file_unreadable" in wrong_password.stderr
    unknown_site = live.login("no-such-site", "-p", PASSWORD, cert=live.limited)
    assert unknown_site.returncode == 4 and "unknown_site" in unknown_site.stderr
    down = live.jointcert(
        "login", "--site", f"http://127.0.0.1:{_free_port()}/rp/{DEMO_GOV}", "--npki-dir", str(live.npki),
        "--cert", str(live.limited), "-p", PASSWORD,
    )  # fmt: skip
    assert down.returncode == 10 and "site_unreachable" in down.stderr
    missing = live.login(DEMO_GOV, "-p", PASSWORD, cert=Path("nowhere"))
    assert missing.returncode == 4
    no_rrn = live.login(DEMO_GOV, "-p", PASSWORD, "--register", cert=live.limited)
    assert no_rrn.returncode == 3


def test_choosing_from_the_list_and_the_portal(live: Live) -> None:
    """Two certificates and no --cert: the list is printed and the user types a number."""
    chosen = live.login(DEMO_GOV, "-p", PASSWORD, stdin="2\n")
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    assert "인증서 목록" in chosen.stdout and NAME in chosen.stdout and "나라민원포털" in chosen.stdout
    by_name = live.login(DEMO_GOV, "-p", PASSWORD, cert=Path(live.general.name))
    assert by_name.returncode == 0, by_name.stdout + by_name.stderr
