"""Server-rendered pages: the Jinja2 environment (``web/templates/``), the ``/static`` mount (ES modules, CSS) and
the security headers every page carries. No front-end build step."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from jointcert.web.module_graph import ModuleGraph

__all__ = ["PAGE_HEADERS", "STATIC_DIR", "TEMPLATE_DIR", "install_pages", "linkify", "module_preloads", "templates_of"]

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

# Pages run only our own modules: no inline script or style, no other origin, no framing.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,)]")


def linkify(text: str) -> Markup:
    """``text`` escaped, with its http(s) addresses as links (the sandbox inbox, as a phone's SMS app shows them)."""
    parts: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        url = found.group(0)
        parts += [escape(text[last : found.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def install_pages(app: FastAPI) -> None:
    """Give ``app`` the template environment (``app.state.templates``) and ``/static``; safe to call twice."""
    if getattr(app.state, "templates", None) is None:
        app.state.templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
        app.state.templates.env.filters["linkify"] = linkify
    if getattr(app.state, "module_graph", None) is None:
        app.state.module_graph = ModuleGraph.read(STATIC_DIR / "js")
    if not any(getattr(route, "name", None) == "static" for route in app.routes):
        app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")


def module_preloads(request: Request, *entries: str | None) -> list[str]:
    """The ``<link rel="modulepreload">`` URLs of these modules' graph (``static/js`` names, e.g. ``issuance.js``)."""
    graph: ModuleGraph = request.app.state.module_graph
    return graph.preloads(entries)


def templates_of(request: Request) -> Jinja2Templates:
    """The template environment of the app serving ``request``."""
    templates: Jinja2Templates = request.app.state.templates
    return templates
