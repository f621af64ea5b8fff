"""Database engine, sessions and schema migrations (SQLite by default, PostgreSQL by URL).

When the database cannot be reached (refused, reset, timed out) every statement raises
:class:`DatabaseUnavailable` — an ``Unavailable`` error, answered with 503 and ``Retry-After`` — quickly: PostgreSQL
connections time out after a few seconds, statements after ``STATEMENT_TIMEOUT_MS``, and the pool pings a connection
before lending it, so the service recovers on its own once the database is back. A request that finds every
pooled connection lent out for ``pool_timeout_seconds`` gets :class:`DatabaseUnavailable` too.

A unit of work (:meth:`Database.unit_of_work`) holds one pooled connection; code running inside it reads through
:meth:`Database.connection` or :meth:`Database.session`, which join it. A second connection taken from the pool
while the thread's unit holds one (``engine.connect()`` inside a unit) can exhaust the pool under load — every
thread holding its unit's connection and waiting for another — so it raises :class:`NestedConnectionWarning`
(the test suite turns the warning into an error).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from importlib import resources
from typing import Any, cast

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from jointcert.errors import JointcertError, Unavailable

__all__ = [
    "AUDIT_KEY",
    "CONNECT_TIMEOUT_SECONDS",
    "STATEMENT_TIMEOUT_MS",
    "Database",
    "DatabaseUnavailable",
    "NestedConnectionWarning",
    "rowcount",
]

CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 15_000
_POOL_TIMEOUT_SECONDS = 5
AUDIT_KEY = "jointcert.audit_key"  # Session.info entry: the audit MAC key (set from the instance secret by app.py)


class _Unit:
    """The open unit of work of one thread: its database, its connection and, once asked for, an ORM session
    bound to that connection (joining its transaction; closing it leaves the transaction alone)."""

    __slots__ = ("connection", "database", "orm")

    def __init__(self, database: Database, connection: Connection) -> None:
        self.database, self.connection = database, connection
        self.orm: Session | None = None

    def flush(self) -> None:
        if self.orm is not None:
            self.orm.flush()

    def session(self) -> Session:
        if self.orm is None:
            self.orm = Session(bind=self.connection, expire_on_commit=False, join_transaction_mode="rollback_only")
            if self.database.audit_key is not None:
                self.orm.info[AUDIT_KEY] = self.database.audit_key
        return self.orm


_UNIT: ContextVar[_Unit | None] = ContextVar("jointcert_unit_of_work", default=None)


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached (or did not answer in time); nothing was changed by this request."""

    code = "database_unavailable"
    message_ko = "데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도하세요."
    message_en = "The database is unreachable; try again shortly."


class NestedConnectionWarning(RuntimeWarning):
    """A second pooled connection was taken while this thread's unit of work holds one (see the module docstring)."""


class _Pool(QueuePool):
    """SQLAlchemy's queue pool; a checkout that waited ``timeout`` in vain is :class:`DatabaseUnavailable`."""

    def _do_get(self) -> Any:
        try:
            return super()._do_get()
        except sa_exc.TimeoutError as exc:
            raise DatabaseUnavailable(f"no pooled connection free within {self.timeout()} s") from exc


def _unreachable(error: BaseException) -> bool:
    # connection refused/reset/closed, server shutting down, statement or lock timeout: all retryable; on SQLite
    # the write lock not granted within the busy timeout ("database is locked")
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    return isinstance(error, psycopg.OperationalError)


def _unavailable(context: ExceptionContext) -> None:
    """``handle_error`` hook: a lost or refused connection, or a timed-out statement, becomes DatabaseUnavailable."""
    original = context.original_exception
    if context.is_disconnect or _unreachable(original):
        reason = f"{type(original).__name__}: {str(original).strip()[:200]}"
        raise DatabaseUnavailable(reason) from context.sqlalchemy_exception


def rowcount(result: object) -> int:
    """Rows matched by an executed UPDATE/DELETE (``CursorResult.rowcount``), typed for any ``execute`` result."""
    return int(cast(CursorResult[Any], result).rowcount)


_SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def _sqlite_file(url: str) -> str | None:
    """The file of an SQLite URL that another connection can open; ``None`` for in-memory and URI databases."""
    path = make_url(url).database
    return path if path and path != ":memory:" and not path.startswith("file:") else None


def _private_sqlite_file(path: str) -> None:
    """Create the SQLite file (and fix an existing one and its -wal/-shm) with mode 0600 before SQLite opens it;
    SQLite gives its -wal and -shm files the mode of the database file."""
    if not os.path.exists(path) and os.path.isdir(os.path.dirname(path) or "."):
        # Only a file that does not exist yet is opened here: closing a descriptor drops every POSIX lock this
        # process holds on the file, so opening an existing database (that another engine in this process has
        # open) would let a second process take it for unused and delete its WAL under us ("disk I/O error").
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


