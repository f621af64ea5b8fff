"""The revocation-epoch readers of the OCSP hot path (storage/repositories/ca_epoch_notify.py). PostgreSQL: the
notified reader answers from the epoch its listener read without touching the database, honours a notification
waiting on the socket at once, and falls back to the per-request read while its listener is down (terminated by the
server). SQLite: the versioned reader reads the epoch only after another connection (or process) committed."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url

from jointcert.storage.db import Database
from jointcert.storage.repositories.ca_epoch import bump_epoch
from jointcert.storage.repositories.ca_epoch_notify import NotifiedEpochReader, VersionedEpochReader, epoch_reader
from jointcert.storage.repositories.ca_ocsp import EPOCH_SQL, LiveEpochReader

WAIT_SECONDS = 20  # bounded waits for the listener thread (a loaded machine); never a timing assertion


class _Counting(LiveEpochReader):
    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.reads = 0

    def current(self) -> int:
        self.reads += 1
        return super().current()


@pytest.fixture
def postgres(database: Database) -> Database:
    if database.is_sqlite:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    return database


@pytest.fixture
def reader(postgres: Database) -> Iterator[NotifiedEpochReader]:
    # no periodic re-read during a test (requests read the database while it runs): notifications only
    notified = NotifiedEpochReader(postgres, fallback=_Counting(postgres), recheck_seconds=30, trust_seconds=60)
    try:
        yield notified
    finally:
        notified.close()


def _bump(database: Database) -> None:
    with database.session() as session:
        bump_epoch(session, "class1")


def _until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _reads(reader: NotifiedEpochReader) -> int:
    fallback: Any = reader._fallback
    return int(fallback.reads)


def _listening(reader: NotifiedEpochReader) -> None:
    reader.current()  # starts the listener
    assert reader.listening.wait(WAIT_SECONDS)


def test_each_backend_gets_its_reader(database: Database) -> None:
    chosen = epoch_reader(database)
    try:
        assert isinstance(chosen, VersionedEpochReader if database.is_sqlite else NotifiedEpochReader)
    finally:
        chosen.close()


def test_while_listening_the_epoch_is_answered_without_a_read(reader: NotifiedEpochReader, postgres: Database) -> None:
    _bump(postgres)
    before = reader.current()  # read per request until the listener is up
    _listening(reader)
    reads = _reads(reader)
    assert [reader.current() for _ in range(100)] == [before] * 100
    assert _reads(reader) == reads


def test_a_commit_is_heard_and_its_epoch_used(reader: NotifiedEpochReader, postgres: Database) -> None:
    _listening(reader)
    before, heard = reader.current(), reader.heard
    _bump(postgres)  # another connection's commit: NOTIFY delivered at commit
    assert _until(lambda: reader.heard > heard)
    assert reader.current() == before + 1  # from the moment it was heard (by a read, or the listener's new epoch)
    assert _until(reader.listening.is_set)
    reads = _reads(reader)
    assert reader.current() == before + 1 and _reads(reader) == reads


def test_a_notification_pending_on_the_socket_makes_the_request_read(
    reader: NotifiedEpochReader, postgres: Database
) -> None:
    """Before the listener thread runs, a request that finds the socket readable reads the database itself."""
    _listening(reader)
    known = reader._known
    assert known is not None
    pending, sender = socket.socketpair()
    try:
        import select

        watch = select.poll()
        watch.register(pending.fileno(), select.POLLIN)
        sender.send(b"A")  # what a NotificationResponse does to the real socket
        stale = (known[0] - 1, known[1], watch)  # the epoch the listener held before the notification
        reader._known = stale
        reads = _reads(reader)
        assert reader.current() == known[0]
        assert _reads(reader) == reads + 1
    finally:
        pending.close()
        sender.close()


def test_an_old_confirmation_is_not_trusted(postgres: Database) -> None:
    now = [0.0]
    reader = NotifiedEpochReader(postgres, fallback=_Counting(postgres), recheck_seconds=60, monotonic=lambda: now[0])
    try:
        _listening(reader)
        reads = _reads(reader)
        reader.current()
        assert _reads(reader) == reads
        now[0] = 2.5  # the listener has not confirmed the epoch for longer than trust_seconds (a hung connection)
        reader.current()
        assert _reads(reader) == reads + 1
    finally:
        reader.close()


def test_a_terminated_listener_falls_back_then_listens_again(reader: NotifiedEpochReader, postgres: Database) -> None:
    _listening(reader)
    before = reader.current()
    admin = make_url(postgres.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        killed = connection.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE application_name = 'jointcert-epoch-listener' AND datname = current_database()"
        ).fetchall()
    assert killed == [(True,)]
    _bump(postgres)  # committed while nobody listens: its notification is lost
    assert reader.current() == before + 1  # the socket is closed: read per request
    assert _until(lambda: reader.heard == 0 and reader.listening.is_set())  # reconnected, LISTEN, read again
    reads = _reads(reader)
    assert reader.current() == before + 1 and _reads(reader) == reads
    _bump(postgres)
    assert _until(lambda: reader.current() == before + 2)


def test_close_stops_the_listener(postgres: Database) -> None:
    reader = NotifiedEpochReader(postgres)
    _listening(reader)
    thread = reader._thread
    reader.close()
    assert thread is not None and not thread.is_alive()
    assert not reader.listening.is_set()


@pytest.fixture
def sqlite_file(database: Database) -> Database:
    if not database.is_sqlite:
        pytest.skip("PRAGMA data_version is SQLite's")
    return database


def test_sqlite_reads_the_epoch_again_only_after_a_commit_elsewhere(sqlite_file: Database) -> None:
    reader = VersionedEpochReader(sqlite_file)
    try:
        before = reader.current()
        statements: list[str] = []
        reader._local.connection.set_trace_callback(statements.append)
        assert [reader.current() for _ in range(3)] == [before] * 3
        assert statements == ["PRAGMA data_version"] * 3  # nothing committed: the epoch is not read
        statements.clear()
        _bump(sqlite_file)  # another connection of this process
        assert reader.current() == before + 1
        assert statements == ["PRAGMA data_version", EPOCH_SQL]
        path = make_url(sqlite_file.url).database
        bumped = subprocess.run(  # another process, committing through its own sqlite3 connection
            [sys.executable, "-c", _BUMP_ELSEWHERE, str(path)], check=False, capture_output=True, text=True, timeout=60
        )
        assert bumped.returncode == 0, bumped.stderr
        assert reader.current() == before + 2
    finally:
        reader.close()


_BUMP_ELSEWHERE = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=30)
with connection:
    connection.execute("UPDATE ca_revocation_epochs SET epoch = epoch + 1 WHERE issuer = 'class1'")
connection.close()
"""


def test_sqlite_each_thread_has_its_connection_and_a_failed_one_is_replaced(sqlite_file: Database) -> None:
    reader = VersionedEpochReader(sqlite_file)
    try:
        first = reader.current()
        other: list[int] = []
        thread = threading.Thread(target=lambda: other.append(reader.current()))
        thread.start()
        thread.join()
        assert other == [first] and len(reader._all) == 2
        reader._local.connection.close()  # e.g. closed under it
        with pytest.raises(sqlite3.ProgrammingError):
            reader.current()
        _bump(sqlite_file)
        assert reader.current() == first + 1 and len(reader._all) == 3
    finally:
        reader.close()
    assert reader._all == []
