"""RFC 9457 problem responses: domain error kinds become HTTP statuses; internals never reach the client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jointcert.errors import ErrorKind, JointcertError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "RETRY_AFTER_SECONDS",
    "STATUS_BY_KIND",
    "install_problem_handlers",
    "problem",
    "problem_responses",
]

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 5  # on 503: the database comes back within seconds of returning (storage/db.py)
STATUS_BY_KIND: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.AUTHENTICATION: 401,
    ErrorKind.DENIED: 403,
    ErrorKind.LOCKED: 423,
    ErrorKind.EXPIRED: 410,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.INTERNAL: 500,
}


def problem_responses(*errors: type[JointcertError], invalid_request: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` listing each status with the error codes behind it (the body: web/openapi_schema.py)."""
    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(STATUS_BY_KIND[error.kind], []).append(error.code)
    if invalid_request:
        by_status.setdefault(422, []).append("invalid_request")
    return {
        status: {"description": "Problem codes: " + ", ".join(sorted(set(codes)))}
        for status, codes in sorted(by_status.items())
    }


def problem(status: int, code: str, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    """A ``application/problem+json`` response with our stable ``code`` as the problem type.

    Every problem carries ``message_ko`` and ``message_en`` (the English one defaults to the detail or title).
    """
    body: dict[str, Any] = {"type": f"urn:jointcert:problem:{code}", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body["message_en"] = detail or title
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


_MEMBERS = frozenset({"type", "title", "status", "code", "detail"})


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, JointcertError)
    status = STATUS_BY_KIND[exc.kind]
    if status >= 500:
        log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc)
        response = problem(status, exc.code, type(exc).message_en, message_ko=type(exc).message_ko)
        if status == 503:  # the database or another dependency is away: a retry will do (docs/operations.md)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    details = {k: v for k, v in exc.details.items() if k not in _MEMBERS}  # e.g. a bank error's "status"
    return problem(status, exc.code, type(exc).message_en, exc.text_en, **{**details, "message_ko": exc.text_ko})


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]
    return problem(
        422, "invalid_request", "The request is not valid.", message_ko="요청이 올바르지 않습니다.", errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message_ko = {404: "요청한 주소를 찾을 수 없습니다.", 405: "허용되지 않은 요청 방식입니다."}.get(
        exc.status_code, "요청을 처리할 수 없습니다."
    )
    return problem(exc.status_code, code, str(exc.detail), message_ko=message_ko)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal_error", "An internal error occurred.", message_ko="처리 중 오류가 발생했습니다.")


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""
    app.add_exception_handler(JointcertError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
