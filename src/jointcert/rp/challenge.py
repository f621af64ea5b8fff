"""Replay protection: single-use challenges bound to an institution and a session, with an expiry.

A challenge is signed and stateless until it is used: ``<id>.<issued>.<expires>.<binding>.<tag>`` where ``tag`` is
HMAC-SHA256 under the service's key over the rest, and ``binding`` an HMAC of the institution and session it was
issued to. Issuing writes nothing. Consuming checks the tag (constant time), the binding and the expiry, then
*claims* the id with one INSERT that fails when it was claimed before (the store's primary key): with one key
shared by every process (derived from the instance secret) and one database, exactly one consumer in the whole
deployment succeeds, however many race. The client signs :attr:`Challenge.data` (the ASCII bytes of the value).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import secrets
import struct
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from jointcert.clock import Clock
from jointcert.rp.checks import Check, CheckName, Reason

__all__ = [
    "Challenge",
    "ChallengeService",
    "ChallengeStore",
    "ConsumeResult",
    "InMemoryChallengeStore",
    "challenge_key",
]

_MAX_LENGTH = 128
_ID_BYTES, _BINDING_BYTES, _TAG_BYTES = 16, 12, 24


@dataclass(frozen=True)
class Challenge:
    """One issued challenge; ``id`` is what a consumption claims."""

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

    @property
    def id(self) -> str:
        """The random part: unique per challenge, the key of its single-use record."""
        return self.value.split(".", 1)[0]


class ConsumeResult(enum.StrEnum):
    """What happened when a challenge was presented."""

    OK = "ok"
    UNKNOWN = "unknown"
    MISMATCH = "mismatch"  # issued to another institution or session
    REPLAYED = "replayed"
    EXPIRED = "expired"


class ChallengeStore(Protocol):
    """The single-use records of consumed challenges; ``claim`` must be atomic across processes."""

    def claim(self, challenge: Challenge, now: datetime) -> bool:
        """Record ``challenge`` as used at ``now`` (one INSERT); ``False`` when it was used before."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete records of challenges that expired before ``before`` (they can no longer be presented)."""
        ...


class InMemoryChallengeStore:
    """A thread-safe store for one process (tests, the CLI)."""

    def __init__(self) -> None:
        self._used: dict[str, Challenge] = {}
        self._lock = threading.Lock()

    def claim(self, challenge: Challenge, now: datetime) -> bool:
        """Record the id unless it is there."""
        with self._lock:
            if challenge.id in self._used:
                return False
            self._used[challenge.id] = challenge
            return True

    def purge(self, before: datetime) -> int:
        """Drop records of challenges that expired before ``before``."""
        with self._lock:
            old = [v for v, c in self._used.items() if c.expires_at < before]
            for value in old:
                del self._used[value]
            return len(old)


def challenge_key(secret: bytes) -> bytes:
    """The challenge MAC key derived from the instance secret (the same in every process of a deployment)."""
    return hmac.new(secret, b"jointcert rp challenge v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Codec:
    """Signs and opens challenge values under one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, data: bytes, size: int) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()[:size]

    def binding(self, institution_id: str, session_id: str) -> bytes:
        data = b"bind\x00" + institution_id.encode("utf-8") + b"\x00" + session_id.encode("utf-8")
        return self._mac(data, _BINDING_BYTES)

    def seal(self, ident: bytes, issued_at: datetime, expires_at: datetime, binding: bytes) -> str:
        body = ident + struct.pack(">qq", _ms(issued_at), _ms(expires_at)) + binding
        return f"{_b64(ident)}.{_b64(body[_ID_BYTES:])}.{_b64(self._mac(body, _TAG_BYTES))}"

    def open(self, value: str) -> tuple[datetime, datetime, bytes] | None:
        """(issued, expires, binding) of a value we signed; ``None`` for anything else."""
        parts = value.split(".")
        if len(parts) != 3:  # id, times + binding, tag
            return None
        try:
            ident, rest, tag = (_unb64(p) for p in parts)
        except (binascii.Error, ValueError):
            return None
        if len(ident) != _ID_BYTES or len(rest) != 16 + _BINDING_BYTES:  # two 8-byte times
            return None
        if not hmac.compare_digest(tag, self._mac(ident + rest, _TAG_BYTES)):
            return None
        issued, expires = struct.unpack(">qq", rest[:16])
        return _time(issued), _time(expires), rest[16:]


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


_CHECKS = {
    ConsumeResult.UNKNOWN: Reason.CHALLENGE_UNKNOWN,
    ConsumeResult.MISMATCH: Reason.CHALLENGE_MISMATCH,
    ConsumeResult.REPLAYED: Reason.CHALLENGE_REPLAYED,
    ConsumeResult.EXPIRED: Reason.CHALLENGE_EXPIRED,
}


class ChallengeService:
    """Issues and consumes challenges with the configured lifetime, signed under ``key`` (every process of a
    deployment must use the same one: :func:`challenge_key`; a random key when none is given, for one process)."""

    def __init__(
        self, store: ChallengeStore, clock: Clock, *, ttl_seconds: int = 120, key: bytes | None = None
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("challenge_ttl_seconds must be positive")
        self._store = store
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._codec = _Codec(key if key is not None else secrets.token_bytes(32))

    def issue(self, institution_id: str, session_id: str) -> Challenge:
        """A new challenge for this institution and session (128 random bits, signed; nothing is stored)."""
        if not institution_id or not session_id:
            raise ValueError("a challenge needs an institution and a session")
        now = self._clock.now()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the value carries milliseconds
        expires = now + self._ttl
        value = self._codec.seal(
            secrets.token_bytes(_ID_BYTES), now, expires, self._codec.binding(institution_id, session_id)
        )
        return Challenge(value, institution_id, session_id, now, expires)

    def consume(self, value: str, institution_id: str, session_id: str) -> Check:
        """The ``challenge`` check: passed exactly once per issued challenge."""
        result = self._consume(value, institution_id, session_id)
        if result is ConsumeResult.OK:
            return Check.passed(CheckName.CHALLENGE, "일회용 요청을 확인했습니다.", "Fresh single-use challenge.")
        return Check.failed(CheckName.CHALLENGE, _CHECKS[result])

    def _consume(self, value: str, institution_id: str, session_id: str) -> ConsumeResult:
        if not value or len(value) > _MAX_LENGTH or not value.isascii():
            return ConsumeResult.UNKNOWN
        opened = self._codec.open(value)
        if opened is None:
            return ConsumeResult.UNKNOWN
        issued, expires, binding = opened
        if not hmac.compare_digest(binding, self._codec.binding(institution_id, session_id)):
            return ConsumeResult.MISMATCH
        now = self._clock.now()
        if now >= expires:  # checked before the claim: a record purged after expiry can never be replayed
            return ConsumeResult.EXPIRED
        challenge = Challenge(value, institution_id, session_id, issued, expires, now)
        return ConsumeResult.OK if self._store.claim(challenge, now) else ConsumeResult.REPLAYED

    def purge(self) -> int:
        """Delete the single-use records of expired challenges."""
        return self._store.purge(self._clock.now())
