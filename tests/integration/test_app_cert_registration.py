"""The bank's own app certificate (issue 16, point 11) over HTTP on SQLite and PostgreSQL: after the ARS check, the
account PIN and (when she has one) her security card or OTP, a customer registers a 6-digit PIN and a pattern; the
bank keeps only Argon2id hashes; a later issuance's second-factor step accepts them, counting wrong attempts in the
RA's shared lockouts. Refusals are Korean + English and change nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from jointcert.app import Services
from jointcert.bank.model import NotificationEvent, SecondFactorKind
from jointcert.bank.seed import demo_customer
from jointcert.ra.ports import Credential
from jointcert.ra.steps.app_cert_register import pin_problem
from jointcert.storage.tables.bank import BankAppCredential
from tests.integration.issuance_flow import Flow, card_answer, http, ra_services

__all__ = ["http", "ra_services"]

NEW_PIN = "470285"
NEW_PATTERN = [2, 5, 8, 9, 6]


def _customer_id(services: Services, user_id: str) -> str:
    customer = services.bank.customers.find_by_user_id(user_id)
    assert customer is not None
    return customer.id


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["message_ko"] and body["message_en"] and body["message_ko"] != body["message_en"]
    return body


def test_a_security_card_customer_registers_and_a_later_issuance_accepts_it(
    http: TestClient, ra_services: Services
) -> None:
    user = "jihopark"
    cid = _customer_id(ra_services, user)
    assert ra_services.bank.second_factors.methods(cid) == {SecondFactorKind.SECURITY_CARD}
    flow = Flow(http)
    flow.start()
    flow.to_account_verified(user)
    # her card first: ARS + account PIN alone must not make a new second factor
    _problem(flow.post("/app-cert/register", {"pin": NEW_PIN, "pattern": NEW_PATTERN}), 409,
             "ra_second_factor_required")  # fmt: skip
    challenge = flow.ok("/security-card/challenge")
    flow.ok("/security-card", {"answer": card_answer(user, challenge)})

    for pin, rule in (("123456", "sequence"), ("909990", "repeated"), ("850903", "birth_date"), ("12a456", "digits")):
        body = _problem(flow.post("/app-cert/register", {"pin": pin, "pattern": NEW_PATTERN}), 400, "ra_app_pin_weak")
        assert body["rule"] == rule
    _problem(flow.post("/app-cert/register", {"pin": NEW_PIN, "pattern": [1, 2, 2, 3]}), 400, "ra_app_pattern_invalid")
    _problem(flow.post("/app-cert/register", {"pin": NEW_PIN, "pattern": [1, 2, 3]}), 400, "ra_app_pattern_invalid")
    assert ra_services.bank.second_factors.methods(cid) == {SecondFactorKind.SECURITY_CARD}  # nothing changed

    done = flow.ok("/app-cert/register", {"pin": NEW_PIN, "pattern": NEW_PATTERN})
    assert done["session"]["state"] == "app_cert_registered" and done["pattern_length"] == len(NEW_PATTERN)
    assert flow.post("/contact", {}).status_code == 409  # the registration session has ended
    assert ra_services.bank.second_factors.methods(cid) == {SecondFactorKind.SECURITY_CARD, SecondFactorKind.APP_CERT}
    with ra_services.database.session() as db:
        row = db.scalars(select(BankAppCredential).where(BankAppCredential.customer_id == cid)).one()
        stored = f"{row.pin_hash} {row.pattern_hash}"
    assert row.pin_hash.startswith("$argon2id$") and row.pattern_hash.startswith("$argon2id$")
    assert NEW_PIN not in stored and "2-5-8-9-6" not in stored
    sent = [m for m in ra_services.bank.outbox.messages(cid) if m.event is NotificationEvent.APP_CERT_REGISTERED]
    assert sent and "앱인증서" in sent[0].body

    later = Flow(http)  # a later issuance: the second-factor step now offers and accepts the app certificate
    later.start()
    account = later.to_account_verified(user)
    assert "app_cert" in account["second_factors"]
    wrong = _problem(later.post("/app-cert/pin", {"pin": "470286"}), 401, "ra_wrong_credential")
    assert wrong["credential"] == Credential.APP_PIN.value and wrong["attempts_used"] == 1
    assert later.ok("/app-cert/pin", {"pin": NEW_PIN})["session"]["state"] == "app_pin_ok"
    assert later.ok("/app-cert/pattern", {"pattern": NEW_PATTERN})["session"]["state"] == "second_factor_done"

    again = Flow(http)  # registered once: a second registration is refused (a branch resets it)
    again.start()
    again.to_account_verified(user)
    again.second_factor(user, "security_card")
    _problem(again.post("/app-cert/register", {"pin": "582047", "pattern": [1, 5, 9, 6]}), 409,
             "bank_app_cert_registered")  # fmt: skip
    assert ra_services.bank.second_factors.verify_app_pin(cid, NEW_PIN)  # unchanged


def test_an_app_certificate_holder_cannot_register_another(http: TestClient, ra_services: Services) -> None:
    user = "minjun88"
    flow = Flow(http)
    flow.start()
    flow.to_account_verified(user)
    flow.second_factor(user, "app_cert")
    _problem(flow.post("/app-cert/register", {"pin": NEW_PIN, "pattern": NEW_PATTERN}), 409,
             "bank_app_cert_registered")  # fmt: skip
    spec = demo_customer(user).spec
    assert spec.app_cert is not None
    assert ra_services.bank.second_factors.verify_app_pin(_customer_id(ra_services, user), spec.app_cert.pin)


def test_registration_needs_the_account_first(http: TestClient) -> None:
    flow = Flow(http)
    flow.start()
    flow.to_identity_confirmed("seoa99")
    _problem(flow.post("/app-cert/register", {"pin": NEW_PIN, "pattern": NEW_PATTERN}), 409, "ra_step_out_of_order")


def test_pin_rules() -> None:
    assert pin_problem("470285") is None
    assert pin_problem("258013") is None
    assert pin_problem("987654") == "sequence"
    assert pin_problem("135579") is None
    assert pin_problem("103333") == "repeated"
    assert pin_problem("880415", "880415") == "birth_date"
    assert pin_problem("１２３４５６") == "digits"  # full-width digits
    assert pin_problem("12345") == "digits"
