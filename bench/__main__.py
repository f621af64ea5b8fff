"""Run every benchmark (``make bench``) and print one table.

Per backend (SQLite, then PostgreSQL on 127.0.0.1:5432 in a database made and dropped for the run): one instance
served by ``nproc`` uvicorn workers; issuance through the JSON enrollment call and through CMP against raw RSA-2048
signatures, OCSP against a bare endpoint on the same server, certificate logins against raw RSA verifications, the
issuance-flow steps under concurrent customers, the in-process CA pipeline with and without pkilint, and CRL
generation for 10k and 100k revoked entries (``--full``: also 1M).

``--quick`` runs a tiny version of everything on SQLite only (unless ``--backend`` says otherwise) so that a test
can keep the benchmark code working; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime

from bench import cmp, crl, flow, issue, login, ocsp
from bench.context import Scale, served
from bench.report import Row, render

__all__ = ["main", "run"]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run(backends: list[str], scale: Scale, crl_sizes: tuple[int, ...]) -> list[Row]:
    """Every workload on every backend; the rows in table order."""
    rows: list[Row] = []
    for backend in backends:
        with served(backend, scale) as ctx:
            rows += flow.measure_issuance(ctx)
            rows += cmp.measure(ctx)
            rows += ocsp.measure(ctx)
            rows += login.measure(ctx)
            rows += flow.measure_flow(ctx)
        rows += issue.measure(backend, None, 10 if scale.quick else 200, scale.workers)
        print(render(rows, f"(so far, after {backend})"), flush=True)
    rows += crl.measure(backends, crl_sizes)
    return rows


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny run of everything (seconds; numbers mean nothing)")
    parser.add_argument("--full", action="store_true", help="CRL also with 1,000,000 entries")
    parser.add_argument("--workers", type=int, default=None, help="uvicorn workers and baseline processes (nproc)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append", help="repeatable")
    args = parser.parse_args()
    scale = Scale.of(args.quick, args.workers)
    backends = args.backend or (["sqlite"] if args.quick else ["sqlite", "postgresql"])
    if args.quick:
        crl_sizes: tuple[int, ...] = (1_000,)
    else:
        crl_sizes = crl.FULL_SIZES if args.full else crl.SIZES
    load_before, start = _load(), time.perf_counter()
    rows = run(backends, scale, crl_sizes)
    header = (
        f"jointcert benchmarks {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {os.cpu_count()} CPUs ({_cpu_model()}), "
        f"{scale.workers} uvicorn workers, {scale.concurrency} connections, {scale.customers} concurrent customers; "
        f"load average before {load_before}, after {_load()}; {time.perf_counter() - start:.0f} s"
        + ("" if args.full or args.quick else "\nCRL: 10k and 100k entries (1M with --full)")
        + ("\n--quick: tiny counts, the numbers mean nothing" if args.quick else "")
    )
    print(render(rows, header))


if __name__ == "__main__":
    main()
