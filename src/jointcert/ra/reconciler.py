"""The reconciler: settles every intermediate state a crash can leave in the issuance saga (docs/crash-safety.md).

One :meth:`Reconciler.run` pass, in order:

1. CA records left ``pending`` longer than the grace time → ``void`` (listed on the CRL, OCSP ``revoked``).
2. Sessions in ``ISSUING`` longer than the grace time → settled from what the CA recorded for their request key:
   nothing or void → back to ``READY`` (the customer may enroll again); issued → the saga goes on (charge,
   ``DELIVERED``), so a retry of the enrollment gets exactly that certificate.
3. Sessions in ``CONFIRMING`` longer than the grace time → the confirmation is finished (supersede, fee final).
4. ``DELIVERED`` sessions past their confirmation deadline, and ``UNCONFIRMING`` ones longer than the grace time
   → the new certificate is revoked (cessationOfOperation), the fee reversed, the customer notified; the older
   certificate stays valid.
5. Fee charges neither final nor reversed whose session ended → final if it ended ``ISSUED``, reversed otherwise.
6. CMP: certificates nobody confirmed (certConf) in time → revoked; registrations past their time → expired.

Every change is a compare-and-set (sessions) or an idempotent, uniquely keyed write (CA request keys, fee ledger,
bank idempotency keys), so two nodes may run it at once: one wins each row, the other skips it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from jointcert.ca.ports import RecordStatus
from jointcert.errors import JointcertError
from jointcert.ra import saga
from jointcert.ra.context import StepContext
from jointcert.ra.errors import IssuanceInProgress, SessionBusy
from jointcert.ra.ports import StepLog, StepLogEntry
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["CmpSweeper", "ReconcileReport", "Reconciler"]

log = logging.getLogger(__name__)
_ACTOR = "reconciler"


class CmpSweep(Protocol):
    """What a CMP sweep reports (``jointcert.cmp.service.SweepReport``)."""

    @property
    def revoked_serials(self) -> list[int]: ...

    @property
    def expired_references(self) -> list[str]: ...


class CmpSweeper(Protocol):
    """The CMP service's sweep (``jointcert.cmp.service.CmpService.sweep``)."""

    def sweep(self, *, actor: str = ...) -> CmpSweep:
        """Revoke unconfirmed CMP certificates; expire registrations past their time."""
        ...


@dataclass
class ReconcileReport:
    """What one pass fixed (serials as hex, sessions as ids)."""

    voided_records: list[str] = field(default_factory=list)
    released_sessions: list[str] = field(default_factory=list)
    delivered_sessions: list[str] = field(default_factory=list)
    failed_sessions: list[str] = field(default_factory=list)
    confirmed_sessions: list[str] = field(default_factory=list)
    revoked_unconfirmed: list[str] = field(default_factory=list)
    finalised_fees: list[str] = field(default_factory=list)
    reversed_fees: list[str] = field(default_factory=list)
    cmp_revoked: list[str] = field(default_factory=list)
    cmp_expired: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, list[str]]]:
        """(what, items) for every kind of fix, in pass order."""
        return [
            ("pending CA records voided", self.voided_records),
            ("issuing sessions released (nothing issued)", self.released_sessions),
            ("issuing sessions delivered (certificate issued)", self.delivered_sessions),
            ("sessions failed (fee could not be charged)", self.failed_sessions),
            ("confirmations finished", self.confirmed_sessions),
            ("unconfirmed certificates revoked", self.revoked_unconfirmed),
            ("fees made final", self.finalised_fees),
            ("fees reversed", self.reversed_fees),
            ("CMP certificates revoked (no certConf)", self.cmp_revoked),
            ("CMP registrations expired", self.cmp_expired),
        ]

    @property
    def total(self) -> int:
        """How many things were fixed."""
        return sum(len(items) for _, items in self.rows())


