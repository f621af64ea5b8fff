"""The ASGI app built from the environment, once per worker process (``jointcert serve --workers N``).

uvicorn starts each worker from an import string, so every process builds its own services (database pool, CA
keys unlocked once per process, OCSP cache) from the settings the environment names (``JOINTCERT_DATA_DIR`` …).
Only the scheduler leader runs the schedule (CRL regeneration, recovery, CMP sweep): on PostgreSQL the holder of
an advisory lock (any node of the deployment), on SQLite the holder of ``<data_dir>/scheduler.lock``; the others
keep trying, so a new leader takes over within seconds when the old one exits (web/scheduler.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from jointcert.app import build_services
from jointcert.config import load_settings
from jointcert.web.app import create_app
from jointcert.web.scheduler import SCHEDULER_LOCK, claim_scheduler, leadership_for

__all__ = ["SCHEDULER_LOCK", "app_from_environment", "claim_scheduler"]


def app_from_environment() -> FastAPI:
    """The web application of the instance the environment selects; the scheduler runs in the leader only."""
    settings = load_settings()
    services = build_services(settings, actor="serve")
    return create_app(services, background=True, close_services=True, leadership=leadership_for(settings))
