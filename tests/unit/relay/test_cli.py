"""``jointcert copy`` errors before or without a server: messages and exit codes, never a traceback."""

from __future__ import annotations

import base64
import socket
import sys
from pathlib import Path

import pytest
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.cli import main as cli_main
from jointcert.cli.context import run_safely
from jointcert.npki.store import NpkiStore

PASSWORD = TEST_CERT["signPw"].decode()


def run(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``jointcert ARGS`` in-process with a wide console."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(sys, "argv", ["jointcert", *args])
    if not any(g.name == "copy" for g in cli_main.app.registered_groups):
        cli_main._register()
    code = run_safely(cli_main.app)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def npki(tmp_path: Path) -> Path:
    """An NPKI root with PyPinkSign's test certificate."""
    root = tmp_path / "NPKI"
    NpkiStore(root).write(base64.b64decode(TEST_CERT["signCert"]), base64.b64decode(TEST_CERT["signPri"]))
    return root


@pytest.fixture
def dead_server() -> str:
    """A 127.0.0.1 URL nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_help_lists_both_directions(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["copy", "--help"], monkeypatch, capsys)
    assert code == 0 and "receive" in out and "send" in out


def test_send_with_a_malformed_code(
    npki: Path, dead_server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["copy", "send", "--code", "1234-56", "--server", dead_server, "--npki-dir", str(npki)]
    code, _, err = run([*args, "--password", PASSWORD], monkeypatch, capsys)
    assert code == 3 and "relay_invalid_code" in err and "인증번호" in err and "Traceback" not in err


def test_send_with_a_wrong_password(
    npki: Path, dead_server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["copy", "send", "--code", "1234-5678-9012", "--server", dead_server, "--npki-dir", str(npki)]
    code, _, err = run([*args, "--password", PASSWORD + "x"], monkeypatch, capsys)
    assert code == 6 and "key_file_unreadable" in err


def test_send_to_an_unreachable_server(
    npki: Path, dead_server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["copy", "send", "--code", "1234-5678-9012", "--server", dead_server, "--npki-dir", str(npki)]
    code, _, err = run([*args, "--password", PASSWORD], monkeypatch, capsys)
    assert code == 10 and "연결할 수 없습니다" in err and "Traceback" not in err


def test_send_from_an_empty_npki_root(
    tmp_path: Path, dead_server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["copy", "send", "--code", "1234-5678-9012", "--server", dead_server, "--npki-dir", str(tmp_path)]
    code, _, err = run([*args, "--password", PASSWORD], monkeypatch, capsys)
    assert code == 3 and "인증서가 없습니다" in err


def test_receive_from_an_unreachable_server(
    tmp_path: Path, dead_server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["copy", "receive", "--server", dead_server, "--npki-dir", str(tmp_path)], monkeypatch, capsys)
    assert code == 10 and "unavailable" in err and "Traceback" not in err
