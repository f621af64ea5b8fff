"""ARS telephony and the virtual phone on the database (SQLite and PostgreSQL), with a fake clock."""

from datetime import UTC, datetime, timedelta

import pytest

from jointcert.bank.errors import CallNotFound, InvalidCallRequest
from jointcert.bank.model import CallStatus, Phone, PhoneKind
from jointcert.bank.sandbox.ars import CALLER
from jointcert.clock import FakeClock
from jointcert.storage.bank_repository import SandboxBank

PHONE = Phone("P1001", "010-2718-4406", PhoneKind.MOBILE)
TTL = timedelta(seconds=180)


def _call(bank: SandboxBank, clock: FakeClock, code: str = "37") -> str:
    return bank.telephony.place_call(PHONE, code, expires_at=clock.now() + TTL)


def test_placed_call_rings_on_the_number(bank: SandboxBank, clock: FakeClock) -> None:
    call_id = _call(bank, clock)
    assert bank.telephony.call_status(call_id) is CallStatus.RINGING
    for number in ("010-2718-4406", "01027184406"):
        [incoming] = bank.virtual_phone.ringing(number)
        assert (incoming.call_id, incoming.phone_number, incoming.caller) == (call_id, PHONE.number, CALLER)
        assert (incoming.placed_at, incoming.expires_at) == (clock.now(), clock.now() + TTL)
    assert bank.virtual_phone.ringing("010-9351-2260") == []


def test_right_code_confirms_and_the_call_ends(bank: SandboxBank, clock: FakeClock) -> None:
    call_id = _call(bank, clock, "4821")
    clock.advance(timedelta(seconds=20))
    assert bank.virtual_phone.answer(call_id, "4821#") is CallStatus.CONFIRMED
    assert bank.telephony.call_status(call_id) is CallStatus.CONFIRMED
    assert bank.virtual_phone.ringing(PHONE.number) == []
    assert bank.virtual_phone.answer(call_id, "0000") is CallStatus.CONFIRMED  # over: nothing changes
    clock.advance(TTL)
    assert bank.telephony.call_status(call_id) is CallStatus.CONFIRMED  # confirmed stays confirmed


def test_wrong_code_ends_the_call(bank: SandboxBank, clock: FakeClock) -> None:
    call_id = _call(bank, clock, "37")
    assert bank.virtual_phone.answer(call_id, "73") is CallStatus.WRONG_CODE
    assert bank.virtual_phone.answer(call_id, "37") is CallStatus.WRONG_CODE  # no second try on one call
    assert bank.telephony.call_status(call_id) is CallStatus.WRONG_CODE
    assert bank.virtual_phone.ringing(PHONE.number) == []


def test_a_declined_call_ends_as_declined(bank: SandboxBank, clock: FakeClock) -> None:
    call_id = _call(bank, clock, "37")
    assert bank.virtual_phone.decline(call_id) is CallStatus.DECLINED
    assert bank.virtual_phone.answer(call_id, "37") is CallStatus.DECLINED  # over: the right code comes too late
    assert bank.telephony.call_status(call_id) is CallStatus.DECLINED
    assert bank.virtual_phone.ringing(PHONE.number) == []
    clock.advance(TTL)
    assert bank.telephony.call_status(call_id) is CallStatus.DECLINED  # not turned into a time-out


def test_unanswered_call_times_out_by_the_clock(bank: SandboxBank, clock: FakeClock) -> None:
    call_id = _call(bank, clock, "37")
    clock.advance(TTL - timedelta(seconds=1))
    assert bank.telephony.call_status(call_id) is CallStatus.RINGING
    clock.advance(timedelta(seconds=1))
    assert bank.telephony.call_status(call_id) is CallStatus.TIMED_OUT
    assert bank.virtual_phone.ringing(PHONE.number) == []
    assert bank.virtual_phone.answer(call_id, "37") is CallStatus.TIMED_OUT


def test_several_calls_ring_oldest_first(bank: SandboxBank, clock: FakeClock) -> None:
    first = _call(bank, clock, "11")
    clock.advance(timedelta(seconds=5))
    second = _call(bank, clock, "22")
    assert [c.call_id for c in bank.virtual_phone.ringing(PHONE.number)] == [first, second]
    assert bank.virtual_phone.answer(second, "11") is CallStatus.WRONG_CODE  # codes are per call
    assert bank.virtual_phone.answer(first, "11") is CallStatus.CONFIRMED


def test_place_call_refuses_bad_codes(bank: SandboxBank, clock: FakeClock) -> None:
    for code in ["1", "1234567", "12a", "", "١٢"]:
        with pytest.raises(InvalidCallRequest):
            _call(bank, clock, code)
    assert bank.virtual_phone.ringing(PHONE.number) == []


def test_place_call_refuses_past_or_naive_expiry(bank: SandboxBank, clock: FakeClock) -> None:
    for expires_at in (clock.now(), clock.now() - TTL, datetime(2030, 1, 1)):  # noqa: DTZ001
        with pytest.raises(InvalidCallRequest):
            bank.telephony.place_call(PHONE, "37", expires_at=expires_at)
    assert bank.virtual_phone.ringing(PHONE.number) == []


def test_unknown_call(bank: SandboxBank) -> None:
    with pytest.raises(CallNotFound):
        bank.telephony.call_status("nope")
    with pytest.raises(CallNotFound):
        bank.virtual_phone.answer("nope", "37")


def test_expiry_in_another_timezone_is_compared_as_utc(bank: SandboxBank, clock: FakeClock) -> None:
    from zoneinfo import ZoneInfo

    seoul = (clock.now() + TTL).astimezone(ZoneInfo("Asia/Seoul"))
    call_id = bank.telephony.place_call(PHONE, "37", expires_at=seoul)
    [incoming] = bank.virtual_phone.ringing(PHONE.number)
    assert incoming.expires_at == clock.now() + TTL and incoming.expires_at.tzinfo is UTC
    clock.advance(TTL)
    assert bank.telephony.call_status(call_id) is CallStatus.TIMED_OUT
