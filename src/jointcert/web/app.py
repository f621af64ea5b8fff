"""The ASGI application: ``create_app(services)``; routes per area under ``web/routes``.

Service endpoints: ``/healthz``, ``/metrics`` (Prometheus text), ``/openapi.json``; PKI: ``POST /ocsp``,
``GET /ocsp/{base64}``, ``GET /crl/{ca}.crl``, ``GET /ca/{ca}.crt`` (``ca`` = ``root`` | ``class1`` | ``ocsp``),
``GET /cps``; CMP: ``POST /cmp`` and ``POST /.well-known/cmp``; the demo relying parties under ``/rp/`` (pages and
JSON API); the bank app at ``/`` and ``/bank/...``. Errors are RFC 9457 problem responses (CMP errors are CMP
``error`` messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from jointcert import __version__
from jointcert.app import Services
from jointcert.web.metrics import HttpMetrics, render
from jointcert.web.problems import install_problem_handlers, problem
from jointcert.web.routes import bank_app, bank_login, bank_wallet, certificates, cmp, issuance, pki, sandbox
from jointcert.web.routes import relay as relay_routes
from jointcert.web.routes import rp as rp_routes

__all__ = ["create_app", "run_cmp_sweep", "run_maintenance", "run_reconcile"]

log = logging.getLogger(__name__)


def run_maintenance(services: Services) -> None:
    """One scheduled pass: void stale pending records, then reissue every CRL."""
    voided = services.authority.recover_stale()
    if voided:
        log.warning("voided %d issuance records left unsigned: %s", len(voided), [format(s, "x") for s in voided])
    services.crl.regenerate_all(actor="scheduler")
    services.relay.sweep()
    services.relying_parties.challenges.purge()


async def _maintenance_loop(services: Services) -> None:
    interval = max(1, services.settings.ca.crl_interval_seconds)
    while True:
        try:
            await asyncio.to_thread(run_maintenance, services)
        except Exception:
            log.exception("scheduled CRL regeneration failed")
        await asyncio.sleep(interval)


def run_cmp_sweep(services: Services) -> None:
    """Revoke certificates whose certConf did not come in time; expire registrations past their time."""
    report = services.cmp.sweep()
    if report.revoked_serials:
        log.warning("revoked %d unconfirmed certificates: %s", len(report.revoked_serials), report.revoked_serials)


async def _cmp_sweep_loop(services: Services) -> None:
    interval = max(1, min(30, services.settings.cmp.confirm_wait_seconds // 4))
    while True:
        try:
            await asyncio.to_thread(run_cmp_sweep, services)
        except Exception:
            log.exception("CMP sweep failed")
        await asyncio.sleep(interval)


def run_reconcile(services: Services) -> None:
    """One reconciler pass: settle what a crash left in the issuance saga (docs/crash-safety.md)."""
    services.reconciler.run()


async def _reconcile_loop(services: Services) -> None:
    interval = max(1, services.settings.ra.reconcile_interval_seconds)
    while True:  # the first pass runs at start
        try:
            await asyncio.to_thread(run_reconcile, services)
        except Exception:
            log.exception("reconciler pass failed")
        await asyncio.sleep(interval)


def _route_template(request: Request) -> str:
    """The matched route's template (``/crl/{ca}.crl``), so metrics labels stay bounded."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def create_app(services: Services, *, background: bool = False, close_services: bool = False) -> FastAPI:
    """The web application of one instance; ``background`` runs the CRL/recovery schedule (``serve`` does);
    ``close_services`` releases the services' database connections at shutdown (a worker process owns them)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loops = (_maintenance_loop, _cmp_sweep_loop, _reconcile_loop) if background else ()
        tasks = [asyncio.create_task(loop(services)) for loop in loops]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if close_services:
                services.close()

    app = FastAPI(
        title="jointcert",
        version=__version__,
        summary="Issuance system for Korean joint certificates (공동인증서): CA, OCSP, CRL",
        lifespan=lifespan,
    )
    app.state.services = services
    http = HttpMetrics()
    install_problem_handlers(app)

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        try:
            response = await call_next(request)
        except Exception:
            http.observe(request.method, _route_template(request), 500)
            raise
        http.observe(request.method, _route_template(request), response.status_code)
        return response

    @app.get("/healthz", tags=["service"], summary="Liveness and database reachability")
    def healthz() -> JSONResponse:
        try:
            services.audit.head()
        except Exception:
            log.exception("health check: database unreachable")
            return problem(503, "unavailable", "The database is unreachable.")
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        text = render(http, services.counters.snapshot(), services.certificates.counts())
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    app.include_router(pki.router)
    app.include_router(issuance.router)
    app.include_router(certificates.router)
    app.include_router(sandbox.api_router)
    app.include_router(sandbox.pages_router)
    relay_routes.install(app)  # includes the relay router
    rp_routes.install(app)  # the demo relying-party sites under /rp/ (and /static)
    bank_login.install(app)  # the bank app's certificate login and its session cookie
    bank_wallet.install(app)  # /bank/login, /bank/wallet, /bank/copy/... pages
    bank_app.install(app)  # the bank app: / and /bank/... (menus, the issuance flow)
    cmp.install(app.state, services)
    app.include_router(cmp.router)
    return app
