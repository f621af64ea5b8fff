"""The ASGI app built from the environment, once per worker process (``jointcert serve --workers N``).

uvicorn starts each worker from an import string, so every process builds its own services (database pool, CA
keys unlocked once per process, OCSP cache) from the settings the environment names (``JOINTCERT_DATA_DIR`` …).
Only one process runs the schedule (CRL regeneration, recovery, CMP sweep): the one holding an exclusive lock on
``<data_dir>/scheduler.lock``; when it exits the lock is released and no new CRL is made until the next start.
"""

from __future__ import annotations

import fcntl
import os
from typing import IO

from fastapi import FastAPI

from jointcert.app import build_services
from jointcert.config import load_settings
from jointcert.web.app import create_app

__all__ = ["SCHEDULER_LOCK", "app_from_environment", "claim_scheduler"]

SCHEDULER_LOCK = "scheduler.lock"


def claim_scheduler(path: os.PathLike[str] | str) -> IO[bytes] | None:
    """The open lock file if this process won the exclusive lock on ``path`` (keep it open), else ``None``."""
    handle = open(path, "ab")  # noqa: SIM115 (held for the life of the process)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def app_from_environment() -> FastAPI:
    """The web application of the instance the environment selects; the scheduler runs in one process only."""
    settings = load_settings()
    services = build_services(settings, actor="serve")
    lock = claim_scheduler(settings.data_dir / SCHEDULER_LOCK)
    app = create_app(services, background=lock is not None, close_services=True)
    app.state.scheduler_lock = lock
    return app
