"""``/metrics`` in the Prometheus text format: HTTP request counters plus the CA's own counters and gauges."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

__all__ = ["HttpMetrics", "render"]


class HttpMetrics:
    """Requests counted by method, route template and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str, int]] = Counter()

    def observe(self, method: str, route: str, status: int) -> None:
        """Count one finished request."""
        with self._lock:
            self._requests[(method, route, status)] += 1

    def snapshot(self) -> dict[tuple[str, str, int], int]:
        """A copy of the counters."""
        with self._lock:
            return dict(self._requests)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(http: HttpMetrics, events: Mapping[str, int], records: Mapping[str, int]) -> str:
    """The exposition text."""
    lines = [
        "# HELP jointcert_http_requests_total HTTP requests served.",
        "# TYPE jointcert_http_requests_total counter",
    ]
    for (method, route, status), n in sorted(http.snapshot().items()):
        labels = f'method="{_escape(method)}",route="{_escape(route)}",status="{status}"'
        lines.append(f"jointcert_http_requests_total{{{labels}}} {n}")
    lines += ["# HELP jointcert_ca_events_total CA events since start.", "# TYPE jointcert_ca_events_total counter"]
    lines += [f'jointcert_ca_events_total{{event="{_escape(k)}"}} {v}' for k, v in sorted(events.items())]
    lines += [
        "# HELP jointcert_ca_certificates Certificate records by status.",
        "# TYPE jointcert_ca_certificates gauge",
    ]
    lines += [f'jointcert_ca_certificates{{status="{_escape(k)}"}} {v}' for k, v in sorted(records.items())]
    return "\n".join(lines) + "\n"
