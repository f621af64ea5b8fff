"""Crash injection, for real: a ``jointcert serve`` subprocess SIGKILLs itself at every fault point of the CA
pipeline and the issuance saga (JSON enrollment and CMP ir + certConf). After each crash a second node (this
process, on the same database) reconciles, half of the customers retry there (a load balancer's choice) and half
give up, and the server is restarted armed with the next point. At the end it is restarted without a fault, the
confirmation wait passes, ``jointcert reconcile`` runs, and the invariants of docs/crash-safety.md are checked
(``jointcert audit verify`` too).

``make test`` runs every point 3 times per backend (JOINTCERT_CRASH_REPEATS overrides); the slow variant
(``JOINTCERT_SLOW=1``) 50 times. The counts are printed.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jointcert.app import build_services, init_instance
from jointcert.config import load_settings
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankAccount
from jointcert.web.app import create_app
from tests.integration.crash_harness import (
    CMP_POINTS,
    CMP_USERS,
    CONFIRM_WAIT,
    GRACE,
    JSON_POINTS,
    JSON_USERS,
    CmpJourney,
    Journey,
    JsonJourney,
    Server,
    check_invariants,
    drive,
)
from tests.integration.issuance_flow import cheap_hasher

REPEATS = int(os.environ.get("JOINTCERT_CRASH_REPEATS", "3"))


def _schedule(repeats: int) -> list[tuple[str, str]]:
    """Every point ``repeats`` times; the CA pipeline's points alternate between JSON enrollments and CMP ir."""
    schedule = [(p, "json") for p in JSON_POINTS if p not in CMP_POINTS for _ in range(repeats)]
    shared = [p for p in JSON_POINTS if p in CMP_POINTS]
    schedule += [(p, ("json", "cmp")[i % 2]) for p in shared for i in range(repeats)]
    return schedule + [(p, "cmp") for p in CMP_POINTS if p not in shared for _ in range(repeats)]


def _run(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repeats: int) -> None:
    monkeypatch.setenv("JOINTCERT_DATABASE_URL", database.url)
    for name in ("JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR", "JOINTCERT_FAULT_POINT"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    init_instance(data_dir)
    server = Server(data_dir, database.url, tmp_path / "server.log")
    for key, value in server.env().items():
        if (
            key.startswith("JOINTCERT_RA__")
            or key.startswith("JOINTCERT_CMP__")
            or key == "JOINTCERT_SERVER__PUBLIC_URL"
        ):
            monkeypatch.setenv(key, value)  # the reconciler of this process (another node) uses the same waits
    settings = load_settings(data_dir)
    services = build_services(
        settings, database=database, actor="test", bank_hasher=cheap_hasher(settings.secret_key_bytes())
    )
    services.bank.seed()
    with database.session() as db:
        balances = {a.number: a.balance_krw for a in db.scalars(select(BankAccount))}
    crashes: Counter[tuple[str, str]] = Counter()
    started = time.monotonic()
    other_node = TestClient(create_app(services), raise_server_exceptions=False)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for index, (point, channel) in enumerate(_schedule(repeats)):
                journey: Journey
                abandon = (index // 2) % 2 == 1  # both customers sometimes give up, sometimes retry
                if channel == "json":
                    user, method, cert_type = JSON_USERS[index % len(JSON_USERS)]
                    journey = JsonJourney(http, user, method, cert_type, index % 4, abandon)
                else:
                    user = CMP_USERS[index % len(CMP_USERS)]
                    journey = CmpJourney(services, http, f"{server.url}/cmp", user, abandon)
                server.start(fault=point)  # the restart after the previous crash, armed with the next point
                assert drive(journey), f"{channel}: the fault point {point} was never reached"
                assert server.killed_itself(), f"{point}: the server did not die of SIGKILL"
                crashes[(point, channel)] += 1
                time.sleep(GRACE)
                services.reconciler.run()  # another node settles what the crash left
                if not abandon:  # the app retries, and the load balancer sends it to the other node
                    journey.http = other_node
                    if isinstance(journey, CmpJourney):
                        journey.cmp_url = "http://testserver/cmp"
                    assert not drive(journey, begun=True), "the other node crashed"
        server.start()
        time.sleep(CONFIRM_WAIT + GRACE + 0.5)  # every unconfirmed certificate is now past its wait
        reconciled = server.cli("reconcile")
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        figures = check_invariants(services, server.url, balances)
        audit = server.cli("audit", "verify")
        assert audit.returncode == 0, audit.stdout + audit.stderr
    finally:
        server.stop()
        services.close()
    backend = "postgres" if database.url.startswith("postgresql") else "sqlite"
    print(f"\ncrash safety on {backend}: {sum(crashes.values())} SIGKILLs in {time.monotonic() - started:.0f} s")
    for (point, channel), count in sorted(crashes.items()):
        print(f"  {channel:4} {point:20} {count}")
    per_point = Counter(point for point, _ in crashes.elements())
    print(f"  after: {figures}")
    print(reconciled.stdout)
    assert min(per_point.values()) >= repeats and set(per_point) == set(JSON_POINTS) | set(CMP_POINTS)


def test_every_fault_point_leaves_nothing_harmful(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(database, tmp_path, monkeypatch, REPEATS)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("JOINTCERT_SLOW"), reason="long crash run: set JOINTCERT_SLOW=1")
def test_every_fault_point_fifty_times(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(database, tmp_path, monkeypatch, 50)
