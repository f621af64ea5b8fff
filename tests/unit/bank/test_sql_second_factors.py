"""SecondFactors on the database (SQLite and PostgreSQL): app certificate, security card, OTP."""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest

from jointcert.bank.errors import CustomerNotFound, SecondFactorNotRegistered
from jointcert.bank.model import CellPart, SecondFactorKind, SecurityCardChallenge
from jointcert.bank.sandbox.otp import hotp_code, totp_code
from jointcert.bank.seed import demo_customer
from jointcert.clock import FakeClock
from jointcert.storage.bank_repository import SandboxBank

K = SecondFactorKind
TOTP_SECRET = demo_customer("seoyeon91").spec.otp.secret  # type: ignore[union-attr]
HOTP_SECRET = demo_customer("yujin93").spec.otp.secret  # type: ignore[union-attr]


def test_methods(bank: SandboxBank) -> None:
    expected = {
        "C1001": {K.APP_CERT},
        "C1002": {K.OTP},
        "C1003": {K.SECURITY_CARD},
        "C1004": {K.OTP},
        "C1005": {K.SECURITY_CARD},
        "C1006": {K.APP_CERT},
        "C1007": {K.SECURITY_CARD},
        "C1008": {K.APP_CERT},
    }
    assert {cid: set(bank.second_factors.methods(cid)) for cid in expected} == expected


def test_methods_of_unknown_customer(bank: SandboxBank) -> None:
    with pytest.raises(CustomerNotFound):
        bank.second_factors.methods("C9999")


APP_PIN_CASES = [
    ("C1001", "258013", True),
    ("C1001", "258014", False),
    ("C1001", "904172", False),  # another customer's PIN
    ("C1006", "904172", True),
    ("C1001", "25801", False),
    ("C1003", "258013", False),  # no app certificate
    ("C9999", "258013", False),
]


def test_verify_app_pin(bank: SandboxBank) -> None:
    results = [(cid, pin, bank.second_factors.verify_app_pin(cid, pin)) for cid, pin, _ in APP_PIN_CASES]
    assert results == APP_PIN_CASES


PATTERN_CASES: list[tuple[Sequence[int], bool]] = [
    ((1, 4, 7, 8, 9), True),
    ([1, 4, 7, 8, 9], True),
    ((9, 8, 7, 4, 1), False),  # same cells, other order
    ((1, 4, 7, 8), False),
    ((1, 4, 7, 8, 9, 6), False),
    ((1, 4, 7, 8, 8), False),
    ((1, 4, 7), False),
    ((0, 4, 7, 8, 9), False),
]


def test_verify_app_pattern(bank: SandboxBank) -> None:
    factors = bank.second_factors
    assert [(p, factors.verify_app_pattern("C1001", p)) for p, _ in PATTERN_CASES] == PATTERN_CASES
    assert not any(factors.verify_app_pattern("C1003", p) for p, _ in PATTERN_CASES)  # no app certificate


def _answer(user_id: str, challenge: SecurityCardChallenge) -> str:
    cells = demo_customer(user_id).spec.security_card.cells  # type: ignore[union-attr]
    return cells[challenge.cell_a - 1][:2] + cells[challenge.cell_b - 1][2:]


def test_security_card_challenge_and_answer(bank: SandboxBank) -> None:
    for customer_id, user_id, cells in [("C1003", "jihopark", 30), ("C1005", "haneul84", 35)]:
        _check_card(bank, customer_id, user_id, cells)


def _check_card(bank: SandboxBank, customer_id: str, user_id: str, cells: int) -> None:
    factors = bank.second_factors
    serial = demo_customer(user_id).spec.security_card.serial  # type: ignore[union-attr]
    for _ in range(20):
        challenge = factors.security_card_challenge(customer_id)
        assert challenge.card_serial_tail == serial[-4:]
        assert challenge.cell_a != challenge.cell_b and max(challenge.cell_a, challenge.cell_b) <= cells
        assert (challenge.part_a, challenge.part_b) == (CellPart.FIRST_TWO, CellPart.LAST_TWO)
        right = _answer(user_id, challenge)
        assert factors.verify_security_card(customer_id, challenge, right)
        wrong = right[:3] + str((int(right[3]) + 1) % 10)
        assert not factors.verify_security_card(customer_id, challenge, wrong)
        assert not factors.verify_security_card(customer_id, challenge, right[:3])
        assert not factors.verify_security_card(customer_id, replace(challenge, card_serial_tail="0000"), right)


