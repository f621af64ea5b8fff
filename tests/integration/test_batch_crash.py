"""Crash in the middle of a batch (ca/batcher.py), for real: a subprocess issuing from 8 threads SIGKILLs itself
right after a batch's record transaction, or after the batch was signed and before its store. After a restart the
reconciler's voiding leaves only void records of the cut batch; no certificate that was answered is lost, none is
issued twice (the clients retry with their idempotency keys), every stored signature matches its recorded TBS and
the audit chain holds — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import select

from jointcert.ca.audit import verify_store
from jointcert.ca.bootstrap import install_hierarchy
from jointcert.ca.hierarchy import ISSUING, generate_hierarchy
from jointcert.ca.keys import FileKeyStore
from jointcert.ca.ports import RecordStatus
from jointcert.clock import SystemClock
from jointcert.config import CaSettings
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.storage.tables.ca import CaCertificate
from tests.integration.batch_crash_worker import PASSPHRASE, PUBLIC_URL

ROOT = Path(__file__).resolve().parents[2]
COUNT = 48


def _worker(database: Database, key_dir: Path, *, fault: str | None) -> tuple[int, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    env["PYTHONPATH"] = str(ROOT)
    if fault is not None:
        env["JOINTCERT_FAULT_POINT"] = fault
    args = [sys.executable, "-m", "tests.integration.batch_crash_worker", database.url, str(key_dir), str(COUNT)]
    done = subprocess.run(
        [*args, *([] if fault is not None else ["--recover"])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout.splitlines() + done.stderr.splitlines()[-20:]


def _answers(lines: list[str]) -> dict[int, str]:
    return {int(p[1]): p[2] for p in (line.split() for line in lines) if p and p[0] == "issued"}


def _rows(database: Database) -> list[CaCertificate]:
    with database.session() as db:
        rows = list(db.scalars(select(CaCertificate).where(CaCertificate.issuer == ISSUING)))
        db.expunge_all()
    return [r for r in rows if r.channel == "cli"]


@pytest.mark.parametrize("fault", ["batch_after_record", "batch_after_sign"])
def test_a_batch_cut_by_a_crash_is_voided_and_nothing_is_lost_or_issued_twice(
    database: Database, tmp_path: Path, fault: str
) -> None:
    clock = SystemClock()
    settings = CaSettings()
    hierarchy = generate_hierarchy(settings, PUBLIC_URL, datetime.now(UTC))
    store, audit = SqlCertificateStore(database), SqlAuditStore(database)
    key_dir = tmp_path / "ca"
    install_hierarchy(
        hierarchy, store=store, audit=audit, keys=FileKeyStore(key_dir), passphrase=PASSPHRASE, clock=clock
    )

    code, crashed = _worker(database, key_dir, fault=fault)
    assert code == -signal.SIGKILL, crashed
    before = _answers(crashed)
    cut = [r for r in _rows(database) if r.status == RecordStatus.PENDING.value]
    assert len(cut) >= 2, "the crash did not cut a batch of two or more"
    assert all(r.der is None for r in cut)

    code, restarted = _worker(database, key_dir, fault=None)
    assert code == 0, restarted
    assert f"voided {len(cut)}" in restarted
    after = _answers(restarted)
    assert sorted(after) == list(range(COUNT))
    assert all(after[i] == serial for i, serial in before.items()), "a delivered certificate was issued again"

    rows = _rows(database)
    by_serial = {r.serial_hex: r for r in rows}
    assert not [r for r in rows if r.status == RecordStatus.PENDING.value]
    assert sorted(r.serial_hex for r in rows if r.status == RecordStatus.VOID.value) == sorted(
        r.serial_hex for r in cut
    )
    for serial in after.values():
        row = by_serial[serial]
        assert row.status == RecordStatus.ISSUED.value and row.der is not None
    for row in rows:
        if row.der is not None:
            tbs = x509.load_der_x509_certificate(row.der).tbs_certificate_bytes
            assert hashlib.sha256(tbs).digest() == row.tbs_sha256, "a signature without a record of its TBS"
    issued = Counter(r.holder_hash for r in rows if r.status == RecordStatus.ISSUED.value)
    assert len(issued) == COUNT and max(issued.values()) == 1
    assert verify_store(audit).ok
