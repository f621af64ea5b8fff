"""Run every benchmark (``make bench``) and print one table.

Per backend (SQLite, then PostgreSQL on 127.0.0.1:5432 in a database made and dropped for the run): one instance
served the way ``jointcert serve --workers N`` serves it (N = nproc) and, beside it, the minimal Starlette app under
the same server. Each round measures first the floors (that Starlette app, raw RSA-2048 signatures and
verifications in N processes), then the bare endpoints against the floor, the server stacks side by side (first
backend only), issuance through the JSON enrollment call and through CMP, OCSP, certificate logins and the
issuance-flow steps; the table shows each row's median over the rounds (3; ``--rounds``). Once per backend: the
in-process CA pipeline; once per run: django-ca side by side and CRL generation for 10k and 100k revoked entries
(``--full``: also 1M). Every row carries the 1-minute load average when it was measured.

``--quick`` runs a tiny version of everything on SQLite only (unless ``--backend`` says otherwise), one round, so
that a test can keep the benchmark code working; its numbers mean nothing. ``--only`` picks workloads by name.

``--app-steps`` runs only the customer's screens in Chromium at 390 px instead (bench/app_steps.py: per screen of
the issuance flow, the time from the customer's action to the next screen being ready, median of ``--walks``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bench import app_steps, bare, baseline, cmp, crl, djangoca, flow, issue, login, ocsp, stack
from bench.context import Context, Scale, served
from bench.report import Row, median_rows, render

__all__ = ["SERVED", "main", "run"]

SERVED: dict[str, Callable[[Context], list[Row]]] = {
    "floors": baseline.measure,
    "bare": bare.measure,
    "stack": stack.measure,
    "issuance": flow.measure_issuance,
    "cmp": cmp.measure,
    "ocsp": ocsp.measure,
    "login": login.measure,
    "flow": flow.measure_flow,
}
ONCE = ("pipeline", "djangoca", "crl")


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


def stamped(rows: Sequence[Row]) -> list[Row]:
    """The rows with the 1-minute load average of now (where a row has none)."""
    load = os.getloadavg()[0]
    return [row if row.load is not None else dataclasses.replace(row, load=load) for row in rows]


def _round(ctx: Context, names: Sequence[str], first_backend: bool) -> list[Row]:
    ctx.floors.starlette = ctx.floors.sign = ctx.floors.verify = None  # each round against its own floors
    rows: list[Row] = []
    for name in names:
        if name == "stack" and not first_backend:
            continue
        rows += stamped(SERVED[name](ctx))
    return rows


def run(backends: list[str], scale: Scale, crl_sizes: tuple[int, ...], names: Sequence[str]) -> list[Row]:
    """The chosen workloads on every backend; the rows in table order."""
    rows: list[Row] = []
    served_names = [n for n in SERVED if n in names]
    for index, backend in enumerate(backends):
        if served_names:
            with served(backend, scale) as ctx:
                rounds = [_round(ctx, served_names, index == 0) for _ in range(scale.median_of)]
            rows += median_rows(rounds)
        if "pipeline" in names:
            rows += stamped(issue.measure(backend, None, 10 if scale.quick else 400, 8))  # issue 19: 8 requesters
        print(render(rows, f"(so far, after {backend})"), flush=True)
    if "djangoca" in names:
        rows += stamped(djangoca.measure(5 if scale.quick else 50, quick=scale.quick))
    if "crl" in names:
        rows += stamped(crl.measure(backends, crl_sizes))
    return rows


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny run of everything (seconds; numbers mean nothing)")
    parser.add_argument("--full", action="store_true", help="CRL also with 1,000,000 entries")
    parser.add_argument("--workers", type=int, default=None, help="server workers and baseline processes (nproc)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append", help="repeatable")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of the served workloads (3; --quick: 1)")
    parser.add_argument("--only", default=None, help=f"comma-separated subset of {','.join([*SERVED, *ONCE])}")
    parser.add_argument("--app-steps", action="store_true", help="only the customer's screens in Chromium (390 px)")
    parser.add_argument("--walks", type=int, default=5, help="--app-steps: customers walked (the median of them)")
    args = parser.parse_args()
    if args.app_steps:
        walks = 1 if args.quick else args.walks
        load_before, workers = _load(), args.workers or 1
        print(render(app_steps.measure(walks, workers), app_steps.header(walks, workers, load_before)))
        return
    scale = Scale.of(args.quick, args.workers)
    if args.rounds:
        scale = dataclasses.replace(scale, median_of=args.rounds)
    names = args.only.split(",") if args.only else [*SERVED, *ONCE]
    unknown = set(names) - {*SERVED, *ONCE}
    if unknown:
        parser.error(f"unknown workloads: {sorted(unknown)}")
    backends = args.backend or (["sqlite"] if args.quick else ["sqlite", "postgresql"])
    if args.quick:
        crl_sizes: tuple[int, ...] = (1_000,)
    else:
        crl_sizes = crl.FULL_SIZES if args.full else crl.SIZES
    load_before, start = _load(), time.perf_counter()
    rows = run(backends, scale, crl_sizes, names)
    header = (
        f"jointcert benchmarks {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {os.cpu_count()} CPUs ({_cpu_model()}), "
        f"{scale.workers} workers (uvicorn, uvloop + httptools, a socket per worker), {scale.concurrency} "
        f"connections, {scale.customers} concurrent customers; median of {scale.median_of} round(s); "
        f"load average before {load_before}, after {_load()}; {time.perf_counter() - start:.0f} s"
        + ("" if args.full or args.quick else "\nCRL: 10k and 100k entries (1M with --full)")
        + ("\n--quick: tiny counts, the numbers mean nothing" if args.quick else "")
    )
    print(render(rows, header))


if __name__ == "__main__":
    main()
