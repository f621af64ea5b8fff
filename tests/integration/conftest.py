"""Integration fixtures: a real instance (init + build_services) on each backend, served in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jointcert.app import Services, build_services, init_instance
from jointcert.ca.lint import PkixLinter
from jointcert.clock import FakeClock
from jointcert.config import load_settings
from jointcert.storage.db import Database
from jointcert.web.app import create_app


@pytest.fixture(scope="session")
def shared_linter() -> PkixLinter:
    """pkilint validators, built once per session."""
    return PkixLinter()


@pytest.fixture
def services(
    database: Database, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_linter: PkixLinter
) -> Iterator[Services]:
    """``jointcert init`` on the test database, then the instance's services."""
    monkeypatch.setenv("JOINTCERT_DATABASE_URL", database.url)
    for name in ("JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    init_instance(data_dir, clock)
    built = build_services(load_settings(data_dir), clock, database=database, linter=shared_linter)
    yield built


@pytest.fixture
def client(services: Services) -> TestClient:
    """HTTP client for the instance's ASGI app (in-process)."""
    return TestClient(create_app(services), raise_server_exceptions=False)
