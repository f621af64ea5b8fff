"""The test-only ASGI app behind the harness page: the real static files, the harness, and a few fake API routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import jointcert.web

__all__ = ["CONTENT_SECURITY_POLICY", "HARNESS_DIR", "STATIC_DIR", "build_harness_app"]

STATIC_DIR = Path(jointcert.web.__file__).parent / "static"
HARNESS_DIR = Path(__file__).parent / "page"

# As strict as the real pages should be: no inline script, no eval, connections to this origin only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
]


class _SecurityHeaders:
    """Adds the CSP and friends to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def _problem(status: int, **fields: Any) -> JSONResponse:
    return JSONResponse({"status": status, **fields}, status_code=status, media_type="application/problem+json")


async def _ok(_: Request) -> Response:
    return JSONResponse({"hello": "안녕하세요", "n": 1})


async def _empty(_: Request) -> Response:
    return Response(status_code=204)


async def _problem_route(_: Request) -> Response:
    return _problem(
        409,
        type="https://jointcert.example/problems/step-out-of-order",
        title="Conflict",
        detail="The issuance steps must be completed in order.",
        code="step_out_of_order",
        message_ko="발급 절차를 순서대로 진행하십시오.",
        message_en="Complete the issuance steps in order.",
    )


async def _bare_problem(_: Request) -> Response:
    return _problem(422, type="about:blank", title="Unprocessable Content", detail="Field x is invalid.")


async def _plain_error(_: Request) -> Response:
    return PlainTextResponse("bad gateway", status_code=502)


async def _echo(request: Request) -> Response:
    return JSONResponse({"received": await request.json()})


def build_harness_app() -> ASGIApp:
    """Static files under /static (the real ones), the harness under /harness, fake API under /api/v1/_harness."""
    routes = [
        Route("/", lambda _: RedirectResponse("/harness/index.html")),
        Route("/api/v1/_harness/ok", _ok),
        Route("/api/v1/_harness/empty", _empty, methods=["DELETE"]),
        Route("/api/v1/_harness/problem", _problem_route),
        Route("/api/v1/_harness/bare-problem", _bare_problem),
        Route("/api/v1/_harness/plain-error", _plain_error),
        Route("/api/v1/_harness/echo", _echo, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR)),
        Mount("/harness", StaticFiles(directory=HARNESS_DIR)),
    ]
    return _SecurityHeaders(Starlette(routes=routes))
