"""The console's figures panel: the numbers ``/metrics`` exports, read from the same registry at the same moment
(``Metrics.render`` parsed back with prometheus-client's own parser), so the console and Prometheus cannot disagree.

Shown: certificates by status, CRL age and time to nextUpdate per CA, the services' event counters (issuance,
revocation, OCSP, lint failures, signer errors, reconciler fixes …), lockouts per area, and requests and mean
latency per area (from the latency histogram's count and sum)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from prometheus_client.parser import text_string_to_metric_families

from jointcert.web.metrics import Metrics

__all__ = ["Figure", "figures"]

_GAUGES = ("jointcert_ca_certificates", "jointcert_crl_age_seconds", "jointcert_crl_next_update_seconds")
_COUNTERS = ("jointcert_ca_events", "jointcert_lockouts")


@dataclass(frozen=True)
class Figure:
    """One exported sample: metric name, its labels as ``k=v`` text, and the value."""

    metric: str
    labels: str
    value: float


def _labels(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def figures(request: Request) -> list[Figure]:
    """The panel's samples, in the order of :data:`_GAUGES`, :data:`_COUNTERS`, then latency per area."""
    metrics: Metrics | None = getattr(request.app.state, "metrics", None)
    if metrics is None:
        return []
    families = {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}
    shown: list[Figure] = []
    for name in _GAUGES + _COUNTERS:
        family = families.get(name)
        for sample in family.samples if family is not None else []:
            if sample.name.endswith("_created"):
                continue
            shown.append(Figure(sample.name, _labels(sample.labels), sample.value))
    latency = families.get("jointcert_request_duration_seconds")
    totals: dict[str, dict[str, float]] = {}
    for sample in latency.samples if latency is not None else []:
        if sample.name.endswith(("_count", "_sum")):
            totals.setdefault(sample.labels["area"], {})[sample.name.rsplit("_", 1)[1]] = sample.value
    for area, values in sorted(totals.items()):
        count = values.get("count", 0.0)
        shown.append(Figure("jointcert_request_duration_seconds_count", f"area={area}", count))
        if count:
            shown.append(Figure("mean latency (s)", f"area={area}", values.get("sum", 0.0) / count))
    return shown
