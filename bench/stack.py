"""The server stacks side by side on the minimal Starlette app (one route answering the OCSP bytes), each with the
same workers and load: uvicorn with h11 and one shared accepting socket (the stack before), uvicorn with uvloop +
httptools and its shared socket (``uvicorn --workers N``), the same with one ``SO_REUSEPORT`` socket per worker
(what ``jointcert serve`` runs, cli/workers.py), and granian. Per stack: requests/s, server CPU µs per request
and the workers' shares of it (keep-alive connections on a shared socket tend to land on one worker).

Run: ``python -m bench.stack [--quick] [--workers N]``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.baseline import bare_load
from bench.context import Context, run_cli
from bench.instance import free_port
from bench.report import Row
from bench.server import launched

__all__ = ["STACKS", "measure"]

STACKS = (
    ("h11", "uvicorn h11, shared socket (before)"),
    ("shared", "uvicorn uvloop+httptools, shared socket"),
    ("reuseport", "uvicorn uvloop+httptools, socket per worker"),
    ("granian", "granian"),
)


def measure(ctx: Context) -> list[Row]:
    """Each stack in turn, the same app and load."""
    rows = []
    chosen = None
    with tempfile.TemporaryDirectory(prefix="jointcert-stack-") as tmp:
        bare = Path(tmp) / "bare.der"
        bare.write_bytes(ctx.material.ocsp_response)
        env = ctx.instance.environment()
        for stack, label in STACKS:
            port = free_port()
            with launched(port, ctx.scale.workers, bare, env, Path(tmp) / f"{stack}.log", app="minimal", stack=stack):
                result = bare_load(ctx, port)
            if stack == "reuseport":
                chosen = result.rate
            rows.append((label, result))
    assert chosen is not None
    return [
        Row("-", f"stack: {label}", r.rate, r.latencies, "socket per worker", chosen, cpu=r.cpu) for label, r in rows
    ]


def main() -> None:
    """Command line."""
    run_cli(__doc__, measure, lambda scale: f"server stacks ({scale.workers} workers, {scale.concurrency} conns)")


if __name__ == "__main__":
    main()
