"""/healthz, /readyz and /metrics: readiness fails on a stale CRL and on a partition CRL the leader left dirty; the
metrics count areas, lockouts and events."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.clock import FakeClock
from tests.unit.ca.factories import make_request

_KEY = rsa.generate_private_key(65537, 2048)


def _sample(text: str, name: str) -> float:
    """The value of one sample line ``name value`` (exact series name with labels)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


def test_readyz_is_ready_then_fails_when_the_crl_expires(client: TestClient, clock: FakeClock) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["database"] == "ok" and set(checks["signers"].values()) == {"ok"}
    assert checks["crls"]["class1"]["fresh"] is True
    clock.advance(timedelta(hours=25))  # past nextUpdate (24 h) and nobody regenerated
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json()["checks"]["crls"]["class1"]["fresh"] is False
    assert client.get("/healthz").status_code == 200  # liveness does not depend on the CRL
    text = client.get("/metrics").text
    assert _sample(text, 'jointcert_crl_next_update_seconds{ca="class1"}') < 0


def test_readyz_fails_while_a_partition_crl_misses_an_old_revocation(
    services: Services, client: TestClient, clock: FakeClock
) -> None:
    issued = services.authority.issue(make_request(_KEY))
    services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")  # no scheduler here
    fresh = client.get("/readyz")
    assert fresh.status_code == 200, fresh.text  # dirty for less than crl_stale_seconds: the leader has time
    assert fresh.json()["checks"]["crl_partitions"]["class1"] == {"fresh": True, "stale": []}
    clock.advance(timedelta(seconds=services.settings.ca.crl_stale_seconds + 1))
    stale = client.get("/readyz")
    assert stale.status_code == 503
    partitions = stale.json()["checks"]["crl_partitions"]["class1"]
    assert partitions["fresh"] is False and partitions["stale"] == [0]
    assert (
        "p0 of class1 miss a revocation older than 30 s" in partitions["reason"] and "scheduler" in partitions["reason"]
    )
    assert stale.json()["checks"]["crls"]["class1"]["fresh"] is True  # the full CRL alone would not have told
    services.crl.regenerate_dirty()  # what the leader does every crl_dirty_seconds
    again = client.get("/readyz")
    assert again.status_code == 200 and again.json()["checks"]["crl_partitions"]["class1"]["stale"] == []


def test_metrics_count_requests_by_area_events_and_reconciler_fixes(services: Services, client: TestClient) -> None:
    services.authority.issue(make_request(_KEY))
    for _ in range(3):
        client.get("/crl/class1.crl")
    client.post("/ocsp", content=b"not der", headers={"content-type": "application/ocsp-request"})
    services.counters.inc("reconciler_fixes", 2)  # the counters API other services use
    text = client.get("/metrics").text
    assert _sample(text, 'jointcert_http_requests_total{method="GET",route="/crl/{ca}.crl",status="200"}') == 3
    assert _sample(text, 'jointcert_request_duration_seconds_count{area="crl"}') == 3
    assert _sample(text, 'jointcert_request_duration_seconds_count{area="ocsp"}') == 1
    assert _sample(text, "jointcert_reconciler_fixes_total") == 2
    assert _sample(text, 'jointcert_ca_events_total{event="certificates_issued"}') == 1
    assert _sample(text, "jointcert_lint_failures_total") == 0 and _sample(text, "jointcert_signer_errors_total") == 0
    assert _sample(text, 'jointcert_ca_certificates{status="issued"}') >= 1
    assert 0 <= _sample(text, 'jointcert_crl_age_seconds{ca="class1"}') < 3600
    dashboard = (Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text()
    used = set(re.findall(r"jointcert_[a-z_]+", dashboard)) - {"jointcert_ops"}
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if not line.startswith("#")}
    assert used and used <= exported, used - exported  # every series the dashboard plots exists
