"""Throttle buckets in Redis (``[throttle] backend = "redis"``): one key per bucket and window, with a TTL; the
conditional take is a Lua script, so it is atomic across every node."""

from __future__ import annotations

from typing import Any

__all__ = ["RedisThrottle"]

_TAKE = """
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if c >= tonumber(ARGV[1]) then return -1 end
c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return c
"""
_ADD = """
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return c
"""


class RedisThrottle:
    """:class:`~jointcert.ra.throttle.Throttle` on Redis (the ``redis`` package, imported only when used)."""

    def __init__(self, url: str, *, prefix: str = "jointcert:throttle:") -> None:
        import redis  # noqa: PLC0415  (optional dependency)

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=5)
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE)
        self._add = self._redis.register_script(_ADD)

    def _name(self, key: str, window_start: int) -> str:
        return f"{self._prefix}{key}:{window_start}"

    def take(self, key: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count one event if the window holds fewer than ``limit``; False (no change) otherwise."""
        return int(self._take(keys=[self._name(key, window_start)], args=[limit, window_seconds + 5])) > 0

    def add(self, key: str, window_start: int, window_seconds: int) -> int:
        """Count one event; the new count of the window."""
        return int(self._add(keys=[self._name(key, window_start)], args=[window_seconds + 5]))

    def count(self, key: str, window_start: int) -> int:
        """The count of this window."""
        value = self._redis.get(self._name(key, window_start))
        return int(value) if value is not None else 0

    def close(self) -> None:
        """Close the connection pool."""
        self._redis.close()