def test_security_card_of_customer_without_one(bank: SandboxBank) -> None:
    challenge = bank.second_factors.security_card_challenge("C1003")
    with pytest.raises(SecondFactorNotRegistered):
        bank.second_factors.security_card_challenge("C1001")
    assert not bank.second_factors.verify_security_card("C1001", challenge, _answer("jihopark", challenge))
    with pytest.raises(CustomerNotFound):
        bank.second_factors.security_card_challenge("C9999")


def test_a_card_answer_does_not_fit_another_card(bank: SandboxBank) -> None:
    challenge = SecurityCardChallenge(card_serial_tail="3056", cell_a=1, cell_b=2)
    assert bank.second_factors.verify_security_card("C1003", challenge, _answer("jihopark", challenge))
    assert not bank.second_factors.verify_security_card("C1007", challenge, _answer("jihopark", challenge))


def test_totp_accepts_once_and_refuses_replay(bank: SandboxBank, clock: FakeClock) -> None:
    factors = bank.second_factors
    code = totp_code(TOTP_SECRET, clock.now())
    assert factors.verify_otp("C1002", code)
    assert not factors.verify_otp("C1002", code)  # replay within the same step
    clock.advance(timedelta(seconds=30))
    assert not factors.verify_otp("C1002", code)  # still in the ±1 window, but used
    assert factors.verify_otp("C1002", totp_code(TOTP_SECRET, clock.now()))


def test_totp_window_and_no_going_back(bank: SandboxBank, clock: FakeClock) -> None:
    factors = bank.second_factors
    ahead = totp_code(TOTP_SECRET, clock.now() + timedelta(seconds=30))
    behind = totp_code(TOTP_SECRET, clock.now() - timedelta(seconds=30))
    too_far = totp_code(TOTP_SECRET, clock.now() + timedelta(seconds=60))
    assert not factors.verify_otp("C1002", too_far)
    assert factors.verify_otp("C1002", ahead)  # device clock one step fast
    assert not factors.verify_otp("C1002", behind)  # older than the last accepted step
    assert not factors.verify_otp("C1002", "000000" if ahead != "000000" else "111111")
    assert not factors.verify_otp("C1002", "12345")


def test_hotp_look_ahead_window_and_replay(bank: SandboxBank) -> None:
    factors = bank.second_factors
    assert factors.verify_otp("C1004", hotp_code(HOTP_SECRET, 0))
    assert not factors.verify_otp("C1004", hotp_code(HOTP_SECRET, 0))
    assert factors.verify_otp("C1004", hotp_code(HOTP_SECRET, 6))  # presses 1..5 never reached the bank
    assert not factors.verify_otp("C1004", hotp_code(HOTP_SECRET, 3))  # behind the counter now
    assert not factors.verify_otp("C1004", hotp_code(HOTP_SECRET, 17))  # window is 7..16
    assert factors.verify_otp("C1004", hotp_code(HOTP_SECRET, 16))


def test_otp_for_customer_without_device(bank: SandboxBank, clock: FakeClock) -> None:
    assert not bank.second_factors.verify_otp("C1001", totp_code(TOTP_SECRET, clock.now()))
    assert not bank.second_factors.verify_otp("C9999", "123456")


def test_concurrent_use_of_one_code_succeeds_once(bank: SandboxBank, clock: FakeClock) -> None:
    codes = [totp_code(TOTP_SECRET, clock.now())] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda c: bank.second_factors.verify_otp("C1002", c), codes))
    assert results.count(True) == 1
