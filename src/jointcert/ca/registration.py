"""Registration of applicants at the CA: the reference number (참조번호) and authorization code (인가코드).

The bank's RA (or an operator) registers an applicant it has identified; the CA answers with a ticket. The
applicant's client then enrolls over CMP with an ``ir`` protected by PBM: senderKID = reference number, secret =
authorization code. A registration is bound to one applicant and one certificate type, is single-use and expires
after ``CmpSettings.reference_ttl_days``.

What is kept: the real name, the keyed holder hash, and — because the CA must compute the VID at issuance and the
PBM needs the code itself — the resident number and the authorization code, each only as AES-GCM ciphertext
(:class:`~jointcert.pii.PiiProtector`, purposes ``registration`` and ``registration-code``). Both ciphertexts are
wiped when the registration is used, cancelled, expires or locks. Wrong MACs are counted per registration with a
reservation taken atomically *before* the MAC is checked, so concurrent guesses cannot exceed
``CmpSettings.max_mac_failures``. Every change is audited (no secret, no resident number in the events).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from jointcert.ca.authority import HOLDER_PURPOSE, IssuedCertificate
from jointcert.ca.errors import RecordCollision
from jointcert.ca.names import validate_bank, validate_real_name, validate_rrn
from jointcert.ca.ports import AuditEvent, RegistrationRecord, RegistrationStatus, RegistrationStore
from jointcert.ca.profiles import profile_for
from jointcert.clock import Clock
from jointcert.config import CaSettings, CmpSettings
from jointcert.errors import AuthenticationFailed, Conflict, Denied, Locked, NotFound
from jointcert.pii import PiiProtector
from jointcert.types import CertType

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "REFERENCE_DIGITS",
    "Applicant",
    "MacMismatch",
    "ReferenceLocked",
    "ReferenceNotActive",
    "ReferenceNotFound",
    "ReferenceNotUsable",
    "Registration",
    "RegistrationService",
    "RegistrationTicket",
]

REFERENCE_DIGITS = 10
CODE_LENGTH = 20
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O, 1/I/L: 20 characters = 100 bits
RRN_PURPOSE, CODE_PURPOSE = "registration", "registration-code"
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this was left by a crashed enrollment
STALE_RESERVATION = timedelta(minutes=1)
_ATTEMPTS = 5


class ReferenceNotUsable(Denied):
    """The reference number is unknown, used, cancelled or expired (deliberately not told apart)."""

    code = "reference_not_usable"
    message_ko = "사용할 수 없는 참조번호입니다. (없음, 사용됨, 취소됨 또는 만료됨)"
    message_en = "The reference number cannot be used (unknown, used, cancelled or expired)."


class ReferenceLocked(Locked):
    """Too many wrong authorization codes (MACs) for this reference number."""

    code = "reference_locked"
    message_ko = "인가코드 오류 횟수를 초과하여 참조번호가 잠겼습니다. 다시 등록하세요."
    message_en = "The reference number is locked after too many wrong authorization codes; register again."


class MacMismatch(AuthenticationFailed):
    """The message was not protected with this reference number's authorization code."""

    code = "authorization_code_mismatch"
    message_ko = "인가코드가 일치하지 않습니다."
    message_en = "The message is not protected with the authorization code of this reference number."


class ReferenceNotFound(NotFound):
    """No registration with that reference number (operator/RA side)."""

    code = "reference_not_found"
    message_ko = "해당 참조번호가 없습니다."
    message_en = "No registration with that reference number."


class ReferenceNotActive(Conflict):
    """The registration is no longer active (used, cancelled, expired or locked)."""

    code = "reference_not_active"
    message_ko = "이미 사용되었거나 취소·만료·잠김 상태인 참조번호입니다."
    message_en = "The registration is no longer active (used, cancelled, expired or locked)."


@dataclass(frozen=True)
class RegistrationTicket:
    """What the RA hands to the applicant: the two values the client enrolls with."""

    reference_number: str  # 참조번호, 10 digits
    authorization_code: str  # 인가코드, 20 characters, ~100 bits
    cert_type: CertType
    expires_at: datetime


@dataclass(frozen=True)
class Registration:
    """A registration as others may see it (no secrets)."""

    reference_number: str
    status: RegistrationStatus
    cert_type: CertType
    expires_at: datetime
    mac_failures: int
    serial: int | None


