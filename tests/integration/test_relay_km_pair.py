"""``jointcert copy send`` → ``jointcert copy receive`` (two subprocesses, one served instance) moves a sign + km
pair whole: the receiving folder gets all four files, kmPri.key under the same password and without R."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.app import Services
from jointcert.ca.authority import IssuanceRequest, SignatureProof
from jointcert.client.copy import open_copied_km
from jointcert.npki.keyfile import PrivateKeyBundle, decrypt_sign_pri, encrypt_sign_pri, generate_bundle
from jointcert.npki.store import NpkiStore
from jointcert.relay.errors import InvalidRelayRequest
from jointcert.relay.payload import CopyPayload, decode_payload, encode_payload, wrap_key
from jointcert.types import CertType
from jointcert.web.app import create_app
from tests.e2e.harness.support import serve_asgi
from tests.integration.test_relay_cli import _code, _receive

PASSWORD = "Copy#2026pass"


@pytest.fixture
def url(services: Services) -> Iterator[str]:
    with serve_asgi(create_app(services)) as base:
        yield base


def _spki(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pair_folder(services: Services, root: Path) -> tuple[Path, PrivateKeyBundle]:
    bundle, km = generate_bundle(), PrivateKeyBundle(generate_bundle().key, None)
    message = b"pair copy pop"

    def proof(key: rsa.RSAPrivateKey) -> SignatureProof:
        return SignatureProof(message, key.sign(message, padding.PKCS1v15(), hashes.SHA256()))

    request = IssuanceRequest(
        CertType.LIMITED, "김복사", "8501021234567", bundle.random_num, _spki(bundle.key), proof(bundle.key), "api",
        km_public_key_der=_spki(km.key), km_pop=proof(km.key),
    )  # fmt: skip
    issued = services.authority.issue(request)
    assert issued.km is not None
    km_files = (issued.km.der, encrypt_sign_pri(km, PASSWORD))
    folder = NpkiStore(root).write(issued.der, encrypt_sign_pri(bundle, PASSWORD), km=km_files)
    return folder, km


def test_copy_moves_the_pair_whole(services: Services, url: str, tmp_path: Path) -> None:
    source, km = _pair_folder(services, tmp_path / "source")
    receiving = _receive(url, tmp_path / "NPKI", "--password", PASSWORD)
    code = _code(receiving)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    send = [sys.executable, "-m", "jointcert", "copy", "send", "--server", url, "--code", code]
    send += ["--npki-dir", str(tmp_path / "source"), "--password", PASSWORD]
    sent = subprocess.run(send, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    out, err = receiving.communicate(timeout=60)
    assert receiving.returncode == 0, out + err
    [folder] = list((tmp_path / "NPKI").glob("*/USER/*"))
    assert {p.name for p in folder.iterdir()} == {p.name for p in source.iterdir()}
    assert (folder / "kmCert.der").read_bytes() == (source / "kmCert.der").read_bytes()
    copied = decrypt_sign_pri((folder / "kmPri.key").read_bytes(), PASSWORD)
    assert copied.random_num is None and copied.key.private_numbers() == km.key.private_numbers()


def test_a_payload_with_half_a_pair_is_refused(services: Services, tmp_path: Path) -> None:
    source, km = _pair_folder(services, tmp_path / "source")
    cert_der, km_der = (source / "signCert.der").read_bytes(), (source / "kmCert.der").read_bytes()
    wrapped = wrap_key(km, PASSWORD, iterations=1000)
    whole = encode_payload(CopyPayload(cert_der, wrapped, km_der, wrapped))
    assert decode_payload(whole).km_certificate_der == km_der
    half = whole.replace(b'"km_private_key"', b'"km_private_kez"')
    with pytest.raises(InvalidRelayRequest):
        decode_payload(half)
    swapped = CopyPayload(cert_der, wrapped, cert_der, wrapped)  # a km key that does not fit the km certificate
    with pytest.raises(InvalidRelayRequest):
        open_copied_km(swapped, PASSWORD)
