import base64
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pypinksign.test_pinkSign import TEST_CERT

from jointcert.cli import context as cli_context
from jointcert.cli import main as cli_main
from jointcert.cli.context import EXIT_CODES, run_safely
from jointcert.errors import ErrorKind
from jointcert.npki.pfx import export_pfx
from jointcert.npki.store import NpkiStore
from tests.unit.npki import factories

PASSWORD = TEST_CERT["signPw"].decode()
CERT = base64.b64decode(TEST_CERT["signCert"])
KEY = base64.b64decode(TEST_CERT["signPri"])


def run(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the real root app in-process as `jointcert ARGS` (wide console so lines do not wrap)."""
    monkeypatch.setenv("COLUMNS", "250")
    # the console may have been built before COLUMNS was set (another test, an xdist worker): fix its width too
    for shared in (cli_context.console, cli_context.err_console):
        monkeypatch.setattr(shared, "_width", 250)
    monkeypatch.setattr(sys, "argv", ["jointcert", *args])
    if not any(c.name == "inspect" for c in cli_main.app.registered_commands):
        cli_main._register()
    code = run_safely(cli_main.app)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    store = NpkiStore(tmp_path / "NPKI")
    folder = store.write(CERT, KEY)
    pfx = tmp_path / "cert.pfx"
    pfx.write_bytes(export_pfx(factories.certificate(), factories.bundle(), "Pfx-pass1!", iterations=5))
    pem = tmp_path / "cert.pem"
    pem.write_bytes(factories.certificate().public_bytes(serialization.Encoding.PEM))
    return {"root": store.root, "folder": folder, "cert": folder / "signCert.der", "key": folder / "signPri.key",
            "pfx": pfx, "pem": pem}  # fmt: skip


def test_certificate(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["inspect", str(files["cert"])], monkeypatch, capsys)
    assert code == 0
    assert "cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH" in out
    assert "459C75" in out and "1.2.410.200005.1.1.4" in out and "present (real name HKD)" in out


def test_pem_certificate(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["inspect", str(files["pem"])], monkeypatch, capsys)
    assert code == 0 and "cn=홍길동()0081234520261125000001" in out and "1A2B3C" in out


def test_key_file_without_and_with_password(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["inspect", str(files["key"])], monkeypatch, capsys)
    assert code == 0 and "seedCBCWithSHA1: PBKDF1-SHA1, SEED-CBC, salt c8ea2fa25023c285, 2048 iterations" in out
    assert "encrypted (give --password" in out
    code, out, _ = run(["inspect", str(files["key"]), "--password", PASSWORD], monkeypatch, capsys)
    assert code == 0 and "RSA 2048 bits" in out and "R (randomNum) present" in out


def test_folder_and_root(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["inspect", str(files["folder"]), "-p", PASSWORD], monkeypatch, capsys)
    assert code == 0 and "key matches certificate" in out and "yes / 예" in out
    code, out, _ = run(["inspect", str(files["root"]), "-p", PASSWORD], monkeypatch, capsys)
    assert code == 0 and "1 certificates" in out and "HKD(KILDONG.HONG)" in out and "matches, R present" in out


def test_pfx(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["inspect", str(files["pfx"]), "-p", "Pfx-pass1!"], monkeypatch, capsys)
    assert code == 0 and "PFX:" in out and "R (randomNum) present" in out
    code, _, err = run(["inspect", str(files["pfx"])], monkeypatch, capsys)
    assert code == EXIT_CODES[ErrorKind.INVALID] and "password_required" in err


@pytest.mark.parametrize("target", ["key", "folder", "root", "pfx"])
def test_wrong_password_exits_non_zero_with_a_clean_message(
    target: str, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["inspect", str(files[target]), "--password", "wrong-password"], monkeypatch, capsys)
    assert code == EXIT_CODES[ErrorKind.AUTHENTICATION] != 0
    assert "인증서 비밀번호가 틀렸거나" in err and "key_file_unreadable" in err and "Traceback" not in err


def test_unknown_and_missing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"junk")
    code, _, err = run(["inspect", str(junk)], monkeypatch, capsys)
    assert code == EXIT_CODES[ErrorKind.INVALID] and "unrecognised_file" in err
    code, _, err = run(["inspect", str(tmp_path / "missing")], monkeypatch, capsys)
    assert code == EXIT_CODES[ErrorKind.NOT_FOUND] and "not_found" in err


def test_console_script_wrong_password(files: dict[str, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jointcert", "inspect", str(files["key"]), "-p", "wrong-password"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_CODES[ErrorKind.AUTHENTICATION]
    assert "key_file_unreadable" in done.stderr and "Traceback" not in done.stderr + done.stdout
