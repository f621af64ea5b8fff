"""Adapters of :class:`jointcert.ra.throttle.Throttle`: the database (default) and Redis."""

from __future__ import annotations

from jointcert.storage.throttle.redis import RedisThrottle
from jointcert.storage.throttle.sql import SqlThrottle

__all__ = ["RedisThrottle", "SqlThrottle"]
