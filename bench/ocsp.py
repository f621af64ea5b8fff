"""OCSP responses per second against two floors on the same server: the bare endpoint of the app (same middleware)
and a minimal Starlette app (one route that reads the body and answers fixed bytes) under the same uvicorn, workers
and protocol. The nonce-less requests are answered from the pre-signed responses (``ca/ocsp_presign.py``): POST,
and the RFC 5019 GET an HTTP cache could keep. Target: OCSP ≥ 70% of the minimal Starlette rate.

Run: ``python -m bench.ocsp [--quick] [--backend sqlite|postgresql]``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.context import Context, run_cli
from bench.report import Row
from bench.server import BARE_PATH
from bench.wire import Connection, LoadResult, closed_loop
from jointcert.cli.nodelay import PROTOCOL

__all__ = ["FLOOR_PATH", "floor_app", "load_average", "measure", "minimal_starlette"]

_HEADERS = (("Content-Type", "application/ocsp-request"),)
FLOOR_PATH = "/floor"
_ROOT = Path(__file__).resolve().parent.parent


def floor_app() -> Starlette:
    """The floor: a minimal Starlette app, one route answering ``$JOINTCERT_BENCH_BARE``'s bytes."""
    payload = Path(os.environ["JOINTCERT_BENCH_BARE"]).read_bytes()

    async def bare(request: Request) -> Response:
        await request.body()
        return Response(payload, media_type="application/ocsp-response", headers={"Cache-Control": "no-store"})

    return Starlette(routes=[Route(FLOOR_PATH, bare, methods=["GET", "POST"])])


def _serve_floor(port: int, workers: int) -> None:
    uvicorn.run(
        "bench.ocsp:floor_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        http=PROTOCOL,  # the same protocol class as bench.server
        timeout_keep_alive=120,
    )


@contextmanager
def minimal_starlette(workers: int, payload: bytes) -> Iterator[int]:
    """The floor served by ``workers`` uvicorn workers on a free port (yielded) until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handle, name = tempfile.mkstemp(prefix="jointcert-bench-floor-", suffix=".der")
    os.close(handle)
    bare = Path(name)
    bare.write_bytes(payload)
    env = {**os.environ, "JOINTCERT_BENCH_BARE": str(bare), "PYTHONPATH": str(_ROOT)}
    code = f"import bench.ocsp as m; m._serve_floor({port}, {workers})"
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=_ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5 * workers)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)
        bare.unlink(missing_ok=True)


def load_average() -> str:
    """``uptime``'s three figures."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _load(ctx: Context, port: int, method: str, path: str, *, body: bytes, expected: int) -> LoadResult:
    async def one(connection: Connection, _: int) -> None:
        reply = await connection.request(method, path, body, _HEADERS)
        if reply.status != 200 or len(reply.body) != expected:
            raise RuntimeError(f"{path}: {reply.status} {reply.body[:200]!r}")

    scale = ctx.scale
    asyncio.run(closed_loop("127.0.0.1", port, one, count=scale.concurrency * 4, concurrency=4))
    return asyncio.run(closed_loop("127.0.0.1", port, one, count=scale.operations, concurrency=scale.concurrency))


def measure(ctx: Context) -> list[Row]:
    """The floors first and again last (each baseline is the better of its two runs), OCSP POST and GET between."""
    request, size = ctx.material.ocsp_request, len(ctx.material.ocsp_response)
    get_path = "/ocsp/" + urllib.parse.quote(base64.b64encode(request).decode(), safe="")
    port = ctx.instance.port
    before = load_average()
    with minimal_starlette(ctx.scale.workers, ctx.material.ocsp_response) as floor_port:
        floor1 = _load(ctx, floor_port, "POST", FLOOR_PATH, body=request, expected=size)
        bare1 = _load(ctx, port, "POST", BARE_PATH, body=request, expected=size)
        post = _load(ctx, port, "POST", "/ocsp", body=request, expected=size)
        get = _load(ctx, port, "GET", get_path, body=b"", expected=size)
        bare2 = _load(ctx, port, "POST", BARE_PATH, body=request, expected=size)
        floor2 = _load(ctx, floor_port, "POST", FLOOR_PATH, body=request, expected=size)
    floor = max(floor1, floor2, key=lambda r: r.rate)
    bare = max(bare1, bare2, key=lambda r: r.rate)
    note = f"load average before {before}, after {load_average()}"
    return [
        Row(ctx.backend, "minimal Starlette, same server (floor)", floor.rate, floor.latencies, note=note),
        Row(ctx.backend, "bare endpoint, same bytes (baseline)", bare.rate, bare.latencies),
        *(
            Row.against(
                ctx.backend,
                label,
                result.rate,
                result.latencies,
                baseline="minimal Starlette",
                baseline_rate=floor.rate,
                minimum_ratio=0.70,
            )
            for label, result in (("OCSP POST, nonce-less (cached)", post), ("OCSP GET, nonce-less (RFC 5019)", get))
        ),
    ]


def main() -> None:
    """Command line."""
    run_cli(__doc__, measure, lambda scale: f"OCSP ({scale.workers} workers, {scale.concurrency} connections)")


if __name__ == "__main__":
    main()
