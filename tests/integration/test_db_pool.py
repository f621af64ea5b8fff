"""Pooled connections under load: a unit of work never takes a second connection from the pool (threads each
holding one and waiting for another would exhaust it), and a pool with none free answers DatabaseUnavailable (503)
instead of an internal error, on SQLite and PostgreSQL. Found by the flow benchmark on PostgreSQL: 50 customers
choosing a certificate type held their steps' connections and waited for a second one to read the profile version,
until the pool timed out."""

from __future__ import annotations

import threading
import time

import pytest

from jointcert.errors import ErrorKind
from jointcert.storage.db import Database, DatabaseUnavailable, NestedConnectionWarning
from jointcert.storage.repositories.ca_profiles import SqlProfileSettings


def test_reads_inside_a_unit_of_work_use_its_connection(database: Database) -> None:
    profiles = SqlProfileSettings(database)
    pool = database.engine.pool
    with database.unit_of_work():
        held = pool.checkedout()  # type: ignore[attr-defined]
        assert profiles.latest_version() == 0
        with database.connection() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
        assert pool.checkedout() == held  # type: ignore[attr-defined]


def test_a_second_pooled_connection_inside_a_unit_of_work_is_refused_in_tests(database: Database) -> None:
    with database.unit_of_work(), pytest.raises(NestedConnectionWarning), database.engine.connect():
        pass
    with database.engine.connect() as connection:  # outside a unit: an ordinary checkout
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1


@pytest.mark.postgres
def test_steps_in_many_threads_on_a_small_pool_all_finish(postgres_url: str) -> None:
    """Twelve threads, each in a unit of work reading the profile version (as the certificate-type step does), on a
    pool of four connections: every one finishes."""
    database = Database(postgres_url, pool_size=2, pool_timeout_seconds=10)
    database.migrate()
    profiles = SqlProfileSettings(database)
    errors: list[BaseException] = []
    done: list[int] = []

    def step(index: int) -> None:
        try:
            for _ in range(5):
                with database.unit_of_work():
                    time.sleep(0.01)  # the step's own statements
                    profiles.latest_version()
            done.append(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=step, args=(i,)) for i in range(12)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors and sorted(done) == list(range(12))
    finally:
        database.dispose()


def test_a_pool_with_no_connection_free_is_database_unavailable(database: Database) -> None:
    """On both backends (SQLite's file databases take the same pool)."""
    database = Database(database.url, pool_size=1, pool_timeout_seconds=0.2)
    try:
        with database.engine.connect(), database.engine.connect():  # pool_size + max_overflow = 2
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable) as raised, database.engine.connect():
                pass
            assert time.monotonic() - started < 5
            assert raised.value.code == "database_unavailable" and raised.value.kind is ErrorKind.UNAVAILABLE  # 503
        with database.engine.connect() as connection:  # free again
            assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        database.dispose()
