"""The PC web side of certificate copy (인증센터 → 인증서 가져오기 / 내보내기), desktop pages:
``/bank/pc/certs/import`` (스마트폰 → PC: show a code and its QR, write signCert.der and signPri.key) and
``/bank/pc/certs/export`` (PC → 스마트폰: send the NPKI files to the code the phone shows).

The copy is end to end in the browser (``static/js/pc-copy.js`` on ``relay.js``); these handlers only render the
pages. ``jointcert copy receive`` / ``send`` stay for engineers.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from jointcert.web.routes.bank_login import page_session
from jointcert.web.templates import PAGE_HEADERS, install_pages, templates_of

__all__ = ["install", "router"]

router = APIRouter(prefix="/bank/pc", include_in_schema=False)


def install(app: FastAPI) -> None:
    """Mount the PC copy pages (and the shared template environment and ``/static``)."""
    install_pages(app)
    app.include_router(router)


def _page(request: Request, name: str, active: str, mode: str) -> HTMLResponse:
    session = page_session(request)
    values = {
        "logged_in": session is not None,
        "session": session,
        "back_href": "/bank/certificates",
        "active": active,
        "config": {"mode": mode},
    }
    response = templates_of(request).TemplateResponse(request, name, values)
    response.headers.update(PAGE_HEADERS)
    return response


@router.get("", include_in_schema=False)
def centre() -> RedirectResponse:
    """인증센터: opens on 인증서 가져오기."""
    return RedirectResponse("/bank/pc/certs/import", status_code=303)


@router.get("/certs/import", response_class=HTMLResponse)
def import_page(request: Request) -> HTMLResponse:
    """인증서 가져오기 (스마트폰 → PC): the code and QR for the phone, then the files for the NPKI folder."""
    return _page(request, "bank/pc/import.html", "import", "pc-import")


@router.get("/certs/export", response_class=HTMLResponse)
def export_page(request: Request) -> HTMLResponse:
    """인증서 내보내기 (PC → 스마트폰): the phone's code, the NPKI files and the password; sent encrypted."""
    return _page(request, "bank/pc/export.html", "export", "pc-export")
