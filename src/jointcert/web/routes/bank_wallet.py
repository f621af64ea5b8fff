"""The bank app's certificate pages: ``/bank/login`` (certificate login, and the logged-in home), ``/bank/wallet``
(인증서 관리: list, details, password change, renew, revoke, delete, reissue) and the copy pages
``/bank/copy/to-pc`` (PC로 인증서 복사) and ``/bank/copy/from-pc`` (PC에서 인증서 가져오기).

The certificates live in the browser (``static/js/vault.js``); these handlers only render the pages and hand each
its configuration (policy OID labels, the server's clock for days left and the renewal window). The modules
``bank-login.js``, ``bank-wallet.js`` and ``bank-copy.js`` call the JSON APIs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from jointcert.app import Services
from jointcert.web.routes.bank_login import page_session
from jointcert.web.routes.rp_models import policy_labels
from jointcert.web.templates import PAGE_HEADERS, install_pages, templates_of

__all__ = ["install", "router"]

router = APIRouter(prefix="/bank", include_in_schema=False)


def install(app: FastAPI) -> None:
    """Mount the certificate pages (and the shared template environment and ``/static``)."""
    install_pages(app)
    app.include_router(router)


def _config(request: Request, **extra: Any) -> dict[str, Any]:
    services: Services = request.app.state.services
    return {
        "policies": policy_labels(),
        "now": services.clock.now().isoformat(),
        "renewalWindowDays": services.settings.ra.renewal_window_days,
        **extra,
    }


def _page(request: Request, name: str, back_href: str, **context: Any) -> HTMLResponse:
    session = page_session(request)
    values = {"logged_in": session is not None, "session": session, "back_href": back_href, **context}
    response = templates_of(request).TemplateResponse(request, name, values)
    response.headers.update(PAGE_HEADERS)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """Certificate login; once logged in, the app's logged-in home (name from the certificate, log out)."""
    return _page(request, "bank/login.html", "/bank/certificates", config=_config(request))


@router.get("/wallet", response_class=HTMLResponse)
def wallet_page(request: Request) -> HTMLResponse:
    """인증서 관리: the certificates in this browser and what can be done with each."""
    return _page(request, "bank/wallet.html", "/bank/certificates", config=_config(request))


@router.get("/copy/to-pc", response_class=HTMLResponse)
def copy_to_pc_page(request: Request) -> HTMLResponse:
    """PC로 인증서 복사: choose a certificate, enter the code ``jointcert copy receive`` shows, send."""
    return _page(request, "bank/copy/to_pc.html", "/bank/certificates", config=_config(request, mode="to-pc"))


@router.get("/copy/from-pc", response_class=HTMLResponse)
def copy_from_pc_page(request: Request) -> HTMLResponse:
    """PC에서 인증서 가져오기: show a one-time code for ``jointcert copy send --code``, then store what arrives."""
    return _page(request, "bank/copy/from_pc.html", "/bank/certificates", config=_config(request, mode="from-pc"))
