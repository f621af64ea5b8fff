"""Sign + km pairs against the real tools: PyPinkSign loads kmCert.der + kmPri.key (same password, no R), openssl
decrypts kmPri.key and verifies kmCert.der, pkilint finds no error in it; our CMP client enrolls, renews and
revokes a pair over HTTP against a live ``jointcert serve`` (an ir/kur with two certReqs: openssl cmp sends one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pypinksign import PinkSign

from jointcert.ca.ports import RecordStatus
from jointcert.client.cmp import CmpClient
from jointcert.client.wallet import enroll_into_store, renew_in_store, revoke_from_store, select_certificate
from jointcert.npki.keyfile import KeyScheme, decrypt_sign_pri, encrypt_sign_pri
from jointcert.npki.oids import POLICY_LIMITED_PERSONAL
from jointcert.npki.store import NpkiStore
from jointcert.types import CertType
from tests.interop.conftest import LiveInstance

pytestmark = pytest.mark.interop
PASSWORD = "Km-pair-pass1!"


def _openssl(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *map(str, args)], input=stdin, check=False, capture_output=True, timeout=120)


def _legacy_provider() -> bool:
    return _openssl("list", "-providers", "-provider", "legacy").returncode == 0


def _status(live: LiveInstance, serial: int) -> RecordStatus:
    record = live.services.authority.certificate(serial)
    assert record is not None
    return record.status


def _check_km_folder(live: LiveInstance, folder: Path) -> x509.Certificate:
    """All four files; PyPinkSign reads the km pair; the km key decrypts with the password and has no R."""
    assert {p.name for p in folder.iterdir()} == {"signCert.der", "signPri.key", "kmCert.der", "kmPri.key"}
    km_der, km_key = (folder / "kmCert.der").read_bytes(), (folder / "kmPri.key").read_bytes()
    km = x509.load_der_x509_certificate(km_der)
    sign = x509.load_der_x509_certificate((folder / "signCert.der").read_bytes())
    assert km.subject == sign.subject and km.serial_number != sign.serial_number
    reader = PinkSign(pubkey_data=km_der, prikey_data=km_key, prikey_password=PASSWORD.encode())
    reader.load_prikey()
    assert reader.cert_type_oid() == POLICY_LIMITED_PERSONAL
    assert reader.prikey.public_key().public_numbers() == km.public_key().public_numbers()  # type: ignore[union-attr]
    secret = reader.pubkey.encrypt(b"session key", padding.PKCS1v15())  # keyEncipherment: what a km pair is for
    assert reader.prikey.decrypt(secret, padding.PKCS1v15()) == b"session key"
    assert decrypt_sign_pri(km_key, PASSWORD).random_num is None  # real kmPri.key carries no R
    assert decrypt_sign_pri((folder / "signPri.key").read_bytes(), PASSWORD).random_num is not None
    pem = km.public_bytes(Encoding.PEM)
    chain = live.pem("class1")
    verified = _openssl("verify", "-CAfile", live.pem("root"), "-untrusted", chain, stdin=pem)
    assert verified.returncode == 0 and b"OK" in verified.stdout, verified.stderr
    text = _openssl("x509", "-noout", "-text", stdin=pem).stdout.decode(errors="replace")  # BMPString notice
    assert "Key Encipherment" in text and "Digital Signature" not in text and "Subject Alternative" not in text
    return km


@pytest.mark.skipif(not _legacy_provider(), reason="OpenSSL's legacy provider (SEED) is not installed")
def test_openssl_reads_kmpri_key(live: LiveInstance, tmp_path: Path) -> None:
    """openssl parses kmPri.key as the same EncryptedPrivateKeyInfo (seedCBCWithSHA1, which openssl cannot
    decrypt: it knows no PBKDF1-SEED PBE) and decrypts the km key written as PBES2 + SEED-CBC (the newer scheme,
    ``npki.key_scheme = "pbes2"``), with no randomNum attribute inside."""
    folder = _enroll_pair(live, tmp_path)[1]
    parsed = _openssl("asn1parse", "-inform", "DER", "-in", folder / "kmPri.key")
    assert parsed.returncode == 0 and b"1.2.410.200004.1.15" in parsed.stdout, parsed.stderr
    bundle = decrypt_sign_pri((folder / "kmPri.key").read_bytes(), PASSWORD)
    pbes2 = tmp_path / "kmPri-pbes2.key"
    pbes2.write_bytes(encrypt_sign_pri(bundle, PASSWORD, scheme=KeyScheme.PBES2_SEED))
    out = _openssl(
        *("pkcs8", "-inform", "DER", "-in", pbes2, "-passin", f"pass:{PASSWORD}", "-outform", "DER"),
        *("-provider", "legacy", "-provider", "default"),
    )
    assert out.returncode == 0, out.stderr
    assert b"1.2.410.200004.10.1.1.3" not in _openssl("asn1parse", "-inform", "DER", stdin=out.stdout).stdout
    key = serialization.load_der_private_key(out.stdout, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    km = x509.load_der_x509_certificate((folder / "kmCert.der").read_bytes())
    assert key.public_key().public_numbers() == km.public_key().public_numbers()  # type: ignore[union-attr]


def _enroll_pair(live: LiveInstance, tmp_path: Path) -> tuple[NpkiStore, Path]:
    ticket = live.services.registrations.register(
        real_name="최민수", rrn="8112121234564", cert_type=CertType.LIMITED, requested_by="interop"
    )
    store = NpkiStore(tmp_path / "NPKI")
    with CmpClient(f"{live.url}/cmp") as client:
        stored = enroll_into_store(client, ticket.reference_number, ticket.authorization_code, PASSWORD, store, km=True)
    return store, stored.folder


def test_our_client_enrolls_renews_and_revokes_a_pair(live: LiveInstance, tmp_path: Path) -> None:
    store, folder = _enroll_pair(live, tmp_path)
    first_sign = x509.load_der_x509_certificate((folder / "signCert.der").read_bytes())
    first_km = _check_km_folder(live, folder)
    assert _status(live, first_km.serial_number) is RecordStatus.ISSUED  # confirmed with its certConf entry
    with CmpClient(f"{live.url}/cmp") as client:
        renewed = renew_in_store(client, store, select_certificate(store, None), PASSWORD)  # kur, two certReqs
        new_km = _check_km_folder(live, renewed.folder)
        assert new_km.serial_number != first_km.serial_number
        assert _status(live, first_sign.serial_number) is RecordStatus.REVOKED
        assert _status(live, first_km.serial_number) is RecordStatus.REVOKED
        revoke_from_store(client, store, select_certificate(store, None), PASSWORD)  # rr for the signing one
    assert _status(live, renewed.certificate.serial_number) is RecordStatus.REVOKED
    assert _status(live, new_km.serial_number) is RecordStatus.REVOKED  # the pair goes together


def test_cli_issue_km_writes_four_files_pypinksign_reads(live: LiveInstance, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env["JOINTCERT_SERVER__PUBLIC_URL"] = live.url
    npki = tmp_path / "NPKI"
    command = [sys.executable, "-m", "jointcert", "--data-dir", str(live.data_dir), "issue", "--name", "정하나"]
    command += ["--rrn", "9405052234561", "--password", PASSWORD, "--km", "--npki-dir", str(npki)]
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0 and "km serial" in done.stdout, done.stderr
    [folder] = list((npki / "jointsign" / "USER").iterdir())
    _check_km_folder(live, folder)
    assert shutil.which("openssl") is not None
