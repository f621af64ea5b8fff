"""Certificate logins per second at a relying party over HTTP, beside raw RSA-2048 verifications per second.

One login = ``POST /rp/gov-portal/api/challenge`` (a signed challenge: nothing stored) → the client signs it
(RSASSA-PKCS1-v1_5, SHA-256, with the certificate's key) → ``POST /rp/gov-portal/api/login`` (signature, path to
the trust anchors — the issuing CA's part cached —, validity, key usage, policy, revocation by OCSP — the CA's
in-process responder asked without a nonce, its pre-signed answer under the revocation epoch read at that request, each
distinct response verified once — and the challenge claimed with one INSERT). Baselines: RSA-2048
verifications per second in as many processes as the server has workers, and the round's floor (the minimal
Starlette app under the same server stack, ``bench/baseline.py``) divided by the two requests of a login (target
≥ 25%).
Run: ``python -m bench.login [--quick] [--backend postgresql]``.
"""

from __future__ import annotations

import asyncio
import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bench.baseline import measure as measure_floors
from bench.context import Context, run_cli
from bench.report import Row
from bench.wire import Connection, LoadResult, closed_loop

__all__ = ["SITE", "measure"]

SITE = "gov-portal"  # the demo institution that needs no prior registration (타기관 인증서 등록)
_JSON = ("Content-Type", "application/json")


def _logins(ctx: Context, count: int, concurrency: int) -> LoadResult:
    key = ctx.material.key
    certificate = base64.b64encode(ctx.material.certificate_der).decode()
    cookies: dict[int, str] = {}

    async def login(connection: Connection, _: int) -> None:
        headers = [_JSON] + ([("Cookie", cookies[id(connection)])] if id(connection) in cookies else [])
        issued = await connection.request("POST", f"/rp/{SITE}/api/challenge", b"", headers)
        if issued.status != 200:
            raise RuntimeError(f"challenge: {issued.status} {issued.body[:300]!r}")
        if "set-cookie" in issued.headers:
            cookies[id(connection)] = issued.headers["set-cookie"].split(";", 1)[0]
            headers = [_JSON, ("Cookie", cookies[id(connection)])]
        challenge = json.loads(issued.body)["challenge"]
        signature = key.sign(challenge.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        body = {"challenge": challenge, "certificate": certificate, "signature": base64.b64encode(signature).decode()}
        verdict = await connection.request("POST", f"/rp/{SITE}/api/login", json.dumps(body).encode(), headers)
        if verdict.status != 200 or not json.loads(verdict.body)["accepted"]:
            raise RuntimeError(f"login refused: {verdict.status} {verdict.body[:500]!r}")

    return asyncio.run(closed_loop("127.0.0.1", ctx.instance.port, login, count=count, concurrency=concurrency))


def measure(ctx: Context) -> list[Row]:
    """Logins over HTTP against this round's floors (measured first when the round has none): the minimal Starlette
    app ÷ 2 and raw verifications in as many processes as the server has workers."""
    scale = ctx.scale
    rows = [] if ctx.floors.starlette else measure_floors(ctx)
    floor, verify = ctx.floors.starlette, ctx.floors.verify
    assert floor is not None and verify is not None
    _logins(ctx, scale.concurrency, scale.concurrency)  # warm up: connections, the OCSP cache of each worker
    logins = _logins(ctx, max(scale.operations // 3, scale.concurrency), scale.concurrency)
    return [
        *rows,
        Row.against(
            ctx.backend,
            "certificate login (challenge+verify+OCSP)",
            logins.rate,
            logins.latencies,
            baseline="Starlette ÷ 2",
            baseline_rate=floor / 2,
            minimum_ratio=0.25,
        ),
        Row(  # information only: issue 19's target is the row above
            ctx.backend,
            "certificate login, against raw verify",
            logins.rate,
            logins.latencies,
            baseline="raw RSA verify",
            baseline_rate=verify,
            cpu=logins.cpu,
        ),
    ]


def main() -> None:
    """Command line: prints verified logins per second beside raw RSA verifications per second."""
    run_cli(__doc__, measure, lambda scale: f"logins ({scale.workers} workers, {scale.concurrency} connections)")


if __name__ == "__main__":
    main()
