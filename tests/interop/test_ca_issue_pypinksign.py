"""``jointcert issue`` end to end: PyPinkSign loads the NPKI folder it writes, and the VID verifies with R."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from pypinksign import PinkSign, choose_cert

from jointcert.npki.keyfile import decrypt_sign_pri
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL
from jointcert.npki.vid import identify_data_of, verify_vid

pytestmark = pytest.mark.interop
RRN, PASSWORD = "8501021234567", "Cert-pass1!"


def _jointcert(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    command = [sys.executable, "-m", "jointcert", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised instance."""
    path = tmp_path_factory.mktemp("issue") / "data"
    assert _jointcert(path, "init").returncode == 0
    return path


def test_pypinksign_loads_what_issue_writes_and_the_vid_verifies(data_dir: Path, tmp_path: Path) -> None:
    npki = tmp_path / "NPKI"
    args = ["issue", "--name", "김철수", "--rrn", RRN, "--password", PASSWORD, "--profile", "general"]
    result = _jointcert(data_dir, *args, "--npki-dir", str(npki))
    assert result.returncode == 0, result.stderr
    [folder] = list((npki / "jointsign" / "USER").iterdir())
    cert_der, key_der = (folder / "signCert.der").read_bytes(), (folder / "signPri.key").read_bytes()
    cert = x509.load_der_x509_certificate(cert_der)

    signer = PinkSign(pubkey_data=cert_der, prikey_data=key_der, prikey_password=PASSWORD.encode())
    signer.load_prikey()
    assert signer.verify(signer.sign(b"login challenge"), b"login challenge")
    assert signer.cert_type_oid() == POLICY_GENERAL_PERSONAL
    r_from_pypinksign = signer._rand_num.asOctets()
    assert len(r_from_pypinksign) == 20
    identify = identify_data_of(cert)
    assert identify is not None and identify.real_name == "김철수"
    verify_vid(identify, RRN, r_from_pypinksign)  # relying-party check: RRN + R from signPri.key ↔ VID
    assert decrypt_sign_pri(key_der, PASSWORD).random_num == r_from_pypinksign

    chosen = choose_cert(base_path=str(npki), cn=signer.cn(), pw=PASSWORD.encode())
    assert chosen.serialnum() == cert.serial_number


def test_issue_refuses_a_weak_password_before_issuing(data_dir: Path, tmp_path: Path) -> None:
    before = _count(data_dir)
    result = _jointcert(
        data_dir, "issue", "--name", "김철수", "--rrn", RRN, "--password", "short", "--npki-dir", str(tmp_path)
    )
    assert result.returncode == 3 and "weak_password" in result.stderr and "Traceback" not in result.stderr
    assert _count(data_dir) == before


def test_a_certificate_that_cannot_be_saved_is_revoked(data_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    result = _jointcert(
        data_dir,
        "issue",
        "--name",
        "박영희",
        "--rrn",
        "9203042234567",
        "--password",
        PASSWORD,
        "--npki-dir",
        str(blocker),
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    with sqlite3.connect(data_dir / "jointcert.db") as conn:
        query = "select status, revocation_reason from ca_certificates where subject like ?"
        rows = conn.execute(query, ("%박영희%",)).fetchall()
    assert rows == [("revoked", "cessationOfOperation")]


def _count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "jointcert.db") as conn:
        return int(conn.execute("select count(*) from ca_certificates").fetchone()[0])
