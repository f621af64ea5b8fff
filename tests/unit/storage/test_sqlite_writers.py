"""SQLite writers: this process's units of work queue for the write lock in turn (none starves while dozens wait),
and a write lock held elsewhere past the busy timeout is DatabaseUnavailable (503 + Retry-After), never a 500."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from jointcert.errors import Unavailable
from jointcert.storage.db import Database, DatabaseUnavailable


def _database(path: Path, busy_timeout_ms: int) -> Database:
    database = Database(f"sqlite:///{path}", busy_timeout_ms=busy_timeout_ms)
    with database.connection() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS counter (n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    return database


def _count(database: Database) -> int:
    with database.connection() as connection:
        return int(connection.execute(text("SELECT n FROM counter")).scalar_one())


def test_many_threads_of_one_process_all_get_their_turn(tmp_path: Path) -> None:
    database = _database(tmp_path / "db.sqlite", busy_timeout_ms=15_000)
    failures: list[BaseException] = []

    def writer() -> None:
        for _ in range(10):
            try:
                with database.unit_of_work() as connection:
                    n = connection.execute(text("SELECT n FROM counter")).scalar_one()
                    time.sleep(0.002)  # work done while holding the lock, as a flow step does
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
            except BaseException as exc:  # collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and _count(database) == 320  # serialised: no lost update, nobody timed out
    database.dispose()


_HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


def test_a_lock_held_by_another_process_past_the_timeout_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    database = _database(path, busy_timeout_ms=300)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), "10"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(DatabaseUnavailable) as caught, database.unit_of_work() as connection:
            connection.execute(text("UPDATE counter SET n = 99"))
        assert isinstance(caught.value, Unavailable) and caught.value.code == "database_unavailable"
        with pytest.raises(DatabaseUnavailable), database.connection() as connection:  # outside a unit, too
            connection.execute(text("UPDATE counter SET n = 98"))
    finally:
        holder.kill()
        holder.wait()
    assert _count(database) == 0  # nothing was written
    with database.unit_of_work() as connection:  # and the lock is usable again once the holder has gone
        connection.execute(text("UPDATE counter SET n = 1"))
    assert _count(database) == 1
    database.dispose()
