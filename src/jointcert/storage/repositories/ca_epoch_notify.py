"""The revocation epoch of the OCSP hot path, without a query per request while nothing was committed: on
PostgreSQL learnt by ``LISTEN`` (:class:`NotifiedEpochReader`), on an SQLite file re-read only when ``PRAGMA
data_version`` moved (:class:`VersionedEpochReader`); :func:`epoch_reader` picks one.

PostgreSQL:

Every revoking transaction bumps the epoch and sends ``NOTIFY`` (:func:`~jointcert.storage.repositories.ca_epoch.
bump_epoch`); PostgreSQL delivers the notification to every listening connection when the commit completes.
:class:`NotifiedEpochReader` keeps one listening connection per process (a daemon thread owns it) and the epoch
it last read on it. A request uses that epoch only if, at that moment:

* the listener is up and its socket has nothing pending — checked per request by a non-blocking ``poll`` of the
  socket (about a microsecond), so a notification that has reached this host is honoured at once, without waiting
  for the thread to be scheduled: the request reads the database itself (as :class:`LiveEpochReader` does) until
  the thread has consumed the notification and read the new epoch;
* the epoch was confirmed by a read started less than ``trust_seconds`` (2 s) ago: the thread re-reads it every
  ``recheck_seconds`` (1 s), so a listener whose connection hangs silently stops being trusted.

Otherwise — listener not (yet) connected, connection lost (e.g. ``pg_terminate_backend``), database away — every
request reads the epoch as committed now (:class:`LiveEpochReader`, today's per-request read) while the thread
reconnects in the background. The guarantee therefore is: a revocation committed anywhere is reflected by this
process as soon as PostgreSQL's notification has reached its socket (sent at the commit: one message's delivery,
well under a millisecond on a LAN), and never later than ``trust_seconds`` after the commit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from jointcert.storage.db import Database
from jointcert.storage.repositories.ca_epoch import EPOCH_CHANNEL
from jointcert.storage.repositories.ca_ocsp import (
    EPOCH_SQL,
    LiveEpochReader,
    epoch_pg_connection,
    epoch_sqlite_connection,
    pg_conninfo,
)

__all__ = ["NotifiedEpochReader", "VersionedEpochReader", "epoch_reader"]

log = logging.getLogger(__name__)

_VERSION_SQL = "PRAGMA data_version"
_RECONNECT_SECONDS = (0.1, 0.5, 1.0, 2.0)  # back-off between the listener's connection attempts


class NotifiedEpochReader:
    """:class:`jointcert.ca.ocsp_presign.EpochReader` on PostgreSQL: the epoch kept current by ``LISTEN``, the
    per-request read of ``fallback`` whenever the listener cannot vouch for it (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        *,
        fallback: LiveEpochReader | None = None,
        recheck_seconds: float = 1.0,
        trust_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if database.is_sqlite:
            raise ValueError("LISTEN/NOTIFY needs PostgreSQL")
        self._conninfo = pg_conninfo(database)
        self._fallback = fallback or LiveEpochReader(database)
        self._recheck, self._trust, self._monotonic = recheck_seconds, trust_seconds, monotonic
        self._known: tuple[int, float, Any] | None = None  # (epoch, when its read started, the socket's poller)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe()  # close() wakes the thread's wait
        self.heard = 0  # notifications received (the tests watch it)
        self.listening = threading.Event()  # set while an epoch read on the listener is trusted

    def current(self) -> int:
        """The epoch: the listener's when it can vouch for it, otherwise read now (the read's error is raised)."""
        known = self._known  # the thread forgets it before consuming the socket: re-checked after the poll
        if known is not None and not known[2].poll(0) and self._known is known and self._fresh(known[1]):
            return int(known[0])
        if self._thread is None:
            self._start()
        return self._fallback.current()

    def _fresh(self, confirmed_at: float) -> bool:
        return self._monotonic() - confirmed_at < self._trust

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="jointcert-epoch-listener", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen()
                failures = 0
            except Exception as exc:  # connection lost or refused: per-request reads until reconnected
                self._forget()
                if failures == 0:
                    log.warning("revocation epoch listener down (%s); OCSP reads the epoch per request", type(exc))
                failures += 1
            self._stop.wait(_RECONNECT_SECONDS[min(failures, len(_RECONNECT_SECONDS) - 1)])

    def _listen(self) -> None:
        """Connect, ``LISTEN``, then read the epoch (so nothing committed after the read goes unheard), and wait
        on the socket: re-read at each notification and every ``recheck_seconds``."""
        connection = epoch_pg_connection(self._conninfo, application_name="jointcert-epoch-listener")
        try:
            connection.add_notify_handler(self._heard)
            connection.execute(f"LISTEN {EPOCH_CHANNEL}")
            watch = select.poll()  # the requests' check: this socket only
            watch.register(connection.fileno(), select.POLLIN)
            wait = select.poll()  # the thread's: the socket and close()'s wake-up
            wait.register(connection.fileno(), select.POLLIN)
            wait.register(self._wake_read, select.POLLIN)
            while not self._stop.is_set():
                self._confirm(connection, watch)
                wait.poll(self._recheck * 1000)  # until a notification, the connection closing, close() or the re-check
        finally:
            self._forget()
            with contextlib.suppress(Exception):
                connection.close()

    def _confirm(self, connection: psycopg.Connection[Any], poller: Any) -> None:
        """Read the epoch until no notification arrived during the read, then let requests use it. Requests read
        the database themselves meanwhile: the read may consume a notification from the socket before its handler
        runs, and a request must not find the socket empty and the old epoch still vouched for."""
        self._forget()
        while True:
            heard, started = self.heard, self._monotonic()
            row = connection.execute(EPOCH_SQL).fetchone()
            if self.heard == heard:
                break
        self._known = (int(row[0]) if row is not None else 0, started, poller)
        self.listening.set()

    def _heard(self, _: psycopg.Notify) -> None:
        self.heard += 1

    def _forget(self) -> None:
        self.listening.clear()
        self._known = None

    def close(self) -> None:
        """Stop the listener and release every connection."""
        self._stop.set()
        self._forget()
        os.write(self._wake_write, b"x")
        if self._thread is not None:
            self._thread.join(timeout=self._recheck + 1)
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fallback.close()


class VersionedEpochReader:
    """:class:`jointcert.ca.ocsp_presign.EpochReader` on an SQLite file: a connection of its own per thread, never
    written through, remembers the epoch it read with the ``PRAGMA data_version`` it read it under. That number
    changes whenever another connection (any process) committed, so a request re-reads the epoch only then, and an
    unchanged version means exactly that nothing was committed since the read. ``PRAGMA data_version`` begins a
    read like any query, so a commit is seen by the first request after it, as with the per-request read."""

    def __init__(self, database: Database) -> None:
        path = database.sqlite_file
        if path is None:
            raise ValueError("a file SQLite database")
        self._path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def current(self) -> int:
        """The epoch committed now (the read's error is raised and the thread's connection replaced)."""
        local = self._local
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        if connection is None:
            connection = epoch_sqlite_connection(self._path)
            with self._lock:
                self._all.append(connection)
            local.connection, local.known = connection, None
        try:
            version = connection.execute(_VERSION_SQL).fetchone()
            known: tuple[Any, int] | None = local.known
            if known is not None and known[0] == version:
                return known[1]
            row = connection.execute(EPOCH_SQL).fetchone()
        except Exception:
            local.connection = None
            with contextlib.suppress(Exception):
                connection.close()
            raise
        epoch = int(row[0]) if row is not None else 0
        local.known = (version, epoch)  # the version read first: a commit between the two reads re-reads next time
        return epoch

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.close()
        self._local = threading.local()


def epoch_reader(database: Database) -> LiveEpochReader | NotifiedEpochReader | VersionedEpochReader:
    """The OCSP hot path's epoch reader for ``database``: notified on PostgreSQL, versioned on an SQLite file, read
    per request otherwise (in-memory SQLite)."""
    if not database.is_sqlite:
        return NotifiedEpochReader(database)
    try:
        return VersionedEpochReader(database)
    except ValueError:
        return LiveEpochReader(database)
