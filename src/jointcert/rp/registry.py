"""타기관 인증서 등록: certificates (issued anywhere) registered to a customer's account at an institution."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jointcert.errors import Conflict
from jointcert.rp.checks import CertificateSummary

__all__ = [
    "AlreadyRegistered",
    "IdentityCheck",
    "InMemoryRegistrationStore",
    "Registration",
    "RegistrationStore",
]


@dataclass(frozen=True)
class Registration:
    """A certificate registered to a customer at an institution."""

    institution_id: str
    customer_id: str
    serial_hex: str
    issuer: str
    fingerprint: str  # SHA-256 of the DER certificate, lower-case hex
    registered_at: datetime


class AlreadyRegistered(Conflict):
    """The certificate is already registered to another customer of this institution."""

    code = "already_registered"
    message_ko = "다른 고객에게 등록된 인증서입니다."
    message_en = "The certificate is registered to another customer."


class RegistrationStore(Protocol):
    """Where registrations live; one certificate per institution belongs to at most one customer."""

    def add(self, registration: Registration) -> Registration:
        """Store it (or return the existing one for the same customer); :class:`AlreadyRegistered` otherwise."""
        ...

    def find(self, institution_id: str, fingerprint: str) -> Registration | None:
        """The registration of this certificate at this institution."""
        ...

    def for_customer(self, institution_id: str, customer_id: str) -> list[Registration]:
        """Every certificate a customer registered here, oldest first."""
        ...

    def remove(self, institution_id: str, fingerprint: str) -> bool:
        """Unregister; True if there was something to remove."""
        ...


class IdentityCheck(Protocol):
    """The institution's own identity check of its customer at registration (account PIN, ARS, OTP, …)."""

    def __call__(self, customer_id: str, certificate: CertificateSummary) -> bool:
        """True when the customer proved who they are."""
        ...


class InMemoryRegistrationStore:
    """A thread-safe store for one process (tests, the CLI)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Registration] = {}
        self._lock = threading.Lock()

    def add(self, registration: Registration) -> Registration:
        """Store or return the existing registration."""
        key = (registration.institution_id, registration.fingerprint)
        with self._lock:
            existing = self._items.get(key)
            if existing is None:
                self._items[key] = registration
                return registration
        if existing.customer_id != registration.customer_id:
            raise AlreadyRegistered()
        return existing

    def find(self, institution_id: str, fingerprint: str) -> Registration | None:
        """Look up by fingerprint."""
        with self._lock:
            return self._items.get((institution_id, fingerprint))

    def for_customer(self, institution_id: str, customer_id: str) -> list[Registration]:
        """A customer's registrations."""
        with self._lock:
            found = [
                r for r in self._items.values() if (r.institution_id, r.customer_id) == (institution_id, customer_id)
            ]
        return sorted(found, key=lambda r: r.registered_at)

    def remove(self, institution_id: str, fingerprint: str) -> bool:
        """Unregister."""
        with self._lock:
            return self._items.pop((institution_id, fingerprint), None) is not None
