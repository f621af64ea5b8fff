"""What every console router shares: the session cookie, the operator of a request, rendering an ``admin/`` page
with the security headers, and the revocation reasons offered."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from fastapi import Request
from fastapi.responses import HTMLResponse

from jointcert.admin.model import Operator
from jointcert.app import Services
from jointcert.errors import ErrorKind, JointcertError
from jointcert.web.templates import PAGE_HEADERS, templates_of

__all__ = ["COOKIE", "REASONS", "error_status", "operator_of", "page", "services_of"]

COOKIE = "jc_admin"
REASONS = [
    r.value for r in x509.ReasonFlags if r not in (x509.ReasonFlags.remove_from_crl, x509.ReasonFlags.certificate_hold)
]
_STATUS = {ErrorKind.INVALID: 400, ErrorKind.NOT_FOUND: 404, ErrorKind.DENIED: 403, ErrorKind.CONFLICT: 409}


def services_of(request: Request) -> Services:
    """The instance's services."""
    services: Services = request.app.state.services
    return services


def operator_of(request: Request) -> tuple[Operator, str] | None:
    """The operator of the request's live console session and its token, or ``None``."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return services_of(request).operators.authenticate(token), token
    except JointcertError:
        return None


def error_status(exc: JointcertError) -> int:
    """The HTTP status a page showing ``exc`` answers with."""
    return _STATUS.get(exc.kind, 422)


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``admin/<name>`` with the pages' security headers."""
    response = templates_of(request).TemplateResponse(request, f"admin/{name}", context, status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response
