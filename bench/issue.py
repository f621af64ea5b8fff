"""Issuance throughput in-process (no HTTP): certificates per second through the CA pipeline vs raw RSA-2048
signatures per second: with pkilint on every certificate (``[ca] lint = "full"``), with template linting (the
default: each profile's template linted by pkilint, every certificate compared with it, 1% re-linted in the
background) and without pkilint.

Both are measured in the same run, with the same library (cryptography) and the same number of threads, so the
ratio says how much the pipeline (validation, lint, two committed transactions with audit entries, signing)
costs on top of the one RSA signature every certificate needs. The run without pkilint (KISA checks only, per
certificate) shows what the per-certificate pkilint costs; it is not a product setting.
Run: ``python -m bench.issue [--threads N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

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


def _authority(url: str, workdir: Path, linter: PkixLinter | None, lint: str) -> CertificateAuthority:
    database = Database(url)
    database.migrate()
    clock, settings = SystemClock(), CaSettings(lint=lint)  # type: ignore[arg-type]
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
    url: str | None, workdir: Path, count: int, threads: int, linter: PkixLinter | None, *, lint: str
) -> LoadResult:
    authority = _authority(url or f"sqlite:///{workdir / 'bench.db'}", workdir, linter, lint)
    requests = _requests(count + 1)
    authority.issue(requests[0])  # warm up (pkilint imports, connection pool)
    latencies: list[float] = []

    def one(i: int) -> None:
        start = time.perf_counter()
        authority.issue(requests[i + 1])
        latencies.append(time.perf_counter() - start)

    rate = _rate(count, threads, one)
    return LoadResult(count, count / rate, latencies)


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
        ("with pkilint", None, "full"),
        ("template lint", None, "template"),
        ("without pkilint", _NoPkilint(), "full"),
    )
    for name, linter, lint in runs:
        with tempfile.TemporaryDirectory() as tmp, _fresh(backend, database_url) as url:
            result = _pipeline_rate(url, Path(tmp), count, threads, linter, lint=lint)
        rows.append(
            Row(label, f"CA pipeline in-process, {name}", result.rate, result.latencies, "raw RSA sign", sign_rate)
        )
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
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("JOINTCERT_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    run(args.count, args.threads, args.database_url)


if __name__ == "__main__":
    main()
