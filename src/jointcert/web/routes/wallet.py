"""The bank's cross-origin wallet: ``GET /wallet/connect`` (the page a relying party opens, popup or redirect) and
``POST /wallet/api/authorize`` (is this client id registered for that origin / return URL?).

The page runs on the bank's origin, where IndexedDB holds the keys; it signs there and answers only the registered
origin (postMessage with an exact target origin) or a registered return URL. docs/wallet-protocol.md.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from jointcert.app import Services
from jointcert.errors import JointcertError
from jointcert.rp.wallet import PROTOCOL_VERSION, REQUEST_TYPE
from jointcert.rp.wallet_clients import (
    MAX_URL,
    InvalidWalletClient,
    UnknownWalletClient,
    WalletClient,
    WalletClients,
    WalletOriginNotAllowed,
    WalletReturnUrlNotAllowed,
    origin_of_url,
)
from jointcert.web.problems import STATUS_BY_KIND, problem_responses
from jointcert.web.routes.rp_models import InvalidRpRequest, policy_labels
from jointcert.web.templates import PAGE_HEADERS, install_pages, templates_of

__all__ = ["WALLET_PAGE_HEADERS", "install", "router"]

router = APIRouter(prefix="/wallet", tags=["wallet"])
# The page is opened by another origin and must keep ``window.opener`` (so no COOP isolation) but is never framed.
WALLET_PAGE_HEADERS = {**PAGE_HEADERS, "Cross-Origin-Opener-Policy": "unsafe-none"}
_MAX_REQUEST = 8 * 1024


def install(app: FastAPI) -> None:
    """Mount the wallet page and API."""
    install_pages(app)
    app.include_router(router)


def _clients(request: Request) -> WalletClients:
    services: Services = request.app.state.services
    return services.relying_parties.wallet_clients


class AuthorizeIn(BaseModel):
    """Who asks: the client id, the origin the request came from, the return URL (redirect variant)."""

    model_config = ConfigDict(extra="forbid")
    client_id: str = Field(min_length=1, max_length=64)
    origin: str = Field(min_length=1, max_length=MAX_URL)
    return_url: str | None = Field(default=None, max_length=MAX_URL)


class ClientOut(BaseModel):
    """A registered relying party as the wallet page shows it."""

    client_id: str
    name: str
    name_en: str
    origin: str


def _client_out(client: WalletClient, origin: str) -> ClientOut:
    return ClientOut(client_id=client.client_id, name=client.name, name_en=client.name_en, origin=origin)


@router.post(
    "/api/authorize",
    summary="Is this relying party registered for that origin (and return URL)?",
    responses=problem_responses(
        InvalidWalletClient, UnknownWalletClient, WalletOriginNotAllowed, WalletReturnUrlNotAllowed
    ),
)
def authorize(body: AuthorizeIn, request: Request) -> ClientOut:
    """The client's names when ``origin`` (and ``return_url``, exactly) are registered; a 404/403 problem if not."""
    client = _clients(request).authorize(body.client_id, body.origin, body.return_url)
    return _client_out(client, body.origin)


def _redirect_request(raw: str) -> dict[str, Any]:
    """The redirect variant's request from ``?request=`` (base64url JSON); :class:`InvalidRpRequest` if malformed."""
    if len(raw) > _MAX_REQUEST:
        raise InvalidRpRequest("The wallet request is too long.")
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidRpRequest("The wallet request is not base64url JSON.") from exc
    if not isinstance(data, dict) or data.get("v") != PROTOCOL_VERSION or data.get("type") != REQUEST_TYPE:
        raise InvalidRpRequest("Not a version-1 wallet request.")
    for key in ("client_id", "origin", "return_url"):
        if not isinstance(data.get(key), str):
            raise InvalidRpRequest(f"The redirect request needs {key}.")
    return data


def _authorize_redirect(request: Request, raw: str) -> tuple[dict[str, Any], ClientOut]:
    data = _redirect_request(raw)
    return_url = str(data["return_url"])
    origin = origin_of_url(return_url)
    if origin != data["origin"]:
        raise InvalidRpRequest("The return URL is not on the request's origin.")
    client = _clients(request).authorize(str(data["client_id"]), origin, return_url)
    return data, _client_out(client, origin)


@router.get("/connect", response_class=HTMLResponse, include_in_schema=False)
def connect(request: Request) -> HTMLResponse:
    """The wallet page. Popup: the request arrives by postMessage. Redirect: ``?request=`` (checked here first)."""
    raw = request.query_params.get("request")
    config: dict[str, Any] = {"mode": "popup", "policies": policy_labels(), "version": PROTOCOL_VERSION}
    refusal: JointcertError | None = None
    if raw is not None:
        config["mode"] = "redirect"
        try:
            data, client = _authorize_redirect(request, raw)
            config.update(request=data, client=client.model_dump())
        except JointcertError as exc:
            refusal = exc
    context = {"config": config, "refusal": refusal.to_dict() if refusal else None}
    status = STATUS_BY_KIND[refusal.kind] if refusal is not None else 200
    response = templates_of(request).TemplateResponse(request, "wallet/connect.html", context, status_code=status)
    response.headers.update(WALLET_PAGE_HEADERS)
    return response
