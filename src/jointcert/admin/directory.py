"""What the console reads (values and the read-only port): customers, their certificates, issuance sessions, and
the audit log with filters. The adapter is ``storage/repositories/admin_directory.py``; it never sees a resident
number, only the keyed hashes the bank and the CA keep (``PiiProtector.lookup_hash``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jointcert.ca.ports import AuditEntry

__all__ = ["AuditFilter", "CertificateQuery", "CertificateRow", "CustomerRow", "Directory", "SessionRow"]


@dataclass(frozen=True)
class CustomerRow:
    """A bank customer as the RA officer sees her (no resident number)."""

    id: str
    user_id: str
    name: str


@dataclass(frozen=True)
class CertificateRow:
    """One subscriber certificate record, with the RA's customer when the bank issued it."""

    issuer: str
    serial_hex: str
    status: str
    profile: str
    subject: str
    not_before: datetime
    not_after: datetime
    created_at: datetime
    customer_id: str | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


@dataclass(frozen=True)
class SessionRow:
    """One issuance session of a customer (its data column holds nothing secret)."""

    id: str
    state: str
    created_at: datetime
    updated_at: datetime
    cert_type: str | None
    serial: str | None


@dataclass(frozen=True)
class CertificateQuery:
    """Filters for certificate records (all given ones must hold)."""

    serial_hex: str | None = None
    subject_contains: str | None = None
    holder_hash: bytes | None = None
    customer_id: str | None = None
    issuer: str | None = None
    issued_from: datetime | None = None  # created_at >= (the record is made when the certificate is issued)
    issued_to: datetime | None = None  # created_at <
    status: str | None = None
    limit: int = 100


@dataclass(frozen=True)
class AuditFilter:
    """Filters for the audit log: actor and action (type) by substring, a time range [since, until)."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


class Directory(Protocol):
    """Read-only queries over the bank's, the RA's and the CA's tables."""

    def customers(
        self, *, name: str | None = None, user_id: str | None = None, rrn_hash: bytes | None = None, limit: int = 50
    ) -> list[CustomerRow]:
        """Customers by name prefix, exact user ID or the bank's keyed resident-number hash."""
        ...

    def customer(self, customer_id: str) -> CustomerRow | None:
        """One customer."""
        ...

    def certificates(self, query: CertificateQuery) -> list[CertificateRow]:
        """Subscriber certificate records (newest first)."""
        ...

    def serials(self, query: CertificateQuery) -> list[str]:
        """Only the serials (hex) of the records matching ``query`` (bulk revocation)."""
        ...

    def sessions(self, customer_id: str, limit: int = 50) -> Sequence[SessionRow]:
        """The customer's issuance sessions, newest first."""
        ...

    def audit(self, query: AuditFilter) -> list[AuditEntry]:
        """Audit entries matching the filter, newest first."""
        ...
