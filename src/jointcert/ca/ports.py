"""What the CA needs from storage: small Protocols (implemented in ``jointcert.storage``) and their value types."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography import x509

from jointcert.ca.profiles import KM_SUFFIX
from jointcert.types import CertType

__all__ = [
    "AuditEntry",
    "AuditEvent",
    "AuditStore",
    "AuthorityRecord",
    "BulkRevoked",
    "CertificateRecord",
    "CertificateState",
    "CertificateStore",
    "CrlPartitions",
    "CrlRecord",
    "PendingRecord",
    "RecordStatus",
    "RegistrationRecord",
    "RegistrationStatus",
    "RegistrationStore",
    "RevokedEntry",
]


class RecordStatus(enum.StrEnum):
    """Life of an issuance record: pending (recorded, not yet signed) → issued → revoked; or pending → void."""

    PENDING = "pending"
    ISSUED = "issued"
    REVOKED = "revoked"
    VOID = "void"  # recorded but never stored as signed (a crash between record and store): treated as revoked


@dataclass(frozen=True)
class AuditEvent:
    """One CA event for the tamper-evident log; ``data`` is JSON-safe and holds no secret or resident number."""

    type: str
    actor: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    """A stored audit row: its place in the chain, the canonical JSON that was hashed, and the link hashes."""

    seq: int
    at: datetime
    type: str
    actor: str
    payload: str
    prev_hash: bytes
    hash: bytes
    mac: bytes | None = None  # HMAC-SHA256 under the instance's audit key (ca/audit.py); None before keying


@dataclass(frozen=True)
class PendingRecord:
    """The intended certificate, recorded (and committed) before anything is signed."""

    issuer: str
    serial: int
    profile: str  # CertType value for subscribers, "ca" or "ocsp" for the hierarchy
    subject: str
    unique_id: str | None
    holder_hash: bytes | None
    not_before: datetime
    not_after: datetime
    tbs_sha256: bytes
    created_at: datetime
    channel: str
    request_key: str | None = None  # the caller's idempotency key (RA: session + attempt), unique per issuer
    crl_partition: int | None = None  # the CRL partition its distribution point names (None: the full CRL)
    pair_serial: int | None = None  # the other certificate of a sign + km pair (recorded in the same unit)


@dataclass(frozen=True)
class BulkRevoked:
    """What one bulk revocation transaction revoked: the listed serials and the pairs revoked with them."""

    revoked: list[int]
    pairs: list[int]


@dataclass(frozen=True)
class CertificateState:
    """What OCSP needs to know about a serial: its status and, once revoked or void, when and why."""

    status: RecordStatus
    created_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: x509.ReasonFlags | None = None


@dataclass(frozen=True)
class CertificateRecord:
    """A certificate as the CA knows it."""

    issuer: str
    serial: int
    status: RecordStatus
    profile: str
    subject: str
    unique_id: str | None
    holder_hash: bytes | None
    not_before: datetime
    not_after: datetime
    tbs_sha256: bytes
    created_at: datetime
    channel: str
    der: bytes | None = None
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: x509.ReasonFlags | None = None
    crl_partition: int | None = None
    pair_serial: int | None = None  # the other certificate of a sign + km pair

    @property
    def cert_type(self) -> CertType | None:
        """The subscriber signing certificate type, or ``None`` for CA/OCSP and encryption (km) certificates."""
        try:
            return CertType(self.profile)
        except ValueError:
            return None

    @property
    def is_km(self) -> bool:
        """Whether this is the encryption (km) certificate of a sign + km pair."""
        return self.profile.endswith(KM_SUFFIX)

    @property
    def certificate(self) -> x509.Certificate | None:
        """The parsed certificate, when it has been signed and stored."""
        return None if self.der is None else x509.load_der_x509_certificate(self.der)


@dataclass(frozen=True)
class RevokedEntry:
    """One line of a CRL."""

    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None


@dataclass(frozen=True)
class AuthorityRecord:
    """A CA certificate of this instance (root, issuing CA, OCSP signer) and the name of its key file."""

    slug: str
    role: str
    der: bytes
    key_name: str
    created_at: datetime


@dataclass(frozen=True)
class CrlRecord:
    """The newest CRL of an issuer."""

    issuer: str
    number: int
    this_update: datetime
    next_update: datetime
    der: bytes
    entries: int | None = None  # how many entries it lists, where known (partitions)
    partition: int | None = None  # the CRL partition it covers (None: the full CRL)


class CertificateStore(Protocol):
    """Durable records of what the CA intends to sign, has signed and has revoked."""

    def record_pending(self, record: PendingRecord, event: AuditEvent) -> None:
        """Insert and commit; raise ``RecordCollision`` when the serial or unique id is taken for the issuer.

        A ``request_key`` is stored with the record in the same transaction (unique: a reused key collides)."""
        ...

    def record_unit(self, records: Sequence[PendingRecord], events: Sequence[AuditEvent]) -> None:
        """Insert one unit of issuance (one certificate, or a sign + km pair) with its audit entries in ONE
        transaction; ``RecordCollision`` (and nothing recorded) when any serial, unique id or request key is taken."""
        ...

    def find_by_request_key(self, issuer: str, request_key: str) -> CertificateRecord | None:
        """The record made for ``request_key``, or ``None`` (nothing was recorded for it)."""
        ...

    def mark_unit_issued(
        self,
        issuer: str,
        issued: Sequence[tuple[int, bytes]],
        *,
        at: datetime,
        events: Sequence[AuditEvent],
        supersede: Callable[[int], AuditEvent] | None = None,
    ) -> list[int]:
        """Store the signed DER of every certificate of a unit in ONE transaction (all pending → issued, or
        nothing: ``AlreadyRevoked`` when recovery voided the unit); with ``supersede`` also revoke the holder's
        older active certificates of the same profiles (and their pairs). Returns the revoked serials."""
        ...

    def mark_issued(
        self,
        issuer: str,
        serial: int,
        der: bytes,
        *,
        at: datetime,
        event: AuditEvent,
        supersede: Callable[[int], AuditEvent] | None = None,
    ) -> list[int]:
        """Store the signed DER; with ``supersede`` also revoke (superseded) older active ones of the holder."""
        ...

    def supersede_older(
        self, issuer: str, serial: int, *, at: datetime, supersede: Callable[[int], AuditEvent]
    ) -> list[int]:
        """Revoke (superseded) the issued certificates of the same holder and profile recorded before ``serial``."""
        ...

    def revoke(
        self,
        issuer: str,
        serial: int,
        reason: x509.ReasonFlags,
        at: datetime,
        event: AuditEvent,
        *,
        pair_event: Callable[[int], AuditEvent] | None = None,
    ) -> CertificateRecord:
        """Mark an issued certificate revoked, and the other certificate of its sign + km pair with it (same
        transaction, same reason, audited by ``pair_event``); ``CertificateNotFound`` / ``AlreadyRevoked``
        otherwise."""
        ...

    def revoke_many(
        self,
        issuer: str,
        serials: Sequence[int],
        reason: x509.ReasonFlags,
        at: datetime,
        *,
        event: Callable[[int], AuditEvent],
        pair_event: Callable[[int, int], AuditEvent],
    ) -> BulkRevoked:
        """Revoke the issued certificates among ``serials`` (and each one's pair: ``pair_event(pair, serial)``) in
        one transaction; serials that are unknown or not issued are left alone."""
        ...

    def get(self, issuer: str, serial: int) -> CertificateRecord | None:
        """One record by serial."""
        ...

    def state(self, issuer: str, serial: int) -> CertificateState | None:
        """Only the status columns of one record (one small indexed read: OCSP asks this per request)."""
        ...

    def find_active(self, issuer: str, holder_hash: bytes, profile: str, now: datetime) -> CertificateRecord | None:
        """The newest issued, unexpired certificate of a holder and profile."""
        ...

    def revoked(self, issuer: str) -> list[RevokedEntry]:
        """Every revoked or void record of the issuer (for the CRL)."""
        ...

    def void_stale(self, issuer: str, before: datetime, at: datetime, event: Callable[[int], AuditEvent]) -> list[int]:
        """Mark pending records created before ``before`` void; return their serials."""
        ...

    def counts(self) -> dict[str, int]:
        """Number of records by status (for metrics)."""
        ...

    def next_crl_number(self, issuer: str, count: int = 1) -> int:
        """Allocate and commit the next ``count`` CRL numbers of the issuer (strictly increasing); the last one."""
        ...

    def save_crl(self, crl: CrlRecord, event: AuditEvent) -> None:
        """Keep the CRL as the issuer's newest unless a higher number is already stored."""
        ...

    def latest_crl(self, issuer: str) -> CrlRecord | None:
        """The issuer's newest CRL."""
        ...

    def add_authority(self, authority: AuthorityRecord) -> None:
        """Record a CA certificate of this instance."""
        ...

    def authorities(self) -> Sequence[AuthorityRecord]:
        """Every CA certificate of this instance."""
        ...


class CrlPartitions(Protocol):
    """CRL partitions (``storage.repositories.ca_partitions``): assignment at issuance, per-partition dirty marks
    (every revoking transaction bumps its partition's epoch), the stored DER entries and each partition's CRL."""

    def reserve(self, issuer: str, size: int, count: int) -> list[int]:
        """The partitions of ``count`` new certificates, reserved in one transaction (the rest of the newest
        partition, then new ones of at most ``size``); a place reserved but never used leaves its partition
        smaller, never larger."""
        ...

    def numbers(self, issuer: str) -> list[int]:
        """Every partition of the issuer, ascending."""
        ...

    def dirty(self, issuer: str) -> list[int]:
        """The partitions that revoked something after their newest CRL was made (or have none yet)."""
        ...

    def stale(self, issuer: str, *, dirty_before: datetime, now: datetime) -> list[int]:
        """The partitions whose newest CRL misses a revocation made at or before ``dirty_before`` (the scheduler
        leader did not reissue it in time), or is past its nextUpdate at ``now`` (for ``/readyz``)."""
        ...

    def epochs(self, issuer: str) -> dict[int, int]:
        """Every partition's revocation epoch (read before the entries, so a CRL never claims more than it lists)."""
        ...

    def entries(self, issuer: str, partitions: Sequence[int | None]) -> dict[int | None, tuple[int, bytes]]:
        """For each of ``partitions``: the number and the concatenated DER CRL entries of its revoked and void
        records (``None``: the records without a partition, issued before partitioning or with it off)."""
        ...

    def save(self, issuer: str, crls: Sequence[tuple[int, CrlRecord, int]], event: AuditEvent) -> None:
        """In one transaction, for each (partition, CRL, covered epoch): keep the CRL as the partition's newest
        unless a higher number is stored, and record the epoch it covers; ``event`` audits them all."""
        ...

    def latest(self, issuer: str, partition: int) -> CrlRecord | None:
        """The partition's newest CRL (``None`` when there is none yet or the partition does not exist)."""
        ...


class AuditStore(Protocol):
    """The append-only, hash-chained audit log."""

    def append(self, event: AuditEvent) -> AuditEntry:
        """Append one event (serialised against concurrent writers)."""
        ...

    def entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Entries in chain order with ``seq > after_seq``."""
        ...

    def head(self) -> tuple[int, bytes]:
        """The newest sequence number and hash (0 and the genesis hash when empty)."""
        ...


class RegistrationStatus(enum.StrEnum):
    """Life of a registration (참조번호): active → issuing → used; or active → cancelled | expired | locked."""

    ACTIVE = "active"
    ISSUING = "issuing"  # claimed by an enrollment that is running the pipeline
    USED = "used"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong MACs


@dataclass(frozen=True)
class RegistrationRecord:
    """A registered applicant. The resident number and the authorization code are kept only as ciphertext, and
    both are wiped (``None``) once the registration leaves ``active``/``issuing``."""

    reference_number: str
    status: RegistrationStatus
    cert_type: CertType
    real_name: str
    holder_hash: bytes
    rrn_ciphertext: bytes | None
    code_ciphertext: bytes | None
    bank_unit: str | None
    bank_code: str | None
    requested_by: str
    created_at: datetime
    expires_at: datetime
    mac_failures: int = 0
    mac_pending: int = 0
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
    serial: int | None = None


class RegistrationStore(Protocol):
    """Durable registrations with atomic state changes (every change is a conditional update)."""

    def add(self, record: RegistrationRecord, event: AuditEvent, supersede: Callable[[str], AuditEvent]) -> list[str]:
        """Insert an active registration and cancel (wiping them) older active ones of the same holder and type;
        return their reference numbers. ``RecordCollision`` when the reference number is taken."""
        ...

    def get(self, reference_number: str) -> RegistrationRecord | None:
        """One registration."""
        ...

    def reserve_attempt(self, reference_number: str, max_failures: int, now: datetime) -> bool:
        """Atomically reserve one MAC check: only for an active, unexpired registration whose failures plus
        reservations stay below ``max_failures``."""
        ...

    def settle_attempt(
        self, reference_number: str, *, failed: bool, max_failures: int, at: datetime, lock_event: AuditEvent
    ) -> bool:
        """Release a reservation, counting it as a failure when ``failed``; lock (and wipe) the registration once
        ``max_failures`` failures are counted. Return whether it was locked now."""
        ...

    def claim(self, reference_number: str, now: datetime) -> RegistrationRecord | None:
        """Atomically move an active, unexpired registration to ``issuing``; the record as it was, or ``None``."""
        ...

    def release(self, reference_number: str) -> None:
        """Undo a claim (``issuing`` → ``active``) after a failed issuance."""
        ...

    def complete(self, reference_number: str, serial: int, at: datetime, event: AuditEvent) -> None:
        """``issuing`` → ``used`` with the issued serial; secrets wiped."""
        ...

    def close(
        self,
        reference_number: str,
        status: RegistrationStatus,
        *,
        from_statuses: tuple[RegistrationStatus, ...],
        at: datetime,
        event: AuditEvent,
    ) -> bool:
        """Move to a final ``status`` (secrets wiped) if the registration is in one of ``from_statuses``."""
        ...

    def due(self, now: datetime, stale_claims_before: datetime) -> list[RegistrationRecord]:
        """Active registrations past their expiry and claims older than ``stale_claims_before``."""
        ...

    def reset_stale_reservations(self, before: datetime) -> int:
        """Forget MAC reservations taken before ``before`` (left by a crashed process)."""
        ...
