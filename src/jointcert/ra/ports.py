"""What the registration authority needs from storage, the CA and the CMP registration service (Protocols).

Storage adapters live in :mod:`jointcert.storage.repositories.ra`; the CA is
:class:`jointcert.ca.authority.CertificateAuthority`; :class:`Registrar` is the CA-side registration API
(``jointcert.ca.registration.RegistrationService``) that hands out CMP reference numbers.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography import x509

from jointcert.ca.authority import IssuanceRequest, IssuedCertificate, RenewalRequest
from jointcert.ca.ports import CertificateRecord
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State
from jointcert.types import CertType

__all__ = [
    "Attempts",
    "Authority",
    "CertificateRegistry",
    "Challenge",
    "ChallengeStore",
    "Credential",
    "FeeEntry",
    "FeeKind",
    "FeeLedger",
    "RegisteredCertificate",
    "Registrar",
    "RegistrationTicket",
    "SessionStore",
    "StepLog",
    "StepLogEntry",
]


class SessionStore(Protocol):
    """Issuance sessions, changed only by compare-and-set on ``version``."""

    def create(self, session: IssuanceSession) -> None:
        """Insert a new session."""
        ...

    def get(self, session_id: str) -> IssuanceSession | None:
        """The session, or ``None``."""
        ...

    def step(self, session_id: str) -> AbstractContextManager[IssuanceSession | None]:
        """One transaction for a whole flow step, holding the session (or ``None``) as read at its start.

        What the step does through the RA's and the bank's stores joins it, so the session read, the step's bank
        work, the compare-and-set save and the step-log entry commit once, together. A
        :class:`~jointcert.errors.JointcertError` leaving the block (a refused step) still commits what the step
        recorded — a counted failure, a lock, its step-log entry — except a database outage
        (:class:`~jointcert.errors.Unavailable`); any other exception rolls everything back. Not for the steps
        whose writes must be durable one by one (the issuance saga: record before sign)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """The same unit of work without a session to read (starting a session)."""
        ...

    def save(self, session: IssuanceSession, *, expected_version: int) -> IssuanceSession:
        """Store ``session`` if the stored version is still ``expected_version``; return it with version + 1.

        Raises :class:`~jointcert.ra.errors.SessionBusy` when another request changed it first, and
        :class:`~jointcert.ra.errors.IssuanceInProgress` when entering ``ISSUING`` while another session of the
        same customer is ``ISSUING``. A terminal state is stored without the resident number.
        """
        ...

    def expired_in_state(self, state: State, now: datetime, *, limit: int = 100) -> list[IssuanceSession]:
        """Open sessions in ``state`` past their expiry, oldest first (to settle what they hold before expiring)."""
        ...

    def expire_stale(self, now: datetime) -> int:
        """Mark every open session past its expiry ``EXPIRED`` and wipe its resident number; return how many.

        Sessions in a saga state (``workflow.SAGA_STATES``) are left to the reconciler."""
        ...

    def in_state(self, state: State, *, updated_before: datetime, limit: int = 100) -> list[IssuanceSession]:
        """Sessions in ``state`` last changed before ``updated_before``, oldest first (for the reconciler)."""
        ...


class Credential(enum.StrEnum):
    """Secrets with an attempt limit; account PINs are counted per account, the others per customer."""

    ACCOUNT_PIN = "account_pin"
    APP_PIN = "app_pin"
    APP_PATTERN = "app_pattern"
    SECURITY_CARD = "security_card"
    OTP = "otp"
    ARS = "ars"

    @property
    def label_ko(self) -> str:
        """What the LOCKED notification calls it."""
        return _LABELS[self]


_LABELS = {
    Credential.ACCOUNT_PIN: "계좌 비밀번호",
    Credential.APP_PIN: "앱 인증서 PIN",
    Credential.APP_PATTERN: "앱 인증서 패턴",
    Credential.SECURITY_CARD: "보안카드",
    Credential.OTP: "OTP",
    Credential.ARS: "ARS 인증",
}


class Attempts(Protocol):
    """Persistent failure counters, one per (credential, subject); every change is one conditional UPDATE."""

    def reserve(self, credential: Credential, subject: str, limit: int) -> int | None:
        """Count one attempt before verifying (``failures + 1`` only while ``failures < limit`` and unlocked).

        Returns the attempt's number (1-based), or ``None`` when no attempt is left (locked).
        """
        ...

    def succeeded(self, credential: Credential, subject: str) -> None:
        """Reset the counter after a right answer (a lock stays)."""
        ...

    def release(self, credential: Credential, subject: str) -> None:
        """Give back one reserved attempt that was never answered (``failures - 1``, never below 0; not when
        locked)."""
        ...

    def unlock(self, credential: Credential, subject: str) -> bool:
        """Lift a lock and reset the counter (the stronger path only: an operator after a branch visit); True if
        there was a lock."""
        ...

    def lock_if_exhausted(self, credential: Credential, subject: str, limit: int, at: datetime) -> bool:
        """Set the lock once ``failures >= limit``; True only for the call that set it (so it notifies once)."""
        ...

    def failures(self, credential: Credential, subject: str) -> tuple[int, bool]:
        """(failures, locked) for one counter; (0, False) if it was never used."""
        ...


@dataclass(frozen=True)
class StepLogEntry:
    """What happened at one step: no input, only the outcome (``ok`` or an error code)."""

    session_id: str
    step: str
    outcome: str
    state_before: str
    state_after: str
    at: datetime


