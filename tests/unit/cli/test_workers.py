"""``serve --workers N`` (cli/workers.py) in real processes: one SO_REUSEPORT socket per worker spreads keep-alive
connections over the workers, a worker killed with SIGKILL is replaced while the others keep answering, and a
port already taken stops the server at once instead of joining the group."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from uvicorn.config import STARTUP_FAILURE

from jointcert.cli.workers import stack_options

ROOT = Path(__file__).resolve().parents[3]
_SERVE = (
    "import sys; from uvicorn import Config; from jointcert.cli.workers import run_workers, stack_options; "
    "run_workers(Config('tests.unit.cli.pid_app:app', host='127.0.0.1', port=int(sys.argv[1]), workers=2, "
    "log_level='warning', lifespan='off', **stack_options()))"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_over(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/")
    return int(connection.getresponse().read())


def _connections(port: int, count: int) -> list[http.client.HTTPConnection]:
    return [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(count)]


@pytest.fixture
def served() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", _SERVE, str(port)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                pids = {_pid_over(c) for c in _connections(port, 16)}
                if len(pids) == 2:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield port, server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_the_stack_is_uvloop_and_httptools() -> None:
    assert stack_options() == {"loop": "uvloop", "http": "httptools"}


def test_keep_alive_connections_are_spread_over_the_workers(served: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, server = served
    connections = _connections(port, 32)
    first = [_pid_over(c) for c in connections]
    again = [_pid_over(c) for c in connections]
    assert first == again  # keep-alive: each connection stays with its worker
    workers = set(first)
    assert len(workers) == 2 and server.pid not in workers
    assert min(first.count(pid) for pid in workers) >= 4


def test_a_killed_worker_is_replaced_and_the_other_keeps_serving(
    served: tuple[int, subprocess.Popen[bytes]],
) -> None:
    port, _ = served
    victim = _pid_over(_connections(port, 1)[0])
    sockets = _socket_inodes(victim)
    os.kill(victim, signal.SIGKILL)
    _wait_closed(sockets)  # (connections queued on its socket in between are reset: clients retry)
    answered = {_pid_over(c) for c in _connections(port, 16)}  # new connections go to the live worker
    assert victim not in answered and answered
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = {_pid_over(c) for c in _connections(port, 16)}
        if len(pids) == 2:
            assert victim not in pids
            return
        time.sleep(0.5)
    pytest.fail("the killed worker was not replaced")


def _socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets a process holds open."""
    links = (os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir())
    return {link[len("socket:[") : -1] for link in links if link.startswith("socket:[")}


def _wait_closed(inodes: set[str]) -> None:
    """Wait until none of these sockets is in the kernel's TCP tables: the killed worker's listening socket has
    left the port's group. (Its process shows as a zombie before its other threads have released the socket.)"""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        tables = Path("/proc/net/tcp").read_text() + Path("/proc/net/tcp6").read_text()
        if not any(row.split()[9] in inodes for row in tables.splitlines()[1:] if len(row.split()) > 9):
            return
        time.sleep(0.05)
    pytest.fail("the killed worker's socket stayed open")


def test_a_port_in_use_stops_the_server() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-c", _SERVE, str(port)], cwd=ROOT, timeout=60, check=False)
    assert done.returncode == STARTUP_FAILURE
