"""CA fixtures: one generated hierarchy per session, installed into each test's database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.authority import CertificateAuthority
from jointcert.ca.bootstrap import install_hierarchy
from jointcert.ca.crl import CrlPublisher
from jointcert.ca.hierarchy import ISSUING, OCSP, ROOT, Hierarchy, generate_hierarchy
from jointcert.ca.key_hygiene import KeyHygiene, WeakKeyBlocklist
from jointcert.ca.keys import FileKeyStore
from jointcert.ca.lint import PkixLinter
from jointcert.ca.ocsp import OcspResponder
from jointcert.ca.ocsp_presign import PresignedOcsp
from jointcert.ca.stats import Counters
from jointcert.clock import FakeClock
from jointcert.config import CaSettings
from jointcert.pii import PiiProtector
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.storage.repositories.ca_batch import SqlBatchStore
from jointcert.storage.repositories.ca_ocsp import LiveEpochReader, SqlOcspResponses
from jointcert.storage.repositories.ca_partitions import SqlCrlPartitions

PUBLIC_URL = "http://127.0.0.1:8000"
CA_SETTINGS = CaSettings(lint_sample_rate=1.0)  # every certificate re-linted in the background (tests/conftest.py)


@pytest.fixture(scope="session")
def hierarchy() -> Hierarchy:
    """Root, issuing CA and OCSP signer, generated once per session."""
    return generate_hierarchy(CA_SETTINGS, PUBLIC_URL, datetime(2026, 11, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def linter() -> PkixLinter:
    """pkilint validators, built once."""
    return PkixLinter()


@pytest.fixture(scope="session")
def subscriber_keys() -> list[rsa.RSAPrivateKey]:
    """A few RSA-2048 subscriber keys, reused across requests (key generation is the slow part)."""
    return [rsa.generate_private_key(65537, 2048) for _ in range(4)]


@dataclass
class CaEnv:
    """The CA services wired onto one test database."""

    database: Database
    clock: FakeClock
    hierarchy: Hierarchy
    store: SqlCertificateStore
    audit: SqlAuditStore
    pii: PiiProtector
    authority: CertificateAuthority
    crl: CrlPublisher
    ocsp: OcspResponder
    counters: Counters
    partitions: SqlCrlPartitions
    ocsp_store: SqlOcspResponses


def build_env(
    database: Database,
    clock: FakeClock,
    hierarchy: Hierarchy,
    linter: PkixLinter,
    key_dir: Path,
    *,
    settings: CaSettings = CA_SETTINGS,
    batch: bool = False,
) -> CaEnv:
    """Install the hierarchy into ``database`` and wire the services like ``app.build_services`` does."""
    store, audit, counters = SqlCertificateStore(database), SqlAuditStore(database), Counters()
    partitions = SqlCrlPartitions(database)
    install_hierarchy(hierarchy, store=store, audit=audit, keys=FileKeyStore(key_dir), passphrase=b"pw", clock=clock)
    pii = PiiProtector(b"k" * 32)
    authority = CertificateAuthority(
        store=store,
        audit=audit,
        pii=pii,
        clock=clock,
        settings=settings,
        public_url=PUBLIC_URL,
        issuing=hierarchy.issuing,
        linter=linter,
        counters=counters,
        hygiene=KeyHygiene(WeakKeyBlocklist(), store),
        partitions=partitions,
        batch_store=SqlBatchStore(database) if batch else None,
    )
    crl = CrlPublisher(
        store=store,
        signers={ROOT: hierarchy.root, ISSUING: hierarchy.issuing},
        clock=clock,
        settings=settings,
        counters=counters,
        partitions=partitions,
        public_url=PUBLIC_URL,
    )
    ocsp_store = SqlOcspResponses(database)
    presigned = PresignedOcsp(
        store=ocsp_store,
        certificates=store,
        epochs=LiveEpochReader(database),
        issuers={ISSUING: hierarchy.issuing},
        signer=hierarchy.signers()[OCSP],
        clock=clock,
        settings=settings,
        counters=counters,
    )
    ocsp = OcspResponder(
        store=store,
        issuers={ISSUING: hierarchy.issuing},
        signer=hierarchy.signers()[OCSP],
        clock=clock,
        settings=settings,
        counters=counters,
        presigned=presigned,
    )
    authority.add_revocation_listener(ocsp.invalidate)
    if batch:  # as app.build_services wires it
        authority.add_issued_batch_listener(presigned.resign_many)
    else:
        authority.add_issuance_listener(presigned.resign)
    authority.add_revocation_listener(crl.on_revocation)
    return CaEnv(database, clock, hierarchy, store, audit, pii, authority, crl, ocsp, counters, partitions, ocsp_store)


@pytest.fixture
def env(
    database: Database, clock: FakeClock, hierarchy: Hierarchy, linter: PkixLinter, tmp_path: Path
) -> Iterator[CaEnv]:
    """A CA on a fresh database of each backend."""
    yield build_env(database, clock, hierarchy, linter, tmp_path / "keys")