class Reconciler:
    """Runs the passes above over the RA's ports, the CA and the CMP service."""

    def __init__(self, *, ctx: StepContext, step_log: StepLog, cmp: CmpSweeper | None = None) -> None:
        if ctx.settings.saga_grace_seconds < 0 or ctx.settings.confirm_wait_seconds < 1:
            raise ValueError("saga_grace_seconds must be >= 0 and confirm_wait_seconds positive")
        self._ctx, self._log, self._cmp = ctx, step_log, cmp

    @property
    def _grace(self) -> timedelta:
        return timedelta(seconds=self._ctx.settings.saga_grace_seconds)

    def run(self) -> ReconcileReport:
        """One pass; safe to run concurrently on several nodes and to repeat."""
        report = ReconcileReport()
        voided = self._ctx.authority.recover_stale(self._grace, actor=_ACTOR)
        report.voided_records += [format(s, "x") for s in voided]
        self._each(State.ISSUING, self._settle_issuing, report)
        self._each(State.CONFIRMING, self._finish_confirming, report)
        self._reap(report)
        self._each(State.UNCONFIRMING, self._finish_unconfirming, report)
        self._settle_fees(report)
        if self._cmp is not None:
            swept = self._cmp.sweep(actor=_ACTOR)
            report.cmp_revoked += [format(s, "x") for s in swept.revoked_serials]
            report.cmp_expired += list(swept.expired_references)
        if report.total:
            log.warning("reconciler: %s", {what: items for what, items in report.rows() if items})
        return report

    def _each(
        self, state: State, handle: Callable[[IssuanceSession, ReconcileReport], None], report: ReconcileReport
    ) -> None:
        before = self._ctx.now() - self._grace
        for session in self._ctx.sessions.in_state(state, updated_before=before, limit=500):
            try:
                handle(session, report)
            except (SessionBusy, IssuanceInProgress):
                continue  # another node (or the customer's own request) moved it first
            except JointcertError:
                log.exception("reconciler: session %s (%s) not settled", session.id[:8], state.value)

    def _save(self, before: IssuanceSession, after: IssuanceSession) -> IssuanceSession:
        saved = self._ctx.sessions.save(after, expected_version=after.version)
        entry = StepLogEntry(before.id, "reconcile", "ok", before.state.value, saved.state.value, self._ctx.now())
        self._log.append(entry)
        return saved

    def _settle_issuing(self, session: IssuanceSession, report: ReconcileReport) -> None:
        record = self._ctx.authority.record_for(saga.request_key(session))
        if record is not None and record.status is RecordStatus.PENDING:
            return  # younger than the grace time: voided by a later pass, then released
        if record is None or record.status is not RecordStatus.ISSUED:
            self._save(session, session.moved(State.READY, self._ctx.now()))
            report.released_sessions.append(session.id)
            return
        issued = saga.delivered_certificate(self._ctx, session)
        outcome = saga.deliver(self._ctx, session, issued)
        saved = self._save(session, outcome.session)
        (report.delivered_sessions if saved.state is State.DELIVERED else report.failed_sessions).append(session.id)

    def _finish_confirming(self, session: IssuanceSession, report: ReconcileReport) -> None:
        done, _ = saga.finish_confirmation(self._ctx, session)
        self._save(session, done)
        report.confirmed_sessions.append(session.id)
        if session.data.serial:
            report.finalised_fees.append(session.data.serial)

    def _reap(self, report: ReconcileReport) -> None:
        now = self._ctx.now()
        for session in self._ctx.sessions.in_state(State.DELIVERED, updated_before=now, limit=500):
            deadline = saga.confirm_deadline(session)
            if deadline is None or deadline > now:
                continue
            try:
                claimed = self._save(session, session.moved(State.UNCONFIRMING, now))
                self._finish_unconfirming(claimed, report)
            except SessionBusy:
                continue  # confirmed (or reaped by another node) meanwhile

    def _finish_unconfirming(self, session: IssuanceSession, report: ReconcileReport) -> None:
        serial = session.data.serial or ""
        reversed_before = len(self._reversals(serial))
        done = saga.finish_unconfirmed(self._ctx, session, actor=_ACTOR)
        self._save(session, done)
        report.revoked_unconfirmed.append(serial)
        if len(self._reversals(serial)) > reversed_before:
            report.reversed_fees.append(serial)

    def _reversals(self, serial_hex: str) -> list[object]:
        if not serial_hex:
            return []
        return [e for e in self._ctx.fees.entries(int(serial_hex, 16)) if e.kind.value == "reversal"]

    def _settle_fees(self, report: ReconcileReport) -> None:
        """A safety net: charges left open although their session ended (nothing else settles them)."""
        cutoff = self._ctx.now() - self._grace
        for charge in self._ctx.fees.open_charges(created_before=cutoff):
            session = self._ctx.sessions.get(charge.session_id)
            if session is None or not session.state.is_terminal:
                continue
            if session.state is State.ISSUED:
                if saga.make_final(self._ctx, charge.serial) is not None:
                    report.finalised_fees.append(format(charge.serial, "x"))
            elif saga.reverse_fee(self._ctx, charge.serial) is not None:
                report.reversed_fees.append(format(charge.serial, "x"))
