"""The benchmark servers: the app ``jointcert serve --workers N`` builds (:mod:`jointcert.web.factory`) served the
way ``serve`` serves it (:mod:`jointcert.cli.workers`: uvloop + httptools, one ``SO_REUSEPORT`` socket per worker),
and the floor: a minimal Starlette app under the same server.

The jointcert app gets two bare endpoints that read the body and answer fixed bytes (``$JOINTCERT_BENCH_BARE``) the
way the OCSP route does: ``POST /bench/bare`` through the hot dispatcher (web/hot.py, the path OCSP, CMP and CRL
take: security headers, body limit, metrics), so the OCSP ratio isolates the responder, and ``POST
/bench/bare-routed`` through the FastAPI router and its middleware (the path of every other API call). The
minimal app answers ``POST /bench/bare`` with the same bytes and nothing else.

``python -m bench.server PORT WORKERS [--app jointcert|minimal] [--stack reuseport|shared|h11|granian]``:
``reuseport`` is what ``serve`` does; ``shared`` is uvicorn's own ``--workers`` (one accepting socket shared by the
workers), ``h11`` the same with the pure-Python h11 protocol (the stack before), ``granian`` the Rust server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.applications import Starlette
from starlette.routing import Route
from uvicorn.supervisors import Multiprocess

from bench.cpu import CpuMeter, register, unregister
from jointcert.cli.nodelay import PROTOCOL
from jointcert.cli.serve import HEALTHCHECK_SECONDS
from jointcert.cli.workers import run_workers, stack_options
from jointcert.web.factory import app_from_environment
from jointcert.web.middleware import HardenedFastAPI

__all__ = ["APPS", "BARE_PATH", "ROUTED_BARE_PATH", "STACKS", "create", "launched", "main", "minimal"]

ROOT = Path(__file__).resolve().parent.parent
BARE_PATH = "/bench/bare"
ROUTED_BARE_PATH = "/bench/bare-routed"
STACKS = ("reuseport", "shared", "h11", "granian")
APPS = {"jointcert": "bench.server:create", "minimal": "bench.server:minimal"}
_MEDIA = "application/ocsp-response"
_NO_STORE = {"Cache-Control": "no-store"}


def _payload() -> bytes:
    return Path(os.environ["JOINTCERT_BENCH_BARE"]).read_bytes()


def create() -> FastAPI:
    """The jointcert app with the two bare endpoints (uvicorn/granian factory)."""
    app = app_from_environment()
    payload = _payload()

    async def bare(request: Request) -> Response:
        await request.body()
        return Response(payload, media_type=_MEDIA, headers=_NO_STORE)

    app.post(BARE_PATH, include_in_schema=False)(bare)
    app.post(ROUTED_BARE_PATH, include_in_schema=False)(bare)
    assert isinstance(app, HardenedFastAPI) and app.front is not None
    app.front.add("POST", BARE_PATH, bare)  # ahead of the router, as OCSP
    return app


def minimal() -> Starlette:
    """The floor: Starlette, one route, the same bytes (uvicorn/granian factory)."""
    payload = _payload()

    async def bare(request: Request) -> Response:
        await request.body()
        return Response(payload, media_type=_MEDIA, headers=_NO_STORE)

    return Starlette(routes=[Route(BARE_PATH, bare, methods=["POST"])])


def _uvicorn(app: str, port: int, workers: int, stack: str) -> None:
    options = stack_options() if stack != "h11" else {"loop": "asyncio", "http": PROTOCOL}
    config = uvicorn.Config(
        app,
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
        timeout_keep_alive=120,  # idle keep-alive connections of the load generator must not be closed under it
        **options,
    )
    if workers == 1:  # as ``serve`` with one worker: in this process
        uvicorn.Server(config).run()
    elif stack == "reuseport":
        run_workers(config)
    else:  # uvicorn's own supervisor: one socket shared by every worker
        Multiprocess(config, sockets=[config.bind_socket()]).run()


def _granian(app: str, port: int, workers: int) -> None:
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-ws", app]
    os.execv(sys.executable, command)  # the granian process takes this one's pid: the bench meters its tree


@contextmanager
def launched(
    port: int,
    workers: int,
    bare_response: Path,
    env: dict[str, str],
    log_path: Path,
    *,
    app: str = "jointcert",
    stack: str = "reuseport",
) -> Iterator[None]:
    """``python -m bench.server`` as a subprocess until the block ends, its process tree registered for CPU
    metering; ready once it answers and its workers have finished starting (their CPU has gone quiet)."""
    env = {**env, "JOINTCERT_BENCH_BARE": str(bare_response)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "bench.server", str(port), str(workers), "--app", app, "--stack", stack]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(port, server, workers, log_path)
        register(port, server.pid)
        yield
    except Exception:  # a workload failed (e.g. a 500): the server's own account of it, before its log goes
        print(f"--- the server's log ({log_path.name}), last lines ---", file=sys.stderr)
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-80:]), file=sys.stderr)
        raise
    finally:
        unregister(port)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _answers(port: int) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{BARE_PATH}", data=b"x", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=2) as reply:
            return int(reply.status) == 200
    except OSError:
        return False


def _wait_ready(port: int, server: subprocess.Popen[bytes], workers: int, log_path: Path) -> None:
    deadline, meter = time.monotonic() + 90, CpuMeter(server.pid)
    while not _answers(port):
        if server.poll() is not None or time.monotonic() > deadline:
            err = f"exit {server.poll()}\n" + log_path.read_text(errors="replace")
            raise RuntimeError(f"the bench server did not start:\n{err[-3000:]}")
        time.sleep(0.1)
    while time.monotonic() < deadline:  # the other workers may still be building their services
        before = meter.snapshot()
        time.sleep(0.5)
        quiet = meter.since(before, 1)
        if len(before) >= workers and (quiet is None or quiet.per_operation_us < 0.05 * 0.5e6):
            return


def main() -> None:
    """Command line (the bench starts it as a subprocess)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("workers", type=int)
    parser.add_argument("--app", choices=tuple(APPS), default="jointcert")
    parser.add_argument("--stack", choices=STACKS, default="reuseport")
    args = parser.parse_args()
    if args.workers > 1 and args.app == "jointcert":  # /metrics sums the workers, as with ``serve``
        metrics = Path(os.environ["JOINTCERT_DATA_DIR"]) / f"metrics-{args.port}"
        metrics.mkdir(mode=0o700, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    if args.stack == "granian":
        _granian(APPS[args.app], args.port, args.workers)
    else:
        _uvicorn(APPS[args.app], args.port, args.workers, args.stack)


if __name__ == "__main__":
    main()
