"""``jointcert copy receive`` as a subprocess against a served instance: the password is asked again after a
wrong one (the download already happened), and a wrong ``--password`` fails cleanly with its exit code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jointcert.app import Services
from jointcert.client.copy import RelayClient, send_certificate
from jointcert.npki.store import NpkiStore
from jointcert.web.app import create_app
from tests.e2e.harness.support import serve_asgi
from tests.unit.relay.factories import issue_npki_folder

PASSWORD = "Copy#2026pass"
CODE = re.compile(r"code: (\d{4}-\d{4}-\d{4})")


@pytest.fixture
def url(services: Services) -> Iterator[str]:
    with serve_asgi(create_app(services)) as base:
        yield base


def _receive(url: str, npki: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")} | {"PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "jointcert", "copy", "receive", "--server", url, "--npki-dir", str(npki), *extra]
    return subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _code(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        found = CODE.search(line)
        if found:
            return found.group(1)
    raise AssertionError("the CLI printed no code: " + (process.stderr.read() if process.stderr else ""))


def _send(services: Services, url: str, tmp_path: Path, code: str) -> None:
    source = tmp_path / "source"
    issue_npki_folder(services.authority, source, PASSWORD)
    [stored] = NpkiStore(source).list()
    cert, sign_pri = NpkiStore(source).load(stored.path)
    client = RelayClient(url)
    try:
        from cryptography.hazmat.primitives.serialization import Encoding

        send_certificate(client, code, cert.public_bytes(Encoding.DER), sign_pri, PASSWORD)
    finally:
        client.close()


def test_receive_asks_again_after_a_wrong_password(services: Services, url: str, tmp_path: Path) -> None:
    process = _receive(url, tmp_path / "NPKI")
    _send(services, url, tmp_path, _code(process))
    out, err = process.communicate(f"{PASSWORD}x\n{PASSWORD}\n", timeout=60)
    assert process.returncode == 0, out + err
    assert "wrong password (1/3)" in err and "saved:" in out
    [folder] = list((tmp_path / "NPKI").glob("*/USER/*"))
    assert (folder / "signPri.key").exists() and (folder / "signCert.der").exists()


def test_receive_with_a_wrong_password_option_fails_cleanly(services: Services, url: str, tmp_path: Path) -> None:
    process = _receive(url, tmp_path / "NPKI", "--password", PASSWORD + "x")
    _send(services, url, tmp_path, _code(process))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 6, out + err
    assert "relay_wrong_certificate_password" in err and "Traceback" not in err
    assert not (tmp_path / "NPKI").exists()
