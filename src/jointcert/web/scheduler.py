"""Scheduler leadership: of every process serving one deployment, only the leader runs the background loops.

The loops (``web/app.py``: maintenance and CRL schedule, CMP sweep, dirty CRLs, …) start when this process
becomes leader and are cancelled when it stops being one. Leadership comes through a small port:

* PostgreSQL: :class:`jointcert.storage.leader.AdvisoryLockLeadership` (an advisory lock on a held connection) —
  nodes on different machines need nothing but the database;
* SQLite: :class:`FileLockLeadership`, an exclusive lock on ``<data_dir>/scheduler.lock`` (the processes of one
  machine; re-tried, so another worker takes over when the leader exits).

Every ``poll_seconds`` the supervisor polls the port: a new leader takes over within about that long after the old
one dies (PostgreSQL notices a closed connection at once; a vanished machine after its TCP keepalive).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import IO, Protocol, TypeVar

from jointcert.config import Settings
from jointcert.storage.leader import AdvisoryLockLeadership

__all__ = [
    "SCHEDULER_LOCK",
    "AlwaysLeader",
    "FileLockLeadership",
    "Leadership",
    "claim_scheduler",
    "lead",
    "leadership_for",
]

log = logging.getLogger(__name__)

SCHEDULER_LOCK = "scheduler.lock"
T = TypeVar("T")


class Leadership(Protocol):
    """Whether this process is the deployment's scheduler leader."""

    def poll(self) -> bool:
        """Keep or try to take the leadership; ``True`` while this process leads."""
        ...

    def release(self) -> None:
        """Give the leadership up (shutdown)."""
        ...


class AlwaysLeader:
    """A process that is alone by construction (tests, ``create_app(background=True)`` without a port)."""

    def poll(self) -> bool:
        """Always the leader."""
        return True

    def release(self) -> None:
        """Nothing to release."""


def claim_scheduler(path: os.PathLike[str] | str) -> IO[bytes] | None:
    """The open lock file if this process won the exclusive lock on ``path`` (keep it open), else ``None``."""
    handle = open(path, "ab")  # noqa: SIM115 (held for the life of the process)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


class FileLockLeadership:
    """The exclusive lock on a file (processes sharing one data directory)."""

    def __init__(self, path: os.PathLike[str] | str) -> None:
        self._path = path
        self._handle: IO[bytes] | None = None

    def poll(self) -> bool:
        """Holding the lock, or just took it."""
        if self._handle is None:
            self._handle = claim_scheduler(self._path)
        return self._handle is not None

    def release(self) -> None:
        """Close the file (releases the lock)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def leadership_for(settings: Settings) -> Leadership:
    """The advisory lock on PostgreSQL, the data directory's lock file on SQLite."""
    url = settings.effective_database_url
    if url.startswith("postgresql"):
        return AdvisoryLockLeadership(url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return FileLockLeadership(settings.data_dir / SCHEDULER_LOCK)


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def lead(
    leadership: Leadership,
    loops: Sequence[Callable[[T], Awaitable[None]]],
    services: T,
    *,
    poll_seconds: float = 1.0,
    on_change: Callable[[bool], None] | None = None,
) -> None:
    """Run ``loops(services)`` while ``leadership`` is held; cancel them when it is lost; until cancelled."""
    tasks: list[asyncio.Task[None]] = []
    try:
        while True:
            held = await asyncio.to_thread(leadership.poll)
            if held and not tasks:
                log.info("scheduler leader: starting %d background loops (pid %d)", len(loops), os.getpid())
                tasks = [asyncio.create_task(loop(services)) for loop in loops]  # type: ignore[arg-type]
            elif not held and tasks:
                log.warning("scheduler leadership lost: stopping the background loops (pid %d)", os.getpid())
                await _cancel(tasks)
                tasks = []
            if on_change is not None:
                on_change(held)
            await asyncio.sleep(poll_seconds)
    finally:
        await _cancel(tasks)
        await asyncio.to_thread(leadership.release)
