"""연장 and the fee's debit quote over HTTP (issue 16): extend within the absolute cap (``ra.session_max_seconds``,
default 3600), then ``ra_session_extend_limit``; a fee quote with balance after; insufficient funds with the balance;
a customer whose every second factor is locked is told so by ``identity``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.ra.errors import CredentialLocked, WrongCredential
from jointcert.ra.ports import Credential
from tests.integration.issuance_flow import Flow, http, ra_services

__all__ = ["http", "ra_services"]


def test_extend_until_the_cap(http: TestClient, clock: FakeClock) -> None:
    flow = Flow(http)
    started = flow.start().json()["session"]
    first = datetime.fromisoformat(started["expires_at"])
    clock.advance(timedelta(minutes=10))
    extended = flow.ok("/extend")
    assert datetime.fromisoformat(extended["expires_at"]) == first + timedelta(minutes=10)  # 15 more from now
    for _ in range(4):  # 20, 30, 40, 50 minutes in: each extension gives 15 minutes from then, up to 60
        clock.advance(timedelta(minutes=10))
        flow.ok("/extend")
    capped = flow.ok("", method="GET")
    assert datetime.fromisoformat(capped["expires_at"]) - datetime.fromisoformat(started["expires_at"]) == timedelta(
        minutes=45
    )
    refused = flow.post("/extend")
    assert refused.status_code == 409 and refused.json()["code"] == "ra_session_extend_limit"
    assert flow.post("/extend", token="wrong").status_code in {401, 403}


def test_fee_quote_and_insufficient_funds(http: TestClient) -> None:
    rich = Flow(http)
    rich.to_contact_confirmed("seoyeon91", "otp")
    quote = rich.ok("/fee-quote?cert_type=general", method="GET")
    assert (quote["fee_krw"], quote["balance_krw"], quote["balance_after_krw"]) == (4400, 842_000, 837_600)
    assert quote["account"] == "110-519-647208"
    poor = Flow(http)
    poor.to_contact_confirmed("seoa99", "security_card")
    assert poor.ok("/fee-quote?cert_type=general", method="GET")["balance_after_krw"] == 2150 - 4400
    refused = poor.post("/certificate-type", {"cert_type": "general"})
    body = refused.json()
    assert (body["code"], body["balance_krw"], body["amount_krw"]) == ("bank_insufficient_funds", 2150, 4400)


def test_identity_reports_locked_second_factors(http: TestClient, ra_services: Services) -> None:
    customer = ra_services.bank.ports().customers.find_by_user_id("seoyeon91")
    assert customer is not None
    first = Flow(http)
    free = first.to_identified("seoyeon91")
    assert (free["locked"], free["second_factors_blocked"]) == ([], False)
    assert first.call("DELETE", "").status_code == 200
    lockouts = ra_services.ra.ctx.lockouts
    limit = lockouts.limit(Credential.OTP)
    for _ in range(limit - 1):
        with pytest.raises(WrongCredential):
            lockouts.check(Credential.OTP, customer.id, customer.id, lambda: False)
    with pytest.raises(CredentialLocked):
        lockouts.check(Credential.OTP, customer.id, customer.id, lambda: False)
    blocked = Flow(http).to_identified("seoyeon91")
    assert (blocked["locked"], blocked["second_factors_blocked"]) == (["otp"], True)