@dataclass(frozen=True)
class Applicant:
    """What the issuance needs from a registration; ``rrn`` exists only in memory, for the VID."""

    reference_number: str
    real_name: str
    rrn: str
    cert_type: CertType
    bank_unit: str | None
    bank_code: str | None


def _view(record: RegistrationRecord) -> Registration:
    return Registration(
        record.reference_number,
        record.status,
        record.cert_type,
        record.expires_at,
        record.mac_failures,
        record.serial,
    )


def normalise_reference(text: str) -> str | None:
    """The reference number as stored (digits only, spaces and dashes dropped), or ``None`` if it cannot be one."""
    cleaned = text.replace("-", "").replace(" ", "")
    return cleaned if cleaned.isascii() and cleaned.isdigit() and len(cleaned) == REFERENCE_DIGITS else None


class RegistrationService:
    """Registers applicants (RA, operators) and lets the CMP server authenticate and redeem their tickets."""

    def __init__(
        self,
        *,
        store: RegistrationStore,
        pii: PiiProtector,
        clock: Clock,
        settings: CmpSettings,
        ca_settings: CaSettings,
    ) -> None:
        if settings.reference_ttl_days < 1 or settings.max_mac_failures < 1:
            raise ValueError("reference_ttl_days and max_mac_failures must be positive")
        self._store, self._pii, self._clock = store, pii, clock
        self._settings, self._ca = settings, ca_settings

    # --- RA / operator side ----------------------------------------------------------------------------------
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
        """Register an identified applicant for one certificate of ``cert_type``; older active registrations of the
        same applicant and type are cancelled. Typed errors (``InvalidName``, ``InvalidResidentNumber``,
        ``UnknownProfile``) for bad input."""
        profile_for(cert_type)
        name = validate_real_name(real_name)
        validate_rrn(rrn)
        validate_bank(bank_unit or self._ca.bank_unit, bank_code or self._ca.bank_code)
        now = self._clock.now()
        expires = now + timedelta(days=self._settings.reference_ttl_days)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        for _ in range(_ATTEMPTS):
            record = RegistrationRecord(
                reference_number=f"{secrets.randbelow(10**REFERENCE_DIGITS):0{REFERENCE_DIGITS}d}",
                status=RegistrationStatus.ACTIVE,
                cert_type=CertType(cert_type),
                real_name=name,
                holder_hash=self._pii.lookup_hash(rrn, HOLDER_PURPOSE),
                rrn_ciphertext=self._pii.encrypt(rrn, RRN_PURPOSE),
                code_ciphertext=self._pii.encrypt(code, CODE_PURPOSE),
                bank_unit=bank_unit,
                bank_code=bank_code,
                requested_by=requested_by,
                created_at=now,
                expires_at=expires,
            )
            data = {"cert_type": record.cert_type.value, "expires_at": expires.isoformat(), "bank_unit": bank_unit}
            event = self._event("registration.created", requested_by, record.reference_number, data)
            try:
                self._store.add(record, event, self._cancelled_by(requested_by))
            except RecordCollision:
                continue
            return RegistrationTicket(record.reference_number, code, record.cert_type, expires)
        raise RecordCollision("Could not allocate a unique reference number.")

    def cancel(self, reference_number: str, *, actor: str) -> None:
        """Cancel an active registration (its secrets are wiped); ``ReferenceNotFound`` / ``ReferenceNotActive``."""
        ref = normalise_reference(reference_number)
        record = None if ref is None else self._store.get(ref)
        if ref is None or record is None:
            raise ReferenceNotFound(reference_number=reference_number)
        event = self._event("registration.cancelled", actor, ref, {})
        closed = self._store.close(
            ref, RegistrationStatus.CANCELLED, from_statuses=(RegistrationStatus.ACTIVE,), at=event.at, event=event
        )
        if not closed:
            raise ReferenceNotActive(reference_number=ref, status=record.status.value)

    def get(self, reference_number: str) -> Registration | None:
        """A registration's state (no secrets), e.g. for the RA to show."""
        ref = normalise_reference(reference_number)
        record = None if ref is None else self._store.get(ref)
        return None if record is None else _view(record)

    # --- CMP side --------------------------------------------------------------------------------------------
    def authenticate(self, reference_number: str, verify: Callable[[bytes], bool]) -> Registration:
        """Check a MAC made with the registration's authorization code: ``verify(code)`` says whether it matches.

        One attempt is reserved atomically before ``verify`` runs; a mismatch counts toward the lockout.
        ``ReferenceNotUsable`` (unknown, used, cancelled, expired), ``ReferenceLocked`` or ``MacMismatch``."""
        ref = normalise_reference(reference_number)
        if ref is None:
            raise ReferenceNotUsable()
        if not self._store.reserve_attempt(ref, self._settings.max_mac_failures, self._clock.now()):
            raise self._refusal(ref)
        failed = False
        try:
            record = self._store.get(ref)
            if record is None or record.code_ciphertext is None:
                raise ReferenceNotUsable()
            failed = not verify(self._pii.decrypt(record.code_ciphertext, CODE_PURPOSE).encode())
        finally:
            self._settle(ref, failed)
        if failed:
            raise MacMismatch(reference_number=ref)
        return _view(record)

    def redeem(self, reference_number: str, issue: Callable[[Applicant], IssuedCertificate]) -> IssuedCertificate:
        """Claim the registration, run ``issue`` with the applicant, and mark it used (secrets wiped); if ``issue``
        fails the registration is active again. ``ReferenceNotUsable`` / ``ReferenceLocked`` when not claimable."""
        ref = normalise_reference(reference_number) or ""
        record = self._store.claim(ref, self._clock.now())
        if record is None:
            raise self._refusal(ref)
        if record.rrn_ciphertext is None:  # cannot happen for an active registration; never leave it claimed
            self._store.release(ref)
            raise ReferenceNotUsable()
        applicant = Applicant(
            ref,
            record.real_name,
            self._pii.decrypt(record.rrn_ciphertext, RRN_PURPOSE),
            record.cert_type,
            record.bank_unit,
            record.bank_code,
        )
        try:
            issued = issue(applicant)
        except BaseException:
            self._store.release(ref)
            raise
        event = self._event("registration.used", "cmp", ref, {"serial": format(issued.serial, "x")})
        self._store.complete(ref, issued.serial, event.at, event)
        return issued

    def expire_due(self, *, actor: str = "scheduler") -> list[str]:
        """Expire (and wipe) registrations past their time and claims left by a crashed enrollment."""
        now = self._clock.now()
        self._store.reset_stale_reservations(now - STALE_RESERVATION)
        expired: list[str] = []
        for record in self._store.due(now, now - STALE_CLAIM):
            event = self._event("registration.expired", actor, record.reference_number, {})
            if self._store.close(
                record.reference_number,
                RegistrationStatus.EXPIRED,
                from_statuses=(record.status,),
                at=now,
                event=event,
            ):
                expired.append(record.reference_number)
        return expired

    # --- helpers ---------------------------------------------------------------------------------------------
    def _settle(self, ref: str, failed: bool) -> None:
        lock_event = self._event(
            "registration.locked", "cmp", ref, {"max_mac_failures": self._settings.max_mac_failures}
        )
        self._store.settle_attempt(
            ref, failed=failed, max_failures=self._settings.max_mac_failures, at=lock_event.at, lock_event=lock_event
        )

    def _refusal(self, ref: str) -> Exception:
        record = self._store.get(ref) if ref else None
        if record is None:
            return ReferenceNotUsable()
        if record.status is RegistrationStatus.LOCKED or (
            record.status is RegistrationStatus.ACTIVE
            and record.mac_failures + record.mac_pending >= self._settings.max_mac_failures
        ):
            return ReferenceLocked()
        if record.status is RegistrationStatus.ACTIVE and record.expires_at <= self._clock.now():
            self._expire(record)
        return ReferenceNotUsable()

    def _expire(self, record: RegistrationRecord) -> None:
        event = self._event("registration.expired", "cmp", record.reference_number, {})
        self._store.close(
            record.reference_number,
            RegistrationStatus.EXPIRED,
            from_statuses=(RegistrationStatus.ACTIVE,),
            at=event.at,
            event=event,
        )

    def _cancelled_by(self, actor: str) -> Callable[[str], AuditEvent]:
        def event(reference_number: str) -> AuditEvent:
            return self._event("registration.cancelled", actor, reference_number, {"reason": "superseded"})

        return event

    def _event(self, kind: str, actor: str, reference_number: str, data: Mapping[str, object]) -> AuditEvent:
        return AuditEvent(kind, actor, self._clock.now(), {"reference_number": reference_number, **data})
