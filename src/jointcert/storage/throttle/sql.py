"""Throttle buckets in the database: each call is ONE statement (an upsert with a condition), so concurrent
requests on any number of nodes never count past the limit. Works on SQLite (3.35+) and PostgreSQL."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, case, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from jointcert.storage.db import Database, rowcount
from jointcert.storage.tables.throttle import ThrottleBucket

__all__ = ["SqlThrottle"]

_T = cast(Table, ThrottleBucket.__table__)
_COUNT = select(_T.c.window_start, _T.c.count).where(_T.c.key == bindparam("key"))


def _upsert(dialect_insert: Any, *, limited: bool) -> Any:
    """Count one in the key's window (a new window starts at 1); with ``limited`` only while below ``:limit``."""
    stmt = dialect_insert(_T).values(key=bindparam("key"), window_start=bindparam("start"), count=1)
    new_window = _T.c.window_start != stmt.excluded.window_start
    counted = case((new_window, 1), else_=_T.c.count + 1)
    where = or_(new_window, _T.c.count < bindparam("limit")) if limited else None
    return stmt.on_conflict_do_update(
        index_elements=[_T.c.key], set_={"window_start": stmt.excluded.window_start, "count": counted}, where=where
    ).returning(_T.c.count)


# module-level statements: built and compiled once
_UPSERTS = {
    (dialect, limited): _upsert(insert, limited=limited)
    for dialect, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
    for limited in (False, True)
}


class SqlThrottle:
    """:class:`~jointcert.ra.throttle.Throttle` on ``throttle_buckets``."""

    def __init__(self, database: Database) -> None:
        self._db = database
        dialect = "sqlite" if database.is_sqlite else "postgresql"
        self._take, self._add = _UPSERTS[dialect, True], _UPSERTS[dialect, False]

    def take(self, key: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count one event if the window holds fewer than ``limit``; False (no change) otherwise."""
        with self._db.connection() as connection:
            counted = connection.execute(self._take, {"key": key, "start": window_start, "limit": limit})
            return counted.scalar() is not None

    def add(self, key: str, window_start: int, window_seconds: int) -> int:
        """Count one event; the new count of the window."""
        with self._db.connection() as connection:
            return int(connection.execute(self._add, {"key": key, "start": window_start}).scalar_one())

    def count(self, key: str, window_start: int) -> int:
        """The count of this window."""
        with self._db.connection() as connection:
            row = connection.execute(_COUNT, {"key": key}).first()
        return int(row[1]) if row is not None and row[0] == window_start else 0

    def purge(self, before: int) -> int:
        """Delete buckets whose window started before ``before`` (epoch seconds); how many."""
        with self._db.session() as session:
            return rowcount(session.execute(_T.delete().where(_T.c.window_start < before)))
