"""Scheduler leadership: the background loops run only while the leadership is held and stop when it is lost; one
holder at a time for the file lock (SQLite) and the PostgreSQL advisory lock, which a second process takes over
when the holder releases it or its connection dies."""

from __future__ import annotations

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from jointcert.storage.db import Database, DatabaseUnavailable
from jointcert.storage.leader import AdvisoryLockLeadership
from jointcert.web.scheduler import FileLockLeadership, lead


class _Switch:
    def __init__(self) -> None:
        self.held, self.released = True, False

    def poll(self) -> bool:
        return self.held

    def release(self) -> None:
        self.released = True


def test_loops_run_only_while_leading() -> None:
    runs: list[str] = []

    async def loop(name: str) -> None:
        while True:
            runs.append(name)
            await asyncio.sleep(0.01)

    async def scenario(switch: _Switch) -> tuple[int, int, int]:
        supervisor = asyncio.create_task(lead(switch, [loop], "job", poll_seconds=0.05))
        await asyncio.sleep(0.2)
        leading = len(runs)
        switch.held = False
        await asyncio.sleep(0.2)
        stopped = len(runs)
        await asyncio.sleep(0.2)
        after = len(runs)
        switch.held = True
        await asyncio.sleep(0.2)
        supervisor.cancel()
        with pytest.raises(asyncio.CancelledError):
            await supervisor
        return leading, stopped, after

    switch = _Switch()
    # A thread of its own: a session-scoped Playwright sync driver (tests/e2e) that ran earlier on the same xdist
    # worker keeps an event loop running in the main thread, where asyncio.run() is refused.
    with ThreadPoolExecutor(1) as thread:
        leading, stopped, after = thread.submit(asyncio.run, scenario(switch)).result()
    assert leading > 0 and stopped == after  # nothing ran while another process led
    assert len(runs) > after and switch.released  # leading again, and the lock given up at shutdown


def test_one_file_lock_holder_and_a_takeover(tmp_path: Path) -> None:
    first, second = FileLockLeadership(tmp_path / "scheduler.lock"), FileLockLeadership(tmp_path / "scheduler.lock")
    assert first.poll() and not second.poll() and first.poll()
    first.release()
    assert second.poll() and not first.poll()
    second.release()


@pytest.mark.postgres
def test_one_advisory_lock_holder_and_a_takeover_when_its_connection_dies(postgres_url: str) -> None:
    key = random.randrange(1, 2**31)
    first, second = AdvisoryLockLeadership(postgres_url, key), AdvisoryLockLeadership(postgres_url, key)
    try:
        assert first.poll() and not second.poll() and first.poll() and not second.poll()
        first.release()
        assert second.poll() and not first.poll()
        admin = postgres_url.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:  # the leader's connection dies (a killed process)
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s", (key,)
            )
        assert not second.poll()  # it notices and gives the leadership up
        assert first.poll()  # and another takes it
    finally:
        first.release()
        second.release()


def test_an_unreachable_database_is_a_typed_unavailable_error() -> None:

    database = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(DatabaseUnavailable) as refused, database.session() as session:
            session.execute(text("SELECT 1"))
        assert refused.value.code == "database_unavailable" and refused.value.kind.value == "unavailable"
        assert AdvisoryLockLeadership("postgresql+psycopg://postgres@127.0.0.1:1/nowhere").poll() is False
    finally:
        database.dispose()
