"""Fixtures for the CMP tests: the codec's test PKI, and the CMP server on a database (test_service_*.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.hierarchy import Hierarchy, generate_hierarchy
from jointcert.ca.lint import PkixLinter
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from tests.unit.ca.conftest import CA_SETTINGS, PUBLIC_URL

from .factories import Pki, make_pki
from .service_env import CmpEnv, build_cmp_env


@pytest.fixture(scope="session")
def pki() -> Pki:
    """One test PKI for the session."""
    return make_pki()


@pytest.fixture(scope="session")
def cmp_hierarchy() -> Hierarchy:
    """Root, issuing CA and OCSP signer for the CMP server tests, generated once."""
    return generate_hierarchy(CA_SETTINGS, PUBLIC_URL, datetime(2026, 11, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def cmp_linter() -> PkixLinter:
    """pkilint validators, built once."""
    return PkixLinter()


@pytest.fixture(scope="session")
def applicant_keys() -> list[rsa.RSAPrivateKey]:
    """A few RSA-2048 keys for applicants (generation is the slow part)."""
    return [rsa.generate_private_key(65537, 2048) for _ in range(4)]


@pytest.fixture
def cmp_env(
    database: Database, clock: FakeClock, cmp_hierarchy: Hierarchy, cmp_linter: PkixLinter, tmp_path: Path
) -> Iterator[CmpEnv]:
    """The CMP server over a CA on a fresh database of each backend."""
    yield build_cmp_env(database, clock=clock, hierarchy=cmp_hierarchy, linter=cmp_linter, key_dir=tmp_path / "keys")
