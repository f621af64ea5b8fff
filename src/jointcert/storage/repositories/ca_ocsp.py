"""Pre-signed OCSP responses (``ca_ocsp_responses``) and the per-request revocation epoch read of the OCSP hot path.

:class:`LiveEpochReader` reads ``ca_revocation_epochs`` on DBAPI connections of its own (sqlite3 or psycopg in
autocommit, outside the SQLAlchemy pool, a few kept idle between reads): each read sees what is committed at that
moment, for a few microseconds on SQLite and one round trip of a prepared statement on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from cryptography import x509
from sqlalchemy import and_, bindparam, make_url, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from jointcert.ca.ocsp_presign import StoredResponse
from jointcert.ca.ports import CertificateState, RecordStatus
from jointcert.storage.db import CONNECT_TIMEOUT_SECONDS, Database
from jointcert.storage.repositories.ca import serial_key
from jointcert.storage.tables.ca import CaCertificate
from jointcert.storage.tables.ca_ocsp import CaOcspResponse

__all__ = ["EPOCH_SQL", "EPOCH_TIMEOUT_MS", "LiveEpochReader", "SqlOcspResponses"]

_C, _R = CaCertificate, CaOcspResponse
_LIVE = (RecordStatus.ISSUED.value, RecordStatus.REVOKED.value, RecordStatus.VOID.value)
_LOAD = (  # only while the certificate still has the status the response was signed for
    select(_R.status, _R.der, _R.this_update, _R.next_update, _R.refresh_at)
    .join(_C, and_(_C.issuer == _R.issuer, _C.serial_hex == _R.serial_hex, _C.status == _R.status))
    .where(_R.issuer == bindparam("issuer"), _R.serial_hex == bindparam("serial"))
)


def _save(dialect: Any) -> Any:
    """Insert or replace a response; built once per dialect (SQLAlchemy then reuses its compiled form)."""
    statement = dialect.insert(_R)
    return statement.on_conflict_do_update(
        index_elements=[_R.issuer, _R.serial_hex],
        set_={name: statement.excluded[name] for name in ("status", "der", "this_update", "next_update", "refresh_at")},
    )


_SAVE = {"postgresql": _save(postgresql), "sqlite": _save(sqlite)}
EPOCH_SQL = "SELECT coalesce(sum(epoch), 0) FROM ca_revocation_epochs"
EPOCH_TIMEOUT_MS = 1_000  # a primary-key read of a few rows; past this the caller takes its slow path


class SqlOcspResponses:
    """:class:`jointcert.ca.ocsp_presign.OcspResponseStore` on ``ca_ocsp_responses``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def load(self, issuer: str, serial: int) -> StoredResponse | None:
        """The stored response if it was signed for the certificate's current status (plain connection)."""
        with self._db.engine.connect() as connection:
            row = connection.execute(_LOAD, {"issuer": issuer, "serial": serial_key(serial)}).first()
        if row is None:
            return None
        return StoredResponse(issuer, serial, RecordStatus(row[0]), row[1], row[2], row[3], row[4])

    def save(self, responses: Sequence[StoredResponse]) -> None:
        """Insert or replace every response in one transaction."""
        if not responses:
            return
        statement = _SAVE[self._db.engine.dialect.name]
        rows = [
            {
                "issuer": r.issuer,
                "serial_hex": serial_key(r.serial),
                "status": r.status.value,
                "der": r.der,
                "this_update": r.this_update,
                "next_update": r.next_update,
                "refresh_at": r.refresh_at,
            }
            for r in responses
        ]
        with self._db.engine.begin() as connection:
            connection.execute(statement, rows)

    def due(self, issuer: str, now: datetime, limit: int) -> list[tuple[int, CertificateState]]:
        """Live certificates whose response is missing, due or signed for another status (oldest first)."""
        statement = (
            select(_C.serial_hex, _C.status, _C.created_at, _C.revoked_at, _C.revocation_reason)
            .outerjoin_from(_C, _R, and_(_R.issuer == _C.issuer, _R.serial_hex == _C.serial_hex))
            .where(
                _C.issuer == issuer,
                _C.status.in_(_LIVE),
                _C.not_after > now,
                or_(_R.serial_hex.is_(None), _R.refresh_at <= now, _R.status != _C.status),
            )
            .order_by(_C.id)
            .limit(limit)
        )
        with self._db.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [
            (
                int(serial_hex, 16),
                CertificateState(
                    RecordStatus(status), created_at, revoked_at, None if reason is None else x509.ReasonFlags(reason)
                ),
            )
            for serial_hex, status, created_at, revoked_at, reason in rows
        ]

    def mark_all_due(self, now: datetime) -> int:
        """Every stored response becomes due (re-signed by the next batches)."""
        with self._db.engine.begin() as connection:
            return int(connection.execute(update(_R).values(refresh_at=now)).rowcount)


def pg_conninfo(database: Database) -> str:
    """libpq's connection string for a PostgreSQL ``database`` (psycopg itself, outside SQLAlchemy's pool)."""
    return make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)


def epoch_pg_connection(conninfo: str, **options: Any) -> psycopg.Connection[Any]:
    """An autocommit connection for epoch reads, with short timeouts: a read may hold the event loop while the
    database hangs."""
    return psycopg.connect(
        conninfo,
        autocommit=True,
        connect_timeout=min(CONNECT_TIMEOUT_SECONDS, 2),  # libpq's minimum
        options=f"-c statement_timeout={EPOCH_TIMEOUT_MS}",
        tcp_user_timeout=EPOCH_TIMEOUT_MS,
        **options,
    )


def epoch_sqlite_connection(path: str) -> sqlite3.Connection:
    """An autocommit connection for epoch reads on the SQLite file ``path`` (never written through)."""
    return sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)


class LiveEpochReader:
    """The sum of the revocation epochs as committed now, on DBAPI connections of its own: a read takes an idle one
    (last in, first out) or opens one, and puts it back after the read while fewer than ``keep`` are idle (the
    rest are closed). A read never waits for another thread's connection (it may run on the event loop), and a
    connection whose read failed is closed and never put back."""

    def __init__(self, database: Database, *, keep: int = 4) -> None:
        self._db = database
        self._sqlite_path = database.sqlite_file
        self._conninfo = None if database.is_sqlite else pg_conninfo(database)
        self._keep = keep
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self.opened = 0  # connections opened so far (the tests count reuse with it)
        self._private = self._conninfo is not None or self._sqlite_path is not None

    @property
    def idle(self) -> int:
        """How many connections are kept idle now."""
        return len(self._idle)

    def current(self) -> int:
        """One read; a connection that failed is closed (the next read opens another) and the error raised."""
        if not self._private:  # no connection of our own possible (in-memory SQLite): through the pool
            with self._db.engine.connect() as pooled:
                return int(pooled.exec_driver_sql(EPOCH_SQL).scalar_one())
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._connect()
            with self._lock:
                self.opened += 1
        try:
            row = connection.execute(EPOCH_SQL).fetchone()
        except Exception:
            with contextlib.suppress(Exception):
                connection.close()
            raise
        with self._lock:
            kept = len(self._idle) < self._keep
            if kept:
                self._idle.append(connection)
        if not kept:
            with contextlib.suppress(Exception):
                connection.close()
        return int(row[0]) if row is not None else 0

    def _connect(self) -> Any:
        if self._conninfo is not None:
            return epoch_pg_connection(self._conninfo)
        assert self._sqlite_path is not None  # no connection of its own otherwise (current() uses the pool)
        return epoch_sqlite_connection(self._sqlite_path)

    def close(self) -> None:
        """Close the idle connections."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                connection.close()
