"""``jointcert export --pfx`` / ``jointcert import``: round trips through openssl and PyPinkSign, R kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pypinksign import PinkSign

from jointcert.cli.main import main
from jointcert.npki.keyfile import decrypt_sign_pri, encrypt_sign_pri
from jointcert.npki.store import CERT_FILE, KEY_FILE, NpkiStore
from tests.unit.npki import factories

CERT_PASSWORD = "Cert-pass1!"
PFX_PASSWORD = "Pfx-pass-2026!"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["jointcert", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("legacy", [False, True])
def test_export_import_round_trip_with_openssl_and_pypinksign(
    legacy: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = factories.certificate()
    source = NpkiStore(tmp_path / "PC" / "NPKI")
    source.write(cert.public_bytes(serialization.Encoding.DER), encrypt_sign_pri(factories.bundle(), CERT_PASSWORD))
    pfx = tmp_path / "hong.pfx"
    export = ["export", "--pfx", str(pfx), "--npki-dir", str(source.root), "--password", CERT_PASSWORD]
    code, out = _run([*export, "--pfx-password", PFX_PASSWORD, *(["--legacy"] if legacy else [])], capsys, monkeypatch)
    assert code == 0 and "R kept" in out, out

    dump = _openssl(
        "pkcs12", "-in", str(pfx), "-passin", f"pass:{PFX_PASSWORD}", "-nodes", *(["-legacy"] if legacy else [])
    )
    assert dump.returncode == 0, dump.stderr
    assert x509.load_pem_x509_certificate(dump.stdout.encode()) == cert
    key = serialization.load_pem_private_key(dump.stdout.encode(), None)
    assert key.public_key() == cert.public_key()
    signer = PinkSign(p12_data=pfx.read_bytes(), prikey_password=PFX_PASSWORD.encode())
    assert signer.cn() == "홍길동()0081234520261125000001"

    target = tmp_path / "other" / "NPKI"
    imported = ["import", str(pfx), "--npki-dir", str(target), "--password", PFX_PASSWORD]
    code, out = _run([*imported, "--new-password", "New-cert-pass2@"], capsys, monkeypatch)
    assert code == 0 and "R kept" in out, out
    folder = NpkiStore(target).folder_for(cert)
    assert (folder / CERT_FILE).read_bytes() == cert.public_bytes(serialization.Encoding.DER)
    bundle = decrypt_sign_pri((folder / KEY_FILE).read_bytes(), "New-cert-pass2@")
    assert bundle.random_num == factories.TEST_R and bundle.key.public_key() == cert.public_key()
    loaded = PinkSign(
        pubkey_data=(folder / CERT_FILE).read_bytes(),
        prikey_data=(folder / KEY_FILE).read_bytes(),
        prikey_password=b"New-cert-pass2@",
    )
    loaded.load_prikey()
    assert loaded._rand_num.asOctets() == factories.TEST_R

    code, out = _run(imported, capsys, monkeypatch)  # the same certificate again: refused, nothing changed
    assert code == 5 and "Traceback" not in out, out
    code, out = _run([*imported[:-1], "wrong-password"], capsys, monkeypatch)
    assert code == 6 and "Traceback" not in out, out


def test_import_a_pfx_that_openssl_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, bundle = factories.certificate(), factories.bundle()
    pem = tmp_path / "both.pem"
    key_pem = bundle.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem.write_bytes(key_pem + cert.public_bytes(serialization.Encoding.PEM))
    pfx = tmp_path / "openssl.p12"
    made = _openssl("pkcs12", "-export", "-in", str(pem), "-out", str(pfx), "-passout", f"pass:{PFX_PASSWORD}")
    assert made.returncode == 0, made.stderr
    target = tmp_path / "NPKI"
    code, out = _run(["import", str(pfx), "--npki-dir", str(target), "--password", PFX_PASSWORD], capsys, monkeypatch)
    assert code == 0 and "R absent" in out, out  # openssl drops PKCS #8 attributes: no R to keep
    stored = NpkiStore(target).folder_for(cert)
    assert decrypt_sign_pri((stored / KEY_FILE).read_bytes(), PFX_PASSWORD).key.public_key() == cert.public_key()
