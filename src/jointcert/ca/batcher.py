"""Batched issuance: concurrent callers of the pipeline share one record transaction and one store transaction.

Each caller validates, builds and lints its unit in its own thread, then hands it to :meth:`IssuanceBatcher.submit`.
The first caller to arrive while nobody leads becomes the leader: it takes up to ``batch_max`` queued units and

1. records them all — intended certificates and their audit entries — in ONE transaction (record before sign holds
   for every certificate: nothing is signed before that commit),
2. signs them,
3. stores them all as issued (with their audit entries and supersessions) in ONE transaction,

then answers every caller of the batch and hands the lead to the oldest caller still waiting. A lone caller takes
the single-unit path (no added latency). A serial, unique id or request key collision in the batch's record
transaction, or a unit voided before its store, sends the batch through the single-unit steps one unit at a time;
a failing signer fails only the callers of that batch (their records stay pending until recovery voids them).

The window (``[ca] batch_window_ms``) is waited only after a batch of two or more units, and only while other
callers are still preparing (validating, linting) and the batch is not full: a quiet CA never waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from jointcert import faults
from jointcert.ca.errors import AlreadyRevoked, RecordCollision
from jointcert.ca.ports import AuditEvent, PendingRecord
from jointcert.ca.stats import Counters
from jointcert.ca.unit import UnitJob

__all__ = ["BatchPipeline", "BatchStore", "IssuanceBatcher", "StoredUnit"]

log = logging.getLogger(__name__)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True)
class StoredUnit:
    """One unit of a batch's store transaction: its (serial, DER) pairs, audit entries and whether it supersedes."""

    issued: Sequence[tuple[int, bytes]]
    events: Sequence[AuditEvent]
    supersede: bool


class BatchStore(Protocol):
    """The batch's two transactions (``storage.repositories.ca_batch``)."""

    def record_units(self, units: Sequence[tuple[Sequence[PendingRecord], Sequence[AuditEvent]]]) -> None:
        """Insert every unit's records and audit entries in ONE transaction; ``RecordCollision`` (and nothing
        recorded) when any serial, unique id or request key is taken."""
        ...

    def mark_units_issued(
        self,
        issuer: str,
        units: Sequence[StoredUnit],
        *,
        at: datetime,
        supersede: Callable[[int], AuditEvent],
    ) -> list[list[int]]:
        """Store every unit as issued in ONE transaction (all pending → issued, or nothing: ``AlreadyRevoked`` when
        any record is no longer pending); the superseded serials of each unit."""
        ...


class BatchPipeline(Protocol[R_co]):
    """The authority's steps the batcher runs (``ca/authority.py``)."""

    @property
    def slug(self) -> str:
        """The issuing CA."""
        ...

    def issue_unit(self, job: UnitJob) -> R_co:
        """The single-unit path: record, sign, store one unit (its own transactions)."""
        ...

    def unit_records(self, job: UnitJob) -> tuple[list[PendingRecord], list[AuditEvent]]:
        """The pending records of a unit and their ``certificate.recorded`` events."""
        ...

    def sign_unit(self, job: UnitJob) -> list[bytes]:
        """The signed DER of every certificate of the (recorded) unit."""
        ...

    def stored_events(self, job: UnitJob, ders: Sequence[bytes]) -> list[AuditEvent]:
        """The ``certificate.issued`` events of a signed unit."""
        ...

    def superseded_event(self, serial: int) -> AuditEvent:
        """The audit event of a certificate revoked as superseded."""
        ...

    def store_unit(self, job: UnitJob, ders: Sequence[bytes]) -> list[int]:
        """Store one signed unit in its own transaction; the superseded serials."""
        ...

    def finish_units(self, done: Sequence[tuple[UnitJob, Sequence[bytes], Sequence[int]]]) -> Sequence[R_co]:
        """After the store: counters, listeners (once for the batch), the answers."""
        ...

    def now(self) -> datetime:
        """The clock."""
        ...


@dataclass
class _Waiter(Generic[R]):
    job: UnitJob
    lead: bool = False
    done: bool = False
    result: R | None = None
    error: BaseException | None = None


