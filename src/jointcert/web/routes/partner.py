"""The demo institutions as *partner sites on their own origin* (``/partner/{site}``): they reach the customer's
certificate only through the cross-origin wallet protocol (``jointcert-rp.js`` → the bank's ``/wallet/connect``),
never through the bank origin's IndexedDB. ``jointcert demo`` serves them on a second port.

JSON: ``POST /partner/{site}/api/request {kind}`` → a version-1 wallet request (a fresh challenge bound to this
site and the ``jc_partner_session`` cookie; for ``sign`` the site's document and its SHA-256);
``POST /partner/{site}/api/verify {kind, response}`` → the verdict of ``WalletResponseVerifier``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict

from jointcert.app import RelyingParties, Services
from jointcert.rp import Verifier
from jointcert.rp.wallet import (
    DocumentToSign,
    InvalidWalletResponse,
    WalletKind,
    WalletResponse,
    WalletResponseVerifier,
    build_request,
)
from jointcert.rp.wallet_clients import normalize_origin
from jointcert.web.problems import problem_responses
from jointcert.web.routes.rp import Site
from jointcert.web.routes.rp_models import DEFAULT_LOOK, LOOKS, UnknownSite, policy_labels, verdict_out
from jointcert.web.routes.wallet import WALLET_PAGE_HEADERS
from jointcert.web.templates import install_pages, templates_of

__all__ = ["PARTNER_COOKIE", "demo_document", "install", "router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/partner", tags=["demo partner sites"])
PARTNER_COOKIE = "jc_partner_session"
_NO_STORE = {"Cache-Control": "no-store"}


def install(app: FastAPI) -> None:
    """Mount the partner pages and API."""
    install_pages(app)
    app.include_router(router)


def demo_document(site: str, name: str) -> tuple[str, bytes]:
    """The demo document a site asks to sign: its file name and bytes (UTF-8 text)."""
    text = (
        f"{name} 전자문서 동의서\n"
        "1. 본인은 위 기관의 전자금융거래 기본약관 및 개인정보 수집·이용에 동의합니다.\n"
        "2. 이 문서는 공동인증서 전자서명으로 체결되며 서면 서명과 같은 효력을 가집니다.\n"
        f"문서번호 JC-{site.upper()}-2026-0001"
    )
    return f"{site}-agreement.txt", text.encode("utf-8")


def _parties(request: Request) -> RelyingParties:
    services: Services = request.app.state.services
    return services.relying_parties


def _verifier(request: Request, site: str) -> Verifier:
    verifier = _parties(request).verifiers.get(site)
    if verifier is None:
        raise UnknownSite(f"There is no relying party {site!r}.", message_ko=f"알 수 없는 기관입니다: {site}")
    return verifier


def _own_origin(request: Request) -> str:
    return normalize_origin(f"{request.url.scheme}://{request.url.netloc}")


def _session(request: Request) -> str:
    value = request.cookies.get(PARTNER_COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.isascii() else ""


def _wallet_url(request: Request) -> str:
    services: Services = request.app.state.services
    return services.settings.rp.wallet_url or services.settings.server.public_url


class RequestIn(BaseModel):
    """What the page wants to do."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["login", "sign"] = "login"
    identify: bool = False  # ask for R as well (a site that holds the customer's resident number checks the VID)


class VerifyIn(BaseModel):
    """The wallet's response as the page received it."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["login", "sign"] = "login"
    response: dict[str, Any]


@router.post(
    "/{site}/api/request",
    summary="A wallet request: fresh challenge, this origin, this client id",
    responses=problem_responses(UnknownSite),
)
def wallet_request(site: Site, body: RequestIn, request: Request, response: Response) -> dict[str, Any]:
    """The version-1 request the page hands the wallet (``jointcert-rp.js``)."""
    verifier = _verifier(request, site)
    session_id = _session(request) or secrets.token_urlsafe(24)
    challenge = _parties(request).challenges.issue(site, session_id)
    response.set_cookie(
        PARTNER_COOKIE, session_id, max_age=1800, path=f"/partner/{site}", httponly=True, samesite="lax"
    )
    response.headers.update(_NO_STORE)
    policy = verifier.policy
    document = None
    shown: dict[str, str] | None = None
    if body.kind == "sign":
        name, data = demo_document(site, policy.name)
        document = DocumentToSign(hashlib.sha256(data).digest(), data.decode("utf-8"), name)
        shown = {"name": name, "text": data.decode("utf-8")}
    built = build_request(
        client_id=site,
        origin=_own_origin(request),
        challenge=challenge.value,
        kind=WalletKind(body.kind),
        policies=tuple(sorted(policy.accepted_policy_oids)),
        cert_types=tuple(sorted(t.value for t in policy.accepted_types)),
        document=document,
        request_id=secrets.token_urlsafe(12),
        identify=body.identify,
    )
    return {"request": built, "document": shown}


@router.post(
    "/{site}/api/verify",
    summary="Verify the wallet's response for this site, origin and session",
    responses=problem_responses(UnknownSite, InvalidWalletResponse),
)
def verify(site: Site, body: VerifyIn, request: Request) -> JSONResponse:
    """Binding, challenge (once), CMS signature, chain, policy, revocation; for ``sign`` the document too."""
    verifier = _verifier(request, site)
    parsed = WalletResponse.from_json(body.response)
    kind = WalletKind(body.kind)
    document = demo_document(site, verifier.policy.name)[1] if kind is WalletKind.SIGN else None
    checker = WalletResponseVerifier(verifier, client_id=site, origin=_own_origin(request))
    verdict = checker.verify(parsed, session_id=_session(request), kind=kind, document=document)
    log.info("partner %s wallet %s: %s (%s)", site, kind.value, verdict.accepted, verdict.reason_code)
    return JSONResponse(verdict_out(verdict), headers=_NO_STORE)


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    response = templates_of(request).TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(WALLET_PAGE_HEADERS)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    """The partner sites."""
    parties = _parties(request)
    entries = [(policy, LOOKS.get(key, DEFAULT_LOOK)) for key, policy in parties.policies.items()]
    return _page(request, "partner/index.html", {"entries": entries, "wallet_url": _wallet_url(request)})


@router.get("/{site}", response_class=HTMLResponse, include_in_schema=False)
def site_page(site: Site, request: Request) -> HTMLResponse:
    """A partner site: log in or sign its document with the certificate, through the bank's wallet."""
    verifier = _verifier(request, site)
    config = {
        "site": site,
        "apiBase": f"/partner/{site}/api",
        "walletUrl": _wallet_url(request),
        "returnUrl": f"{_own_origin(request)}/partner/{site}",
        "policies": policy_labels(),
    }
    look = LOOKS.get(site, DEFAULT_LOOK)
    return _page(request, "partner/site.html", {"policy": verifier.policy, "look": look, "config": config})
