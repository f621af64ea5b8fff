"""The sandbox bank on the database: SQLAlchemy adapters implementing :mod:`jointcert.bank.ports`.

:func:`build_sandbox_bank` wires them all from a database, the instance's :class:`~jointcert.pii.PiiProtector`
and a clock; ``SandboxBank.ports()`` is what the RA receives, ``virtual_phone`` and ``outbox`` are for the
sandbox pages, the demo and tests, ``seed()`` creates the demo customers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from jointcert.bank.ports import BankPorts, NotificationOutbox, VirtualPhone
from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.bank.seed import DEMO_CUSTOMERS, DemoCustomer, SeedResult, seed_sandbox_bank
from jointcert.clock import Clock
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository.accounts import SqlAccounts
from jointcert.storage.bank_repository.customers import SqlCustomerDirectory
from jointcert.storage.bank_repository.factors import SqlSecondFactors
from jointcert.storage.bank_repository.immigration import SqlImmigrationRecords
from jointcert.storage.bank_repository.notifier import SqlNotifier
from jointcert.storage.bank_repository.seeding import SqlBankSeeder
from jointcert.storage.bank_repository.telephony import SqlTelephony
from jointcert.storage.db import Database

__all__ = [
    "SandboxBank",
    "SqlAccounts",
    "SqlBankSeeder",
    "SqlCustomerDirectory",
    "SqlImmigrationRecords",
    "SqlNotifier",
    "SqlSecondFactors",
    "SqlTelephony",
    "build_sandbox_bank",
]


@dataclass(frozen=True)
class SandboxBank:
    """Every sandbox-bank adapter of one instance."""

    customers: SqlCustomerDirectory
    accounts: SqlAccounts
    second_factors: SqlSecondFactors
    telephony: SqlTelephony
    immigration: SqlImmigrationRecords
    notifier: SqlNotifier
    seeder: SqlBankSeeder

    @property
    def virtual_phone(self) -> VirtualPhone:
        """The handset side of the ARS calls (sandbox phone page)."""
        return self.telephony

    @property
    def outbox(self) -> NotificationOutbox:
        """What the notifier sent."""
        return self.notifier

    def ports(self) -> BankPorts:
        """The ports the RA is built on."""
        return BankPorts(
            customers=self.customers,
            accounts=self.accounts,
            second_factors=self.second_factors,
            telephony=self.telephony,
            immigration=self.immigration,
            notifier=self.notifier,
        )

    def seed(self, customers: Sequence[DemoCustomer] = DEMO_CUSTOMERS) -> SeedResult:
        """Create the demo customers that are missing (idempotent)."""
        return seed_sandbox_bank(self.seeder, customers)


def build_sandbox_bank(
    database: Database,
    pii: PiiProtector,
    clock: Clock,
    *,
    hasher: SecretHasher | None = None,
    rng: random.Random | None = None,
) -> SandboxBank:
    """Wire the sandbox bank; ``hasher`` defaults to Argon2id RFC 9106 low-memory, ``rng`` to the OS RNG."""
    hasher = hasher or SecretHasher(pii)
    return SandboxBank(
        customers=SqlCustomerDirectory(database, pii),
        accounts=SqlAccounts(database, hasher, clock),
        second_factors=SqlSecondFactors(database, pii, hasher, clock, rng=rng),
        telephony=SqlTelephony(database, pii, clock),
        immigration=SqlImmigrationRecords(database),
        notifier=SqlNotifier(database, clock),
        seeder=SqlBankSeeder(database, pii, hasher, clock),
    )
