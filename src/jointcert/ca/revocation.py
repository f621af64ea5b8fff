"""Confirmation, lookups, revocation and recovery of the issuing CA's certificates: a mixin of
:class:`jointcert.ca.authority.CertificateAuthority` (its attributes are the authority's)."""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509

from jointcert.ca.ports import AuditEvent, CertificateRecord
from jointcert.ca.records import UnitSteps
from jointcert.errors import InvalidInput
from jointcert.pii import PiiProtector
from jointcert.types import CertType

__all__ = ["HOLDER_PURPOSE", "BulkRevocation", "Revocation"]

HOLDER_PURPOSE = "holder"
_BULK_CHUNK = 200  # serials per bulk-revocation transaction
_BULK_PAUSE = 0.1  # seconds between two chunks: other writers (issuance) take the write lock meanwhile


@dataclass(frozen=True)
class BulkRevocation:
    """The outcome of :meth:`CertificateAuthority.revoke_many`."""

    revoked: list[int]  # the listed serials now revoked by this run (their pairs are revoked too, not listed)
    skipped: int  # unknown, pending or already revoked


def _check_reason(reason: x509.ReasonFlags) -> None:
    if reason in (x509.ReasonFlags.remove_from_crl, x509.ReasonFlags.certificate_hold):
        raise InvalidInput(
            "Certificate hold is not supported: revocation is final.", message_ko="보류는 지원하지 않습니다."
        )


class Revocation(UnitSteps):
    """Confirm, look up, revoke and recover certificates (the attributes are the authority's)."""

    _pii: PiiProtector

    def confirm(self, serial: int) -> list[int]:
        """The requester accepted ``serial`` (issued with ``confirm_later``): revoke the holder's older
        certificates of the same type as superseded; return their serials."""
        superseded = self._store.supersede_older(
            self.slug, serial, at=self._clock.now(), supersede=self.superseded_event
        )
        if superseded:
            self._notify_revoked(superseded)
        return superseded

    # --- lookups and revocation ------------------------------------------------------------------------------
    def certificate(self, serial: int) -> CertificateRecord | None:
        """The record of one serial number of the issuing CA."""
        return self._store.get(self.slug, serial)

    def active_for_holder(self, rrn: str, cert_type: CertType) -> CertificateRecord | None:
        """The holder's current (issued, unexpired) certificate of that type."""
        holder = self._pii.lookup_hash(rrn, HOLDER_PURPOSE)
        return self._store.find_active(self.slug, holder, cert_type.value, self._clock.now())

    def revoke(self, serial: int, reason: x509.ReasonFlags, *, actor: str) -> None:
        """Revoke an issued certificate; ``CertificateNotFound`` / ``AlreadyRevoked`` otherwise."""
        _check_reason(reason)

        def revoked(target: int, pair: int | None = None) -> AuditEvent:
            return self._revoked_event(target, reason, actor, pair)

        record = self._store.revoke(
            self.slug, serial, reason, self._clock.now(), revoked(serial), pair_event=lambda p: revoked(p, serial)
        )
        targets = [serial, *([] if record.pair_serial is None else [record.pair_serial])]
        self.counters.inc("certificates_revoked", len(targets))
        self._notify_revoked(targets)

    def revoke_many(
        self, serials: Sequence[int], reason: x509.ReasonFlags, *, actor: str, chunk: int = _BULK_CHUNK
    ) -> BulkRevocation:
        """Revoke many certificates (a bulk revocation): one transaction per ``chunk`` serials, one audit entry per
        certificate, the listeners told once per chunk. Unknown and already revoked serials are counted as
        skipped; a serial revoked earlier in the same run as the pair of another counts as revoked."""
        _check_reason(reason)
        revoked: list[int] = []
        pairs: set[int] = set()
        for start in range(0, len(serials), chunk):
            part = [s for s in serials[start : start + chunk] if s not in pairs]
            done = self._store.revoke_many(
                self.slug,
                part,
                reason,
                self._clock.now(),
                event=lambda s: self._revoked_event(s, reason, actor),
                pair_event=lambda p, s: self._revoked_event(p, reason, actor, s),
            )
            revoked += done.revoked
            pairs.update(done.pairs)
            if done.revoked:
                self.counters.inc("certificates_revoked", len(done.revoked) + len(done.pairs))
                self._notify_revoked([*done.revoked, *done.pairs])
            if start + chunk < len(serials):
                _time.sleep(_BULK_PAUSE)  # SQLite's waiting writers retry every ≤ 100 ms; so does the audit head
        listed_pairs = [s for s in serials if s in pairs]
        return BulkRevocation(revoked + listed_pairs, len(serials) - len(revoked) - len(listed_pairs))

    def _revoked_event(self, serial: int, reason: x509.ReasonFlags, actor: str, pair: int | None = None) -> AuditEvent:
        data: dict[str, object] = {"serial": format(serial, "x"), "reason": reason.value}
        if pair is not None:
            data["pair_of"] = format(pair, "x")  # revoked because the other certificate of its pair was
        return self._event("certificate.revoked", actor, data)

    def recover_stale(self, max_age: timedelta = timedelta(minutes=5), *, actor: str = "recovery") -> list[int]:
        """Void records left pending (never stored as signed) for longer than ``max_age``; they count as revoked."""
        now = self._clock.now()

        def event(serial: int) -> AuditEvent:
            return self._event("certificate.voided", actor, {"serial": format(serial, "x")})

        voided = self._store.void_stale(self.slug, now - max_age, now, event)
        if voided:
            self._notify_revoked(voided)
        return voided