class StepLog(Protocol):
    """Append-only record of every step of every session."""

    def append(self, entry: StepLogEntry) -> None:
        """Store one entry."""
        ...

    def entries(self, session_id: str) -> list[StepLogEntry]:
        """A session's entries, oldest first."""
        ...


@dataclass(frozen=True)
class Challenge:
    """A single-use random challenge for a holder's signature (renewal, revocation)."""

    id: str
    purpose: str
    value: str
    created_at: datetime
    expires_at: datetime


class ChallengeStore(Protocol):
    """Challenges for holder signatures."""

    def add(self, challenge: Challenge) -> None:
        """Store a new challenge."""
        ...

    def consume(self, challenge_id: str, purpose: str, now: datetime) -> Challenge | None:
        """Mark the challenge used and return it, if it exists, has this purpose, is unused and unexpired."""
        ...


@dataclass(frozen=True)
class RegisteredCertificate:
    """A certificate the bank issued through the RA, and whose it is (for notifications)."""

    serial: int
    customer_id: str
    cert_type: CertType
    event: str  # issued | reissued | renewed
    session_id: str | None
    created_at: datetime


class CertificateRegistry(Protocol):
    """The bank's own list of the certificates it issued, by serial."""

    def add(self, certificate: RegisteredCertificate) -> None:
        """Record a certificate."""
        ...

    def get(self, serial: int) -> RegisteredCertificate | None:
        """The record of one serial, or ``None`` (issued elsewhere, e.g. by ``jointcert issue``)."""
        ...

    def get_many(self, serials: Sequence[int]) -> dict[int, RegisteredCertificate]:
        """The records of those serials the RA registered (one query per few hundred serials)."""
        ...

    def for_customer(self, customer_id: str) -> list[RegisteredCertificate]:
        """A customer's certificates, oldest first."""
        ...


class FeeKind(enum.StrEnum):
    """The kinds of fee-ledger entries; the database holds at most one of each per certificate."""

    CHARGE = "charge"  # debited when the certificate is delivered
    FINAL = "final"  # the customer confirmed: the charge stands
    REVERSAL = "reversal"  # not confirmed (or not delivered): credited back


@dataclass(frozen=True)
class FeeEntry:
    """One fee-ledger entry, keyed by the certificate's serial and its kind."""

    id: str
    serial: int
    kind: FeeKind
    session_id: str
    customer_id: str
    account_number: str
    amount_krw: int  # charge negative, reversal positive, final 0
    bank_entry_id: str | None
    created_at: datetime


class FeeLedger(Protocol):
    """The RA's fee ledger (``ra_fee_ledger``): unique on (serial, kind), so at most one charge per certificate."""

    def add(self, entry: FeeEntry) -> FeeEntry:
        """Insert ``entry``; if an entry of that serial and kind exists, return it instead (idempotent)."""
        ...

    def entries(self, serial: int) -> list[FeeEntry]:
        """Every entry of one certificate, oldest first."""
        ...

    def open_charges(self, *, created_before: datetime, limit: int = 100) -> list[FeeEntry]:
        """Charges with neither a final mark nor a reversal, created before ``created_before``."""
        ...


class Authority(Protocol):
    """The part of :class:`~jointcert.ca.authority.CertificateAuthority` the RA uses."""

    def issue(self, request: IssuanceRequest) -> IssuedCertificate:
        """Run the issuance pipeline."""
        ...

    def renew(self, request: RenewalRequest) -> IssuedCertificate:
        """Issue a successor of an issued certificate for a new key, keeping its identifyData and holder."""
        ...

    def certificate(self, serial: int) -> CertificateRecord | None:
        """The CA's record of a serial."""
        ...

    def active_for_holder(self, rrn: str, cert_type: CertType) -> CertificateRecord | None:
        """The holder's current certificate of that type."""
        ...

    def revoke(self, serial: int, reason: x509.ReasonFlags, *, actor: str) -> None:
        """Revoke an issued certificate."""
        ...

    def issued_for(self, request_key: str) -> IssuedCertificate | None:
        """The certificate issued for an idempotency key, or ``None`` if nothing was recorded for it."""
        ...

    def record_for(self, request_key: str) -> CertificateRecord | None:
        """The CA's record made for an idempotency key (any status), or ``None``."""
        ...

    def confirm(self, serial: int) -> list[int]:
        """The holder accepted ``serial``: supersede their older certificates of the type (idempotent)."""
        ...

    def recover_stale(self, max_age: timedelta = ..., *, actor: str = ...) -> list[int]:
        """Void records left pending longer than ``max_age``."""
        ...


class RegistrationTicket(Protocol):
    """What the CA hands out for CMP enrollment (``jointcert.ca.registration.RegistrationTicket``)."""

    @property
    def reference_number(self) -> str: ...

    @property
    def authorization_code(self) -> str: ...

    @property
    def cert_type(self) -> CertType: ...

    @property
    def expires_at(self) -> datetime: ...


class Registrar(Protocol):
    """The CA-side registration API (``jointcert.ca.registration.RegistrationService``)."""

    def register(
        self,
        *,
        real_name: str,
        rrn: str,
        cert_type: CertType,
        requested_by: str,
        bank_unit: str | None = None,
        bank_code: str | None = None,
    ) -> RegistrationTicket:
        """Register an applicant; the client enrolls with ``ir`` under the reference number and code."""
        ...
