"""The bank app of 한빛은행 (the issuing bank): the customer's "banking app" as server-rendered pages.

Pages: ``GET /`` (home, main menu), ``GET /bank/security`` (인증/보안), ``GET /bank/certificates`` (공동인증서 menu),
``GET /bank/issuance`` and ``GET /bank/issuance/{step}`` (the issuance flow, driven by ``static/js/issuance.js``
over the JSON API), ``POST /bank/logout``. The wallet, certificate login and copy pages (``/bank/wallet``,
``/bank/login``, ``/bank/copy/...``) are linked from the menus and built elsewhere. Every page carries
``PAGE_HEADERS`` (strict CSP: our own modules and styles only).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from jointcert.app import Services
from jointcert.ra.steps.terms import TERMS
from jointcert.ra.steps.terms_text import TERM_TEXTS
from jointcert.web.routes import bank_login
from jointcert.web.templates import PAGE_HEADERS, install_pages, module_preloads, templates_of

__all__ = ["BANK_SESSION_COOKIE", "ISSUANCE_STEPS", "app_logged_in", "install", "not_found", "router"]

router = APIRouter(include_in_schema=False)
BANK_SESSION_COOKIE = "bank_session"

# The issuance screens after the notice, in the order of DESIGN.md "The issuance flow": URL step → the number of
# the customer's own step shown in the progress bar (the notice and the logged-out check are not counted: the terms
# are step 1). Each renders ``bank/issuance/<step>.html``; ``static/js/issuance.js`` drives them.
ISSUANCE_STEPS: dict[str, int] = {
    "start": 0,  # the logged-out check, then the session starts (no progress bar)
    "terms": 1,
    "identity": 2,
    "find-id": 2,  # 아이디 찾기, beside step 2
    "verify": 3,  # ARS or the overseas-departure check
    "account": 4,
    "second-factor": 5,  # app certificate PIN + pattern, security card or OTP
    "app-cert": 6,  # 앱인증서 등록 instead of issuance (issuance-app-cert.js shows its own count: 6/6)
    "contact": 6,
    "type": 7,
    "password": 8,
    "done": 8,  # the bar is full
}
STEP_COUNT = 8
STEP_NAMES: dict[str, tuple[str, str]] = {
    "terms": ("약관 동의", "Terms"),
    "identity": ("본인확인", "Identification"),
    "find-id": ("아이디 찾기", "Find your user ID"),
    "verify": ("전화 인증", "Phone check"),
    "account": ("계좌 확인", "Account"),
    "second-factor": ("보안매체 확인", "Second factor"),
    "app-cert": ("앱인증서 등록", "App certificate"),
    "contact": ("연락처 확인", "Contact details"),
    "type": ("인증서 종류", "Certificate type"),
    "password": ("비밀번호 설정", "Password"),
    "done": ("발급 완료", "Issued"),
}
# The customer's screens in order, and the module each loads when needed: a screen preloads its own module graph
# and the next screen's (web/module_graph.py), so no screen waits for its code import by import.
FLOW_ORDER = ("start", "terms", "identity", "verify", "account", "second-factor", "contact", "type", "password", "done")
STEP_MODULES = {"second-factor": "issuance-factors.js", "password": "issuance-enroll.js", "done": "issuance-done.js"}
ARS_WAIT_SECONDS = 8  # the long poll of ars/confirm (the server looks at the call every 100 ms)


def install(app: FastAPI) -> None:
    """Mount the bank app pages (and the shared template environment and ``/static``)."""
    install_pages(app)
    app.include_router(router)


def app_logged_in(request: Request) -> bool:
    """Whether the customer is logged in to the bank app: a genuine, unexpired ``bank_session`` cookie (set by the
    certificate login, ``routes/bank_login.py``). The one place the issuance pages ask."""
    return bank_login.app_logged_in(request)


def _page(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    values = {"logged_in": app_logged_in(request), "back_href": None, **(context or {})}
    response = templates_of(request).TemplateResponse(request, name, values, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def not_found(request: Request) -> HTMLResponse:
    """The bank app's friendly 404 page."""
    return _page(request, "bank/not_found.html", {"back_href": "/bank/certificates"}, status_code=404)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The app's home: the main menu, the demo relying parties and the sandbox tools."""
    return _page(request, "bank/home.html")


@router.get("/bank/security", response_class=HTMLResponse)
def security_menu(request: Request) -> HTMLResponse:
    """인증/보안: the way in to the joint certificate."""
    return _page(request, "bank/security.html", {"back_href": "/"})


@router.get("/bank/certificates", response_class=HTMLResponse)
def certificates_menu(request: Request) -> HTMLResponse:
    """공동인증서: issue, manage, copy, log in."""
    return _page(request, "bank/certificates.html", {"back_href": "/bank/security"})


@router.post("/bank/logout", response_class=RedirectResponse)
def logout(request: Request) -> RedirectResponse:
    """Log out of the app (the session ends in the database, the cookie is dropped), then back to where the form
    asked (a /bank/ page)."""
    target = request.query_params.get("next", "/")
    if not target.startswith("/bank/") or "//" in target or "\\" in target:
        target = "/"
    response = RedirectResponse(target, status_code=303)
    bank_login.end_session(request, response)
    return response


@router.get("/bank/issuance", response_class=HTMLResponse)
def issuance_notice(request: Request) -> HTMLResponse:
    """Step 1: the notice offering the bank's own app certificate, and "공동인증서 발급 계속"."""
    preloads = module_preloads(request, "issuance-notice.js", "issuance.js")  # and the terms screen's code
    context = {"back_href": "/bank/certificates", "step": "notice", "module_preloads": preloads}
    return _page(request, "bank/issuance/notice.html", context)


def _next_module(step: str) -> str | None:
    """The module the screen after ``step`` loads when needed (None for none)."""
    if step not in FLOW_ORDER or step == FLOW_ORDER[-1]:
        return None
    return STEP_MODULES.get(FLOW_ORDER[FLOW_ORDER.index(step) + 1])


@router.get("/bank/issuance/{step:path}", response_class=HTMLResponse)
def issuance_step(step: str, request: Request) -> HTMLResponse:
    """One screen of the issuance flow; an unknown step gets the friendly not-found page."""
    number = ISSUANCE_STEPS.get(step)
    if number is None:
        return not_found(request)
    services: Services = request.app.state.services
    config = {
        "step": step,
        "appLoggedIn": app_logged_in(request),
        "arsWaitSeconds": ARS_WAIT_SECONDS,
        "now": services.clock.now().isoformat(),  # the session timer follows the server's clock
    }
    context: dict[str, Any] = {
        "step": step,
        "step_number": number,
        "step_count": STEP_COUNT,
        "step_name": STEP_NAMES.get(step, ("", "")),
        "config": config,
        "back_href": "/bank/certificates" if step == "done" else "/bank/issuance",
        "module_preloads": module_preloads(request, "issuance.js", STEP_MODULES.get(step), _next_module(step)),
    }
    if step == "terms":
        context["terms"] = TERMS
        context["texts"] = TERM_TEXTS
    elif step == "type":
        context["types"] = services.ra.certificate_types()
    return _page(request, f"bank/issuance/{step}.html", context)
