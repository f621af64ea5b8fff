"""Small default-argument factories for CA tests (requests, keys, resident numbers)."""

from __future__ import annotations

import itertools
import os
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.ca.authority import IssuanceRequest, SignatureProof
from jointcert.types import CertType

_rrn_counter = itertools.count(1)
_rrn_lock = threading.Lock()


def fresh_rrn() -> str:
    """A well-formed resident number, different on every call."""
    with _rrn_lock:
        n = next(_rrn_counter)
    return f"900101{1 + n % 2}{n:06d}"


def spki(key: rsa.RSAPrivateKey) -> bytes:
    """SubjectPublicKeyInfo DER."""
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def make_request(
    key: rsa.RSAPrivateKey,
    *,
    rrn: str | None = None,
    name: str = "홍길동",
    cert_type: CertType = CertType.LIMITED,
    random_num: bytes | None = None,
    message: bytes = b"proof of possession",
    signature: bytes | None = None,
    public_key_der: bytes | None = None,
    km_key: rsa.RSAPrivateKey | None = None,
) -> IssuanceRequest:
    """An issuance request with a valid proof of possession unless overridden; with ``km_key`` a sign + km pair."""
    sig = signature if signature is not None else key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    km_pop = (
        None if km_key is None else SignatureProof(message, km_key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    )
    return IssuanceRequest(
        cert_type=cert_type,
        real_name=name,
        rrn=rrn or fresh_rrn(),
        random_num=random_num if random_num is not None else os.urandom(20),
        public_key_der=public_key_der or spki(key),
        pop=SignatureProof(message, sig),
        channel="cli",
        km_public_key_der=None if km_key is None else spki(km_key),
        km_pop=km_pop,
    )
