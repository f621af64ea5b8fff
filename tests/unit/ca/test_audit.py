"""The audit chain: intact after many (concurrent) writers on both backends; edits and deletions are found."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, update

from jointcert.ca.audit import GENESIS_HASH, canonical_payload, chain_hash, verify_chain, verify_store
from jointcert.ca.ports import AuditEvent
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore
from jointcert.storage.tables.ca import CaAuditLog


def _event(clock: FakeClock, n: int) -> AuditEvent:
    return AuditEvent("test.event", f"actor-{n}", clock.now(), {"n": n, "text": "한글"})


def test_concurrent_appends_keep_one_unbroken_chain(database: Database, clock: FakeClock) -> None:
    store = SqlAuditStore(database)
    with ThreadPoolExecutor(max_workers=16) as pool:
        entries = list(pool.map(lambda n: store.append(_event(clock, n)), range(200)))
    assert sorted(e.seq for e in entries) == list(range(1, 201))
    report = verify_store(store, page=37)
    assert report.ok and report.checked == 200
    assert store.head()[0] == 200


def test_edit_is_reported_at_the_edited_entry(database: Database, clock: FakeClock) -> None:
    store = SqlAuditStore(database)
    for n in range(10):
        store.append(_event(clock, n))
    with database.session() as s:
        s.execute(update(CaAuditLog).where(CaAuditLog.seq == 4).values(payload=CaAuditLog.payload + " "))
    report = verify_store(store)
    assert not report.ok and report.broken_seq == 4 and report.checked == 3


def test_rewritten_entry_with_recomputed_hash_breaks_the_next_link(database: Database, clock: FakeClock) -> None:
    store = SqlAuditStore(database)
    entries = [store.append(_event(clock, n)) for n in range(5)]
    forged = canonical_payload(3, AuditEvent("test.event", "mallory", clock.now(), {"n": 99}))
    with database.session() as s:
        s.execute(
            update(CaAuditLog)
            .where(CaAuditLog.seq == 3)
            .values(payload=forged, actor="mallory", hash=chain_hash(entries[1].hash, forged))
        )
    report = verify_store(store)
    assert report.broken_seq == 4 and "prev_hash" in (report.reason or "")


@pytest.mark.parametrize("seq", [3, 5])
def test_deleted_entries_are_reported(database: Database, clock: FakeClock, seq: int) -> None:
    store = SqlAuditStore(database)
    for n in range(5):
        store.append(_event(clock, n))
    with database.session() as s:
        s.execute(delete(CaAuditLog).where(CaAuditLog.seq == seq))
    report = verify_store(store)
    assert not report.ok and report.broken_seq == seq


def test_events_must_not_carry_secrets(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="rrn"):
        canonical_payload(1, AuditEvent("x", "y", clock.now(), {"rrn": "9001011234567"}))
    assert verify_chain([]).ok and verify_chain([], (0, GENESIS_HASH)).ok
