"""Fixtures for the bank tests: a PII protector, a cheap Argon2 hasher and a seeded sandbox bank per backend."""

from __future__ import annotations

import random

import pytest
from argon2 import PasswordHasher, profiles

from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.clock import FakeClock
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository import SandboxBank, build_sandbox_bank
from jointcert.storage.db import Database

TEST_KEY = bytes(range(32))


@pytest.fixture
def pii() -> PiiProtector:
    """The PII protector of a test instance."""
    return PiiProtector(TEST_KEY)


@pytest.fixture
def hasher(pii: PiiProtector) -> SecretHasher:
    """Argon2id with the cheapest parameters (the production default is RFC 9106 low-memory)."""
    return SecretHasher(pii, PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture
def bank(database: Database, pii: PiiProtector, hasher: SecretHasher, clock: FakeClock) -> SandboxBank:
    """The sandbox bank on a fresh database, seeded with the demo customers."""
    sandbox = build_sandbox_bank(database, pii, clock, hasher=hasher, rng=random.Random(7))
    sandbox.seed()
    return sandbox
