"""Per-client rate limits for the relay: token buckets in memory, one per (action, client address).

In memory and per process: with several workers each enforces its own share. Buckets refill continuously; an
idle bucket is forgotten once full again, so memory stays bounded by the clients seen in the last minutes.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from jointcert.clock import Clock
from jointcert.relay.errors import RateLimited

__all__ = ["DEFAULT_LIMITS", "Limit", "RateLimiter"]


@dataclass(frozen=True)
class Limit:
    """``burst`` requests at once, refilled at ``per_minute`` a minute."""

    burst: int
    per_minute: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_minute <= 0:
            raise ValueError("a rate limit needs burst >= 1 and a positive rate")


# create: a person makes a few codes; status: a waiting device polls every ~2 s for up to 3 minutes;
# upload: code attempts, the guessing surface across transfers; download: once per transfer.
DEFAULT_LIMITS: dict[str, Limit] = {
    "create": Limit(burst=10, per_minute=10),
    "status": Limit(burst=60, per_minute=90),
    "upload": Limit(burst=10, per_minute=10),
    "download": Limit(burst=10, per_minute=10),
}


class RateLimiter:
    """Token buckets keyed by action and client; :meth:`hit` raises :class:`RateLimited` when one is empty."""

    def __init__(self, clock: Clock, limits: dict[str, Limit] | None = None) -> None:
        self._clock = clock
        self._limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # (tokens, at)
        self._lock = threading.Lock()

    def hit(self, action: str, client: str) -> None:
        """Take one token for ``action`` by ``client``; :class:`RateLimited` (with ``retry_after``) if none."""
        limit = self._limits.get(action)
        if limit is None:
            return
        rate = limit.per_minute / 60.0
        now = self._clock.monotonic()
        with self._lock:
            tokens, at = self._buckets.get((action, client), (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - at) * rate)
            if tokens < 1.0:
                self._buckets[(action, client)] = (tokens, now)
                raise RateLimited(retry_after=max(1, math.ceil((1.0 - tokens) / rate)))
            self._buckets[(action, client)] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:
                self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        for key, (tokens, at) in list(self._buckets.items()):
            limit = self._limits[key[0]]
            if tokens + (now - at) * limit.per_minute / 60.0 >= limit.burst:
                del self._buckets[key]
