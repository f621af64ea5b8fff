"""``jointcert serve``: the HTTP service (OCSP, CRL, CA certificates, API) with the CRL schedule."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
import uvicorn

from jointcert.cli.ca import open_services, settings_of
from jointcert.cli.context import console, err_console
from jointcert.cli.workers import run_workers, stack_options
from jointcert.config import ServerSettings
from jointcert.web.app import create_app
from jointcert.web.scheduler import leadership_for

__all__ = ["FACTORY", "HEALTHCHECK_SECONDS", "public_url_warning", "register", "serve"]

FACTORY = "jointcert.web.factory:app_from_environment"
# a worker unlocks the CA keys and builds pkilint's validators before it answers uvicorn's health check; on a busy
# machine that takes longer than uvicorn's 5 s default, and the supervisor would restart it forever
HEALTHCHECK_SECONDS = 60


def say(*parts: object) -> None:
    """Print to stdout without wrapping long values (serials, fingerprints, paths)."""
    console.print(*parts, soft_wrap=True)


def public_url_warning(server: ServerSettings) -> str | None:
    """A warning when the explicitly configured public URL is not where the server listens (fine behind a proxy
    that forwards it; otherwise every certificate's CRL, OCSP and CA URLs point elsewhere)."""
    url = urlsplit(server.public_url)
    default = 443 if url.scheme == "https" else 80
    wildcard = server.host in ("0.0.0.0", "::", "")  # noqa: S104 (a comparison, not a bind)
    same_host = wildcard or url.hostname in (server.host, "localhost" if server.host == "127.0.0.1" else server.host)
    if (url.port or default) == server.port and same_host:
        return None
    return (
        f"[yellow]경고[/] 공개 URL {server.public_url}이(가) 서비스 주소 http://{server.host}:{server.port}와 "
        "다릅니다. 인증서의 CRL/OCSP/CA 주소가 이 서버를 가리키지 않습니다 (프록시가 전달하는 경우는 괜찮음).\n"
        f"[yellow]warning[/] public URL {server.public_url} differs from where the server listens "
        f"(http://{server.host}:{server.port}): the CRL, OCSP and CA URLs in certificates will not reach this "
        "server unless a proxy forwards them (set JOINTCERT_SERVER__PUBLIC_URL or [server] public_url)."
    )


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Bind address (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default from settings: 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default from settings: 1).")
    ] = None,
) -> None:
    """Serve the instance over HTTP until interrupted (서비스 실행)."""
    settings = settings_of(ctx)
    bind_host, bind_port = host or settings.server.host, port or settings.server.port
    settings = settings.model_copy(update={"server": settings.server.listening_on(bind_host, bind_port)})
    warning = public_url_warning(settings.server)
    if warning:
        err_console.print(warning, soft_wrap=True)
    count = workers or settings.server.workers
    with open_services(settings, actor="serve") as services:
        voided = services.authority.recover_stale(actor="serve")
        if voided:
            say(f"[yellow]voided {len(voided)} unsigned issuance records[/]")
        swept = services.cmp.sweep(actor="serve")
        if swept.revoked_serials:
            say(f"[yellow]revoked {len(swept.revoked_serials)} certificates never confirmed (CMP certConf)[/]")
        say(
            f"jointcert on http://{bind_host}:{bind_port}  (public URL {settings.server.public_url}, {count} worker(s))"
        )
        if count == 1:
            app = create_app(services, background=True, leadership=leadership_for(settings))
            uvicorn.run(app, host=bind_host, port=bind_port, log_level=settings.log_level.lower(), **stack_options())
            return
    # each worker process builds its own services from the environment (web.factory); they inherit it
    os.environ["JOINTCERT_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["JOINTCERT_SERVER__HOST"], os.environ["JOINTCERT_SERVER__PORT"] = bind_host, str(bind_port)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir(settings.data_dir))  # /metrics sums the workers
    config = uvicorn.Config(
        FACTORY,
        factory=True,
        workers=count,
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level.lower(),
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
        **stack_options(),  # uvloop + httptools (cli/workers.py)
    )
    run_workers(config)  # one SO_REUSEPORT socket per worker: connections spread over the workers


def _metrics_dir(data_dir: Path) -> Path:
    """An empty directory for prometheus-client's multiprocess files (emptied at every start: counters restart)."""
    target = (data_dir / "metrics").resolve()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(mode=0o700)
    return target


def register(app: typer.Typer) -> None:
    """Attach ``serve``."""
    app.command("serve")(serve)
