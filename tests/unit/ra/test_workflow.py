"""The transition table, session values and the RA's rules that the HTTP tests do not reach (CMP tickets, the fee
order when the CA or the debit fails, contact changes, 아이디 찾기)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.bank.errors import InsufficientFunds
from jointcert.bank.model import NotificationEvent
from jointcert.bank.seed import demo_customer
from jointcert.ca.errors import LintFailed
from jointcert.clock import FakeClock
from jointcert.ra.errors import CmpUnavailable, SessionClosed, StepOutOfOrder
from jointcert.ra.session import CardChallenge, SessionData
from jointcert.ra.workflow import (
    OPEN_STATES,
    SAGA_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    State,
    Step,
    allowed_steps,
    transition,
)
from jointcert.types import CertType
from tests.unit.ra.support import Rig, build_rig

REQUIRED = ["electronic-finance", "certificate-service", "personal-information", "unique-identifier", "third-party-ca"]
KEY = rsa.generate_private_key(65537, 2048)
SPKI = KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_every_state_is_reachable_and_every_open_state_can_be_cancelled() -> None:
    reachable, frontier = {State.STARTED}, [State.STARTED]
    while frontier:
        state = frontier.pop()
        for (source, _), row in TRANSITIONS.items():
            if source is state:
                for target in {row.target, *row.also}:
                    if target not in reachable:
                        reachable.add(target)
                        frontier.append(target)
    internal = {State.ISSUING, State.CONFIRMING, State.UNCONFIRMING, State.UNCONFIRMED}  # the saga's own moves
    assert reachable >= set(State) - internal - {State.FAILED, State.EXPIRED}
    for state in OPEN_STATES - SAGA_STATES:
        assert transition(state, Step.CANCEL).target is State.CANCELLED
    assert allowed_steps(State.ISSUING) == []
    # no cancel in DELIVERED: the saga settles it
    assert sorted(allowed_steps(State.DELIVERED)) == ["confirm_enrollment", "enroll", "enrollment_challenge"]


def test_terminal_states_accept_nothing_and_steps_keep_their_place() -> None:
    for state in TERMINAL_STATES:
        with pytest.raises(SessionClosed):
            transition(state, Step.CANCEL)
    with pytest.raises(StepOutOfOrder) as refused:
        transition(State.STARTED, Step.ENROLL)
    assert refused.value.details["allowed_steps"] == ["agree_terms", "cancel"]
    assert transition(State.ACCOUNT_VERIFIED, Step.OTP).target is State.SECOND_FACTOR_DONE
    with pytest.raises(StepOutOfOrder):
        transition(State.APP_PIN_OK, Step.OTP)  # the app certificate was chosen: no switching half-way


def test_session_data_round_trips_through_json() -> None:
    data = SessionData(terms=("a",), card_challenge=CardChallenge("3056", 7, "first_two", 23, "last_two"), serial="ff")
    assert SessionData.from_json(data.to_json()) == data
    assert SessionData.from_json('{"unknown": 1}') == SessionData()


def test_session_data_json_is_that_of_the_whole_dataclass() -> None:
    """``to_json`` skips ``dataclasses.asdict``'s deep copy; the column's text must stay exactly what it gave."""
    card = CardChallenge("3056", 7, "first_two", 23, "last_two")
    data = SessionData(
        *(("a", "b"), "user1", 2, 1, "abroad", "P1", "call1", 3, "2026-01-01T00:00:00+00:00", "1109", "card", card),
        *(True, "general", "chal", "ff", True, "ledger1", 4, "2026-01-02T00:00:00+00:00", "ee"),
    )
    assert all(getattr(data, f.name) != f.default for f in fields(SessionData))  # every field set
    expected = json.dumps(asdict(data), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert data.to_json() == expected
    assert SessionData().to_json() == json.dumps(asdict(SessionData()), separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Ticket:
    reference_number: str
    authorization_code: str
    cert_type: CertType
    expires_at: datetime


class FakeRegistrar:
    """The CA-side registration API as the cmpserver branch declares it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def register(
        self,
        *,
        real_name: str,
        rrn: str,
        cert_type: CertType,
        requested_by: str,
        bank_unit: str | None = None,
        bank_code: str | None = None,
    ) -> Ticket:
        self.calls.append({"real_name": real_name, "rrn": rrn, "cert_type": cert_type, "requested_by": requested_by})
        return Ticket("12345678", "ABCD-EFGH-IJKL", cert_type, datetime(2026, 1, 8, tzinfo=UTC))


def _to_type_chosen(rig: Rig, user: str, cert_type: str) -> tuple[str, str]:
    """Through every step with right answers (ARS answered on the virtual phone, then the second factor)."""
    spec = demo_customer(user).spec
    ra = rig.ra
    created = ra.start(app_logged_in=False)
    sid, token = created.session.id, created.token
    ra.agree_terms(sid, token, REQUIRED)
    ra.identify(sid, token, user, spec.rrn)
    code = ra.ars_call(sid, token, spec.phones[0].id).value.code
    rig.bank.virtual_phone.answer(rig.bank.virtual_phone.ringing(spec.phones[0].number)[-1].call_id, code)
    assert ra.ars_confirm(sid, token).value.status == "confirmed"
    ra.verify_account(sid, token, spec.accounts[0].number, spec.accounts[0].pin)
    assert spec.app_cert is not None
    ra.app_pin(sid, token, spec.app_cert.pin)
    ra.app_pattern(sid, token, spec.app_cert.pattern)
    ra.confirm_contact(sid, token)
    ra.choose_type(sid, token, cert_type)
    return sid, token


