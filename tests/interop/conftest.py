"""Interop fixtures: a real instance served by ``jointcert serve`` (uvicorn) on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from jointcert.app import Services, build_services, init_instance
from jointcert.config import load_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveInstance:
    """An initialised instance, its running server and files openssl needs."""

    data_dir: Path
    url: str
    services: Services
    files: Path

    def pem(self, slug: str) -> Path:
        """PEM file of a CA certificate (root, class1, ocsp)."""
        return self.files / f"{slug}.pem"


def _env(data_dir: Path, url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env.update({"JOINTCERT_DATA_DIR": str(data_dir), "JOINTCERT_SERVER__PUBLIC_URL": url, **(extra or {})})
    return env


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180  # a shared, busy machine: unlocking keys and building pkilint takes time
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


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveInstance]:
    """``jointcert init`` + ``jointcert serve`` (a subprocess), stopped after the module. Its renewal window is
    wider than the validity, so that tests can renew (CMP kur) a certificate they have just enrolled."""
    yield from _live(tmp_path_factory, {"JOINTCERT_RA__RENEWAL_WINDOW_DAYS": "400"})


@pytest.fixture(scope="module")
def live_bank_window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveInstance]:
    """Like ``live`` with the bank's default renewal window (30 days before expiry)."""
    yield from _live(tmp_path_factory, {})


def _live(tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str]) -> Iterator[LiveInstance]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    base = tmp_path_factory.mktemp("live")
    data_dir, files = base / "data", base / "files"
    files.mkdir()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("JOINTCERT_")}
    os.environ["JOINTCERT_SERVER__PUBLIC_URL"] = url
    try:
        init_instance(data_dir)
        services = build_services(load_settings(data_dir), actor="test")
    finally:
        os.environ.pop("JOINTCERT_SERVER__PUBLIC_URL")
        os.environ.update(saved)
    for slug, signer in services.signers.items():
        (files / f"{slug}.pem").write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))
    (files / "chain.pem").write_bytes((files / "root.pem").read_bytes() + (files / "class1.pem").read_bytes())
    server = subprocess.Popen(
        [sys.executable, "-m", "jointcert", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(data_dir, url, extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(url, server)
        yield LiveInstance(data_dir, url, services, files)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        services.close()
