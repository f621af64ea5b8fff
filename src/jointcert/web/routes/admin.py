"""The operator console ``/admin`` (desktop web, Korean + English): login with password + TOTP, then one page
with a section per role — RA officer (find a certificate by serial, revoke with reason), CA administrator (key
status, CRLs, publish now, propose and approve bulk revocations under dual control), auditor (audit log with a
type filter, hash-chain verification).

The session cookie ``jc_admin`` (HttpOnly, SameSite=Strict, path ``/admin``) names a server-side session; every
action is audited with the operator's identity (``operator:<username>``). Errors come back on the page in both
languages; nothing changes on bad input.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cryptography import x509
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jointcert.admin.model import Operator, Role
from jointcert.admin.operators import actor_of
from jointcert.admin.revocation import parse_serials
from jointcert.app import Services
from jointcert.ca.audit import verify_store
from jointcert.ca.health import crl_status, signers_usable
from jointcert.ca.hierarchy import ISSUING
from jointcert.errors import InvalidInput, JointcertError
from jointcert.web.routes import admin_audit, admin_ca, admin_figures, admin_ra
from jointcert.web.routes.admin_base import COOKIE, REASONS, operator_of, page, services_of
from jointcert.web.templates import install_pages

__all__ = ["install", "router"]

router = APIRouter(prefix="/admin", include_in_schema=False)
_REASONS = REASONS
_services, _operator, _page = services_of, operator_of, page


def _home_context(services: Services, operator: Operator, request: Request) -> dict[str, Any]:
    context: dict[str, Any] = {"operator": operator, "reasons": _REASONS}
    serial = request.query_params.get("serial", "").strip()
    if Role.RA_OFFICER in operator.roles and serial:
        context["serial"] = serial
        context["record"] = services.certificates.get(ISSUING, int(parse_serials(serial)[0], 16))
    if Role.CA_ADMIN in operator.roles:
        now = services.clock.now()
        context["keys"] = signers_usable(services.signers)
        context["crls"] = [crl_status(s, services.certificates.latest_crl(s), now) for s in services.crl.slugs]
        context["proposals"] = services.dual_control.pending()
    if Role.CA_ADMIN in operator.roles or Role.AUDITOR in operator.roles:
        context["figures"] = admin_figures.figures(request)  # the same numbers as /metrics
    if Role.AUDITOR in operator.roles:
        wanted = request.query_params.get("type", "").strip()
        entries = services.audit.entries(after_seq=max(0, services.audit.head()[0] - 200), limit=200)
        context["audit"] = [e for e in reversed(entries) if wanted in e.type][:100]
        context["type_filter"] = wanted
        context["chain_ok"] = verify_store(services.audit).ok
    return context


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """The login form, or the operator's sections."""
    found = _operator(request)
    if found is None:
        return _page(request, "login.html")
    operator, _ = found
    try:
        context = _home_context(_services(request), operator, request)
    except JointcertError as exc:
        context = {"operator": operator, "reasons": _REASONS, "error": exc.to_dict()}
    context["message"] = request.query_params.get("done")
    return _page(request, "home.html", **context)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), code: str = Form("")) -> Response:
    """Password + TOTP; sets the session cookie."""
    try:
        token, _ = _services(request).operators.login(username, password, code)
    except JointcertError as exc:
        return _page(request, "login.html", error=exc.to_dict())  # 200: the form again, with the message
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/admin")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    found = _operator(request)
    if found is not None:
        _services(request).operators.logout(found[1])
    response = RedirectResponse("/admin", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response


def _act(request: Request, role: Role, action: Any) -> Response:
    """Run ``action(services, operator)`` for an operator holding ``role``; back to the page with the outcome."""
    found = _operator(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator, services = found[0], _services(request)
    try:
        services.operators.require(operator, role)
        message = action(services, operator)
    except JointcertError as exc:
        return _page(
            request, "home.html", **_home_context(services, operator, request), error=exc.to_dict()
        )  # the page again, with the message in both languages
    return RedirectResponse(f"/admin?done={quote(message)}", status_code=303)


@router.post("/revoke")
def revoke(request: Request, serial: str = Form(""), reason: str = Form("unspecified")) -> Response:
    """RA officer: revoke one certificate with a reason."""

    def run(services: Services, operator: Operator) -> str:
        try:
            flag = x509.ReasonFlags(reason)
        except ValueError:
            raise InvalidInput("Unknown reason.", message_ko="알 수 없는 폐지 사유입니다.") from None
        number = int(parse_serials(serial)[0], 16)
        services.authority.revoke(number, flag, actor=actor_of(operator))
        return f"revoked {number:x}"

    return _act(request, Role.RA_OFFICER, run)


@router.post("/crl")
def publish_crl(request: Request) -> Response:
    """CA administrator: issue every CRL now."""

    def run(services: Services, operator: Operator) -> str:
        records = services.crl.regenerate_all(actor=actor_of(operator))
        full = ", ".join(f"{r.issuer} #{r.number}" for r in records if r.partition is None)
        partitions = sum(1 for r in records if r.partition is not None)
        return f"CRL {full}" + (f" + {partitions} partition CRL(s)" if partitions else "")

    return _act(request, Role.CA_ADMIN, run)


@router.post("/proposals")
def propose(request: Request, serials: str = Form(""), reason: str = Form("unspecified")) -> Response:
    """CA administrator: propose a bulk revocation (a second administrator must approve it)."""

    def run(services: Services, operator: Operator) -> str:
        payload = {"serials": parse_serials(serials), "reason": reason}
        proposal = services.dual_control.propose(operator, "bulk_revocation", payload)
        return f"proposal #{proposal.id} waits for a second operator"

    return _act(request, Role.CA_ADMIN, run)


@router.post("/proposals/{proposal_id}/approve")
def approve(request: Request, proposal_id: int) -> Response:
    """CA administrator (not the proposer): approve and run."""

    def run(services: Services, operator: Operator) -> str:
        done = services.dual_control.approve(operator, proposal_id)
        return f"proposal #{done.id} executed: {done.result}"

    return _act(request, Role.CA_ADMIN, run)


def install(app: FastAPI) -> None:
    """Mount the console (templates and ``/static`` included)."""
    install_pages(app)
    app.include_router(router)
    app.include_router(admin_ra.router)
    app.include_router(admin_audit.router)
    app.include_router(admin_ca.router)
