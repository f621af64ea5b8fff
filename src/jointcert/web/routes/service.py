"""Service endpoints: ``/healthz`` (liveness), ``/readyz`` (readiness) and ``/metrics`` (Prometheus).

``/healthz`` answers 200 while the process serves requests (restart it when it does not). ``/readyz`` answers 200
only when this node can do its job: the database answers, every CA signer makes a verifiable test signature (a
locked or failing HSM fails it), every CA's newest CRL is before its nextUpdate and no partition CRL misses a
revocation older than ``[ca] crl_stale_seconds`` (``crl_partitions``: the stale partitions and the reason);
otherwise 503 with the failing checks, so a load balancer takes the node out.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from jointcert import __version__
from jointcert.app import Services
from jointcert.ca.health import crl_status, partition_status, signers_usable
from jointcert.web.metrics import CONTENT_TYPE, Metrics

__all__ = ["install", "readiness", "state_reader"]

log = logging.getLogger(__name__)


def state_reader(services: Services) -> Any:
    """What ``/metrics`` reads from the database at scrape time: records by status, CRL age and time left."""

    def read() -> tuple[dict[str, int], dict[str, tuple[float, float]]]:
        now = services.clock.now()
        crls: dict[str, tuple[float, float]] = {}
        for slug in services.crl.slugs:
            record = services.certificates.latest_crl(slug)
            if record is not None:
                crls[slug] = ((now - record.this_update).total_seconds(), (record.next_update - now).total_seconds())
        return services.certificates.counts(), crls

    return read


def readiness(services: Services) -> tuple[bool, dict[str, Any]]:
    """Run the checks; ``(ready, details)``."""
    checks: dict[str, Any] = {}
    try:
        services.audit.head()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not reachable"
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return False, {"database": "unreachable"}
    signers = signers_usable(services.signers)
    checks["signers"] = {s.slug: "ok" if s.usable else s.error for s in signers}
    now = services.clock.now()
    crls = [crl_status(slug, services.certificates.latest_crl(slug), now) for slug in services.crl.slugs]
    checks["crls"] = {c.slug: {"number": c.number, "age_seconds": c.age_seconds, "fresh": c.fresh} for c in crls}
    limit = services.settings.ca.crl_stale_seconds
    parts = [partition_status(slug, services.crl.stale_partitions(slug), limit) for slug in services.crl.slugs]
    checks["crl_partitions"] = {
        p.slug: {"fresh": p.fresh, "stale": list(p.stale)} | ({"reason": p.reason} if p.reason else {}) for p in parts
    }
    ready = all(s.usable for s in signers) and all(c.fresh for c in crls) and all(p.fresh for p in parts)
    return ready, checks


def install(app: FastAPI, services: Services, metrics: Metrics) -> None:
    """Add the three endpoints."""

    @app.get("/healthz", tags=["service"], summary="Liveness: the process answers")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/readyz", tags=["service"], summary="Readiness: database, CA signers, CRL freshness")
    def readyz() -> JSONResponse:
        ready, checks = readiness(services)
        body = {"status": "ready" if ready else "not_ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics", response_class=Response)
    def metrics_endpoint() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)
