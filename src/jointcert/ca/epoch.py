"""The revocation epoch: how every process learns, within about half a second, that something was revoked anywhere.

Every transaction that revokes or voids a record also bumps a per-issuer counter in the database (the storage
adapter does it, so every path — the web API, ``jointcert revoke``, CMP, the RA's supersede, recovery — is covered).
Caches that could answer "good" (:class:`jointcert.rp.RevocationCache`) hold an :class:`EpochWatch` and drop what
they cached when the epoch moves. The watch reads the database at most every ``interval_seconds``: one tiny
indexed read per process per half second, however busy the process is.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from jointcert.clock import Clock

__all__ = ["EpochWatch", "RevocationEpochs"]

log = logging.getLogger(__name__)


class RevocationEpochs(Protocol):
    """The database's revocation epochs and CRL freshness (``storage.repositories.ca_epoch``)."""

    def current(self) -> int:
        """A number that changes whenever any certificate is revoked or voided."""
        ...

    def epoch(self, issuer: str) -> int:
        """``issuer``'s epoch."""
        ...

    def crl_dirty(self, issuer: str) -> bool:
        """Whether a revocation happened after the newest CRL of ``issuer``."""
        ...

    def crl_made(self, issuer: str, epoch: int) -> None:
        """Record that the stored CRL of ``issuer`` covers ``epoch``."""
        ...


class EpochWatch:
    """The current epoch, read from ``source`` at most every ``interval_seconds`` (``None`` while unreadable)."""

    def __init__(self, source: RevocationEpochs, clock: Clock, *, interval_seconds: float = 0.5) -> None:
        self._source, self._clock, self._interval = source, clock, interval_seconds
        self._value: int | None = None
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def current(self) -> int | None:
        """The epoch as of at most ``interval_seconds`` ago; ``None`` when the database cannot be read (a cache
        then keeps nothing it cannot re-check)."""
        now = self._clock.monotonic()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self._interval:
                return self._value
        try:
            value: int | None = self._source.current()
        except Exception:  # database away: report "unknown" rather than a stale number
            log.warning("revocation epoch unreadable; caches are bypassed until it is readable again")
            value = None
        with self._lock:
            self._value, self._read_at = value, now
        return value
