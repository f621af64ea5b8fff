"""``python -m bench --quick`` runs every benchmark on SQLite (tiny counts) so the benchmark code cannot rot.
Nothing here looks at the numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKLOADS = (
    "minimal Starlette, same server",
    "floor: raw RSA-2048 sign (1 processes)",
    "jointcert bare, hot dispatch (/bench/bare)",
    "jointcert bare, FastAPI router",
    "raw RSA-2048 sign (1 processes)",
    "issuance: JSON enrollment call",
    "issuance: CMP ir+certConf",
    "bare endpoint, same bytes (baseline)",
    "OCSP POST, nonce-less (cached)",
    "raw RSA-2048 verify (1 processes)",
    "certificate login (challenge+verify+OCSP)",
    "flow step: session",
    "flow step: account",
    "flow step: enrollment",
    "flow: CPU per step but enrollment",
    "CA pipeline in-process, with pkilint",
    "CA pipeline in-process, template lint",
    "CA pipeline in-process, template lint, batched",
    "CA pipeline in-process, without pkilint",
    "CRLs of 1,000 revocations, partitioned",
    "jointcert CA pipeline, 1 thread, template lint",
)
OTHER = ("stack: uvicorn uvloop+httptools, socket per worker", "stack: granian")


def test_quick_benchmark_runs_every_workload() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTCERT_")}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--workers", "1", "--backend", "sqlite"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    for workload in WORKLOADS:
        row = next((line for line in lines if workload in line), None)
        assert row is not None, f"{workload!r} missing from:\n{result.stdout}"
        assert row.startswith(("SQLite", "-"))
    for workload in OTHER:  # the server stacks side by side, each with its CPU per request and worker shares
        row = next((line for line in lines if workload in line), None)
        assert row is not None and row.startswith("-"), f"{workload!r} missing from:\n{result.stdout}"
        assert row.split()[-1] != "-"  # the load average
    assert "--quick" in result.stdout
    rows = [line for line in lines if line.startswith(("SQLite", "PgSQL", "-  "))]
    # every row with a target says if it is met (the enrollment's commits are the saga's, shown without a verdict)
    targets = [r for r in rows if ("≥ " in r or "≤ " in r) and "flow cost: enrollment" not in r]
    assert targets and all(line.split()[-2] in ("yes", "NO") for line in targets), "\n".join(targets)
