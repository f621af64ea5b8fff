"""Anti-automation over HTTP: an enumeration probe is refused with 429 across new sessions and across two app
instances on one database; the customer under attack still finishes from her own address; identity answers the
same for an unknown user and a wrong number, and shows no name before the ARS or overseas check."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.ca.lint import PkixLinter
from jointcert.clock import FakeClock
from jointcert.npki.resident_number import check_digit
from jointcert.storage.db import Database
from jointcert.web.app import create_app
from tests.integration.issuance_flow import REQUIRED_TERMS, Flow, ra_services, reopen

__all__ = ["ra_services"]
PROBE = "203.0.113.66"


def _client(services: Services, address: str) -> TestClient:
    return TestClient(create_app(services, sandbox=True), raise_server_exceptions=False, client=(address, 40000))


def _rrn(n: int) -> str:
    first = f"900101{1000000 + n:07d}"[:12]
    return f"{first[:6]}-{first[6:]}{check_digit(first)}"


def _guess(flow: Flow, user_id: str, rrn: str) -> Any:
    """A new session, the terms, one identity guess (as a bot restarting sessions would)."""
    assert flow.start().status_code == 201
    flow.ok("/terms", {"accepted": REQUIRED_TERMS})
    return flow.post("/identity", {"user_id": user_id, "rrn": rrn})


def test_identity_answers_alike_and_shows_no_name(ra_services: Services) -> None:
    flow = Flow(_client(ra_services, "198.51.100.1"))
    spec = demo_customer("minjun88").spec
    unknown = _guess(flow, "nobody-here", spec.rrn)
    wrong = _guess(flow, "minjun88", _rrn(7))
    assert unknown.status_code == wrong.status_code == 401
    a, b = unknown.json(), wrong.json()
    assert {k: a[k] for k in ("code", "message_ko", "message_en", "remaining_attempts")} == {
        k: b[k] for k in ("code", "message_ko", "message_en", "remaining_attempts")
    }
    right = _guess(flow, "minjun88", spec.rrn)
    assert right.status_code == 200
    assert spec.name not in right.text and "name" not in right.json()
    phone = spec.phones[0]
    confirmed = flow.ars(phone.id, phone.number)
    assert confirmed.status_code == 200 and confirmed.json()["name"] == spec.name


def test_enumeration_probe_gets_429_across_sessions_and_instances(
    ra_services: Services, database: Database, clock: FakeClock, shared_linter: PkixLinter
) -> None:
    other = reopen(database, clock, ra_services.settings.data_dir, shared_linter)  # a second node, same database
    limit = ra_services.settings.throttle.identity_per_address
    nodes = [Flow(_client(ra_services, PROBE)), Flow(_client(other, PROBE))]
    statuses = [_guess(nodes[i % 2], f"probe{i}", _rrn(i)).status_code for i in range(limit)]
    assert statuses == [401] * limit  # every guess was checked (and failed)
    refused = _guess(nodes[limit % 2], "minjun88", demo_customer("minjun88").spec.rrn)  # even a right guess
    print(f"identity guesses from one address before 429: {limit} (across {limit} sessions, 2 nodes)")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled" and body["scope"] == "address" and body["message_ko"]
    assert 1 <= int(refused.headers["Retry-After"]) <= ra_services.settings.throttle.window_seconds
    state = nodes[limit % 2].ok("", method="GET")["state"]
    assert state == "terms_agreed"  # the refused call changed nothing
    steps = [e.step for e in ra_services.ra.steps_of(nodes[limit % 2].session_id)]
    assert "identify" not in steps
    assert _guess(Flow(_client(other, "198.51.100.2")), "probe", _rrn(1)).status_code == 401  # others unaffected
    other.close()


def test_customer_under_attack_still_finishes_from_her_address(ra_services: Services) -> None:
    spec = demo_customer("minjun88").spec
    per_customer = ra_services.settings.throttle.identity_failures_per_customer
    attackers = [Flow(_client(ra_services, f"203.0.113.{10 + i}")) for i in range(per_customer)]
    for i, flow in enumerate(attackers):  # one wrong number from each of many addresses
        assert _guess(flow, "minjun88", _rrn(100 + i)).status_code == 401
    again = _guess(attackers[0], "minjun88", _rrn(200))
    assert again.status_code == 429 and again.json()["scope"] == "customer"
    assert _guess(attackers[1], "minjun88", spec.rrn).status_code == 429  # a right guess from there too
    assert _guess(attackers[0], "seoyeon91", _rrn(300)).status_code == 401  # other customers are not guarded
    mine = Flow(_client(ra_services, "192.0.2.80"))
    mine.to_identity_confirmed("minjun88")
    account = spec.accounts[0]
    assert mine.ok("/account", {"account_number": account.number, "pin": account.pin})["account"]
