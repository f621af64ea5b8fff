"""``[ca] preset`` through the commands: `issue` and `import` write signPri.key with the preset's PBKDF iteration
count (1,024 for ``neutral``), the certificate carries the preset's OIDs and ``C=KR``, and `inspect` names the
issuer from the OID without calling it another CA; PyPinkSign opens the 1,024-iteration key file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from pypinksign import PinkSign

from jointcert.app import init_instance
from jointcert.cli.main import main
from jointcert.npki.keyfile import decrypt_sign_pri, describe_sign_pri
from jointcert.npki.pfx import export_pfx

PASSWORD = "Cert-pass-2026!"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["jointcert", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


@pytest.mark.parametrize(("preset", "iterations", "country"), [("neutral", 1024, "KR"), ("yessign-like", 2048, "kr")])
def test_issue_import_and_inspect_follow_the_preset(
    *,
    preset: str,
    iterations: int,
    country: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [k for k in os.environ if k.startswith("JOINTCERT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("JOINTCERT_CA__PRESET", preset)
    data_dir, npki = tmp_path / "data", tmp_path / "NPKI"
    init_instance(data_dir)
    issue = ["issue", "--name", "홍길동", "--rrn", "900101-1234567", "--password", PASSWORD, "--npki-dir", str(npki)]
    code, out = _run(["--data-dir", str(data_dir), *issue], capsys, monkeypatch)
    assert code == 0, out
    (folder,) = {p.parent for p in npki.rglob("signCert.der")}
    key_file = (folder / "signPri.key").read_bytes()
    assert describe_sign_pri(key_file).iterations == iterations
    cert = x509.load_der_x509_certificate((folder / "signCert.der").read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == country
    assert cert.issuer.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == country  # the CA made at init too
    signer = PinkSign(pubkey_path=str(folder / "signCert.der"), prikey_path=str(folder / "signPri.key"),
                      prikey_password=PASSWORD.encode())  # fmt: skip
    assert len(signer._rand_num.asOctets()) == 20  # PyPinkSign opens the key file and finds R

    code, out = _run(["inspect", str(folder / "signCert.der")], capsys, monkeypatch)
    assert code == 0, out
    if preset == "neutral":
        assert "1.3.6.1.5.5.7.13.2" in out and "jointsign (RFC 7229 test OID)" in out
    else:
        assert "1.2.410.200005.1.1.4" in out and "jointsign (yessign OID)" in out
    assert "yessign)" not in out  # never "(yessign)": our certificates are not yessign's

    pfx = tmp_path / "c.pfx"
    pfx.write_bytes(export_pfx(cert, decrypt_sign_pri(key_file, PASSWORD), PASSWORD))
    imported = tmp_path / "NPKI2"
    code, out = _run(
        ["--data-dir", str(data_dir), "import", str(pfx), "--password", PASSWORD, "--npki-dir", str(imported)],
        capsys,
        monkeypatch,
    )
    assert code == 0, out
    (again,) = imported.rglob("signPri.key")
    assert describe_sign_pri(again.read_bytes()).iterations == iterations
