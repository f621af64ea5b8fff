"""Shared fixtures: clocks and databases (SQLite always; PostgreSQL on 127.0.0.1:5432 when reachable)."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from jointcert.ca.lint_sample import SAMPLER_THREAD
from jointcert.clock import FakeClock
from jointcert.storage.db import Database

# Tests never assert on time: Hypothesis' per-example deadline would turn a loaded machine into a failure.
settings.register_profile("jointcert", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("jointcert")

# Template linting re-lints every issued certificate in the tests (pkilint + KISA checks, in the background);
# `_lint_samples_clean` fails the test that issued a certificate with a finding. Subprocesses inherit it.
os.environ.setdefault("JOINTCERT_CA__LINT_SAMPLE_RATE", "1")

POSTGRES_ADMIN_URL = os.environ.get("JOINTCERT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock set to a fixed, recent time."""
    return FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    if not _postgres_available():
        if os.environ.get("CI") or os.environ.get("JOINTCERT_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI but is not reachable")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    name = f"jointcert_test_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_database(url: str) -> Database:
    db = Database(url)
    db.migrate()
    return db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database on each backend (the same test runs on SQLite and on PostgreSQL)."""
    if request.param == "sqlite":
        db = _fresh_database(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        base: str = request.getfixturevalue("postgres_url")
        import psycopg

        schema_db = f"jc_{uuid.uuid4().hex[:12]}"
        admin = POSTGRES_ADMIN_URL.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{schema_db}"')
        db = _fresh_database(base.rsplit("/", 1)[0] + f"/{schema_db}")
        request.addfinalizer(lambda: _drop(admin, schema_db))
    try:
        yield db
    finally:
        db.dispose()


def _drop(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _lint_samples_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every certificate a test issues under template linting is re-linted (sample rate 1); a finding fails the
    test unless it is marked ``lint_findings_expected``."""
    collect = _Collect()
    loggers = [logging.getLogger("jointcert.ca.lint_gate"), logging.getLogger("jointcert.ca.lint_sample")]
    for logger in loggers:
        logger.addHandler(collect)
    yield
    for thread in threading.enumerate():
        if thread.name == SAMPLER_THREAD:
            thread.join(120)
    for logger in loggers:
        logger.removeHandler(collect)
    if request.node.get_closest_marker("lint_findings_expected") is None:
        found = [record.getMessage() for record in collect.records]
        assert not found, f"pkilint or the KISA checks found problems in issued certificates: {found}"