class Database:
    """One database: an engine, a session factory and the Alembic migrations that build its schema."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        busy_timeout_ms: int = _SQLITE_BUSY_TIMEOUT_MS,
        pool_timeout_seconds: float = _POOL_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.sqlite_file = _sqlite_file(url) if self.is_sqlite else None  # a file other connections can open
        self.busy_timeout_ms = busy_timeout_ms
        # SQLite's busy handler polls (sleeps of up to 100 ms): with dozens of threads waiting for the write lock,
        # one can lose every poll for the whole timeout. This process's writers queue here instead (blocking,
        # woken at once), so only the other processes' writers meet the polling.
        self._writer = threading.Lock()
        # every database that has a file or a server: waiting longer than the timeout is DatabaseUnavailable
        pool: dict[str, Any] = {
            "poolclass": _Pool,
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_timeout": pool_timeout_seconds,
        }
        if self.is_sqlite:
            if self.sqlite_file is not None:
                _private_sqlite_file(self.sqlite_file)
            self.engine: Engine = create_engine(
                url,
                echo=echo,
                connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
                **(pool if self.sqlite_file is not None else {}),  # in memory: SQLAlchemy's one shared connection
            )
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        else:
            self.engine = create_engine(
                url,
                echo=echo,
                pool_pre_ping=True,
                **pool,
                connect_args={
                    "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                    "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                },
            )
        event.listen(self.engine, "handle_error", _unavailable)
        event.listen(self.engine, "checkout", self._checked_out)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.audit_key: bytes | None = None  # every audit entry appended through a session is MACed under it

    def _checked_out(self, *_: Any) -> None:
        """Pool ``checkout`` hook: warn when this thread's unit of work already holds a connection of this pool."""
        if self._unit() is not None:
            warnings.warn(
                "a second pooled connection was taken inside a unit of work; read through Database.connection()",
                NestedConnectionWarning,
                stacklevel=2,
            )

    def _unit(self) -> _Unit | None:
        unit = _UNIT.get()
        return unit if unit is not None and unit.database is self else None

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        """One transaction for everything done through this database in the block (by this thread).

        Every :meth:`session` and :meth:`connection` opened inside joins it instead of committing on its own. On
        SQLite it starts with ``BEGIN IMMEDIATE``: the write lock is taken (or waited for) up front, never half-way
        through, so units serialise and a compare-and-set inside one cannot lose to another unit. It commits when
        the block ends, and also when a :class:`~jointcert.errors.JointcertError` leaves it (a refused request keeps
        what it recorded — a counted failure, its log entry) unless the error ``rolls_back`` (:class:`Unavailable`,
        a throttled attempt); anything else rolls it back. Nested units join the outer one."""
        joined = self._unit()
        if joined is not None:
            yield joined.connection
            return
        with self._writer_turn(), self.engine.connect() as connection:
            unit = _Unit(self, connection)
            token = _UNIT.set(unit)
            try:
                if self.is_sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield connection
                unit.flush()
                connection.commit()
            except JointcertError as exc:
                if exc.rolls_back:  # an outage (the connection may be gone), a refusal that must keep nothing
                    with suppress(Exception):
                        connection.rollback()
                else:
                    unit.flush()
                    connection.commit()
                raise
            except BaseException:
                connection.rollback()
                raise
            finally:
                _UNIT.reset(token)
                if unit.orm is not None:
                    unit.orm.close()

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """On SQLite, this process's turn to write (see ``_writer``); given up within the busy timeout."""
        if not self.is_sqlite:
            yield
            return
        if not self._writer.acquire(timeout=self.busy_timeout_ms / 1000):
            raise DatabaseUnavailable("The SQLite write lock was not granted within the busy timeout.")
        try:
            yield
        finally:
            self._writer.release()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for Core statements: the unit of work's if one is open, else one committed transaction."""
        joined = self._unit()
        if joined is not None:
            yield joined.connection
            return
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any exception; inside :meth:`unit_of_work` the
        unit's session (flushed at the end of the block, committed with the unit)."""
        unit = self._unit()
        if unit is not None:
            joined = unit.session()
            try:
                yield joined
                joined.flush()
            finally:
                joined.expunge_all()  # later readers in the unit see the rows, not stale objects
            return
        session = self._sessions()
        if self.audit_key is not None:
            session.info[AUDIT_KEY] = self.audit_key
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def alembic_config(self) -> Config:
        """Alembic configuration pointing at the packaged migrations and this database."""
        config = Config()
        config.set_main_option("script_location", str(resources.files("jointcert.storage") / "migrations"))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def migrate(self) -> None:
        """Bring the schema to the newest revision of every component (``alembic upgrade heads``)."""
        config = self.alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
