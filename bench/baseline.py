"""The floors every ratio is measured against, in the same round: raw RSA-2048 PKCS#1 v1.5 SHA-256 signatures and
verifications per second with the same library (cryptography) in as many processes as the server has workers,
and the minimal Starlette app (one route answering the OCSP bytes) under the same server stack and workers.

Run: ``python -m bench.baseline [--quick]`` (the floors alone, on SQLite's instance).
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.context import Context, run_cli
from bench.report import Row
from bench.server import BARE_PATH
from bench.wire import Connection, LoadResult, closed_loop

__all__ = ["FLOOR", "bare_load", "measure", "raw_signatures", "raw_verifications"]

FLOOR = "minimal Starlette, same server"
_HEADERS = (("Content-Type", "application/ocsp-request"),)

_MESSAGE = b"\x30" * 600  # about a TBSCertificate


@cache
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def _warm(_: int) -> None:
    _key()


def _sign_burst(count: int) -> list[float]:
    key, out = _key(), []
    for _ in range(count):
        start = time.perf_counter()
        key.sign(_MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        out.append(time.perf_counter() - start)
    return out


def _verify_burst(count: int) -> list[float]:
    key, out = _key(), []
    public = key.public_key()
    signature = key.sign(_MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    for _ in range(count):
        start = time.perf_counter()
        public.verify(signature, _MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        out.append(time.perf_counter() - start)
    return out


def _run(burst: object, workers: int, per_worker: int) -> LoadResult:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers)))
        start = time.perf_counter()
        parts = list(pool.map(burst, [per_worker] * workers))  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
    latencies = [x for part in parts for x in part]
    return LoadResult(len(latencies), elapsed, latencies)


def raw_signatures(workers: int, per_worker: int) -> LoadResult:
    """RSA-2048 signatures in ``workers`` processes at once."""
    return _run(_sign_burst, workers, per_worker)


def raw_verifications(workers: int, per_worker: int) -> LoadResult:
    """RSA-2048 verifications in ``workers`` processes at once."""
    return _run(_verify_burst, workers, per_worker)


def bare_load(ctx: Context, port: int, path: str = BARE_PATH) -> LoadResult:
    """``scale.operations`` POSTs of the OCSP request to a bare endpoint (the same bytes back) from
    ``scale.concurrency`` keep-alive connections, after a warm-up; the server's CPU metered."""
    body, expected = ctx.material.ocsp_request, len(ctx.material.ocsp_response)

    async def one(connection: Connection, _: int) -> None:
        reply = await connection.request("POST", path, body, _HEADERS)
        if reply.status != 200 or len(reply.body) != expected:
            raise RuntimeError(f"{path}: {reply.status} {reply.body[:200]!r}")

    scale = ctx.scale
    asyncio.run(closed_loop("127.0.0.1", port, one, count=scale.concurrency * 4, concurrency=scale.concurrency))
    return asyncio.run(closed_loop("127.0.0.1", port, one, count=scale.operations, concurrency=scale.concurrency))


def measure(ctx: Context) -> list[Row]:
    """The floors of this round (also kept in ``ctx.floors`` for the rows measured after them)."""
    scale = ctx.scale
    floor = bare_load(ctx, ctx.floor_port)
    sign = raw_signatures(scale.workers, scale.baseline_per_worker)
    verify = raw_verifications(scale.workers, scale.baseline_per_worker * 5)
    ctx.floors.starlette, ctx.floors.sign, ctx.floors.verify = floor.rate, sign.rate, verify.rate
    return [
        Row(ctx.backend, FLOOR, floor.rate, floor.latencies, cpu=floor.cpu),
        Row(ctx.backend, f"floor: raw RSA-2048 sign ({scale.workers} processes)", sign.rate, sign.latencies),
        Row(ctx.backend, f"floor: raw RSA-2048 verify ({scale.workers} processes)", verify.rate, verify.latencies),
    ]


def main() -> None:
    """Command line."""
    run_cli(__doc__, measure, lambda scale: f"floors ({scale.workers} workers, {scale.concurrency} connections)")


if __name__ == "__main__":
    main()
