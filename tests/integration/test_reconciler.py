"""The reconciler against the real CA and the sandbox bank, on SQLite and PostgreSQL: the states a crash leaves
(made here by running the saga's steps up to the crash point), settled once, idempotently, by two nodes at once."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

from cryptography import x509
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.ca.authority import IssuanceRequest, SignatureProof
from jointcert.ca.ports import RecordStatus
from jointcert.clock import FakeClock
from jointcert.ra import saga
from jointcert.ra.ports import FeeKind
from jointcert.ra.reconciler import ReconcileReport
from jointcert.ra.session import IssuanceSession
from jointcert.types import CertType
from tests.integration.issuance_flow import Flow, http, ra_services, rsa_key, sign, spki

__all__ = ["http", "ra_services"]
USER, ACCOUNT, START = "minjun88", "110-482-915307", 1_523_400


def _ready(http: TestClient, services: Services) -> tuple[Flow, IssuanceSession]:
    flow = Flow(http)
    flow.to_contact_confirmed(USER, "app_cert")
    flow.ok("/certificate-type", {"cert_type": "general"})
    flow.challenge = flow.ok("/enrollment/challenge")["challenge"]
    session = services.ra.ctx.sessions.get(flow.session_id)
    assert session is not None
    return flow, session


def _crash_after_store(services: Services, session: IssuanceSession, challenge: str) -> int:
    """Steps 1–2 of the saga, as if the process died right after the CA stored the certificate."""
    ctx = services.ra.ctx
    claimed = saga.claim(ctx, session, None)
    key = rsa_key(0)
    request = IssuanceRequest(
        CertType.GENERAL, demo_customer(USER).spec.name, ctx.rrn(claimed), os.urandom(20), spki(key),
        SignatureProof(challenge.encode(), sign(key, challenge)), "api", confirm_later=True,
        request_key=saga.request_key(claimed),
    )  # fmt: skip
    return ctx.authority.issue(request).serial


def _balance(services: Services) -> int:
    account = services.bank.accounts.get(ACCOUNT)
    assert account is not None
    return account.balance_krw


def test_a_session_left_issuing_is_delivered_and_the_retry_gets_that_certificate(
    http: TestClient, ra_services: Services, clock: FakeClock
) -> None:
    flow, session = _ready(http, ra_services)
    serial = _crash_after_store(ra_services, session, flow.challenge)
    busy = flow.post("/enrollment", flow_body(flow))
    assert busy.status_code == 409 and busy.json()["code"] == "ra_issuance_in_progress"
    assert ra_services.reconciler.run().total == 0  # younger than the grace time: maybe still running
    clock.advance(timedelta(seconds=ra_services.settings.ra.saga_grace_seconds + 1))
    report = ra_services.reconciler.run()
    assert report.delivered_sessions == [flow.session_id]
    retry = flow.post("/enrollment", flow_body(flow))
    assert retry.status_code == 200 and retry.json()["serial"] == format(serial, "x")
    assert _balance(ra_services) == START - 4_400  # charged once, by the reconciler; the retry replays it
    assert flow.confirm(rsa_key(0), format(serial, "x")).json()["session"]["state"] == "issued"
    kinds = [e.kind for e in ra_services.ra.ctx.fees.entries(serial)]
    assert kinds == [FeeKind.CHARGE, FeeKind.FINAL]
    assert ra_services.reconciler.run().total == 0


def flow_body(flow: Flow) -> dict[str, str]:
    from jointcert.client.issuance import enrollment_body

    return enrollment_body(rsa_key(0), flow.challenge, os.urandom(20))


def test_nothing_recorded_or_a_pending_record_releases_the_session(
    http: TestClient, ra_services: Services, clock: FakeClock
) -> None:
    flow, session = _ready(http, ra_services)
    saga.claim(ra_services.ra.ctx, session, None)  # crashed before the CA recorded anything
    clock.advance(timedelta(seconds=ra_services.settings.ra.saga_grace_seconds + 1))
    assert ra_services.reconciler.run().released_sessions == [flow.session_id]
    assert flow.ok("", method="GET")["state"] == "ready" and _balance(ra_services) == START
    issued = flow.enroll(rsa_key(1), os.urandom(20))  # the customer simply enrolls again
    assert issued.status_code == 200 and issued.json()["serial"]


def test_two_nodes_reap_an_unconfirmed_certificate_once(
    http: TestClient, ra_services: Services, clock: FakeClock
) -> None:
    first, _ = Flow(http).issue(USER, "app_cert", "general", rsa_key(0))  # confirmed: the current certificate
    flow, _ = _ready(http, ra_services)
    delivered = flow.enroll(rsa_key(1), os.urandom(20)).json()  # never confirmed
    clock.advance(timedelta(seconds=ra_services.settings.ra.confirm_wait_seconds + 1))
    reports: list[ReconcileReport] = []
    nodes = [threading.Thread(target=lambda: reports.append(ra_services.reconciler.run())) for _ in range(2)]
    for node in nodes:
        node.start()
    for node in nodes:
        node.join()
    assert sum(len(r.revoked_unconfirmed) for r in reports) == 1
    assert sum(len(r.reversed_fees) for r in reports) == 1
    new = ra_services.authority.certificate(int(delivered["serial"], 16))
    assert new is not None and new.status is RecordStatus.REVOKED
    assert new.revocation_reason is x509.ReasonFlags.cessation_of_operation
    old = ra_services.authority.certificate(int(first["serial"], 16))
    assert old is not None and old.status is RecordStatus.ISSUED  # the older certificate stays valid
    assert _balance(ra_services) == START - 4_400  # the first fee stands, the second was reversed
    assert flow.ok("", method="GET")["state"] == "unconfirmed"
