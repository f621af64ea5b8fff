"""The console's CA administrator page ``/admin/ca``: the certificate profiles (what each certificate type
carries, as issuance uses them now), OCSP signer renewal, and the dual-controlled proposals a second administrator
approves on the home page: a profile change, a key ceremony (its ceremony.toml), a bulk revocation by query — every
issued certificate of an issuing CA recorded in a time range (UTC)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, get_args, get_origin
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jointcert.admin.model import Operator, Role
from jointcert.admin.profile_change import profile_rows
from jointcert.app import Services
from jointcert.ca.hierarchy import OCSP
from jointcert.ca.presets import preset_for
from jointcert.ca.profile_settings import CA_FIELDS, TYPE_FIELDS
from jointcert.config import CaSettings
from jointcert.errors import InvalidInput, JointcertError
from jointcert.web.routes.admin_base import REASONS, error_status, operator_of, page, services_of

__all__ = ["router"]

router = APIRouter(prefix="/admin/ca", include_in_schema=False)


def _choices(name: str) -> list[str]:
    """The values a ``[ca]`` field allows when they are a fixed set (a ``Literal``), else none (free input)."""
    annotation = CaSettings.model_fields[name].annotation
    return [str(v) for v in get_args(annotation)] if get_origin(annotation) is Literal else []


def _profile_form(services: Services) -> dict[str, Any]:
    """The change form: every changeable field with its value in force (generic over the declared fields)."""
    assert services.profiles is not None
    rows = profile_rows(services.profiles)
    ca = [
        {
            "name": name,
            "value": rows["ca"][name],
            "choices": _choices(name),
            "number": isinstance(rows["ca"][name], int),
        }
        for name in CA_FIELDS
    ]
    types = {
        cert_type: [
            {
                "name": name,
                "value": fields[name] if fields[name] is not None else "",
                "number": TYPE_FIELDS[name] is int,
            }
            for name in TYPE_FIELDS
        ]
        for cert_type, fields in rows["types"].items()
    }
    return {"version": rows["version"], "ca": ca, "types": types}


def _context(services: Services, operator: Operator) -> dict[str, Any]:
    services.operators.require(operator, Role.CA_ADMIN)
    assert services.profiles is not None
    now = services.profiles.current()  # what issuance uses now (the config file + approved changes)
    preset = preset_for(now.settings.preset)  # the policy OIDs the preset in force writes
    profiles = [
        {
            "name": p.name,
            "policy_oid": p.policy_oid,
            "notice_ko": p.notice_ko,
            "subject_ou": p.subject_ou,
            "key_usage": ", ".join(p.key_usage),
            "validity_days": p.validity_days or now.settings.validity_days,
        }
        for p in map(preset.profile, now.profiles.values())
    ]
    ocsp = services.signers[OCSP].certificate
    return {
        "operator": operator,
        "profiles": profiles,
        "profile_form": _profile_form(services),
        "preset": now.settings.preset,
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


def _changes(form: Mapping[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The fields of the form whose value differs from the one in force (empty fields: no change)."""
    ca = {n: form[f"ca.{n}"].strip() for n in CA_FIELDS if str(form.get(f"ca.{n}", "")).strip()}
    ca = {n: v for n, v in ca.items() if v != str(current["ca"][n])}
    types: dict[str, dict[str, str]] = {}
    for cert_type, fields in current["types"].items():
        for name in TYPE_FIELDS:
            value = str(form.get(f"types.{cert_type}.{name}", "")).strip()
            if value and value != str(fields[name] if fields[name] is not None else ""):
                types.setdefault(cert_type, {})[name] = value
    return {"ca": ca, "types": types}


@router.post("/proposals/profile")
async def propose_profile_change(request: Request) -> Response:
    """Propose new values for the profile settings (a second administrator approves them on the home page)."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator, services = found[0], services_of(request)
    form = await request.form()
    try:
        assert services.profiles is not None
        changes = _changes(form, profile_rows(services.profiles))
        proposal = services.dual_control.propose(operator, "profile_change", {"changes": changes})
    except JointcertError as exc:
        return _show(request, operator, error_status(exc), error=exc.to_dict())
    message = f"proposal #{proposal.id} (profile change) waits for a second operator"
    return RedirectResponse(f"/admin?done={quote(message)}", status_code=303)


@router.post("/proposals/ceremony")
def propose_ceremony(request: Request, config: str = Form("")) -> Response:
    """Propose a key ceremony: the exact ceremony.toml the server's ``jointcert ca ceremony`` will run."""
    found = operator_of(request)
    if found is None:
        return RedirectResponse("/admin", status_code=303)
    operator, services = found[0], services_of(request)
    try:
        proposal = services.dual_control.propose(operator, "key_ceremony", {"config": config.replace("\r\n", "\n")})
    except JointcertError as exc:
        return _show(request, operator, error_status(exc), error=exc.to_dict())
    sha = proposal.payload["config_sha256"]
    message = f"proposal #{proposal.id} (key ceremony, ceremony.toml sha256 {sha}) waits for a second operator"
    return RedirectResponse(f"/admin?done={quote(message)}", status_code=303)
