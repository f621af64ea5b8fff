"""CRL publishing at 10k, 100k (and with ``--full`` 1M) revoked entries: the partitioned path, against the old
full-CRL path as its baseline, measured in the same run.

Each size gets its own database (SQLite file, or a PostgreSQL database made and dropped for the run) with the CA
hierarchy installed and that many revoked records bulk-loaded (not timed) as the revoking transactions leave them
(``bench.crl_fill``: each record in a partition of ``[ca] crl_partition_size``, its DER entry stored, every
partition dirty). Timed:

- **partitioned**: what the scheduler leader runs, :meth:`CrlPublisher.regenerate_dirty` — every dirty partition's
  CRL (a join of stored entries) and the full CRL joined from them;
- **one revocation**: one partition made dirty again, then ``regenerate_dirty``: the work one revocation costs;
- **full path (baseline)**: a publisher without partitions, :meth:`CrlPublisher.regenerate` — read every revoked
  record, encode, sign: what every revocation cost before partitions.

Run: ``python -m bench.crl [--full] [--backend postgresql] [--size N] [--no-baseline]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import update

from bench.crl_fill import fill_revoked
from bench.instance import postgres_database
from bench.report import Row, render
from jointcert.ca.bootstrap import install_hierarchy
from jointcert.ca.crl import CrlPublisher
from jointcert.ca.hierarchy import ISSUING, Hierarchy, generate_hierarchy
from jointcert.ca.keys import FileKeyStore
from jointcert.clock import SystemClock
from jointcert.config import CaSettings
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.storage.repositories.ca_epoch import SqlRevocationEpochs
from jointcert.storage.repositories.ca_partitions import SqlCrlPartitions
from jointcert.storage.tables.ca import CaCrlPartition

__all__ = ["SIZES", "measure"]

SIZES = (10_000, 100_000)
FULL_SIZES = (10_000, 100_000, 1_000_000)
_URL = "http://127.0.0.1:8000"


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


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _one(backend: str, tmp: Path, size: int, settings: CaSettings, *, baseline: bool) -> list[Row]:
    clock, label = SystemClock(), "SQLite" if backend == "sqlite" else "PgSQL"
    with _database(backend, tmp, size) as database:
        database.migrate()
        hierarchy: Hierarchy = generate_hierarchy(settings, _URL, clock.now())
        store, partitions = SqlCertificateStore(database), SqlCrlPartitions(database)
        keys = FileKeyStore(tmp / f"keys-{size}-{backend}")
        install_hierarchy(
            hierarchy, store=store, audit=SqlAuditStore(database), keys=keys, passphrase=b"x", clock=clock
        )
        by_partition = fill_revoked(database, size, settings.crl_partition_size, clock.now().replace(microsecond=0))
        publisher = CrlPublisher(
            store=store, signers={ISSUING: hierarchy.issuing}, clock=clock, settings=settings,
            epochs=SqlRevocationEpochs(database), partitions=partitions, public_url=_URL,
        )  # fmt: skip
        made: list[object] = []
        partitioned = _timed(lambda: made.extend(publisher.regenerate_dirty(actor="bench")))
        assert len(made) == len(by_partition) + 1 and partitions.dirty(ISSUING) == []
        full = publisher.current(ISSUING)
        with database.engine.begin() as connection:  # what one revoking transaction leaves: its partition dirty
            connection.execute(
                update(CaCrlPartition).where(CaCrlPartition.issuer == ISSUING, CaCrlPartition.partition == 0)
                .values(epoch=CaCrlPartition.epoch + 1)
            )  # fmt: skip
        one = _timed(lambda: publisher.regenerate_dirty(actor="bench"))
        old = None
        if baseline:
            plain = CrlPublisher(store=store, signers={ISSUING: hierarchy.issuing}, clock=clock, settings=settings)
            old = _timed(lambda: plain.regenerate(ISSUING, actor="bench"))
    target = "≤ 10 s" if size >= 1_000_000 else ""
    note = (
        f"{len(by_partition)} partitions of ≤ {settings.crl_partition_size:,} + the full CRL "
        f"({len(full.der) / 1e6:.1f} MB); load {os.getloadavg()[0]:.2f}"
    )
    old_label = "full path (baseline)" if old is not None else ""
    rows = [
        Row(label, f"CRLs of {size:,} revocations, partitioned", partitioned, (), old_label, old,
            target=target, met=partitioned <= 10 if target else None, note=note, unit="s"),
        Row(label, f"  after one more revocation ({size:,})", one, (), old_label, old, unit="s",
            note="its partition and the full CRL joined from the stored partitions"),
    ]  # fmt: skip
    if old is not None:
        note = "reads every revoked record, encodes, signs (before partitions: at every revocation)"
        rows.append(Row(label, f"  full path, no partitions ({size:,})", old, (), unit="s", note=note))
    return rows


def measure(
    backends: list[str], sizes: tuple[int, ...], *, partition_size: int | None = None, baseline: bool = True
) -> list[Row]:
    """Rows per backend and size; ``rate`` holds seconds, the ratio is the time against the full path's."""
    settings = CaSettings()
    if partition_size is not None:
        settings = settings.model_copy(update={"crl_partition_size": partition_size})
    with tempfile.TemporaryDirectory(prefix="jointcert-bench-crl-") as tmp:
        return [
            row
            for backend in backends
            for size in sizes
            for row in _one(backend, Path(tmp), size, settings, baseline=baseline)
        ]


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="include 1,000,000 entries")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--size", type=int, action="append", help="entries (repeatable; overrides the defaults)")
    parser.add_argument("--partition-size", type=int, help="certificates per partition (default: [ca] setting)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the full-path baseline (slow at 1M)")
    args = parser.parse_args()
    sizes = tuple(args.size) if args.size else (FULL_SIZES if args.full else SIZES)
    rows = measure(args.backend or ["sqlite"], sizes, partition_size=args.partition_size, baseline=not args.no_baseline)
    print(render(rows, f"CRL publishing (pid {os.getpid()}, load average {os.getloadavg()[0]:.2f})"))


if __name__ == "__main__":
    main()
