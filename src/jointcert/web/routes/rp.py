"""The demo relying-party sites (other banks, a card company, an insurer, a securities firm, a government portal)
under ``/rp/{site}``: a login page with the browser wallet, 타기관 인증서 등록, and a small JSON API per site.

Pages: ``GET /rp/`` (the sites), ``GET /rp/{site}`` (login). JSON: ``GET /rp/api/sites``,
``POST /rp/{site}/api/challenge``, ``POST /rp/{site}/api/login``, ``POST /rp/{site}/api/register``. A login is
bound to the site's session cookie; every verdict is ``200`` with ``accepted`` true or false and its checks, bad input
is an RFC 9457 problem. Handlers stay a few lines: ``jointcert.rp`` decides.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from jointcert.app import RelyingParties, Services
from jointcert.npki.resident_number import InvalidResidentNumber
from jointcert.npki.resident_number import parse as parse_resident_number
from jointcert.rp import CertificateSummary, SignedLogin, Verdict, Verifier
from jointcert.web.problems import problem_responses
from jointcert.web.routes.rp_models import (
    DEFAULT_LOOK,
    LOOKS,
    ChallengeOut,
    InstitutionOut,
    InvalidRpRequest,
    LoginIn,
    RegisterIn,
    UnknownSite,
    VerdictOut,
    b64decode,
    institution_out,
    policy_labels,
    same_name,
    verdict_out,
)
from jointcert.web.templates import PAGE_HEADERS, install_pages, templates_of

__all__ = ["SESSION_COOKIE", "install", "router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/rp", tags=["relying parties"])
SESSION_COOKIE = "jc_rp_session"
SESSION_MAX_AGE = 30 * 60
_NO_STORE = {"Cache-Control": "no-store"}
Site = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$", description="e.g. saebit-bank")]


def install(app: FastAPI) -> None:
    """Mount the relying-party pages and API (and the shared template environment and ``/static``)."""
    install_pages(app)
    app.include_router(router)


def _parties(request: Request) -> RelyingParties:
    services: Services = request.app.state.services
    return services.relying_parties


def _verifier(request: Request, site: str) -> Verifier:
    verifier = _parties(request).verifiers.get(site)
    if verifier is None:
        raise UnknownSite(f"There is no relying party {site!r}.", message_ko=f"알 수 없는 기관입니다: {site}")
    return verifier


def _session(request: Request) -> str:
    value = request.cookies.get(SESSION_COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.isascii() else ""


def _login(body: LoginIn, session_id: str, random_num: bytes | None = None) -> SignedLogin:
    if body.signed_data is None and (body.certificate is None or body.signature is None):
        raise InvalidRpRequest(
            "Send certificate and signature, or signed_data.",
            message_ko="certificate와 signature, 또는 signed_data가 필요합니다.",
        )
    return SignedLogin(
        challenge=body.challenge,
        session_id=session_id,
        signed_data=b64decode(body.signed_data, "signed_data") if body.signed_data is not None else None,
        certificate=b64decode(body.certificate, "certificate") if body.certificate is not None else None,
        signature=b64decode(body.signature, "signature") if body.signature is not None else None,
        random_num=random_num,
    )


def _answer(verifier: Verifier, action: str, verdict: Verdict) -> JSONResponse:
    serial = verdict.certificate.serial_hex if verdict.certificate else "-"
    log.info("rp %s %s: %s (%s), serial %s", verifier.policy.id, action, verdict.accepted, verdict.reason_code, serial)
    return JSONResponse(verdict_out(verdict), headers=_NO_STORE)


# --- JSON API -----------------------------------------------------------------------------------------------


@router.get("/api/sites", summary="The demo relying parties and their rules")
def sites(request: Request) -> list[InstitutionOut]:
    """Every demo site: name, accepted certificate types, whether a registration is needed."""
    parties = _parties(request)
    return [institution_out(p, parties.verifiers[key].fail_closed) for key, p in parties.policies.items()]


@router.post(
    "/{site}/api/challenge",
    summary="A single-use challenge bound to this site and session",
    responses=problem_responses(UnknownSite),
)
async def challenge(site: Site, request: Request, response: Response) -> ChallengeOut:
    """Issue a challenge (and the session cookie when the client has none). Sign ``challenge`` as ASCII bytes.
    Nothing is stored (an HMAC-signed value), so it runs on the event loop."""
    verifier = _verifier(request, site)
    session_id = _session(request) or secrets.token_urlsafe(24)
    issued = _parties(request).challenges.issue(site, session_id)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=SESSION_MAX_AGE,
        path=f"/rp/{site}",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.headers.update(_NO_STORE)
    return ChallengeOut(
        challenge=issued.value,
        expires_at=issued.expires_at,
        institution=institution_out(verifier.policy, verifier.fail_closed),
    )


@router.post(
    "/{site}/api/login",
    summary="Log in with a signed challenge",
    response_model=VerdictOut,
    responses={
        200: {"description": "The verdict: accepted, or the reason for the refusal, and every check"},
        **problem_responses(UnknownSite, InvalidRpRequest),
    },
)
def login(site: Site, body: LoginIn, request: Request) -> JSONResponse:
    """Verify the signature over the challenge and the certificate under the site's policy. ``next: register`` says
    the certificate is acceptable but not registered here yet (then call ``register``)."""
    verifier = _verifier(request, site)
    verdict = verifier.verify_login(_login(body, _session(request)))
    return _answer(verifier, "login", verdict)


@router.post(
    "/{site}/api/register",
    summary="타기관 인증서 등록: register the certificate to the customer",
    response_model=VerdictOut,
    responses={
        200: {"description": "The verdict of the registration (a login on success)"},
        **problem_responses(UnknownSite, InvalidRpRequest, InvalidResidentNumber),
    },
)
def register(site: Site, body: RegisterIn, request: Request) -> JSONResponse:
    """Prove possession of the key, check the VID with the resident number and R, check the customer's name (the
    sandbox identity check), then store the registration. The resident number is used, never stored."""
    verifier = _verifier(request, site)
    rrn = parse_resident_number("".join(body.rrn.split())).digits  # the one parser every command and page uses
    random_num = b64decode(body.random_num, "random_num")
    customer_id = _customer_id(request, site, rrn)

    def identity_check(customer_id: str, certificate: CertificateSummary) -> bool:
        return same_name(body.name, certificate.real_name)

    verdict = verifier.register(
        _login(body, _session(request), random_num), customer_id=customer_id, rrn=rrn, identity_check=identity_check
    )
    return _answer(verifier, "register", verdict)


def _customer_id(request: Request, site: str, rrn: str) -> str:
    """The site's customer number for a resident number: a keyed hash, so the number itself is never stored."""
    services: Services = request.app.state.services
    return "c-" + services.pii.lookup_hash(rrn, f"rp-customer:{site}")[:10].hex()


# --- pages --------------------------------------------------------------------------------------------------


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    response = templates_of(request).TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    """The list of demo relying parties."""
    parties = _parties(request)
    entries = [(policy, LOOKS.get(key, DEFAULT_LOOK)) for key, policy in parties.policies.items()]
    return _page(request, "rp/index.html", {"entries": entries})


@router.get("/{site}", response_class=HTMLResponse, include_in_schema=False)
def login_page(site: Site, request: Request) -> HTMLResponse:
    """A site's login page: choose a certificate from the browser wallet, enter its password."""
    verifier = _parties(request).verifiers.get(site)
    if verifier is None:
        return _page(request, "rp/not_found.html", {"site": site}, status_code=404)
    policy = verifier.policy
    config = {
        "site": site,
        "apiBase": f"/rp/{site}/api",
        "policies": policy_labels(),
        "acceptedTypes": sorted(t.value for t in policy.accepted_types),
        "acceptedPolicyOids": sorted(policy.accepted_policy_oids),
    }
    look = LOOKS.get(site, DEFAULT_LOOK)
    return _page(request, "rp/login.html", {"policy": policy, "look": look, "config": config})
