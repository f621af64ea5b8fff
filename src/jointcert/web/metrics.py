"""``/metrics`` (prometheus-client) and the pure ASGI middleware that measures every request.

* ``jointcert_http_requests_total{method,route,status}`` and ``jointcert_request_duration_seconds{area}``, where
  ``area`` is issuance, cmp, ocsp, crl, login, relay, admin or other (rates = ``rate()`` of the histogram count).
* ``jointcert_lockouts_total{area}``: answers 423 (an account or credential locked after failed attempts).
* Every event the services count (:class:`~jointcert.ca.stats.Counters`) as ``jointcert_ca_events_total{event}``,
  plus ``jointcert_lint_failures_total``, ``jointcert_signer_errors_total`` and ``jointcert_reconciler_fixes_total``.
* At scrape time, from the database: ``jointcert_ca_certificates{status}``, ``jointcert_crl_age_seconds{ca}``,
  ``jointcert_crl_next_update_seconds{ca}`` (negative = expired).

With ``serve --workers N`` the serve command sets ``PROMETHEUS_MULTIPROC_DIR``: counters and histograms then live in
files shared by the workers and every scrape (whichever worker answers) reports the sum over all of them.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from prometheus_client.values import MutexValue

from jointcert.ca.stats import WELL_KNOWN, Counters

__all__ = ["CONTENT_TYPE", "Metrics", "MetricsMiddleware", "StateReader", "area_of"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_MAX_SERIES = 4096  # cached (method, route, status) series; more are looked up each time
_NAMED = {"lint_failures", "signer_errors", "reconciler_fixes"}  # also exported under their own metric names
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_AREAS = (
    ("/api/v1/issuance", "issuance"),
    ("/bank/issuance", "issuance"),
    ("/cmp", "cmp"),
    ("/.well-known/cmp", "cmp"),
    ("/ocsp", "ocsp"),
    ("/crl", "crl"),
    ("/api/v1/relay", "relay"),
    ("/copy", "relay"),
    ("/admin", "admin"),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
StateReader = Callable[[], tuple[dict[str, int], dict[str, tuple[float, float]]]]
"""Reads ``(certificates by status, {ca: (crl age seconds, seconds until nextUpdate)})`` from the database."""


def area_of(route: str) -> str:
    """The business area of a route template (bounded label values)."""
    for prefix, area in _AREAS:
        if route.startswith(prefix):
            return area
    if "login" in route or route.endswith("/api/challenge"):
        return "login"
    return "other"


class _StateCollector(Collector):
    def __init__(self, read: StateReader) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        records, crls = self._read()
        certificates = GaugeMetricFamily(
            "jointcert_ca_certificates", "Certificate records by status.", labels=["status"]
        )
        for status, n in sorted(records.items()):
            certificates.add_metric([status], n)
        age = GaugeMetricFamily("jointcert_crl_age_seconds", "Age of the newest CRL per CA.", labels=["ca"])
        left = GaugeMetricFamily(
            "jointcert_crl_next_update_seconds", "Seconds until the CRL's nextUpdate.", labels=["ca"]
        )
        for slug, (seconds, remaining) in sorted(crls.items()):
            age.add_metric([slug], seconds)
            left.add_metric([slug], remaining)
        return [certificates, age, left]


class Metrics:
    """The instance's Prometheus metrics (one registry per app; multiprocess-aware)."""

    def __init__(self, counters: Counters, state: StateReader) -> None:
        # multiprocess only if prometheus-client chose its file-backed values at import (the env var was set then)
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR")) and values.ValueClass is not MutexValue
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "jointcert_http_requests", "HTTP requests served.", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "jointcert_request_duration_seconds", "Request latency by area.", ["area"], buckets=_BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        self.lockouts = Counter(
            "jointcert_lockouts", "Answers 423 (locked after failures).", ["area"], registry=self.registry
        )
        self.events = Counter(
            "jointcert_ca_events", "Events counted by the services.", ["event"], registry=self.registry
        )
        self.named = {
            name: Counter(f"jointcert_{name}", f"Events: {name.replace('_', ' ')}.", registry=self.registry)
            for name in sorted(_NAMED)
        }
        self.registry.register(_StateCollector(state))
        self._state = state
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}  # labelled series per request kind
        self._events: dict[str, tuple[Any, Any]] = {}  # per service event: its labelled and its named series
        for name in WELL_KNOWN:
            self.events.labels(name)
        for area in {a for _, a in _AREAS} | {"login", "other"}:
            self.lockouts.labels(area)
        for name, value in counters.subscribe(self.count).items():
            self.count(name, value)

    def count(self, name: str, amount: int) -> None:
        """Mirror one service event (a :class:`Counters` listener; the series of each name looked up once)."""
        series = self._events.get(name)
        if series is None:
            series = self._events[name] = (self.events.labels(name), self.named.get(name))
        series[0].inc(amount)
        if series[1] is not None:
            series[1].inc(amount)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request (the labelled series are looked up once per method, route and status: the
        route is a template or ``unmatched``, so there are few)."""
        key = (method, route, status)
        series = self._children.get(key)
        if series is None:
            area = area_of(route)
            lockout = self.lockouts.labels(area) if status == 423 else None
            series = (self.requests.labels(method, route, str(status)), self.latency.labels(area), lockout)
            if len(self._children) < _MAX_SERIES:
                self._children[key] = series
        requests, latency, lockout = series
        requests.inc()
        latency.observe(seconds)
        if lockout is not None:
            lockout.inc()

    def render(self) -> bytes:
        """The exposition text (summed over every worker in multiprocess mode)."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_StateCollector(self._state))
        return generate_latest(registry)


class MetricsMiddleware:
    """Pure ASGI middleware: times each HTTP request and counts it by route template and status."""

    def __init__(self, app: AsgiApp, *, metrics: Metrics, monotonic: Callable[[], float]) -> None:
        self.app, self.metrics, self.monotonic = app, metrics, monotonic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; observe it when the response has gone (or the app raised: 500)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = self.monotonic(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = str(getattr(scope.get("route"), "path", "unmatched"))
            self.metrics.observe(scope["method"], route, status, self.monotonic() - start)
