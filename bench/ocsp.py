"""OCSP responses per second (``POST /ocsp``, nonce-less request: the cached path) against a bare endpoint on the
same server that reads the body and returns the same bytes (same uvicorn, workers and middleware).

Run: ``python -m bench.ocsp [--quick] [--backend sqlite|postgresql]``.
"""

from __future__ import annotations

import asyncio

from bench.context import Context, run_cli
from bench.report import Row
from bench.server import BARE_PATH
from bench.wire import Connection, LoadResult, closed_loop

__all__ = ["measure"]

_HEADERS = (("Content-Type", "application/ocsp-request"),)


def _post(ctx: Context, path: str) -> LoadResult:
    body, expected = ctx.material.ocsp_request, len(ctx.material.ocsp_response)

    async def one(connection: Connection, _: int) -> None:
        reply = await connection.request("POST", path, body, _HEADERS)
        if reply.status != 200 or len(reply.body) != expected:
            raise RuntimeError(f"{path}: {reply.status} {reply.body[:200]!r}")

    scale = ctx.scale
    asyncio.run(closed_loop("127.0.0.1", ctx.instance.port, one, count=scale.concurrency * 4, concurrency=4))
    return asyncio.run(
        closed_loop("127.0.0.1", ctx.instance.port, one, count=scale.operations, concurrency=scale.concurrency)
    )


def measure(ctx: Context) -> list[Row]:
    """The bare endpoint first, then OCSP, then the bare endpoint again (the baseline is the better of the two)."""
    bare1 = _post(ctx, BARE_PATH)
    ocsp = _post(ctx, "/ocsp")
    bare2 = _post(ctx, BARE_PATH)
    bare = max(bare1, bare2, key=lambda r: r.rate)
    return [
        Row(ctx.backend, "bare endpoint, same bytes (baseline)", bare.rate, bare.latencies, cpu=bare.cpu),
        Row.against(
            ctx.backend,
            "OCSP POST, nonce-less (cached)",
            ocsp.rate,
            ocsp.latencies,
            baseline="bare endpoint",
            baseline_rate=bare.rate,
            minimum_ratio=0.70,
            cpu=ocsp.cpu,
        ),
    ]


def main() -> None:
    """Command line."""
    run_cli(__doc__, measure, lambda scale: f"OCSP ({scale.workers} workers, {scale.concurrency} connections)")


if __name__ == "__main__":
    main()
