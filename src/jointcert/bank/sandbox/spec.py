"""Plaintext description of a sandbox customer, and the port a store implements to create one.

These values hold secrets in the clear (PINs, card cells, OTP secrets, the resident number): they exist only
in :mod:`jointcert.bank.seed` and in tests. The store hashes or encrypts every secret before writing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from jointcert.bank.model import AccountStatus, PhoneKind
from jointcert.bank.sandbox.otp import OtpKind

__all__ = [
    "AccountSpec",
    "AppCertSpec",
    "CustomerSpec",
    "DepartureSpec",
    "OtpSpec",
    "PhoneSpec",
    "SecurityCardSpec",
    "SeedTarget",
]


@dataclass(frozen=True)
class PhoneSpec:
    """A registered phone number."""

    id: str
    number: str  # display form
    kind: PhoneKind = PhoneKind.MOBILE


@dataclass(frozen=True)
class AccountSpec:
    """A deposit account with its 4-digit PIN."""

    number: str  # display form with dashes
    product_name: str
    pin: str
    balance_krw: int
    status: AccountStatus = AccountStatus.ACTIVE
    lock_reason: str | None = None


@dataclass(frozen=True)
class AppCertSpec:
    """The bank's own app certificate: 6-digit PIN and a 3x3 pattern."""

    pin: str
    pattern: tuple[int, ...]


@dataclass(frozen=True)
class SecurityCardSpec:
    """A security card: serial number and its 30 or 35 cells of 4 digits."""

    serial: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class OtpSpec:
    """An OTP device: base32 secret (≥112 bits), TOTP or HOTP, HOTP's next counter."""

    kind: OtpKind
    serial: str
    secret: str
    counter: int = 0


@dataclass(frozen=True)
class DepartureSpec:
    """A departure from Korea, relative to the seeding time (so the demo is right on any date)."""

    departed_days_ago: int
    destination: str
    returned_days_ago: int | None = None


@dataclass(frozen=True)
class CustomerSpec:
    """Everything the sandbox bank knows about one customer."""

    id: str
    user_id: str
    name: str
    rrn: str  # YYMMDD-NNNNNNN
    email: str
    address: str
    phones: tuple[PhoneSpec, ...]
    accounts: tuple[AccountSpec, ...]
    app_cert: AppCertSpec | None = None
    security_card: SecurityCardSpec | None = None
    otp: OtpSpec | None = None
    departures: tuple[DepartureSpec, ...] = field(default=())

    @property
    def contact_phone_id(self) -> str | None:
        """The first mobile receives notifications until the customer chooses otherwise."""
        return next((p.id for p in self.phones if p.kind is PhoneKind.MOBILE), None)


class SeedTarget(Protocol):
    """A store that can create a sandbox customer from its plaintext spec."""

    def add_customer(self, spec: CustomerSpec) -> bool:
        """Create the customer with everything it owns in one transaction; ``False`` if the id/user ID exists."""
        ...
