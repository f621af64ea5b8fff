"""Small factories for relay tests: a service on a database, a transfer's secrets."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from jointcert.clock import FakeClock
from jointcert.config import RelaySettings
from jointcert.npki.keyfile import PrivateKeyBundle
from jointcert.relay.model import MIN_ITERATIONS, NewTransfer
from jointcert.relay.ratelimit import Limit, RateLimiter
from jointcert.relay.service import RelayService
from jointcert.storage.db import Database
from jointcert.storage.repositories.relay import SqlTransferStore

CLIENT = "192.0.2.10"
RRN = "8501021234567"


def make_service(
    database: Database,
    clock: FakeClock,
    *,
    limits: dict[str, Limit] | None = None,
    ttl_seconds: int = 180,
    max_wrong_codes: int = 5,
) -> RelayService:
    """A relay service on ``database``; no rate limits unless given."""
    return RelayService(
        store=SqlTransferStore(database),
        clock=clock,
        settings=RelaySettings(ttl_seconds=ttl_seconds, max_wrong_codes=max_wrong_codes),
        limiter=RateLimiter(clock, limits or {}),
    )


@dataclass(frozen=True)
class Secrets:
    """A transfer's registration and the proof only the code's holders can make."""

    new: NewTransfer
    proof: bytes


def new_transfer(transfer_id: str = "4821") -> Secrets:
    """Registration data with a random proof (the service never runs the KDF itself)."""
    proof = os.urandom(32)
    return Secrets(NewTransfer(transfer_id, os.urandom(16), MIN_ITERATIONS, hashlib.sha256(proof).digest()), proof)


ENVELOPE = os.urandom(12) + b"ciphertext of the certificate and its encrypted key" + os.urandom(16)


def issue_certificate(
    authority: object, spki: bytes, sign: object, random_num: bytes, *, name: str = "김복사", rrn: str = RRN
) -> bytes:
    """DER of a limited-use certificate the real CA pipeline issues for ``spki`` (``sign(message) -> signature``)."""
    from jointcert.ca.authority import CertificateAuthority, IssuanceRequest, SignatureProof
    from jointcert.types import CertType

    assert isinstance(authority, CertificateAuthority) and callable(sign)
    message = b"jointcert relay test pop " + os.urandom(16)
    proof = SignatureProof(message, sign(message))
    request = IssuanceRequest(CertType.LIMITED, name, rrn, random_num, spki, proof, "api")
    return authority.issue(request).der


def issue_npki_folder(authority: object, root: object, password: str) -> tuple[bytes, PrivateKeyBundle]:
    """Issue with a key made here and write it the way ``jointcert issue`` does (signPri.key SEED, R kept)."""
    from pathlib import Path

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    from jointcert.npki.keyfile import encrypt_sign_pri, generate_bundle
    from jointcert.npki.store import NpkiStore

    bundle = generate_bundle()
    spki = bundle.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cert = issue_certificate(
        authority,
        spki,
        lambda m: bundle.key.sign(m, padding.PKCS1v15(), hashes.SHA256()),
        bundle.random_num or b"",
    )
    assert isinstance(root, Path)
    NpkiStore(root).write(cert, encrypt_sign_pri(bundle, password))
    return cert, bundle
