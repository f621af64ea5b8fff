"""Steps 4–6 of the pipeline for one unit: record, sign, store — alone or as part of a batch (``ca/batcher.py``).

:class:`UnitSteps` is a mixin of :class:`jointcert.ca.authority.CertificateAuthority`: the single-unit path
(:meth:`UnitSteps.issue_unit`, each step its own transaction) and the pieces the batcher runs for many units at
once (the records and events of a unit, its signatures, the answers and listeners after the store).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography import x509

from jointcert import faults
from jointcert.ca.keys import CaSigner
from jointcert.ca.lint_gate import FullLint, TemplateLint
from jointcert.ca.ports import AuditEvent, CertificateStore, PendingRecord
from jointcert.ca.stats import Counters
from jointcert.ca.tbs import assemble_certificate
from jointcert.ca.unit import UnitJob, pending_records
from jointcert.clock import Clock
from jointcert.types import CertType

__all__ = ["IssuedCertificate", "UnitSteps", "sha256"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedCertificate:
    """The outcome of a successful issuance."""

    serial: int
    certificate: x509.Certificate
    der: bytes
    cert_type: CertType
    not_before: datetime
    not_after: datetime
    superseded_serial: int | None
    km: IssuedCertificate | None = None  # the encryption certificate issued with it (kmCert.der)


def sha256(der: bytes) -> str:
    """The hex SHA-256 fingerprint written into the ``certificate.issued`` audit entry."""
    return hashlib.sha256(der).hexdigest()


class UnitSteps:
    """Record, sign and store units of issuance (the attributes are the authority's)."""

    _store: CertificateStore
    _clock: Clock
    issuing: CaSigner
    counters: Counters
    lint_gate: FullLint | TemplateLint
    _listeners: list[Callable[[Sequence[int]], None]]
    _issued_listeners: list[Callable[[int], None]]
    _issued_batch_listeners: list[Callable[[Sequence[int]], None]]

    @property
    def slug(self) -> str:
        """The issuing CA's slug (``class1``)."""
        return self.issuing.slug

    def now(self) -> datetime:
        """The authority's clock."""
        return self._clock.now()

    def issue_unit(self, job: UnitJob) -> IssuedCertificate:
        """The single-unit path: 4. record (one transaction), 5. sign, 6. store (one transaction)."""
        records, events = self.unit_records(job)
        self._store.record_unit(records, events)
        faults.point("after_record")
        ders = self.sign_unit(job)
        faults.point("after_sign")
        superseded = self.store_unit(job, ders)
        issued = self.finish_units([(job, ders, superseded)])[0]
        faults.point("after_store")
        return issued

    def unit_records(self, job: UnitJob) -> tuple[list[PendingRecord], list[AuditEvent]]:
        """The pending records of a unit and their ``certificate.recorded`` events."""
        return pending_records(
            job.unit,
            issuer=self.slug,
            holder=job.holder,
            channel=job.channel,
            request_key=job.request_key,
            now=self.now(),
        )

    def sign_unit(self, job: UnitJob) -> list[bytes]:
        """5. sign: the CA key signs exactly the recorded TBS bytes of each certificate."""
        return [assemble_certificate(p.tbs, self.issuing.sign_tbs(p.tbs)) for p in job.unit]

    def stored_events(self, job: UnitJob, ders: Sequence[bytes]) -> list[AuditEvent]:
        """The ``certificate.issued`` events of a signed unit."""
        return [
            self._event("certificate.issued", "ca", {"serial": format(p.serial, "x"), "sha256": sha256(der)})
            for p, der in zip(job.unit, ders, strict=True)
        ]

    def store_unit(self, job: UnitJob, ders: Sequence[bytes]) -> list[int]:
        """6. store one unit (pending → issued, supersessions) in one transaction; the superseded serials."""
        return self._store.mark_unit_issued(
            self.slug,
            [(p.serial, der) for p, der in zip(job.unit, ders, strict=True)],
            at=self.now(),
            events=self.stored_events(job, ders),
            supersede=self.superseded_event if job.supersede else None,
        )

    def finish_units(self, done: Sequence[tuple[UnitJob, Sequence[bytes], Sequence[int]]]) -> list[IssuedCertificate]:
        """After the store transaction: counters, the listeners (once for all the units), each unit's answer."""
        serials = [p.serial for job, _, _ in done for p in job.unit]
        self.counters.inc("certificates_issued", len(serials))
        for serial in serials:  # e.g. the pre-signed OCSP response of each new certificate (ca/ocsp_presign.py)
            self._notify(serial, self._issued_listeners)
        for batch_listener in self._issued_batch_listeners:
            try:
                batch_listener(serials)
            except Exception:  # the certificates are stored; a failing listener must not undo or hide it
                log.exception("issuance listener failed for %d serial(s)", len(serials))
        revoked = [serial for _, _, superseded in done for serial in superseded]
        if revoked:
            self._notify_revoked(revoked)
        answers = [self._answer(job, ders, superseded) for job, ders, superseded in done]
        for job, ders, _ in done:  # the background sample (template linting)
            for intended, der in zip(job.unit, ders, strict=True):
                self.lint_gate.issued(intended.serial, der, intended.profile)
        return answers

    def _answer(self, job: UnitJob, ders: Sequence[bytes], superseded: Sequence[int]) -> IssuedCertificate:
        older = self._superseded_signing(superseded)
        results = [
            IssuedCertificate(
                serial=p.serial,
                certificate=x509.load_der_x509_certificate(der),
                der=der,
                cert_type=p.profile.cert_type,
                not_before=p.fields.not_before,
                not_after=p.fields.not_after,
                superseded_serial=older,
            )
            for p, der in zip(job.unit, ders, strict=True)
        ]
        return replace(results[0], km=results[1] if len(results) > 1 else None)

    def _superseded_signing(self, superseded: Sequence[int]) -> int | None:
        """The newest superseded signing certificate among ``superseded`` (which may hold km certificates)."""
        for serial in reversed(superseded):
            record = self._store.get(self.slug, serial)
            if record is not None and not record.is_km:
                return serial
        return None

    def superseded_event(self, serial: int) -> AuditEvent:
        """The audit event of a certificate revoked as superseded (counted)."""
        self.counters.inc("certificates_revoked")
        return self._event("certificate.revoked", "ca", {"serial": format(serial, "x"), "reason": "superseded"})

    def _event(self, kind: str, actor: str, data: Mapping[str, object]) -> AuditEvent:
        return AuditEvent(type=kind, actor=actor, at=self._clock.now(), data={"issuer": self.slug, **data})

    def _notify(self, serial: int, listeners: list[Callable[[int], None]]) -> None:
        for listener in listeners:
            try:
                listener(serial)
            except Exception:  # the change is committed; a failing listener must not undo or hide it
                log.exception("certificate listener failed for serial %x", serial)

    def _notify_revoked(self, serials: Sequence[int]) -> None:
        for listener in self._listeners:
            try:
                listener(serials)
            except Exception:  # the revocation is committed; a failing listener must not undo or hide it
                log.exception("revocation listener failed for %d serial(s)", len(serials))
