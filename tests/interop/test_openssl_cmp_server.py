"""``openssl cmp`` and our client against a live ``jointcert serve``: ir (PBM with the reference number and
authorization code, R in -reqexts), kur, rr and genm; the certificates verify with openssl and their VID with the
registered resident number and R; PyPinkSign loads what our client writes; the CLI runs the same flow."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pypinksign import PinkSign

from jointcert.ca.ports import RecordStatus
from jointcert.client.cmp import CmpClient
from jointcert.client.wallet import enroll_into_store, renew_in_store, revoke_from_store, select_certificate
from jointcert.npki.store import NpkiStore
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.types import CertType
from tests.interop.conftest import LiveInstance

pytestmark = pytest.mark.interop
PASSWORD = "Enroll-pass1!"


def _openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], check=False, capture_output=True, text=True, timeout=120)


def _key(path: Path) -> Path:
    key = rsa.generate_private_key(65537, 2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    return path


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _status(live: LiveInstance, cert: x509.Certificate) -> RecordStatus:
    record = live.services.authority.certificate(cert.serial_number)
    assert record is not None
    return record.status


@dataclass
class Enrolled:
    rrn: str
    random_num: bytes
    key: Path
    cert: Path


def _openssl_ir(
    live: LiveInstance, tmp: Path, rrn: str, *, secret: str | None = None, extra: tuple[str, ...] = ()
) -> tuple[Enrolled, str]:
    ticket = live.services.registrations.register(
        real_name="홍길동", rrn=rrn, cert_type=CertType.LIMITED, requested_by="interop"
    )
    random_num = os.urandom(20)
    config = tmp / "cmp.cnf"
    config.write_text(f"[reqexts]\n1.2.410.200004.10.1.1.3 = DER:03:15:00:{random_num.hex(':')}\n")
    key, cert = _key(tmp / "key.pem"), tmp / "cert.pem"
    done = _openssl(
        "cmp", "-config", config, "-cmd", "ir", "-server", f"{live.url}/cmp",
        "-ref", ticket.reference_number, "-secret", f"pass:{secret or ticket.authorization_code}",
        "-newkey", key, "-subject", "/CN=applicant", "-reqexts", "reqexts",
        "-certout", cert, "-cacertsout", tmp / "cacerts.pem", "-unprotected_errors", *extra,
    )  # fmt: skip
    return Enrolled(rrn, random_num, key, cert), done.stdout + done.stderr if done.returncode else ""


@pytest.mark.parametrize("extra", [(), ("-implicit_confirm",), ("-mac", "hmacWithSHA256")])
def test_openssl_ir_enrolls_and_the_certificate_and_vid_verify(
    live: LiveInstance, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    enrolled, failure = _openssl_ir(live, tmp_path, "9001011234568", extra=extra)
    assert not failure, failure
    verified = _openssl("verify", "-CAfile", live.pem("root"), "-untrusted", live.pem("class1"), enrolled.cert)
    assert verified.returncode == 0 and verified.stdout.strip() == f"{enrolled.cert}: OK", verified.stderr
    cert = _cert(enrolled.cert)
    identify = identify_data_of(cert)
    assert identify is not None and identify.real_name == "홍길동"
    verify_vid(identify, enrolled.rrn, enrolled.random_num)
    assert _cert(tmp_path / "cacerts.pem") == x509.load_pem_x509_certificate(live.pem("root").read_bytes())
    assert _status(live, cert) is RecordStatus.ISSUED  # confirmed (certConf or implicitly): nothing to revoke
    tx = live.services.cmp  # the transaction is closed: a sweep long after revokes nothing of it
    assert cert.serial_number not in tx.sweep().revoked_serials


def test_openssl_ir_with_a_wrong_secret_is_refused(live: LiveInstance, tmp_path: Path) -> None:
    _, failure = _openssl_ir(live, tmp_path, "9001011234568", secret="WRONGWRONGWRONGWRONG")
    assert "badMessageCheck" in failure and "authorization_code_mismatch" in failure
    assert not (tmp_path / "cert.pem").exists()


def test_openssl_kur_then_rr(live: LiveInstance, tmp_path: Path) -> None:
    enrolled, failure = _openssl_ir(live, tmp_path, "8502022345671")
    assert not failure, failure
    new_key, new_cert = _key(tmp_path / "key2.pem"), tmp_path / "cert2.pem"
    kur = _openssl(
        "cmp", "-cmd", "kur", "-server", f"{live.url}/cmp", "-cert", enrolled.cert, "-key", enrolled.key,
        "-newkey", new_key, "-trusted", live.pem("root"), "-certout", new_cert,
    )  # fmt: skip
    assert kur.returncode == 0, kur.stdout + kur.stderr
    old, new = _cert(enrolled.cert), _cert(new_cert)
    assert identify_data_of(new) == identify_data_of(old)
    verify_vid(identify_data_of(new), enrolled.rrn, enrolled.random_num)  # type: ignore[arg-type]
    assert _status(live, old) is RecordStatus.REVOKED and _status(live, new) is RecordStatus.ISSUED
    verified = _openssl("verify", "-CAfile", live.pem("root"), "-untrusted", live.pem("class1"), new_cert)
    assert verified.returncode == 0, verified.stderr

    rr = _openssl(
        "cmp", "-cmd", "rr", "-server", f"{live.url}/cmp", "-cert", new_cert, "-key", new_key,
        "-oldcert", new_cert, "-revreason", "1", "-srvcert", live.pem("class1"),
    )  # fmt: skip
    assert rr.returncode == 0 and "revocation accepted" in rr.stdout + rr.stderr, rr.stdout + rr.stderr
    record = live.services.authority.certificate(new.serial_number)
    assert record is not None and record.revocation_reason is x509.ReasonFlags.key_compromise
    again = _openssl(
        "cmp", "-cmd", "rr", "-server", f"{live.url}/cmp", "-cert", new_cert, "-key", new_key,
        "-oldcert", new_cert, "-srvcert", live.pem("class1"),
    )  # fmt: skip
    assert again.returncode != 0 and "certRevoked" in again.stdout + again.stderr  # a signed error: no flag needed


def test_openssl_genm_ca_certs(live: LiveInstance) -> None:
    done = _openssl(
        "cmp", "-cmd", "genm", "-infotype", "caCerts", "-server", f"{live.url}/cmp",
        "-unprotected_requests", "-subject", "/CN=anyone", "-trusted", live.pem("root"),
    )  # fmt: skip
    assert done.returncode == 0 and "id-it-caCerts" in done.stdout + done.stderr, done.stdout + done.stderr


def test_our_client_over_http_and_pypinksign_loads_the_files(live: LiveInstance, tmp_path: Path) -> None:
    rrn = "7703031234561"
    ticket = live.services.registrations.register(
        real_name="김철수", rrn=rrn, cert_type=CertType.GENERAL, requested_by="interop"
    )
    store = NpkiStore(tmp_path / "NPKI")
    with CmpClient(f"{live.url}/cmp") as client:
        enrolled = enroll_into_store(client, ticket.reference_number, ticket.authorization_code, PASSWORD, store)
        renewed = renew_in_store(client, store, select_certificate(store, None), PASSWORD)
        for stored in (renewed,):
            cert_der = (stored.folder / "signCert.der").read_bytes()
            signer = PinkSign(
                pubkey_data=cert_der,
                prikey_data=(stored.folder / "signPri.key").read_bytes(),
                prikey_password=PASSWORD.encode(),
            )
            signer.load_prikey()
            assert signer.verify(signer.sign(b"challenge"), b"challenge")
            verify_vid(identify_data_of(stored.certificate), rrn, signer._rand_num.asOctets())  # type: ignore[arg-type]
        assert _status(live, enrolled.certificate) is RecordStatus.REVOKED
        revoke_from_store(client, store, select_certificate(store, None), PASSWORD)
    assert _status(live, renewed.certificate) is RecordStatus.REVOKED and store.list() == []


def _jointcert(live: LiveInstance, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env["JOINTCERT_SERVER__PUBLIC_URL"] = live.url
    command = [sys.executable, "-m", "jointcert", "--data-dir", str(live.data_dir), *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=180)


def test_cli_register_enroll_renew_revoke(live: LiveInstance, tmp_path: Path) -> None:
    registered = _jointcert(
        live, "ra", "register", "--name", "이영희", "--rrn", "8808082345678", "--profile", "general"
    )
    assert registered.returncode == 0, registered.stderr
    ref = re.search(r"참조번호\)\s+(\d{10})", registered.stdout)
    code = re.search(r"인가코드\)\s+([A-Z0-9]{20})", registered.stdout)
    assert ref and code, registered.stdout
    npki = str(tmp_path / "NPKI")
    enrolled = _jointcert(
        live, "enroll", "--server", live.url, "--ref", ref[1], "--auth", code[1], "--password", PASSWORD,
        "--npki-dir", npki,
    )  # fmt: skip
    assert enrolled.returncode == 0 and "enrolled" in enrolled.stdout, enrolled.stderr
    renewed = _jointcert(live, "renew", "--npki-dir", npki, "--password", PASSWORD)  # server from the certificate
    assert renewed.returncode == 0 and "renewed" in renewed.stdout, renewed.stderr
    wrong = _jointcert(live, "revoke", "--self", "--npki-dir", npki, "--password", "Wrong-pass1!")
    assert wrong.returncode == 6 and "Traceback" not in wrong.stderr  # key file unreadable: authentication
    revoked = _jointcert(
        live, "revoke", "--self", "--npki-dir", npki, "--password", PASSWORD, "--reason", "keyCompromise"
    )
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    assert NpkiStore(Path(npki)).list() == []
    again = _jointcert(live, "enroll", "--server", live.url, "--ref", ref[1], "--auth", code[1], "--password", PASSWORD)
    assert again.returncode == 7 and "notAuthorized" in again.stderr + again.stdout  # used reference
