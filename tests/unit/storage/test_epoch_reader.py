"""The live revocation-epoch reader of the OCSP hot path (storage/repositories/ca_ocsp.py): it keeps a few
connections idle and reuses them, keeps no more than its cap, and drops a connection whose read failed."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from jointcert.storage.db import Database
from jointcert.storage.repositories.ca_epoch import bump_epoch
from jointcert.storage.repositories.ca_ocsp import LiveEpochReader


def _bump(database: Database) -> None:
    with database.session() as session:
        bump_epoch(session, "class1")


def test_reads_reuse_one_connection_and_see_each_commit(database: Database) -> None:
    reader = LiveEpochReader(database)
    try:
        first = reader.current()
        _bump(database)  # committed by another connection
        second = reader.current()
        _bump(database)
        third = reader.current()
        assert (second, third) == (first + 1, first + 2)
        assert reader.opened == 1 and reader.idle == 1
    finally:
        reader.close()
    assert reader.idle == 0


class _Gated:
    """A connection whose reads wait until ``gate`` lets every reader through (so all are open at once)."""

    def __init__(self, inner: Any, gate: threading.Barrier) -> None:
        self.inner, self.gate, self.closed = inner, gate, False

    def execute(self, sql: str) -> Any:
        self.gate.wait(timeout=30)
        return self.inner.execute(sql)

    def close(self) -> None:
        self.closed = True
        self.inner.close()


def test_at_most_keep_connections_stay_idle(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = LiveEpochReader(database, keep=4)
    gate = threading.Barrier(6)
    made: list[_Gated] = []
    connect = reader._connect

    def gated() -> _Gated:
        connection = _Gated(connect(), gate)
        made.append(connection)
        return connection

    monkeypatch.setattr(reader, "_connect", gated)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(reader.current())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(results) == 6 and len(set(results)) == 1  # nobody waited for another's connection
        assert reader.opened == 6 and len(made) == 6
        assert reader.idle == 4
        assert sum(connection.closed for connection in made) == 2
    finally:
        reader.close()
    assert all(connection.closed for connection in made)


def test_a_broken_connection_is_dropped_not_returned(database: Database) -> None:
    reader = LiveEpochReader(database)
    try:
        before = reader.current()
        broken = reader._idle[-1]
        broken.close()  # e.g. the server closed it
        with pytest.raises(Exception):  # noqa: B017 (sqlite3.ProgrammingError or psycopg.OperationalError)
            reader.current()
        assert reader.idle == 0  # not put back
        _bump(database)
        assert reader.current() == before + 1  # a fresh connection
        assert reader.opened == 2 and reader._idle[-1] is not broken
    finally:
        reader.close()
