"""The ASGI application: ``create_app(services)``; routes per area under ``web/routes``.

Service endpoints (``web/routes/service.py``): ``/healthz``, ``/readyz``, ``/metrics``; ``/openapi.json``; PKI:
``POST /ocsp``, ``GET /ocsp/{base64}``, ``GET /crl/{ca}.crl``, ``GET /crl/{ca}/p{N}.crl``, ``GET /ca/{ca}.crt``
(``ca`` = ``root`` | ``class1`` | ``ocsp``),
``GET /cps``; CMP: ``POST /cmp`` and ``POST /.well-known/cmp``; the demo relying parties under ``/rp/`` (pages and
JSON API); the bank app at ``/`` and ``/bank/...``. Errors are RFC 9457 problem responses (CMP errors are CMP
``error`` messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI

from jointcert import __version__
from jointcert.app import Services
from jointcert.web import openapi_schema
from jointcert.web import throttle as throttle_web
from jointcert.web.hot import HOT_ROUTES, HotFront
from jointcert.web.hot_flow import FLOW_ROUTES
from jointcert.web.metrics import Metrics, MetricsMiddleware
from jointcert.web.middleware import HardenedFastAPI
from jointcert.web.problems import install_problem_handlers
from jointcert.web.routes import admin as admin_routes
from jointcert.web.routes import bank_app, bank_login, bank_pc, bank_wallet, certificates, cmp, issuance, pki
from jointcert.web.routes import partner as partner_routes
from jointcert.web.routes import relay as relay_routes
from jointcert.web.routes import rp as rp_routes
from jointcert.web.routes import sandbox as sandbox_routes
from jointcert.web.routes import service as service_routes
from jointcert.web.routes import wallet as wallet_routes
from jointcert.web.scheduler import AlwaysLeader, Leadership, lead

__all__ = [
    "create_app",
    "run_audit_checkpoint",
    "run_cmp_sweep",
    "run_dirty_crls",
    "run_maintenance",
    "run_ocsp_presign",
    "run_reconcile",
    "scheduler_actor",
]

log = logging.getLogger(__name__)
REMINDER_SECONDS = 3600.0  # expiry reminders: a pass an hour (30 and 7 days before expiry)


def scheduler_actor() -> str:
    """The audit actor of scheduled work: which node (host and process) did it."""
    return f"scheduler@{socket.gethostname()}:{os.getpid()}"


def _remember(app: FastAPI) -> Callable[[bool], None]:
    def remember(held: bool) -> None:
        app.state.scheduler_leader = held

    return remember


def run_maintenance(services: Services) -> None:
    """One scheduled pass: void stale pending records, then reissue every CRL."""
    voided = services.authority.recover_stale()
    if voided:
        log.warning("voided %d issuance records left unsigned: %s", len(voided), [format(s, "x") for s in voided])
    services.crl.regenerate_all(actor=scheduler_actor())
    services.relay.sweep()
    services.relying_parties.challenges.purge()
    run_audit_checkpoint(services)


def run_audit_checkpoint(services: Services) -> None:
    """Checkpoint the audit head outside the database when enough entries or minutes have passed."""
    if services.audit_anchor is not None:
        services.audit_anchor.maybe_checkpoint()


async def _audit_checkpoint_loop(services: Services) -> None:
    """Every 15 s: expire overdue relay transfers (their ciphertext is deleted within seconds of the TTL, not at
    the hourly maintenance) and checkpoint the audit head when due."""
    while True:
        for job in (services.relay.sweep, lambda: run_audit_checkpoint(services)):
            try:
                await asyncio.to_thread(job)
            except Exception:
                log.exception("periodic security job failed")
        await asyncio.sleep(15)


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


def run_dirty_crls(services: Services) -> None:
    """Reissue the CRLs (partitions and full) a revocation made dirty (any node, the CLI); the leader runs it every
    ``[ca] crl_dirty_seconds``."""
    records = services.crl.regenerate_dirty(actor=scheduler_actor())
    if records:
        numbers = ", ".join(
            f"{r.issuer}{'' if r.partition is None else f'/p{r.partition}'} #{r.number}" for r in records[:10]
        )
        log.info("reissued %d CRLs after revocations (%s)", len(records), numbers)


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


def run_expiry_reminders(services: Services) -> None:
    """Send the expiry reminders that are due (each once: ra/reminders.py)."""
    if services.reminders is not None:
        services.reminders.run()


async def _reminder_loop(services: Services) -> None:
    while True:  # the first pass runs at start, then hourly
        try:
            await asyncio.to_thread(run_expiry_reminders, services)
        except Exception:
            log.exception("expiry reminder pass failed")
        await asyncio.sleep(REMINDER_SECONDS)


def run_ocsp_presign(services: Services, *, batch: int | None = None) -> int:
    """Re-sign the due pre-signed OCSP responses (half their validity gone, missing, or a new signer) in batches of
    ``[ca] ocsp_presign_batch``, until none is due; how many were signed (ca/ocsp_presign.py)."""
    batch = max(1, batch or services.settings.ca.ocsp_presign_batch)
    presigned, signed = services.ocsp.presigned, 0
    while presigned is not None:
        done = presigned.refresh(limit=batch)
        signed += done
        if done < batch:
            break
    if signed:
        log.info("pre-signed %d OCSP responses", signed)
    return signed


async def _ocsp_presign_loop(services: Services) -> None:
    while True:  # the first pass runs at start (responses missing after an upgrade are signed then)
        try:
            await asyncio.to_thread(run_ocsp_presign, services)
        except Exception:
            log.exception("OCSP pre-signing failed")
        await asyncio.sleep(max(1.0, services.settings.ca.ocsp_presign_seconds))


async def _crl_dirty_loop(services: Services) -> None:
    while True:
        try:
            await asyncio.to_thread(run_dirty_crls, services)
        except Exception:
            log.exception("dirty CRL regeneration failed")
        await asyncio.sleep(max(0.1, services.settings.ca.crl_dirty_seconds))


def create_app(
    services: Services,
    *,
    background: bool = False,
    close_services: bool = False,
    leadership: Leadership | None = None,
    sandbox: bool | None = None,
) -> FastAPI:
    """The web application of one instance; ``background`` runs the CRL/recovery schedule (``serve`` does) while
    ``leadership`` is held (web/scheduler.py; default: this process alone); ``close_services`` releases the
    services' database connections at shutdown (a worker process owns them); ``sandbox`` mounts the sandbox
    devices (``demo`` does; default: ``[sandbox] enabled``)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        jobs = (
            _maintenance_loop,
            _cmp_sweep_loop,
            _crl_dirty_loop,
            _ocsp_presign_loop,
            _audit_checkpoint_loop,
            _reconcile_loop,
            _reminder_loop,
        )
        loops = jobs if background else ()
        leader = leadership or AlwaysLeader()
        tasks = [asyncio.create_task(lead(leader, loops, services, on_change=_remember(app)))] if loops else []
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if close_services:
                services.close()

    api_docs = services.settings.server.api_docs
    app = HardenedFastAPI(
        title="jointcert",
        docs_url="/docs" if api_docs else None,
        redoc_url="/redoc" if api_docs else None,
        version=__version__,
        summary="Issuance system for Korean joint certificates (공동인증서): CA, OCSP, CRL",
        lifespan=lifespan,
    )
    app.api_docs = api_docs
    app.state.services = services
    app.state.scheduler_leader = False
    metrics = Metrics(services.counters, service_routes.state_reader(services))
    app.state.metrics = metrics  # the console's figures panel reads the same registry
    install_problem_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics, monotonic=services.clock.monotonic)
    app.front = HotFront(HOT_ROUTES, metrics, services.clock.monotonic)  # OCSP, CMP, CRL, logins: web/hot.py
    for flow_route in FLOW_ROUTES:  # the issuance flow's JSON API: web/hot_flow.py
        app.front.add(*flow_route)
    service_routes.install(app, services, metrics)  # /healthz, /readyz, /metrics
    throttle_web.install(app)  # anti-automation: 429 + Retry-After
    app.include_router(pki.router)
    app.include_router(issuance.router)
    app.include_router(certificates.router)
    if services.settings.sandbox.enabled if sandbox is None else sandbox:
        app.include_router(sandbox_routes.api_router)
        app.include_router(sandbox_routes.pages_router)
    relay_routes.install(app)  # includes the relay router
    rp_routes.install(app)  # the demo relying-party sites under /rp/ (and /static)
    wallet_routes.install(app)  # the cross-origin wallet: /wallet/connect, /wallet/api/authorize
    partner_routes.install(app)  # the demo institutions as partner sites on another origin: /partner/
    bank_login.install(app)  # the bank app's certificate login and its session cookie
    bank_wallet.install(app)  # /bank/login, /bank/wallet, /bank/copy/... pages
    bank_pc.install(app)  # the PC web side of copy: /bank/pc/certs/import and /export
    bank_app.install(app)  # the bank app: / and /bank/... (menus, the issuance flow)
    admin_routes.install(app)  # the operator console /admin
    cmp.install(app.state, services)
    app.include_router(cmp.router)
    openapi_schema.install(app)  # problem bodies, 413 and the OpenAPI links in /openapi.json
    return app
