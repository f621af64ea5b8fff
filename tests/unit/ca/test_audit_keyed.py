"""The keyed, anchored audit log: every tampering an attacker with write access to the database (but not the
instance secret) can do is detected — column edits (``at`` included), deletion, reorder, a cut tail, a cut tail with
the head rewound, a fully re-hashed chain — by the MACs and the checkpoints kept outside the database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from jointcert.ca.audit import GENESIS_HASH, canonical_payload, chain_hash, derive_audit_keys, entry_mac
from jointcert.ca.checkpoint import AuditAnchor
from jointcert.ca.ports import AuditEntry, AuditEvent
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore
from jointcert.storage.tables.ca import CaAuditHead, CaAuditLog

KEYS = derive_audit_keys(b"s" * 32)
N = 12


def _log(database: Database, clock: FakeClock, tmp_path: Path, n: int = N) -> AuditAnchor:
    database.audit_key = KEYS.entry
    store = SqlAuditStore(database)
    anchor = AuditAnchor(store, KEYS, tmp_path / "cp.jsonl", clock, every_entries=4, every_minutes=10)
    for i in range(n):
        clock.advance(timedelta(seconds=1))
        store.append(AuditEvent("test.event", f"actor-{i}", clock.now(), {"n": i}))
        anchor.maybe_checkpoint()
    return anchor


def _rows(database: Database) -> list[CaAuditLog]:
    with database.session() as s:
        rows = list(s.scalars(select(CaAuditLog).order_by(CaAuditLog.seq)).all())
        s.expunge_all()
        return rows


def _set_head(database: Database, row: CaAuditLog) -> None:
    with database.session() as s:
        s.execute(update(CaAuditHead).values(seq=row.seq, hash=row.hash, mac=row.mac))


def test_intact_log_verifies_with_every_mac_and_checkpoint(
    database: Database, clock: FakeClock, tmp_path: Path
) -> None:
    anchor = _log(database, clock, tmp_path)
    report = anchor.verify()
    assert report.ok and report.checked == N and report.keyed == N
    assert [c.seq for c in anchor.file.read()[0]] == [1, 5, 9]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at", None),
        ("type", "forged.event"),
        ("actor", "mallory"),
        ("payload", None),
        ("prev_hash", b"\x01" * 32),
        ("hash", b"\x02" * 32),
        ("mac", b"\x03" * 32),
    ],
)
def test_an_edit_of_any_column_is_detected(
    database: Database, clock: FakeClock, tmp_path: Path, column: str, value: object
) -> None:
    anchor = _log(database, clock, tmp_path)
    row = _rows(database)[5]
    if column == "at":
        value = row.at + timedelta(minutes=5)
    if column == "payload":
        value = row.payload.replace('"n":5', '"n":6')
    with database.session() as s:
        s.execute(update(CaAuditLog).where(CaAuditLog.seq == row.seq).values({column: value}))
    report = anchor.verify()
    assert not report.ok and report.broken_seq in (row.seq, row.seq + 1), report


def test_at_edit_with_matching_payload_and_rehash_is_caught_by_the_mac(
    database: Database, clock: FakeClock, tmp_path: Path
) -> None:
    anchor = _log(database, clock, tmp_path, 3)
    row = _rows(database)[2]  # the last one: nothing after it to break
    moved = row.at - timedelta(days=30)
    payload = canonical_payload(3, AuditEvent(row.type, row.actor, moved, json.loads(row.payload)["data"]))
    digest = chain_hash(row.prev_hash, payload)
    with database.session() as s:
        s.execute(update(CaAuditLog).where(CaAuditLog.seq == 3).values(at=moved, payload=payload, hash=digest))
        s.execute(update(CaAuditHead).values(hash=digest))
    report = anchor.verify()
    assert not report.ok and report.broken_seq == 3 and "MAC" in (report.reason or "")


def test_deletion_and_reorder_are_detected(database: Database, clock: FakeClock, tmp_path: Path) -> None:
    anchor = _log(database, clock, tmp_path)
    rows = _rows(database)
    with database.session() as s:  # swap the contents of entries 3 and 4, sequence numbers kept
        for target, source in ((rows[2], rows[3]), (rows[3], rows[2])):
            values = {c: getattr(source, c) for c in ("at", "type", "actor", "payload", "prev_hash", "hash", "mac")}
            s.execute(update(CaAuditLog).where(CaAuditLog.seq == target.seq).values(values))
    assert anchor.verify().broken_seq == 3
    with database.session() as s:
        s.execute(delete(CaAuditLog).where(CaAuditLog.seq.in_([3, 4])))
    assert anchor.verify().broken_seq == 3


def test_cut_tail_is_detected_with_and_without_a_rewound_head(
    database: Database, clock: FakeClock, tmp_path: Path
) -> None:
    anchor = _log(database, clock, tmp_path)
    rows = _rows(database)
    with database.session() as s:
        s.execute(delete(CaAuditLog).where(CaAuditLog.seq > 6))
    cut = anchor.verify()
    assert not cut.ok and "head" in (cut.reason or "")
    _set_head(database, rows[5])  # the head rewound to entry 6: the chain alone looks whole
    rewound = anchor.verify()
    assert not rewound.ok and rewound.broken_seq == 7 and "checkpoint" in (rewound.reason or ""), rewound


def test_fully_rehashed_chain_is_detected(database: Database, clock: FakeClock, tmp_path: Path) -> None:
    anchor = _log(database, clock, tmp_path)
    rows = _rows(database)
    prev, forged_key = GENESIS_HASH, derive_audit_keys(b"m" * 32).entry  # the attacker lacks the real key
    prev_mac = GENESIS_HASH
    with database.session() as s:
        for row in rows:
            payload = row.payload.replace('"n":', '"n":1')  # every entry rewritten
            digest = chain_hash(prev, payload)
            entry = AuditEntry(row.seq, row.at, row.type, row.actor, payload, prev, digest)
            mac = entry_mac(forged_key, prev_mac, entry)
            s.execute(
                update(CaAuditLog)
                .where(CaAuditLog.seq == row.seq)
                .values(payload=payload, prev_hash=prev, hash=digest, mac=mac)
            )
            prev, prev_mac = digest, mac
        s.execute(update(CaAuditHead).values(hash=prev, mac=prev_mac))
    report = anchor.verify()
    assert not report.ok and report.broken_seq == 1 and "MAC" in (report.reason or "")
    with database.session() as s:  # stripping the MACs instead: the checkpoints still name the real head
        s.execute(update(CaAuditLog).values(mac=None))
    stripped = anchor.verify()
    assert not stripped.ok and "checkpoint" in (stripped.reason or ""), stripped


def test_legacy_prefix_is_covered_by_the_first_keyed_entry(
    database: Database, clock: FakeClock, tmp_path: Path
) -> None:
    store = SqlAuditStore(database)  # no key yet: as before the upgrade
    for i in range(3):
        store.append(AuditEvent("old.event", "old", clock.now(), {"i": i}))
    anchor = _log(database, clock, tmp_path, 3)
    report = anchor.verify()
    assert report.ok and report.checked == 6 and report.keyed == 3
    row = _rows(database)[1]  # re-hash the legacy prefix from entry 2 on: entry 4's prev_hash no longer matches
    payload = row.payload.replace('"i":1', '"i":9')
    digest = chain_hash(row.prev_hash, payload)
    after = _rows(database)[2]
    third = chain_hash(digest, after.payload)
    with database.session() as s:
        s.execute(update(CaAuditLog).where(CaAuditLog.seq == 2).values(payload=payload, hash=digest))
        s.execute(update(CaAuditLog).where(CaAuditLog.seq == 3).values(prev_hash=digest, hash=third))
        s.execute(update(CaAuditLog).where(CaAuditLog.seq == 4).values(prev_hash=third))
    assert anchor.verify().broken_seq == 4


def test_tampered_or_missing_checkpoint_file_fails(database: Database, clock: FakeClock, tmp_path: Path) -> None:
    anchor = _log(database, clock, tmp_path)
    lines = anchor.file.path.read_text().splitlines()
    forged = json.loads(lines[-1]) | {"seq": 2}
    anchor.file.path.write_text("\n".join([*lines[:-1], json.dumps(forged)]) + "\n")
    assert "bad tag" in (anchor.verify().reason or "")
    anchor.file.path.unlink()
    assert "no checkpoint" in (anchor.verify().reason or "")
