"""Every way of breaking the flow is refused over HTTP with a stable problem code, and nothing is issued."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from jointcert.app import Services
from jointcert.bank.model import AccountStatus
from jointcert.bank.seed import demo_customer
from jointcert.clock import FakeClock
from jointcert.storage.tables.ra import RaSession
from tests.integration.issuance_flow import REQUIRED_TERMS, TOKEN, Flow, b64, http, ra_services, rsa_key, sign, spki

__all__ = ["http", "ra_services"]


def _problem(response: object, status: int, code: str) -> dict[str, object]:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", response)
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["code"] == code and body["message_ko"] and body["message_en"], body
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    return body


def _rrn_ciphertext(services: Services, session_id: str) -> bytes | None:
    with services.database.session() as db:
        return db.scalar(select(RaSession.rrn_ciphertext).where(RaSession.id == session_id))


def test_starting_while_logged_in_is_refused(http: TestClient) -> None:
    body = _problem(Flow(http).start(app_logged_in=True), 403, "ra_logged_in")
    assert body["message_ko"] == "로그아웃 후 이용해 주십시오."


def test_skipping_a_step_is_refused(http: TestClient) -> None:
    flow = Flow(http)
    flow.start()
    rrn = demo_customer("minjun88").spec.rrn
    body = _problem(flow.post("/identity", {"user_id": "minjun88", "rrn": rrn}), 409, "ra_step_out_of_order")
    assert body["state"] == "started" and body["allowed_steps"] == ["agree_terms", "cancel"]
    flow.ok("/terms", {"accepted": REQUIRED_TERMS})
    flow.ok("/identity", {"user_id": "minjun88", "rrn": rrn})
    _problem(flow.post("/account", {"account_number": "110-482-915307", "pin": "4827"}), 409, "ra_step_out_of_order")
    _problem(flow.post("/enrollment/challenge"), 409, "ra_step_out_of_order")
    _problem(flow.post("/certificate-type", {"cert_type": "limited"}), 409, "ra_step_out_of_order")


def test_repeating_a_step_is_refused(http: TestClient) -> None:
    flow = Flow(http)
    flow.to_identified("minjun88")
    _problem(flow.post("/terms", {"accepted": REQUIRED_TERMS}), 409, "ra_step_out_of_order")
    rrn = demo_customer("minjun88").spec.rrn
    _problem(flow.post("/identity", {"user_id": "minjun88", "rrn": rrn}), 409, "ra_step_out_of_order")


def test_another_sessions_token_is_refused(http: TestClient) -> None:
    mine, theirs = Flow(http), Flow(http)
    mine.start()
    theirs.start()
    _problem(mine.post("/terms", {"accepted": REQUIRED_TERMS}, token=theirs.token), 403, "ra_session_token_invalid")
    _problem(mine.call("GET", "", token=""), 403, "ra_session_token_invalid")
    no_header = http.get(f"/api/v1/issuance/sessions/{mine.session_id}")
    _problem(no_header, 403, "ra_session_token_invalid")
    assert mine.ok("", method="GET")["state"] == "started"  # nothing moved


def test_unknown_session_and_bad_input_are_clear_4xx(http: TestClient) -> None:
    flow = Flow(http)
    flow.start()
    _problem(http.get("/api/v1/issuance/sessions/nope", headers={TOKEN: flow.token}), 404, "ra_session_not_found")
    raw = http.post(
        f"{flow.base}/terms", content=b"{not json", headers={TOKEN: flow.token, "content-type": "application/json"}
    )
    _problem(raw, 422, "invalid_request")
    _problem(flow.post("/terms", {"accepted": "all"}), 422, "invalid_request")
    _problem(flow.post("/terms", {"accepted": ["electronic-finance"]}), 400, "ra_terms_required")
    _problem(flow.post("/terms", {"accepted": [*REQUIRED_TERMS, "bogus"]}), 400, "ra_terms_required")
    flow.ok("/terms", {"accepted": REQUIRED_TERMS})
    _problem(flow.post("/identity", {"user_id": "minjun88", "rrn": "12345"}), 422, "invalid_request")
    _problem(flow.post("/identity", {"user_id": "minjun88", "rrn": "880415-105783X"}), 400, "invalid_resident_number")
    wrong = _problem(
        flow.post("/identity", {"user_id": "minjun88", "rrn": "910722-2086271"}), 401, "bank_identity_mismatch"
    )
    assert wrong["remaining_attempts"] == 4


def test_expired_session_is_refused_and_wiped(http: TestClient, ra_services: Services, clock: FakeClock) -> None:
    flow = Flow(http)
    flow.to_identified("minjun88")
    assert _rrn_ciphertext(ra_services, flow.session_id) is not None
    clock.advance(timedelta(seconds=ra_services.settings.ra.session_ttl_seconds + 1))
    _problem(flow.post("/ars/call", {"phone_id": "P1001"}), 410, "ra_session_expired")
    _problem(flow.call("GET", ""), 410, "ra_session_expired")
    assert _rrn_ciphertext(ra_services, flow.session_id) is None


def test_stale_sessions_are_swept_when_others_start(http: TestClient, ra_services: Services, clock: FakeClock) -> None:
    old = Flow(http)
    old.to_identified("jihopark")
    clock.advance(timedelta(hours=1))
    Flow(http).start()
    assert _rrn_ciphertext(ra_services, old.session_id) is None


def test_foreigner_and_returned_customer_cannot_use_the_abroad_path(http: TestClient) -> None:
    foreigner = Flow(http)
    foreigner.to_identified("lannguyen")
    _problem(foreigner.post("/abroad"), 403, "ra_abroad_foreigner")
    returned = Flow(http)
    returned.to_identified("yujin93")
    _problem(returned.post("/abroad"), 403, "ra_not_abroad")
    phone = demo_customer("lannguyen").spec.phones[0]
    assert foreigner.ars(phone.id, phone.number).json()["status"] == "confirmed"  # ARS still works


def test_locked_and_foreign_accounts_are_refused(http: TestClient) -> None:
    locked = Flow(http)
    locked.to_identity_confirmed("haneul84")
    _problem(locked.post("/account", {"account_number": "110-408-352761", "pin": "2593"}), 409, "ra_account_not_active")
    other = Flow(http)
    other.to_identity_confirmed("minjun88")
    _problem(other.post("/account", {"account_number": "110-263-580914", "pin": "7051"}), 403, "ra_account_not_owned")
    _problem(other.post("/account", {"account_number": "110-377-208154", "pin": "6190"}), 409, "ra_account_not_active")


def test_insufficient_funds_refuse_general_but_not_limited(http: TestClient, ra_services: Services) -> None:
    flow = Flow(http)
    flow.to_contact_confirmed("seoa99", "security_card")
    _problem(flow.post("/certificate-type", {"cert_type": "general"}), 409, "bank_insufficient_funds")
    flow.ok("/certificate-type", {"cert_type": "limited"})
    response = flow.enroll(rsa_key(0), b"\x01" * 20)
    assert response.status_code == 200 and response.json()["fee"] is None
    account = ra_services.bank.accounts.get("110-927-460135")
    assert account is not None and account.balance_krw == 2_150


def test_app_certificate_is_not_offered_after_card_or_otp(http: TestClient) -> None:
    flow = Flow(http)
    flow.to_account_verified("jihopark")
    _problem(flow.post("/app-cert/pin", {"pin": "258013"}), 409, "ra_second_factor_unavailable")
    _problem(flow.post("/otp", {"code": "123456"}), 409, "ra_second_factor_unavailable")
    flow.second_factor("jihopark", "security_card")
    _problem(flow.post("/app-cert/pin", {"pin": "258013"}), 409, "ra_step_out_of_order")
    _problem(flow.post("/app-cert/pattern", {"pattern": [1, 4, 7, 8, 9]}), 409, "ra_step_out_of_order")


def test_five_wrong_pins_lock_the_account(http: TestClient, ra_services: Services) -> None:
    flow = Flow(http)
    flow.to_identity_confirmed("minjun88")
    for left in (4, 3, 2, 1):
        body = _problem(
            flow.post("/account", {"account_number": "110-482-915307", "pin": "0000"}), 401, "ra_wrong_credential"
        )
        assert body["remaining_attempts"] == left and body["credential"] == "account_pin"
    last = flow.post("/account", {"account_number": "110-482-915307", "pin": "0000"})
    _problem(last, 423, "ra_credential_locked")
    account = ra_services.bank.accounts.get("110-482-915307")
    assert account is not None and account.status is AccountStatus.LOCKED
    assert flow.ok("", method="GET")["state"] == "failed"
    assert _rrn_ciphertext(ra_services, flow.session_id) is None


def test_cancel_ends_the_session(http: TestClient, ra_services: Services) -> None:
    flow = Flow(http)
    flow.to_identified("minjun88")
    assert flow.ok("", method="DELETE")["state"] == "cancelled"
    _problem(flow.post("/ars/call", {"phone_id": "P1001"}), 409, "ra_session_closed")
    assert _rrn_ciphertext(ra_services, flow.session_id) is None


def test_wrong_pop_and_bad_base64_change_nothing(http: TestClient, ra_services: Services) -> None:
    flow = Flow(http)
    flow.to_contact_confirmed("minjun88", "app_cert")
    flow.ok("/certificate-type", {"cert_type": "general"})
    challenge = flow.ok("/enrollment/challenge")["challenge"]
    key, other = rsa_key(0), rsa_key(1)
    wrong = {"public_key": b64(spki(key)), "random_num": b64(b"\x02" * 20), "signature": b64(sign(other, challenge))}
    _problem(flow.post("/enrollment", wrong), 400, "bad_proof_of_possession")
    _problem(flow.post("/enrollment", {**wrong, "public_key": "%%%"}), 400, "ra_malformed_input")
    _problem(flow.post("/enrollment", {**wrong, "random_num": b64(b"\x02" * 5)}), 400, "ra_malformed_input")
    assert flow.ok("", method="GET")["state"] == "ready"
    account = ra_services.bank.accounts.get("110-482-915307")
    assert account is not None and account.balance_krw == 1_523_400  # nothing charged
    right = {**wrong, "signature": b64(sign(key, challenge))}
    first = flow.post("/enrollment", right)
    assert first.status_code == 200
    again = flow.post("/enrollment", right)  # a retry (lost answer): the same certificate, charged once
    assert again.status_code == 200 and again.json()["serial"] == first.json()["serial"]
    assert again.json()["fee"]["ledger_id"] == first.json()["fee"]["ledger_id"]
    account = ra_services.bank.accounts.get("110-482-915307")
    assert account is not None and account.balance_krw == 1_523_400 - 4_400
    flow.challenge = challenge
    assert flow.confirm(key, first.json()["serial"]).status_code == 200
    _problem(flow.post("/enrollment", right), 409, "ra_session_closed")  # issued once


def test_step_log_records_outcomes_without_inputs(http: TestClient, ra_services: Services) -> None:
    flow = Flow(http)
    flow.to_identified("minjun88")
    flow.post("/account", {"account_number": "110-482-915307", "pin": "4827"})
    entries = ra_services.ra.steps_of(flow.session_id)
    assert [(e.step, e.outcome) for e in entries] == [
        ("start", "ok"),
        ("agree_terms", "ok"),
        ("identify", "ok"),
        ("verify_account", "ra_step_out_of_order"),
    ]
    assert entries[-1].state_before == entries[-1].state_after == "identified"


def test_a_refused_debit_after_issuance_revokes_and_fails_cleanly(http: TestClient, ra_services: Services) -> None:
    from jointcert.bank.errors import AccountNotActive

    flow = Flow(http)
    flow.to_contact_confirmed("jihopark", "security_card")
    flow.ok("/certificate-type", {"cert_type": "general"})

    def locked_meanwhile(number: str, *_: object) -> None:
        raise AccountNotActive(account_number=number, status="locked")  # a bank error whose details say "status"

    ra_services.bank.accounts.debit_fee = locked_meanwhile  # type: ignore[method-assign,assignment]
    body = _problem(flow.enroll(rsa_key(0), b"\x03" * 20), 409, "bank_account_not_active")
    assert body["status"] == 409
    assert flow.ok("", method="GET")["state"] == "failed"
    revoked = [r for r in ra_services.certificates.revoked("class1")]
    assert len(revoked) == 1  # the certificate that could not be paid for
