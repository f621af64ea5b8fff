"""Scheduler leadership on PostgreSQL: a session-level advisory lock held on a dedicated connection.

The lock lives as long as the connection: when the leader process dies, or its connection is cut, PostgreSQL
releases it and the next node whose :meth:`AdvisoryLockLeadership.poll` runs takes it over. A leader that cannot
reach the database on a poll gives the leadership up at once (the lock may already be someone else's).
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.pool import NullPool

__all__ = ["SCHEDULER_LOCK_KEY", "AdvisoryLockLeadership"]

log = logging.getLogger(__name__)

SCHEDULER_LOCK_KEY = 0x6A63_5343  # "jcSC": one advisory lock key per database, for the scheduler
_CONNECT_TIMEOUT_SECONDS = 3


class AdvisoryLockLeadership:
    """Holds ``pg_try_advisory_lock(key)`` on its own connection; ``poll`` keeps or tries to take it."""

    def __init__(self, url: str, key: int = SCHEDULER_LOCK_KEY) -> None:
        self._engine = create_engine(
            url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": _CONNECT_TIMEOUT_SECONDS,
                "application_name": "jointcert-scheduler",
                "options": "-c statement_timeout=3000",
                "keepalives": 1,
                "keepalives_idle": 5,
                "keepalives_interval": 2,
                "keepalives_count": 2,
            },
        )
        self._key = key
        self._connection: Connection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        """Whether this process held the lock at the last poll."""
        return self._held

    def poll(self) -> bool:
        """Check the held lock is still ours (the connection answers), or try to take it; ``True`` when leader."""
        try:
            if self._connection is None:
                self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if self._held:
                self._connection.execute(text("SELECT 1"))
            else:
                self._held = bool(self._connection.execute(select(func.pg_try_advisory_lock(self._key))).scalar())
        except Exception as exc:  # the database or the connection is gone: so is the lock
            if self._held:
                log.warning("scheduler leadership lost: %s", type(exc).__name__)
            self._drop()
        return self._held

    def release(self) -> None:
        """Give the lock up and close the connection (a clean shutdown)."""
        if self._connection is not None and self._held:
            try:
                self._connection.execute(select(func.pg_advisory_unlock(self._key)))
            except Exception:  # already gone with its connection
                log.debug("advisory unlock failed; the lock went with the connection")
        self._drop()
        self._engine.dispose()

    def _drop(self) -> None:
        self._held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except Exception:
                log.debug("closing the scheduler connection failed")
