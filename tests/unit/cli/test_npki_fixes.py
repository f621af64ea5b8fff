"""Fixes from real use: public_url follows the port (and serve warns when it cannot), one resident-number parser
for every command (dashed and plain), --data-dir after the subcommand, no wrapping of output that is not a tty."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pytest
from cryptography import x509

from jointcert.app import init_instance
from jointcert.cli.main import hoist_data_dir, main
from jointcert.cli.serve import public_url_warning
from jointcert.config import ServerSettings, load_settings
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlCertificateStore

PASSWORD = "Cert-pass-2026!"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("JOINTCERT_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("COLUMNS", raising=False)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["jointcert", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


def test_public_url_follows_the_port_then_the_commands_on_that_instance(
    clean_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ServerSettings(port=9001).public_url == "http://127.0.0.1:9001"
    assert ServerSettings().listening_on("0.0.0.0", 9002).public_url == "http://127.0.0.1:9002"
    explicit = ServerSettings(public_url="https://cert.example.kr")
    assert explicit.listening_on("127.0.0.1", 9003).public_url == "https://cert.example.kr"
    assert public_url_warning(ServerSettings().listening_on("127.0.0.1", 9004)) is None
    warning = public_url_warning(ServerSettings(public_url="http://127.0.0.1:8000").listening_on("127.0.0.1", 9005))
    assert warning is not None and "differs from where the server listens" in warning and "공개 URL" in warning
    monkeypatch.setenv("JOINTCERT_SERVER__PORT", "9006")
    assert load_settings(tmp_path / "x").server.public_url == "http://127.0.0.1:9006"
    monkeypatch.delenv("JOINTCERT_SERVER__PORT")

    data_dir = tmp_path / "data"
    init_instance(data_dir, server={"port": 9007})  # what `jointcert demo --port 9007` does on a new instance
    written = tomllib.loads((data_dir / "jointcert.toml").read_text())
    assert written["server"]["port"] == 9007 and "public_url" not in written["server"]
    settings = load_settings(data_dir)
    assert settings.server.public_url == "http://127.0.0.1:9007"
    database = Database(settings.effective_database_url)
    try:
        issuing = next(a for a in SqlCertificateStore(database).authorities() if a.slug == "class1")
    finally:
        database.dispose()
    cert = x509.load_der_x509_certificate(issuing.der)
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert all(str(n.value).startswith("http://127.0.0.1:9007/") for p in points for n in p.full_name or ())
    _one_resident_number_parser_and_data_dir_anywhere(data_dir, tmp_path, capsys, monkeypatch)


def _one_resident_number_parser_and_data_dir_anywhere(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hoist_data_dir(["serve", "--port", "1", "--data-dir", "d"]) == ["--data-dir", "d", "serve", "--port", "1"]
    assert hoist_data_dir(["x", "--data-dir=d", "--", "--data-dir"]) == ["--data-dir=d", "x", "--", "--data-dir"]
    npki = str(tmp_path / "NPKI")
    for rrn in ("900101-1234567", "9001011234567"):
        code, out = _run(
            ["ra", "register", "--name", "홍길동", "--rrn", rrn, "--data-dir", str(data_dir)], capsys, monkeypatch
        )
        assert code == 0 and "인가코드" in out, out
        issue = ["issue", "--name", "홍길동", "--rrn", rrn, "--password", PASSWORD, "--npki-dir", npki]
        code, out = _run([*issue, "--data-dir", str(data_dir)], capsys, monkeypatch)
        assert code == 0 and "NPKI" in out, out
    code, out = _run(
        ["--data-dir", str(data_dir), "ra", "register", "--name", "홍길동", "--rrn", "900101-123"], capsys, monkeypatch
    )
    assert code == 3 and "주민등록번호 형식이 올바르지 않습니다" in out and "Traceback" not in out
    code, out = _run(
        [
            "--data-dir",
            str(data_dir),
            "issue",
            "--name",
            "홍길동",
            "--rrn",
            "900101-1234567",
            "--password",
            PASSWORD,
            "--npki-dir",
            str(tmp_path / ("N" * 120)),
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0 and str(tmp_path / ("N" * 120)) in out  # not folded at 80 columns (not a terminal)
