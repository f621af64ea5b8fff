"""Issuance throughput in-process (no HTTP): certificates per second through the CA pipeline vs raw RSA-2048
signatures per second: with pkilint on every certificate (``[ca] lint = "full"``), with template linting (the
default: each profile's template linted by pkilint, every certificate compared with it, 1% re-linted in the
background) and without pkilint.

Both are measured in the same run, with the same library (cryptography) and the same number of threads, so the
ratio says how much the pipeline (validation, lint, committed transactions with audit entries, signing)
costs on top of the one RSA signature every certificate needs. The run without pkilint (KISA checks only, per
certificate) shows what the per-certificate pkilint costs; it is not a product setting.

Template linting and the run without pkilint are measured unbatched and batched (``[ca] batch``, ca/batcher.py:
concurrent requesters share one record and one store transaction); each row's note gives the committed transactions
and the SQL statements per certificate, the average batch size and the process CPU per certificate (steadier than
the rates on a shared machine). The CA is wired as ``serve`` wires it (CRL
partitions; no pre-signed OCSP listener).
Run: ``python -m bench.issue [--threads N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import event

from bench.instance import postgres_database
from bench.material import client_key
from bench.report import Row, render
from bench.wire import LoadResult
from jointcert.ca.authority import CertificateAuthority, IssuanceRequest, SignatureProof
from jointcert.ca.bootstrap import install_hierarchy
from jointcert.ca.hierarchy import generate_hierarchy
from jointcert.ca.keys import FileKeyStore
from jointcert.ca.lint import Finding, PkixLinter
from jointcert.clock import SystemClock
from jointcert.config import CaSettings
from jointcert.pii import PiiProtector
from jointcert.storage.db import Database
from jointcert.storage.repositories.ca import SqlAuditStore, SqlCertificateStore
from jointcert.storage.repositories.ca_batch import SqlBatchStore
from jointcert.storage.repositories.ca_partitions import SqlCrlPartitions
from jointcert.types import CertType


def _rate(count: int, threads: int, work: Callable[[int], object]) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(work, range(count)))
    return count / (time.perf_counter() - start)


class _NoPkilint(PkixLinter):
    """Skips pkilint (measurement only: the product always lints)."""

    def __init__(self) -> None:
        pass

    def certificate(self, der: bytes) -> list[Finding]:
        """No findings."""
        del der
        return []


@dataclass
class _Tally:
    """Committed transactions and SQL statements on one engine while ``counting``."""

    counting: bool = False
    commits: int = 0
    statements: int = 0

    def watch(self, database: Database) -> None:
        lock = threading.Lock()

        def commit(*_: object) -> None:
            if self.counting:
                with lock:
                    self.commits += 1

        def statement(*_: object) -> None:
            if self.counting:
                with lock:
                    self.statements += 1

        event.listen(database.engine, "commit", commit)
        event.listen(database.engine, "before_cursor_execute", statement)


def _authority(
    url: str, workdir: Path, linter: PkixLinter | None, lint: str, *, batch: bool, tally: _Tally
) -> CertificateAuthority:
    database = Database(url)
    database.migrate()
    tally.watch(database)
    clock, settings = SystemClock(), CaSettings(lint=lint, batch=batch)  # type: ignore[arg-type]
    hierarchy = generate_hierarchy(settings, "http://127.0.0.1:8000", clock.now())
    store, audit = SqlCertificateStore(database), SqlAuditStore(database)
    install_hierarchy(
        hierarchy, store=store, audit=audit, keys=FileKeyStore(workdir / "ca"), passphrase=b"x", clock=clock
    )
    return CertificateAuthority(
        store=store,
        audit=audit,
        pii=PiiProtector(os.urandom(32)),
        clock=clock,
        settings=settings,
        public_url="http://127.0.0.1:8000",
        issuing=hierarchy.issuing,
        linter=linter,
        partitions=SqlCrlPartitions(database),
        batch_store=SqlBatchStore(database),
    )


def _requests(count: int) -> list[IssuanceRequest]:
    keys = [client_key(1 + i) for i in range(8)]
    out = []
    for i in range(count):
        key = keys[i % len(keys)]
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        message = f"pop {i}".encode()
        proof = SignatureProof(message, key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
        rrn = f"900101{1 + i % 2}{i:06d}"
        out.append(IssuanceRequest(CertType.LIMITED, "홍길동", rrn, os.urandom(20), spki, proof, "cli"))
    return out


def _pipeline_rate(
    url: str | None, workdir: Path, count: int, threads: int, linter: PkixLinter | None, *, lint: str, batch: bool
) -> tuple[LoadResult, str]:
    """The run's load result and its note: commits and statements per certificate, the average batch size, the
    process CPU per certificate."""
    tally = _Tally()
    authority = _authority(url or f"sqlite:///{workdir / 'bench.db'}", workdir, linter, lint, batch=batch, tally=tally)
    requests = _requests(count + 1)
    authority.issue(requests[0])  # warm up (pkilint imports, connection pool)
    latencies: list[float] = []
    before = authority.counters.snapshot()

    def one(i: int) -> None:
        start = time.perf_counter()
        authority.issue(requests[i + 1])
        latencies.append(time.perf_counter() - start)

    tally.counting = True
    cpu_start = time.process_time()  # the whole process: every requester thread and the background lint sample
    rate = _rate(count, threads, one)
    cpu = (time.process_time() - cpu_start) / count
    tally.counting = False
    after = authority.counters.snapshot()
    batches = after.get("issuance_batches", 0) - before.get("issuance_batches", 0)
    units = after.get("batched_units", 0) - before.get("batched_units", 0)
    lone = count - units  # units that took the single-unit path
    average = count / (batches + lone) if batches + lone else 0.0
    note = (
        f"{tally.commits / count:.2f} commits, {tally.statements / count:.1f} stmts/cert; avg batch {average:.1f}; "
        f"{cpu * 1e6:,.0f} µs CPU/cert"
    )
    return LoadResult(count, count / rate, latencies), note


@contextmanager
def _fresh(backend: str, database_url: str | None) -> Iterator[str | None]:
    """A new empty database per run: SQLite in the temporary directory (None), or a new PostgreSQL database."""
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield database_url


def measure(backend: str, database_url: str | None, count: int, threads: int) -> list[Row]:
    """Raw signatures in ``threads`` threads, then the pipeline with pkilint, with template linting, without."""
    label = "SQLite" if backend == "sqlite" else "PgSQL"
    key = client_key(0)
    tbs = b"\x30" * 600
    sign_rate = _rate(count * 4, threads, lambda _: key.sign(tbs, padding.PKCS1v15(), hashes.SHA256()))
    rows = [Row(label, f"raw RSA-2048 sign ({threads} threads)", sign_rate)]
    runs = (
        ("with pkilint", None, "full", False),
        ("template lint", None, "template", False),
        ("template lint, batched", None, "template", True),
        ("without pkilint", _NoPkilint(), "full", False),
        ("without pkilint, batched", _NoPkilint(), "full", True),
    )
    for name, linter, lint, batch in runs:
        with tempfile.TemporaryDirectory() as tmp, _fresh(backend, database_url) as url:
            result, note = _pipeline_rate(url, Path(tmp), count, threads, linter, lint=lint, batch=batch)
        workload = f"CA pipeline in-process, {name}"
        if lint == "template" and batch:  # issue 19: ≥ 25% of raw signing with 8 concurrent requesters
            row = Row.against(
                label, workload, result.rate, result.latencies, baseline="raw RSA sign", baseline_rate=sign_rate,
                minimum_ratio=0.25,
            )  # fmt: skip
        else:
            row = Row(label, workload, result.rate, result.latencies, "raw RSA sign", sign_rate)
        rows.append(replace(row, note=note))
    return rows


def run(count: int, threads: int, url: str | None) -> None:
    """Measure and print the rates and their ratios."""
    backend = "postgresql" if url and url.startswith("postgresql") else "sqlite"
    rows = measure(backend, url, count, threads)
    print(render(rows, f"issuance pipeline ({threads} threads, {count} certificates, {datetime.now(UTC):%Y-%m-%d})"))


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=os.environ.get("JOINTCERT_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    run(args.count, args.threads, args.database_url)


if __name__ == "__main__":
    main()