class IssuanceBatcher(Generic[R]):
    """Gathers concurrent units into batches; see the module docstring."""

    def __init__(
        self,
        pipeline: BatchPipeline[R],
        store: BatchStore,
        counters: Counters,
        *,
        max_size: int = 64,
        window_seconds: float = 0.002,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be positive")
        self._pipeline, self._store, self.counters = pipeline, store, counters
        self._max, self._window = max_size, window_seconds
        self._cond = threading.Condition()
        self._queue: list[_Waiter[R]] = []
        self._leading = False
        self._preparing = 0
        self._last_multi = False  # the last batch had two or more units: callers are concurrent, the window pays
        self._local = threading.local()

    @property
    def queued(self) -> int:
        """How many submitted units wait for a leader (or are being taken by one)."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def preparing(self) -> Iterator[None]:
        """Count the calling thread as preparing a unit (a leader may wait for it) until it submits or leaves."""
        with self._cond:
            self._preparing += 1
        self._local.counted = True
        try:
            yield
        finally:
            self._uncount()

    def _uncount(self) -> None:
        if getattr(self._local, "counted", False):
            self._local.counted = False
            with self._cond:
                self._preparing -= 1
                self._cond.notify_all()

    def submit(self, job: UnitJob) -> R:
        """Record, sign and store ``job`` (in a batch when others are concurrent); its answer or its error."""
        waiter: _Waiter[R] = _Waiter(job)
        self._uncount()
        with self._cond:
            self._queue.append(waiter)
            if not self._leading:
                self._leading = waiter.lead = True
            else:
                self._cond.notify_all()  # a leader in its window sees the queue grow
                while not (waiter.done or waiter.lead):
                    self._cond.wait()
        if not waiter.done:
            self._lead()
        if waiter.error is not None:
            raise waiter.error
        assert waiter.result is not None
        return waiter.result

    def _lead(self) -> None:
        with self._cond:
            if self._last_multi and self._window > 0 and self._waiting():
                self.counters.inc("batch_waits")
                self._cond.wait_for(lambda: not self._waiting(), timeout=self._window)
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
        try:
            self._run(batch)
        except BaseException as exc:  # never leave a caller waiting
            for waiter in batch:
                if waiter.result is None and waiter.error is None:
                    waiter.error = exc
        finally:
            with self._cond:
                self._last_multi = len(batch) > 1
                for waiter in batch:
                    waiter.done = True
                if self._queue:
                    self._queue[0].lead = True
                else:
                    self._leading = False
                self._cond.notify_all()

    def _waiting(self) -> bool:
        """Whether the leader should go on waiting: callers are preparing and the batch is not full."""
        return self._preparing > 0 and len(self._queue) < self._max

    def _run(self, batch: list[_Waiter[R]]) -> None:
        if len(batch) == 1:
            self._one(batch[0])
            return
        self.counters.inc("issuance_batches")
        self.counters.inc("batched_units", len(batch))
        jobs = [w.job for w in batch]
        try:
            self._store.record_units([self._pipeline.unit_records(job) for job in jobs])
        except RecordCollision:
            log.warning("collision in a batch of %d units; recording them one at a time", len(batch))
            self.counters.inc("batch_fallbacks")
            for waiter in batch:
                self._one(waiter)
            return
        faults.point("batch_after_record")
        ders = [self._pipeline.sign_unit(job) for job in jobs]  # a failure fails this batch's callers only
        faults.point("batch_after_sign")
        units = [
            StoredUnit(self._issued(job, d), self._pipeline.stored_events(job, d), job.supersede)
            for job, d in zip(jobs, ders, strict=True)
        ]
        try:
            superseded = self._store.mark_units_issued(
                self._pipeline.slug, units, at=self._pipeline.now(), supersede=self._pipeline.superseded_event
            )
        except AlreadyRevoked:
            log.warning("a unit of a batch of %d was voided before its store; storing one at a time", len(batch))
            self.counters.inc("batch_fallbacks")
            self._store_each(batch, ders)
            return
        results = self._pipeline.finish_units(list(zip(jobs, ders, superseded, strict=True)))
        for waiter, result in zip(batch, results, strict=True):
            waiter.result = result

    @staticmethod
    def _issued(job: UnitJob, ders: Sequence[bytes]) -> list[tuple[int, bytes]]:
        return [(intended.serial, der) for intended, der in zip(job.unit, ders, strict=True)]

    def _one(self, waiter: _Waiter[R]) -> None:
        try:
            waiter.result = self._pipeline.issue_unit(waiter.job)
        except Exception as exc:  # the caller's error (a collision: the caller rebuilds and submits again)
            waiter.error = exc

    def _store_each(self, batch: list[_Waiter[R]], ders: list[list[bytes]]) -> None:
        for waiter, unit_ders in zip(batch, ders, strict=True):
            try:
                superseded = self._pipeline.store_unit(waiter.job, unit_ders)
                waiter.result = self._pipeline.finish_units([(waiter.job, unit_ders, superseded)])[0]
            except Exception as exc:
                waiter.error = exc
