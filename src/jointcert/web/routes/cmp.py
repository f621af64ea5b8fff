"""CMP over HTTP (RFC 6712/9811): ``POST /cmp`` and ``POST /.well-known/cmp``, ``application/pkixcmp`` both ways.

Every CMP answer, ``error`` messages included, goes out as 200 with ``application/pkixcmp`` (openssl reads the body
of a 200 only). HTTP-level refusals are problems: 415 for another content type, 413 beyond the codec's
``MAX_MESSAGE_SIZE``, 429 when a client address exceeds ``CmpSettings.rate_limit_per_minute``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from jointcert.app import Services
from jointcert.clock import Clock
from jointcert.cmp.http import CONTENT_TYPE, MAX_MESSAGE_SIZE, WELL_KNOWN_PATH
from jointcert.web.problems import problem

__all__ = ["RateLimiter", "install", "router"]

router = APIRouter(tags=["cmp"])
_MAX_CLIENTS = 10_000


class RateLimiter:
    """A token bucket per client address: ``per_minute`` requests, refilled continuously (0 = unlimited)."""

    def __init__(self, per_minute: int, clock: Clock) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str) -> bool:
        """Take one token for ``client``; ``False`` when its bucket is empty."""
        if self._capacity <= 0:
            return True
        now = self._clock.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self._rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > _MAX_CLIENTS:
                self._buckets.popitem(last=False)
            return allowed


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def install(app_state: State, services: Services) -> None:
    """Give the application its CMP rate limiter (``create_app`` calls this)."""
    app_state.cmp_rate_limiter = RateLimiter(services.settings.cmp.rate_limit_per_minute, services.clock)


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.cmp_rate_limiter
    return limiter


async def _body(request: Request) -> bytes | None:
    """The request body, or ``None`` once it exceeds MAX_MESSAGE_SIZE (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_MESSAGE_SIZE:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_MESSAGE_SIZE:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


_REFUSALS: dict[int | str, dict[str, Any]] = {
    415: {"description": "Problem code: unsupported_media_type (not application/pkixcmp)"},
    429: {"description": "Problem code: rate_limited (too many CMP requests from this address)"},
    413: {"description": "Problem code: message_too_large (over 32 KiB)"},
}


@router.post("/cmp", response_class=Response, summary="CMP request (application/pkixcmp)", responses=_REFUSALS)
@router.post(
    WELL_KNOWN_PATH,
    response_class=Response,
    summary="CMP request at RFC 9811's well-known path",
    responses=_REFUSALS,
)
async def cmp(request: Request) -> Response:
    """One DER PKIMessage in, one DER PKIMessage out."""
    services = _services(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != CONTENT_TYPE:
        return problem(
            415,
            "unsupported_media_type",
            f"CMP requests must be sent as {CONTENT_TYPE}.",
            message_ko=f"CMP 요청은 {CONTENT_TYPE} 형식으로 보내야 합니다.",
        )
    client = request.client.host if request.client else "unknown"
    if not _limiter(request).allow(client):
        return problem(
            429,
            "rate_limited",
            "Too many CMP requests from this address; try again later.",
            message_ko="이 주소에서 CMP 요청이 너무 많습니다. 잠시 후 다시 시도하세요.",
        )
    body = await _body(request)
    if body is None:
        return problem(
            413,
            "message_too_large",
            f"CMP messages are limited to {MAX_MESSAGE_SIZE} bytes.",
            message_ko=f"CMP 메시지는 {MAX_MESSAGE_SIZE}바이트를 넘을 수 없습니다.",
        )
    answer = await run_in_threadpool(services.cmp.handle, body, peer=client)
    return Response(answer, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
