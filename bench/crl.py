"""CRL generation time and size for 10k, 100k (and with ``--full`` 1M) revoked entries.

Each size gets its own database (SQLite file, or a PostgreSQL database made and dropped for the run) with the CA
hierarchy installed and that many revoked records inserted in bulk (not timed). Timed: what the revocation listener
and the schedule run, :meth:`CrlPublisher.regenerate` — allocate the CRL number, read the revoked records, encode,
sign, store the CRL with its audit entry. The reading of the records is timed on its own as well.
Run: ``python -m bench.crl [--full] [--backend postgresql]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.instance import postgres_database
from bench.report import Row, render
from jointcert.ca.bootstrap import install_hierarchy
from jointcert.ca.crl import CrlPublisher
from jointcert.ca.hierarchy import ISSUING, generate_hierarchy
from jointcert.ca.keys import FileKeyStore
from jointcert.clock import SystemClock
from jointcert.config import CaSettings
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.storage.tables.ca import CaCertificate

__all__ = ["SIZES", "measure"]

SIZES = (10_000, 100_000)
FULL_SIZES = (10_000, 100_000, 1_000_000)
_BATCH = 20_000
_REASONS = (None, "keyCompromise", "superseded", "affiliationChanged", "cessationOfOperation")


@contextmanager
def _database(backend: str, tmp: Path, size: int) -> Iterator[Database]:
    if backend == "postgresql":
        with postgres_database() as url:
            database = Database(url)
            try:
                yield database
            finally:
                database.dispose()
    else:
        database = Database(f"sqlite:///{tmp / f'crl-{size}.db'}")
        try:
            yield database
        finally:
            database.dispose()


def _fill(database: Database, size: int, now: datetime) -> None:
    rows = []
    for i in range(size):
        rows.append(
            {
                "issuer": ISSUING, "serial_hex": format((1 << 120) + i * 7919, "x"), "status": "revoked",
                "profile": "limited", "subject": "cn=bench", "unique_id": None, "holder_hash": None, "channel": "cli",
                "not_before": now - timedelta(days=30), "not_after": now + timedelta(days=335),
                "tbs_sha256": b"\0" * 32, "created_at": now - timedelta(days=30),
                "revoked_at": now - timedelta(seconds=i), "revocation_reason": _REASONS[i % len(_REASONS)],
            }
        )  # fmt: skip
        if len(rows) == _BATCH:
            with database.engine.begin() as connection:
                connection.execute(insert(CaCertificate), rows)
            rows = []
    if rows:
        with database.engine.begin() as connection:
            connection.execute(insert(CaCertificate), rows)


def _one(backend: str, tmp: Path, size: int) -> Row:
    clock, settings = SystemClock(), CaSettings()
    label = "SQLite" if backend == "sqlite" else "PgSQL"
    with _database(backend, tmp, size) as database:
        database.migrate()
        hierarchy = generate_hierarchy(settings, "http://127.0.0.1:8000", clock.now())
        store = SqlCertificateStore(database)
        keys = FileKeyStore(tmp / f"keys-{size}-{backend}")
        install_hierarchy(
            hierarchy, store=store, audit=SqlAuditStore(database), keys=keys, passphrase=b"x", clock=clock
        )
        _fill(database, size, clock.now().replace(microsecond=0))
        publisher = CrlPublisher(store=store, signers={ISSUING: hierarchy.issuing}, clock=clock, settings=settings)
        start = time.perf_counter()
        entries = store.revoked(ISSUING)
        read = time.perf_counter() - start
        assert len(entries) == size
        start = time.perf_counter()
        record = publisher.regenerate(ISSUING, actor="bench")
        elapsed = time.perf_counter() - start
    target = "≤ 30 s" if size >= 1_000_000 else ""
    note = f"{len(record.der) / 1e6:.1f} MB DER; reading the {size:,} records alone: {read:.2f} s"
    return Row(
        label, f"CRL of {size:,} entries", elapsed, (), target=target, met=elapsed <= 30 if target else None,
        note=note, unit="s",
    )  # fmt: skip


def measure(backends: list[str], sizes: tuple[int, ...]) -> list[Row]:
    """One row per backend and size; ``rate`` holds the seconds the regeneration took."""
    with tempfile.TemporaryDirectory(prefix="jointcert-bench-crl-") as tmp:
        return [_one(backend, Path(tmp), size) for backend in backends for size in sizes]


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="include 1,000,000 entries")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--size", type=int, action="append", help="entries (repeatable; overrides the defaults)")
    args = parser.parse_args()
    sizes = tuple(args.size) if args.size else (FULL_SIZES if args.full else SIZES)
    print(render(measure(args.backend or ["sqlite"], sizes), f"CRL generation (pid {os.getpid()})"))


if __name__ == "__main__":
    main()
