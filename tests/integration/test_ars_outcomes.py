"""ARS outcomes over HTTP: wrong code, unanswered and declined are distinct; only a wrong code counts toward the
lock; the lock is recorded, notified once, survives a right answer, leaves the overseas option, and is lifted only
by an operator (``jointcert ra unlock``); a ringing call shows its time left."""

from __future__ import annotations

import concurrent.futures
import sys
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.bank.model import NotificationEvent
from jointcert.cli import main as cli_main
from jointcert.cli.context import run_safely
from jointcert.clock import FakeClock
from jointcert.ra.ports import Credential
from tests.integration.issuance_flow import Flow, http, ra_services

__all__ = ["http", "ra_services"]
USER, P1, N1, P2, N2 = "yujin93", "P4001", "010-5527-3184", "P4002", "010-6149-2075"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message_ko"] and body["message_en"], body
    return body


def _ringing(flow: Flow, number: str) -> str:
    calls = flow.client.get(f"/api/v1/sandbox/phone/{number}/calls").json()
    call_id: str = calls[-1]["call_id"]
    return call_id


def _decline(flow: Flow, number: str) -> None:
    declined = flow.client.post(f"/api/v1/sandbox/phone/{number}/calls/{_ringing(flow, number)}/decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"


def _failures(services: Services) -> tuple[int, bool]:
    customer = services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    return services.ra.ctx.lockouts._attempts.failures(Credential.ARS, customer.id)


def test_only_wrong_codes_count_and_each_outcome_has_its_message(
    http: TestClient, ra_services: Services, clock: FakeClock
) -> None:
    flow = Flow(http)
    flow.to_identified(USER)
    placed = flow.ok("/ars/call", {"phone_id": P1})
    timeout = ra_services.settings.ra.ars_timeout_seconds
    assert placed["remaining_seconds"] == timeout and placed["expires_at"]
    clock.advance(timedelta(seconds=40))
    ringing = flow.ok("/ars/confirm")
    assert ringing["status"] == "ringing" and ringing["remaining_seconds"] == timeout - 40  # the page counts down
    assert _failures(ra_services) == (1, False)  # reserved while ringing
    clock.advance(timedelta(seconds=timeout))
    unanswered = _problem(flow.post("/ars/confirm"), 410, "ra_ars_unanswered")
    assert unanswered["call_status"] == "timed_out" and "remaining_attempts" not in unanswered
    assert _failures(ra_services) == (0, False)  # given back
    flow.ok("/ars/call", {"phone_id": P2})
    _decline(flow, N2)
    declined = _problem(flow.post("/ars/confirm"), 409, "ra_ars_declined")
    assert declined["message_ko"] != unanswered["message_ko"]
    assert _failures(ra_services) == (0, False)
    wrong = _problem(flow.ars(P2, N2, right=False), 401, "ra_ars_wrong_code")
    assert wrong["remaining_attempts"] == 2 and wrong["call_status"] == "wrong_code"
    assert flow.ok("", method="GET")["state"] == "identified"
    assert _failures(ra_services) == (1, False)
    confirmed = flow.ars(P1, N1)
    assert confirmed.status_code == 200 and confirmed.json()["name"] == "최유진"
    assert _failures(ra_services) == (0, False)  # a right answer resets an unlocked counter


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``jointcert ARGS`` in-process (the instance's database comes from the environment the fixture set)."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(sys, "argv", ["jointcert", *args])
    if not any(g.name == "ra" for g in cli_main.app.registered_groups):
        cli_main._register()
    code = run_safely(cli_main.app)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_lock_is_recorded_notified_kept_and_lifted_only_by_an_operator(
    http: TestClient, ra_services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = Flow(http), Flow(http)
    a.to_identified(USER)
    b.to_identified(USER)
    _problem(a.ars(P1, N1, right=False), 401, "ra_ars_wrong_code")
    code = a.ok("/ars/call", {"phone_id": P1})["code"]  # pending in session a (its attempt is reserved)
    pending = _ringing(a, N1)
    locked = _problem(b.ars(P2, N2, right=False), 423, "ra_ars_locked")
    assert locked["call_status"] == "wrong_code"
    assert b.ok("", method="GET")["state"] == "identified"  # not ended: the overseas check stays on offer
    assert _failures(ra_services) == (3, True)
    answered = http.post(f"/api/v1/sandbox/phone/{N1}/calls/{pending}/answer", json={"digits": code + "#"})
    assert answered.json()["status"] == "confirmed"
    _problem(a.post("/ars/confirm"), 423, "ra_ars_locked")  # a right answer does not lift the lock
    assert _failures(ra_services) == (3, True)
    _problem(b.post("/ars/call", {"phone_id": P1}), 423, "ra_ars_locked")
    customer = ra_services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    notices = [m for m in ra_services.bank.outbox.messages(customer.id) if m.event is NotificationEvent.LOCKED]
    assert len(notices) == 2 and "ARS" in notices[0].body  # one SMS + one e-mail, once
    data_dir = str(ra_services.settings.data_dir)
    code, out = _cli(["--data-dir", data_dir, "ra", "unlock", USER, "--credential", "account_pin"], monkeypatch, capsys)
    assert code != 0 and "--credential" in out and _failures(ra_services) == (3, True)
    code, out = _cli(["--data-dir", data_dir, "ra", "unlock", USER, "--operator", "branch-0081"], monkeypatch, capsys)
    assert code == 0 and "unlocked" in out, out
    assert _failures(ra_services) == (0, False)
    assert b.ars(P1, N1).json()["status"] == "confirmed"


def test_overseas_check_while_a_call_is_pending_gives_the_attempt_back(http: TestClient, ra_services: Services) -> None:
    flow = Flow(http)
    flow.to_identified("seoyeon91")
    customer = ra_services.bank.customers.find_by_user_id("seoyeon91")
    assert customer is not None
    flow.ok("/ars/call", {"phone_id": customer.phones[0].id})
    assert ra_services.ra.ctx.lockouts._attempts.failures(Credential.ARS, customer.id) == (1, False)
    abroad = flow.ok("/abroad")
    assert abroad["name"] == customer.name and abroad["session"]["state"] == "identity_confirmed"
    assert ra_services.ra.ctx.lockouts._attempts.failures(Credential.ARS, customer.id) == (0, False)


def test_abandoned_or_cancelled_calls_give_their_attempts_back(
    http: TestClient, ra_services: Services, clock: FakeClock
) -> None:
    limit = ra_services.settings.ra.max_ars_failures
    for _ in range(limit):  # the probe: calls left ringing, sessions abandoned
        flow = Flow(http)
        flow.to_identified(USER)
        flow.ok("/ars/call", {"phone_id": P1})
    assert _failures(ra_services) == (limit, False)
    clock.advance(timedelta(seconds=ra_services.settings.ra.session_ttl_seconds + 1))
    fresh = Flow(http)
    fresh.to_identified(USER)  # starting a session settles the expired ones
    assert _failures(ra_services) == (0, False)
    fresh.ok("/ars/call", {"phone_id": P1})
    assert fresh.call("DELETE", "").status_code == 200  # 취소 while it rings
    assert _failures(ra_services) == (0, False)
    assert Flow(http).to_identified(USER) and _failures(ra_services) == (0, False)


def test_long_poll_answers_when_the_call_ends_with_one_step_log_entry(http: TestClient, ra_services: Services) -> None:
    """``ars/confirm?wait=…`` waits while the call rings and answers once it is over; the waiting is not logged
    poll by poll (one entry per answer)."""
    flow = Flow(http)
    flow.to_identified(USER)
    code = flow.ok("/ars/call", {"phone_id": P1})["code"]
    logged = len(ra_services.ra.steps_of(flow.session_id))
    for bad in ("nan", "inf", "-1"):  # refused before any waiting
        assert flow.post(f"/ars/confirm?wait={bad}").status_code == 422
    ringing = flow.ok("/ars/confirm?wait=0.3")  # nobody answers (the fake clock stands still): still ringing
    assert ringing["status"] == "ringing" and ringing["remaining_seconds"] > 0
    assert len(ra_services.ra.steps_of(flow.session_id)) == logged + 1

    answered = threading.Event()

    def answer() -> None:
        call_id = _ringing(flow, N1)
        reply = http.post(f"/api/v1/sandbox/phone/{N1}/calls/{call_id}/answer", json={"digits": code + "#"})
        assert reply.status_code == 200
        answered.set()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(flow.ok, "/ars/confirm?wait=10")
        answer()
        confirmed = waiting.result(timeout=60)
    assert answered.is_set()
    assert confirmed["status"] == "confirmed" and confirmed["name"]
    assert len(ra_services.ra.steps_of(flow.session_id)) == logged + 2
    assert flow.ok("", method="GET")["state"] == "identity_confirmed"