def _enroll(rig: Rig, sid: str, token: str) -> object:
    challenge = rig.ra.enrollment_challenge(sid, token).value.challenge
    signature = KEY.sign(challenge.encode(), padding.PKCS1v15(), hashes.SHA256())
    return rig.ra.enroll(sid, token, public_key_der=SPKI, random_num=bytes(20), signature=signature)


def _balance(rig: Rig, user: str) -> int:
    account = rig.bank.accounts.get(demo_customer(user).spec.accounts[0].number)
    assert account is not None
    return account.balance_krw


def test_cmp_ticket_after_every_check_with_the_fee(tmp_path: Path) -> None:
    registrar = FakeRegistrar()
    rig = build_rig(tmp_path, FakeClock(), registrar=registrar)
    sid, token = _to_type_chosen(rig, "minjun88", "general")
    rig.ra.enrollment_challenge(sid, token)
    done = rig.ra.register_cmp(sid, token)
    assert done.session.state == "registered" and done.value is not None
    assert done.value.reference_number == "12345678" and done.value.fee is not None
    assert registrar.calls == [
        {"real_name": "김민준", "rrn": "8804151057831", "cert_type": CertType.GENERAL, "requested_by": f"ra:{sid}"}
    ]
    assert _balance(rig, "minjun88") == 1_523_400 - 4_400
    assert rig.authority.issued == []  # the client enrolls over CMP later


def test_cmp_without_registrar_is_unavailable(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, FakeClock())
    sid, token = _to_type_chosen(rig, "minjun88", "limited")
    rig.ra.enrollment_challenge(sid, token)
    assert not rig.ra.cmp_available
    with pytest.raises(CmpUnavailable):
        rig.ra.register_cmp(sid, token)
    assert rig.ra.status(sid, token).state == "ready"


def test_ca_failure_charges_nothing_and_the_customer_can_retry(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, FakeClock())
    sid, token = _to_type_chosen(rig, "minjun88", "general")
    rig.authority.fail_with = LintFailed(findings=["x"])
    with pytest.raises(LintFailed):
        _enroll(rig, sid, token)
    assert rig.ra.status(sid, token).state == "ready" and _balance(rig, "minjun88") == 1_523_400
    rig.authority.fail_with = None
    _enroll(rig, sid, token)
    assert rig.ra.status(sid, token).state == "delivered" and _balance(rig, "minjun88") == 1_523_400 - 4_400


def test_a_fee_that_cannot_be_debited_revokes_the_new_certificate(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, FakeClock())
    sid, token = _to_type_chosen(rig, "minjun88", "general")
    accounts = rig.ra.ctx.bank.accounts

    def refuse(*_: object, **__: object) -> None:
        raise InsufficientFunds()

    accounts.debit_fee = refuse  # type: ignore[method-assign]  # the balance went away after the check
    with pytest.raises(InsufficientFunds):
        _enroll(rig, sid, token)
    assert rig.authority.revoked == [1]
    assert rig.ra.status(sid, token).state == "failed"


def test_contact_change_is_stored_and_notified(tmp_path: Path) -> None:
    rig = build_rig(tmp_path, FakeClock())
    spec = demo_customer("yujin93").spec
    ra = rig.ra
    created = ra.start(app_logged_in=False)
    sid, token = created.session.id, created.token
    ra.agree_terms(sid, token, REQUIRED)
    found = ra.find_user_ids(sid, token, "최유진", spec.rrn).value.user_ids
    assert found == ("yu***93",)
    ra.identify(sid, token, "yujin93", spec.rrn)
    code = ra.ars_call(sid, token, "P4002").value.code
    rig.bank.virtual_phone.answer(rig.bank.virtual_phone.ringing("010-6149-2075")[-1].call_id, code)
    ra.ars_confirm(sid, token)
    ra.verify_account(sid, token, spec.accounts[0].number, spec.accounts[0].pin)
    assert spec.otp is not None
    from jointcert.bank.sandbox.otp import hotp_code

    ra.verify_otp(sid, token, hotp_code(spec.otp.secret, 0))
    shown = ra.show_contact(sid, token).value
    assert [m.id for m in shown.mobiles] == ["P4001", "P4002"]
    done = ra.confirm_contact(sid, token, email="yujin@example.com", phone_id="P4002")
    assert done.value.changed and done.value.contact_phone_id == "P4002"
    customer = rig.bank.customers.get("C1004")
    assert customer.email == "yujin@example.com" and customer.contact_phone_id == "P4002"
    events = [m for m in rig.bank.outbox.messages("C1004") if m.event is NotificationEvent.CONTACT_CHANGED]
    assert events and events[0].recipient in ("010-6149-2075", "yujin@example.com")


def test_session_expiry_follows_the_injected_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    rig = build_rig(tmp_path, clock)
    created = rig.ra.start(app_logged_in=False)
    clock.advance(timedelta(seconds=899))
    rig.ra.agree_terms(created.session.id, created.token, REQUIRED)
    clock.advance(timedelta(seconds=1))
    from jointcert.ra.errors import SessionExpired

    with pytest.raises(SessionExpired):
        rig.ra.status(created.session.id, created.token)
