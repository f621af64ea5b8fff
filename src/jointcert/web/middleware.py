"""Pure ASGI middleware: request-size limits per route family and security headers on every response.

* :class:`BodyLimit` refuses a body larger than its route family's limit with a 413 problem *before* it is read in
  full: a declared ``Content-Length`` over the limit is refused without reading a byte; a chunked (or lying) body
  is counted as it streams and refused at the first chunk past the limit (the handler never sees the rest).
* :class:`SecurityHeaders` adds a self-only Content-Security-Policy (with ``frame-ancestors 'none'``),
  ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and ``Referrer-Policy: no-referrer`` to every
  response, errors and ``/static`` included, and ``Cache-Control: no-store`` to every response that did not set
  its own cache policy, except public PKI material and static assets (tokens and personal data are never cached).

:class:`HardenedFastAPI` puts both outside Starlette's error middleware so that even a 500 carries the headers.
See docs/security.md for the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jointcert.cmp.http import MAX_MESSAGE_SIZE, WELL_KNOWN_PATH
from jointcert.web.problems import problem
from jointcert.web.routes.pki import MAX_OCSP_REQUEST

__all__ = [
    "CMP_LIMIT",
    "CONTENT_SECURITY_POLICY",
    "JSON_LIMIT",
    "OCSP_LIMIT",
    "RELAY_LIMIT",
    "BodyLimit",
    "BodyTooLarge",
    "HardenedFastAPI",
    "SecurityHeaders",
    "limit_for",
]

JSON_LIMIT = 64 * 1024  # every JSON API call and form post; the largest real one (a login) is under 20 KiB
OCSP_LIMIT = MAX_OCSP_REQUEST  # 8 KiB: a one-CertID request is ~100 bytes, a signed one with a chain < 8 KiB
CMP_LIMIT = MAX_MESSAGE_SIZE  # 32 KiB, the CMP codec's own limit
RELAY_LIMIT = 96 * 1024  # a 64 KiB envelope as base64 (87,392 characters) plus the JSON around it
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_CDN = "https://cdn.jsdelivr.net"
_DOCS_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {_DOCS_CDN}; style-src 'self' {_DOCS_CDN}; "
    f"img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; frame-ancestors 'none'"
)
_FIXED_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_PUBLIC_PREFIXES = ("/static/", "/ca/", "/crl/", "/cps", "/openapi.json")


def limit_for(path: str) -> int:
    """The request-body limit of the route family ``path`` belongs to."""
    if path in ("/cmp", WELL_KNOWN_PATH):
        return CMP_LIMIT
    if path == "/ocsp" or path.startswith("/ocsp/"):
        return OCSP_LIMIT
    if path.startswith("/api/v1/relay"):
        return RELAY_LIMIT
    return JSON_LIMIT


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the streamed body passes the limit (the middleware answers 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


def _too_large(limit: int, path: str = "") -> JSONResponse:
    code = "message_too_large" if path in ("/cmp", WELL_KNOWN_PATH) else "payload_too_large"  # CMP's own code
    return problem(
        413,
        code,
        "The request body is too large.",
        f"Requests here are limited to {limit} bytes.",
        message_ko=f"요청 본문이 너무 큽니다 (최대 {limit}바이트).",
        limit=limit,
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None


class BodyLimit:
    """Refuse request bodies over the route family's limit with 413, reading at most one chunk past it."""

    def __init__(self, app: ASGIApp, limits: Callable[[str], int] = limit_for) -> None:
        self.app, self._limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limits(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and (declared < 0 or declared > limit):
            await _too_large(limit, scope["path"])(scope, receive, send)
            return
        await _Guard(self.app, limit).run(scope, receive, send)


@dataclass
class _Guard:
    """One request's byte count; once past the limit the app's own answer is dropped and 413 is sent."""

    app: ASGIApp
    limit: int
    received: int = 0
    exceeded: bool = False
    started: bool = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise BodyTooLarge(self.limit)
            return message

        async def guarded(message: Message) -> None:
            if self.exceeded and not self.started:
                return  # whatever the app made of the exception, the answer is ours
            self.started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not self.exceeded:
                raise
        if self.exceeded and not self.started:
            await _too_large(self.limit, scope["path"])(scope, receive, send)


class SecurityHeaders:
    """Add the security headers (and a default ``no-store``) to every HTTP response."""

    def __init__(self, app: ASGIApp, *, api_docs: bool = False) -> None:
        self.app, self._api_docs = app, api_docs

    def _policy(self, path: str) -> bytes:
        docs = self._api_docs and path in ("/docs", "/redoc", "/docs/oauth2-redirect")
        return (_DOCS_POLICY if docs else CONTENT_SECURITY_POLICY).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        public = path.startswith(_PUBLIC_PREFIXES)
        policy = self._policy(path)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                extra = [(b"content-security-policy", policy), *_FIXED_HEADERS]
                if not public:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class HardenedFastAPI(FastAPI):
    """FastAPI with :class:`SecurityHeaders` and :class:`BodyLimit` outside Starlette's error middleware, and
    ``front`` (the hot-endpoint dispatcher, web/hot.py) between them and the usual stack."""

    api_docs: bool = False
    front: Callable[[FastAPI, ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        """The usual stack behind ``front``, wrapped by the size limit, then the headers (so 413s and 500s carry
        them too)."""
        inner = super().build_middleware_stack()
        if self.front is not None:
            inner = self.front(self, inner)
        return SecurityHeaders(BodyLimit(inner), api_docs=self.api_docs)
