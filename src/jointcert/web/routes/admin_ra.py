"""The console's RA officer pages (``/admin/ra``): search by name, user ID, serial or VID holder; a customer's
certificates, issuance sessions with their step logs and locked credentials; unlock after a recorded stronger
verification; revoke with a reason. Every action goes through :class:`jointcert.admin.ra_desk.RaDesk` (audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jointcert.admin.model import Operator, Role
from jointcert.admin.ra_desk import UNLOCKABLE, SearchKind, Verification
from jointcert.app import Services
from jointcert.errors import JointcertError
from jointcert.web.routes.admin_base import REASONS, error_status, operator_of, page, services_of

__all__ = ["router"]

router = APIRouter(prefix="/admin/ra", include_in_schema=False)
_CHOICES: dict[str, Any] = {
    "kinds": [k.value for k in SearchKind],
    "reasons": REASONS,
    "credentials": [c.value for c in UNLOCKABLE],
    "verifications": [v.value for v in Verification],
}


def _render(request: Request, name: str, operator: Operator, build: Callable[[Services], dict[str, Any]]) -> Response:
    """``build`` the page's context; an error shows the page with the message in both languages."""
    context: dict[str, Any] = {"operator": operator, "message": request.query_params.get("done"), **_CHOICES}
    try:
        context.update(build(services_of(request)))
    except JointcertError as exc:
        return page(request, name, error_status(exc), **context, error=exc.to_dict())
    return page(request, name, **context)


def _search(request: Request, kind: str, q: str) -> Response:
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator = found[0]

    def build(services: Services) -> dict[str, Any]:
        services.operators.require(operator, Role.RA_OFFICER)
        context: dict[str, Any] = {"kind": kind, "q": q if kind != SearchKind.VID_HOLDER else ""}
        if q.strip():
            context["result"] = services.ra_desk.search(operator, kind, q)
        return context

    return _render(request, "ra.html", operator, build)


@router.get("")
def search_form(request: Request) -> Response:
    """The search form."""
    return _search(request, "name", "")


@router.post("")
def search(request: Request, kind: str = Form("name"), q: str = Form("")) -> Response:
    """What the search found. A POST, so that a resident number typed never appears in a URL (access logs,
    browser history, Referer)."""
    return _search(request, kind, q)


@router.get("/customers/{customer_id}")
def customer(request: Request, customer_id: str) -> Response:
    """A customer's page."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator = found[0]
    return _render(request, "customer.html", operator, lambda s: {"view": s.ra_desk.customer(operator, customer_id)})


def _act(request: Request, back: str, name: str, run: Callable[[Services, Operator], str]) -> Response:
    """Run an action; back to ``back`` with the outcome, or the page ``name`` again with the error."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator, services = found[0], services_of(request)
    try:
        message = run(services, operator)
    except JointcertError as exc:
        context: dict[str, Any] = {"operator": operator, **_CHOICES, "error": exc.to_dict()}
        if name == "customer.html":
            try:
                context["view"] = services.ra_desk.customer(operator, back.rsplit("/", 1)[-1])
            except JointcertError:
                name = "ra.html"
        return page(request, name, error_status(exc), **context)
    return RedirectResponse(f"{back}?done={quote(message)}", status_code=303)


@router.post("/customers/{customer_id}/unlock")
def unlock(
    request: Request,
    customer_id: str,
    credential: str = Form(""),
    verification: str = Form(""),
    note: str = Form(""),
) -> Response:
    """Lift a lock after the stronger verification the officer records."""

    def run(services: Services, operator: Operator) -> str:
        lifted = services.ra_desk.unlock(operator, customer_id, credential, verification, note)
        return f"unlocked {credential}" if lifted else f"{credential} was not locked"

    return _act(request, f"/admin/ra/customers/{quote(customer_id)}", "customer.html", run)


@router.post("/revoke")
def revoke(request: Request, serial: str = Form(""), reason: str = Form(""), customer_id: str = Form("")) -> Response:
    """Revoke one certificate with a reason (back to the customer's page when it came from there)."""
    back = f"/admin/ra/customers/{quote(customer_id)}" if customer_id else "/admin/ra"

    def run(services: Services, operator: Operator) -> str:
        return f"revoked {services.ra_desk.revoke(operator, serial, reason):x}"

    return _act(request, back, "customer.html" if customer_id else "ra.html", run)
