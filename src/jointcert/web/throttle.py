"""The web side of anti-automation: :class:`~jointcert.ra.throttle.Throttled` becomes 429 + ``Retry-After``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from jointcert.ra.throttle import Throttled
from jointcert.web.problems import problem

__all__ = ["THROTTLED_RESPONSE", "install"]

THROTTLED_RESPONSE: dict[int | str, dict[str, str]] = {
    429: {"description": "Problem code: throttled (too many attempts; see Retry-After)"}
}


async def _throttled(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Throttled)
    retry = int(exc.details.get("retry_after", 1))
    response = problem(429, exc.code, type(exc).message_en, exc.text_en, message_ko=exc.text_ko, **exc.details)
    response.headers["Retry-After"] = str(retry)
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: FastAPI) -> None:
    """Answer :class:`Throttled` with 429 problems."""
    app.add_exception_handler(Throttled, _throttled)
