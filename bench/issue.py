"""Issuance throughput: certificates per second through the whole pipeline vs raw RSA-2048 signatures per second.

Both are measured in the same run, with the same library (cryptography) and the same number of threads, so the
ratio says how much the pipeline (validation, pkilint, two committed transactions with audit entries, signing)
costs on top of the one RSA signature every certificate needs. Run: ``python -m bench.issue [--threads N]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.ca.authority import CertificateAuthority, IssuanceRequest, SignatureProof
from jointcert.ca.bootstrap import install_hierarchy
from jointcert.ca.hierarchy import generate_hierarchy
from jointcert.ca.keys import FileKeyStore
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


def _authority(url: str, workdir: Path) -> CertificateAuthority:
    database = Database(url)
    database.migrate()
    clock, settings = SystemClock(), CaSettings()
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
    )


def _requests(count: int) -> list[IssuanceRequest]:
    keys = [rsa.generate_private_key(65537, 2048) for _ in range(8)]
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


def run(count: int, threads: int, url: str | None) -> None:
    """Measure and print both rates and their ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        authority = _authority(url or f"sqlite:///{workdir / 'bench.db'}", workdir)
        requests = _requests(count)
        authority.issue(requests[0])  # warm up (pkilint imports, connection pool)
        tbs = b"\x30" * 600
        key = authority.issuing.key
        sign_rate = _rate(count, threads, lambda _: key.sign(tbs, padding.PKCS1v15(), hashes.SHA256()))
        issue_rate = _rate(count - 1, threads, lambda i: authority.issue(requests[i + 1]))
    backend = "PostgreSQL" if url and url.startswith("postgresql") else "SQLite"
    print(f"issuance benchmark ({backend}, {threads} threads, {count} certificates, {datetime.now(UTC):%Y-%m-%d})")
    print(f"  raw RSA-2048 signatures/s : {sign_rate:10.1f}")
    print(f"  certificates issued/s     : {issue_rate:10.1f}")
    print(f"  pipeline / raw signature  : {issue_rate / sign_rate:10.3f}")


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
