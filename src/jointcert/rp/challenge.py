"""Replay protection: single-use challenges bound to an institution and a session, with an expiry.

The client signs :attr:`Challenge.data` (the ASCII bytes of the challenge value). Consuming is atomic in every store:
of any number of concurrent consumers of one challenge exactly one succeeds.
"""

from __future__ import annotations

import enum
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from jointcert.clock import Clock
from jointcert.rp.checks import Check, CheckName, Reason

__all__ = [
    "Challenge",
    "ChallengeService",
    "ChallengeStore",
    "ConsumeResult",
    "InMemoryChallengeStore",
]

_MAX_LENGTH = 128


@dataclass(frozen=True)
class Challenge:
    """One issued challenge."""

    value: str
    institution_id: str
    session_id: str
    issued_at: datetime
    expires_at: datetime
    consumed_at: datetime | None = None

    @property
    def data(self) -> bytes:
        """The bytes the client signs."""
        return self.value.encode("ascii")


class ConsumeResult(enum.StrEnum):
    """What happened when a challenge was presented."""

    OK = "ok"
    UNKNOWN = "unknown"
    MISMATCH = "mismatch"  # issued to another institution or session
    REPLAYED = "replayed"
    EXPIRED = "expired"


class ChallengeStore(Protocol):
    """Where challenges live; ``consume`` must be atomic."""

    def add(self, challenge: Challenge) -> None:
        """Store a freshly issued challenge."""
        ...

    def consume(self, value: str, institution_id: str, session_id: str, now: datetime) -> ConsumeResult:
        """Mark the challenge used, once; say why not otherwise."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete challenges that expired before ``before``; return how many."""
        ...


def classify(found: Challenge | None, institution_id: str, session_id: str, now: datetime) -> ConsumeResult:
    """Why a challenge could not be consumed (shared by the stores)."""
    if found is None:
        return ConsumeResult.UNKNOWN
    if found.institution_id != institution_id or found.session_id != session_id:
        return ConsumeResult.MISMATCH
    if found.consumed_at is not None:
        return ConsumeResult.REPLAYED
    if now >= found.expires_at:
        return ConsumeResult.EXPIRED
    return ConsumeResult.OK


class InMemoryChallengeStore:
    """A thread-safe store for one process (tests, the CLI)."""

    def __init__(self) -> None:
        self._items: dict[str, Challenge] = {}
        self._lock = threading.Lock()

    def add(self, challenge: Challenge) -> None:
        """Store a challenge."""
        with self._lock:
            self._items[challenge.value] = challenge

    def consume(self, value: str, institution_id: str, session_id: str, now: datetime) -> ConsumeResult:
        """Atomically mark used."""
        with self._lock:
            found = self._items.get(value)
            result = classify(found, institution_id, session_id, now)
            if result is ConsumeResult.OK and found is not None:
                self._items[value] = replace(found, consumed_at=now)
            return result

    def purge(self, before: datetime) -> int:
        """Drop challenges that expired before ``before``."""
        with self._lock:
            old = [v for v, c in self._items.items() if c.expires_at < before]
            for value in old:
                del self._items[value]
            return len(old)


_CHECKS = {
    ConsumeResult.UNKNOWN: Reason.CHALLENGE_UNKNOWN,
    ConsumeResult.MISMATCH: Reason.CHALLENGE_MISMATCH,
    ConsumeResult.REPLAYED: Reason.CHALLENGE_REPLAYED,
    ConsumeResult.EXPIRED: Reason.CHALLENGE_EXPIRED,
}


class ChallengeService:
    """Issues and consumes challenges with the configured lifetime."""

    def __init__(self, store: ChallengeStore, clock: Clock, *, ttl_seconds: int = 120) -> None:
        if ttl_seconds <= 0:
            raise ValueError("challenge_ttl_seconds must be positive")
        self._store = store
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, institution_id: str, session_id: str) -> Challenge:
        """A new challenge for this institution and session (256 random bits, URL-safe)."""
        if not institution_id or not session_id:
            raise ValueError("a challenge needs an institution and a session")
        now = self._clock.now()
        challenge = Challenge(secrets.token_urlsafe(32), institution_id, session_id, now, now + self._ttl)
        self._store.add(challenge)
        return challenge

    def consume(self, value: str, institution_id: str, session_id: str) -> Check:
        """The ``challenge`` check: passed exactly once per issued challenge."""
        if not value or len(value) > _MAX_LENGTH or not value.isascii():
            return Check.failed(CheckName.CHALLENGE, Reason.CHALLENGE_UNKNOWN)
        result = self._store.consume(value, institution_id, session_id, self._clock.now())
        if result is ConsumeResult.OK:
            return Check.passed(CheckName.CHALLENGE, "일회용 요청을 확인했습니다.", "Fresh single-use challenge.")
        return Check.failed(CheckName.CHALLENGE, _CHECKS[result])

    def purge(self) -> int:
        """Delete expired challenges."""
        return self._store.purge(self._clock.now())
