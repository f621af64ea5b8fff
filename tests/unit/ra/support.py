"""A registration authority on a fresh SQLite file with the seeded sandbox bank and a fake CA, built in ms."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher, profiles
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from cryptography.x509.oid import NameOID

from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.ca.authority import IssuanceRequest, IssuedCertificate, RenewalRequest
from jointcert.ca.ports import CertificateRecord
from jointcert.clock import FakeClock
from jointcert.config import RaSettings
from jointcert.pii import PiiProtector
from jointcert.ra.ports import Registrar
from jointcert.ra.service import RegistrationAuthority
from jointcert.storage.bank_repository import SandboxBank, build_sandbox_bank
from jointcert.storage.db import Database
from jointcert.storage.repositories.ra import SqlAttempts, SqlCertificateRegistry, SqlSessionStore, SqlStepLog
from jointcert.storage.repositories.ra_saga import SqlFeeLedger
from jointcert.storage.tables.all import metadata
from jointcert.types import CertType

KEY = bytes(range(32))
_DUMMY_KEY = rsa.generate_private_key(65537, 1024)


def _dummy_certificate(now: datetime, public_key_der: bytes | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake")])
    key = _DUMMY_KEY.public_key() if public_key_der is None else load_der_public_key(public_key_der)
    assert isinstance(key, rsa.RSAPublicKey)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key)
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(_DUMMY_KEY, hashes.SHA256())
    )


@dataclass
class FakeAuthority:
    """Records what it is asked to issue; never fails unless told to."""

    clock: FakeClock
    issued: list[IssuanceRequest] = field(default_factory=list)
    revoked: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    by_key: dict[str, IssuedCertificate] = field(default_factory=dict)
    fail_with: Exception | None = None

    def issue(self, request: IssuanceRequest) -> IssuedCertificate:
        if request.request_key in self.by_key:
            return self.by_key[request.request_key]
        if self.fail_with is not None:
            raise self.fail_with
        self.issued.append(request)
        now = self.clock.now()
        cert = _dummy_certificate(now, request.public_key_der)
        issued = IssuedCertificate(
            len(self.issued), cert, b"der", request.cert_type, now, now + timedelta(days=365), None
        )
        if request.request_key is not None:
            self.by_key[request.request_key] = issued
        return issued

    def issued_for(self, request_key: str) -> IssuedCertificate | None:
        return self.by_key.get(request_key)

    def record_for(self, request_key: str) -> CertificateRecord | None:
        return None

    def confirm(self, serial: int) -> list[int]:
        self.confirmed.append(serial)
        return []

    def recover_stale(self, max_age: timedelta = timedelta(minutes=5), *, actor: str = "recovery") -> list[int]:
        return []

    def renew(self, request: RenewalRequest) -> IssuedCertificate:
        raise NotImplementedError

    def certificate(self, serial: int) -> CertificateRecord | None:
        return None

    def active_for_holder(self, rrn: str, cert_type: CertType) -> CertificateRecord | None:
        return None

    def revoke(self, serial: int, reason: x509.ReasonFlags, *, actor: str) -> None:
        self.revoked.append(serial)


@dataclass
class Rig:
    """Everything a unit test of the RA needs."""

    ra: RegistrationAuthority
    bank: SandboxBank
    authority: FakeAuthority
    clock: FakeClock
    database: Database


def build_rig(
    directory: Path, clock: FakeClock, *, registrar: Registrar | None = None, settings: RaSettings | None = None
) -> Rig:
    """A fresh SQLite database (tables created directly), the seeded sandbox bank and the RA on a fake CA."""
    directory.mkdir(parents=True, exist_ok=True)
    database = Database(f"sqlite:///{directory / 'ra.db'}")
    metadata.create_all(database.engine)
    pii = PiiProtector(KEY)
    hasher = SecretHasher(pii, PasswordHasher.from_parameters(profiles.CHEAPEST))
    bank = build_sandbox_bank(database, pii, clock, hasher=hasher, rng=random.Random(3))
    bank.seed()
    authority = FakeAuthority(clock)
    ra = RegistrationAuthority(
        bank=bank.ports(),
        sessions=SqlSessionStore(database),
        attempts=SqlAttempts(database),
        step_log=SqlStepLog(database),
        authority=authority,
        registry=SqlCertificateRegistry(database),
        pii=pii,
        clock=clock,
        settings=settings or RaSettings(),
        ca_validity_days=365,
        chain=(b"issuing", b"root"),
        fees=SqlFeeLedger(database),
        registrar=registrar,
    )
    return Rig(ra, bank, authority, clock, database)
