"""The benchmark server: the app ``jointcert serve --workers N`` builds (:mod:`jointcert.web.factory`) plus one
bare endpoint, ``POST /bench/bare``, that reads the body and answers fixed bytes (``$JOINTCERT_BENCH_BARE``) the
way the OCSP route does — same uvicorn, same workers, same middleware — so the OCSP ratio isolates the responder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request, Response

from jointcert.cli.nodelay import PROTOCOL
from jointcert.cli.serve import HEALTHCHECK_SECONDS
from jointcert.web.factory import app_from_environment

__all__ = ["BARE_PATH", "create", "main"]

BARE_PATH = "/bench/bare"


def create() -> FastAPI:
    """uvicorn factory (``bench.server:create --factory``)."""
    app = app_from_environment()
    payload = Path(os.environ["JOINTCERT_BENCH_BARE"]).read_bytes()

    @app.post(BARE_PATH, include_in_schema=False)
    async def bare(request: Request) -> Response:
        await request.body()
        return Response(payload, media_type="application/ocsp-response", headers={"Cache-Control": "no-store"})

    return app


def main() -> None:
    """``python -m bench.server PORT WORKERS``: serve like ``jointcert serve --workers N`` does."""
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(
        "bench.server:create",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        http=PROTOCOL,
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
        timeout_keep_alive=120,  # idle keep-alive connections of the load generator must not be closed under it
    )


if __name__ == "__main__":
    main()
