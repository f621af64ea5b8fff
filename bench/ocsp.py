"""OCSP responses per second against the floor of the round (the minimal Starlette app under the same server stack
and workers, ``bench/baseline.py``), beside the app's bare endpoint (same middleware, same bytes). The nonce-less
requests are answered from the pre-signed responses (``ca/ocsp_presign.py``): POST, and the RFC 5019 GET an HTTP
cache could keep. Target: OCSP ≥ 70% of the floor.

Run: ``python -m bench.ocsp [--quick] [--backend sqlite|postgresql]``.
"""

from __future__ import annotations

import asyncio
import base64
import urllib.parse

from bench.baseline import FLOOR, bare_load
from bench.baseline import measure as measure_floors
from bench.context import Context, run_cli
from bench.report import Row
from bench.wire import Connection, LoadResult, closed_loop

__all__ = ["measure"]

_HEADERS = (("Content-Type", "application/ocsp-request"),)


def _load(ctx: Context, method: str, path: str, *, body: bytes) -> LoadResult:
    expected = len(ctx.material.ocsp_response)

    async def one(connection: Connection, _: int) -> None:
        reply = await connection.request(method, path, body, _HEADERS)
        if reply.status != 200 or len(reply.body) != expected:
            raise RuntimeError(f"{path}: {reply.status} {reply.body[:200]!r}")

    scale, port = ctx.scale, ctx.instance.port
    asyncio.run(closed_loop("127.0.0.1", port, one, count=scale.concurrency * 4, concurrency=4))
    return asyncio.run(closed_loop("127.0.0.1", port, one, count=scale.operations, concurrency=scale.concurrency))


def measure(ctx: Context) -> list[Row]:
    """The bare endpoint, then OCSP POST and GET, each against this round's floor (measured first when the round
    has none)."""
    rows = [] if ctx.floors.starlette else measure_floors(ctx)
    floor = ctx.floors.starlette
    assert floor is not None
    request = ctx.material.ocsp_request
    get_path = "/ocsp/" + urllib.parse.quote(base64.b64encode(request).decode(), safe="")
    bare = bare_load(ctx, ctx.instance.port)
    post = _load(ctx, "POST", "/ocsp", body=request)
    get = _load(ctx, "GET", get_path, body=b"")
    return [
        *rows,
        Row(ctx.backend, "bare endpoint, same bytes (baseline)", bare.rate, bare.latencies, FLOOR, floor, cpu=bare.cpu),
        *(
            Row.against(
                ctx.backend,
                label,
                result.rate,
                result.latencies,
                baseline=FLOOR,
                baseline_rate=floor,
                minimum_ratio=0.70,
                cpu=result.cpu,
            )
            for label, result in (("OCSP POST, nonce-less (cached)", post), ("OCSP GET, nonce-less (RFC 5019)", get))
        ),
    ]


def main() -> None:
    """Command line."""
    run_cli(__doc__, measure, lambda scale: f"OCSP ({scale.workers} workers, {scale.concurrency} connections)")


if __name__ == "__main__":
    main()
