"""The server stack of ``jointcert serve``: uvicorn with uvloop + httptools, and for ``--workers N`` one
``SO_REUSEPORT`` listening socket per worker process.

uvicorn's own ``--workers`` hands one shared listening socket to every worker; whichever worker's event loop is
idle first accepts, so keep-alive clients (an httpx pool, a reverse proxy's upstream pool) pile onto one worker:
measured here, one worker did 94–99.5 % of the work in 18 of 22 loads. With a socket of its own per worker the
kernel spreads new connections over the workers by a hash of the connection's addresses (docs/performance.md).

Each worker binds its socket itself, so a worker that dies takes its socket with it and new connections go to the
live ones until the supervisor has started its replacement. The supervisor holds one bound, never-listening
socket in the same ``SO_REUSEPORT`` group for its lifetime: the port stays reserved for this server between
worker restarts, and a second server started on the same port fails at once instead of joining the group.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import sys
from typing import Any

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from jointcert.cli.nodelay import PROTOCOL

__all__ = ["REUSE_PORT", "ReusePortSupervisor", "reuse_port_socket", "run_workers", "stack_options"]

log = logging.getLogger("uvicorn.error")
REUSE_PORT = hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")  # Linux balances the group


def stack_options() -> dict[str, Any]:
    """uvicorn's ``loop`` and ``http``: uvloop + httptools when installed (``uvicorn[standard]``; uvloop sets
    ``TCP_NODELAY`` on every connection), else asyncio + h11 with ``TCP_NODELAY`` (cli/nodelay.py)."""
    if importlib.util.find_spec("uvloop") and importlib.util.find_spec("httptools"):
        return {"loop": "uvloop", "http": "httptools"}
    return {"loop": "asyncio", "http": PROTOCOL}


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` in the port's ``SO_REUSEPORT`` group (not yet listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _reserve(host: str, port: int) -> socket.socket:
    """Check that nobody listens on the port (a plain bind), then hold it with a never-listening group member."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    return reuse_port_socket(host, port)


class _OwnSocketProcess(Process):
    """A uvicorn worker that binds its own ``SO_REUSEPORT`` socket before it serves."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover (child process)
        """Bind, then run as uvicorn's worker does; a failed bind is a startup failure (the supervisor stops)."""
        del sockets
        try:
            own = reuse_port_socket(self.config.host, self.config.port)
        except OSError as exc:
            log.error("worker could not bind %s:%s: %s", self.config.host, self.config.port, exc)
            sys.exit(STARTUP_FAILURE)
        super().target([own])


class ReusePortSupervisor(Multiprocess):
    """uvicorn's supervisor (health checks, restarts, signals) with a listening socket per worker."""

    def __init__(self, config: Config) -> None:
        self._reservation = _reserve(config.host, config.port)
        super().__init__(config, sockets=[])

    def _new(self) -> Process:
        process = _OwnSocketProcess(self.config, [])
        process.start()
        return process

    def init_processes(self) -> None:
        """Start the workers."""
        self.processes = [self._new() for _ in range(self.processes_num)]

    def keep_subprocess_alive(self) -> None:
        """Replace a worker that died or hangs; stop when one failed before it served (it would fail again)."""
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker [%s] failed to start, stopping the server", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            log.info("worker [%s] died, starting another", process.pid)
            self.processes[index] = self._new()

    def restart_all(self) -> None:
        """SIGHUP: replace each worker, its replacement serving before the old one is stopped."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._new()
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        """SIGTTIN: one worker more."""
        self.processes_num += 1
        self.processes.append(self._new())

    def run(self) -> None:
        """Supervise until SIGINT/SIGTERM; then release the port."""
        try:
            super().run()
        finally:
            self._reservation.close()


def run_workers(config: Config) -> None:
    """Serve ``config`` (an import string with ``workers`` > 1) with a socket per worker where the platform
    balances a ``SO_REUSEPORT`` group (Linux), else with uvicorn's shared socket."""
    if not REUSE_PORT:  # pragma: no cover (not Linux)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    try:
        supervisor = ReusePortSupervisor(config)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    supervisor.run()
