"""The console's auditor pages (``/admin/audit``): the audit log with filters (actor, action, time range in
UTC), the chain verification (as ``jointcert audit verify``) and the download of a signed export of a range.
Everything goes through :class:`jointcert.admin.audit_desk.AuditDesk`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jointcert.admin.directory import AuditFilter
from jointcert.admin.model import Operator
from jointcert.app import Services
from jointcert.errors import InvalidInput, JointcertError
from jointcert.web.routes.admin_base import error_status, operator_of, page, services_of

__all__ = ["router"]

router = APIRouter(prefix="/admin/audit", include_in_schema=False)
_FILTERS = ("actor", "action", "since", "until")


def _when(text: str) -> datetime | None:
    """A ``datetime-local`` value (``YYYY-MM-DDTHH:MM``) read as UTC; empty means no bound."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(
            "Times are YYYY-MM-DDTHH:MM (UTC).", message_ko="시각은 YYYY-MM-DDTHH:MM (UTC) 형식입니다."
        ) from None


def _context(services: Services, operator: Operator, values: dict[str, str]) -> dict[str, Any]:
    query = AuditFilter(
        actor=values.get("actor") or None,
        action=values.get("action") or None,
        since=_when(values.get("since", "")),
        until=_when(values.get("until", "")),
    )
    entries = services.audit_desk.log(operator, query)
    return {"entries": entries, "filters": values, "head": services.audit.head()[0]}


def _show(request: Request, operator: Operator, values: dict[str, str], status: int = 200, **extra: Any) -> Response:
    """The audit page with the filtered log and ``extra`` (a report, an error)."""
    context: dict[str, Any] = {"operator": operator, "filters": values, "entries": [], **extra}
    try:
        context.update(_context(services_of(request), operator, values))
    except JointcertError as exc:
        context["error"], status = exc.to_dict(), error_status(exc)
    return page(request, "audit.html", status, **context)


@router.get("")
def audit_log(request: Request) -> Response:
    """The filtered log (newest first)."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    values = {k: request.query_params.get(k, "").strip() for k in _FILTERS}
    return _show(request, found[0], values)


@router.post("/verify")
def verify(request: Request) -> Response:
    """Run the chain verification; the page shows its outcome."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    try:
        report = services_of(request).audit_desk.verify(found[0])
    except JointcertError as exc:
        return _show(request, found[0], {}, error_status(exc), error=exc.to_dict())
    return _show(request, found[0], {}, report=report)


@router.post("/export")
def export(request: Request, first: str = Form(""), last: str = Form("")) -> Response:
    """A signed export of entries ``first..last`` as a JSON download."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    try:
        if not (first.strip().isdigit() and last.strip().isdigit()):
            raise InvalidInput("Give the first and last entry numbers.", message_ko="시작과 끝 번호를 입력하세요.")
        done = services_of(request).audit_desk.export(found[0], int(first), int(last))
    except JointcertError as exc:
        return _show(request, found[0], {}, error_status(exc), error=exc.to_dict())
    name = f"audit-{int(first)}-{int(last)}.json"
    return Response(
        done.to_json(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
