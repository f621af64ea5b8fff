"""The console's CA administrator page ``/admin/ca``: the certificate profiles (what each certificate type
carries), OCSP signer renewal, and proposing a bulk revocation by query — every issued certificate of an issuing
CA recorded in a time range (UTC) — which a second administrator approves on the home page (dual control)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jointcert.admin.model import Operator, Role
from jointcert.app import Services
from jointcert.ca.hierarchy import OCSP
from jointcert.ca.presets import preset_for
from jointcert.ca.profiles import PROFILES
from jointcert.errors import InvalidInput, JointcertError
from jointcert.web.routes.admin_base import REASONS, error_status, operator_of, page, services_of

__all__ = ["router"]

router = APIRouter(prefix="/admin/ca", include_in_schema=False)


def _context(services: Services, operator: Operator) -> dict[str, Any]:
    services.operators.require(operator, Role.CA_ADMIN)
    settings = services.settings.ca
    preset = preset_for(settings.preset)
    profiles = [
        {
            "name": p.name,
            "policy_oid": p.policy_oid,
            "notice_ko": p.notice_ko,
            "subject_ou": p.subject_ou,
            "key_usage": ", ".join(p.key_usage),
            "validity_days": p.validity_days or settings.validity_days,
        }
        for p in map(preset.profile, PROFILES.values())  # the policy OIDs the preset writes
    ]
    ocsp = services.signers[OCSP].certificate
    return {
        "operator": operator,
        "profiles": profiles,
        "preset": settings.preset,
        "issuers": [services.authority.slug],
        "ocsp": {"serial": format(ocsp.serial_number, "x"), "not_after": ocsp.not_valid_after_utc},
    }


def _show(request: Request, operator: Operator, status: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {"operator": operator, "reasons": REASONS, "message": request.query_params.get("done")}
    context.update(extra)
    try:
        context.update(_context(services_of(request), operator))
    except JointcertError as exc:
        context["error"], status = exc.to_dict(), error_status(exc)
    return page(request, "ca.html", status, **context)


@router.get("")
def ca_page(request: Request) -> Response:
    """Profiles and the bulk-revocation-by-query form."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    return _show(request, found[0])


def _utc(text: str) -> str:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC).isoformat()
    except ValueError:
        raise InvalidInput(
            "Times are YYYY-MM-DDTHH:MM (UTC).", message_ko="시각은 YYYY-MM-DDTHH:MM (UTC) 형식입니다."
        ) from None


@router.post("/proposals/query")
def propose_by_query(
    request: Request,
    issuer: str = Form(""),
    issued_from: str = Form(""),
    issued_to: str = Form(""),
    reason: str = Form("unspecified"),
) -> Response:
    """Propose revoking every issued certificate of ``issuer`` recorded in [issued_from, issued_to)."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator, services = found[0], services_of(request)
    try:
        payload = {"issuer": issuer, "issued_from": _utc(issued_from), "issued_to": _utc(issued_to), "reason": reason}
        proposal = services.dual_control.propose(operator, "bulk_revocation_query", payload)
    except JointcertError as exc:
        return _show(request, operator, error_status(exc), error=exc.to_dict())
    message = f"proposal #{proposal.id} ({proposal.payload['matched']} certificates) waits for a second operator"
    return RedirectResponse(f"/admin?done={quote(message)}", status_code=303)


@router.post("/ocsp-signer")
def renew_ocsp_signer(request: Request) -> Response:
    """Issue a new OCSP signer certificate (and key) from the issuing CA and use it from now on."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator, services = found[0], services_of(request)
    try:
        signer = services.ca_desk.renew_ocsp_signer(operator)
    except JointcertError as exc:
        return _show(request, operator, error_status(exc), error=exc.to_dict())
    cert = signer.certificate
    message = f"OCSP signer renewed: {cert.serial_number:x}, valid until {cert.not_valid_after_utc:%Y-%m-%d}"
    return RedirectResponse(f"/admin/ca?done={quote(message)}", status_code=303)
