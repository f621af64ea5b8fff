"""The address cap of a flow step, whose bucket every customer behind one address shares (a carrier's NAT, a branch
network): on PostgreSQL a slow bank check of one customer does not hold up another customer's step from the same
address, each step still counts one attempt there, and an attempt whose bucket filled while its step ran is refused
and keeps nothing (no counted failure, no step-log line, the session as it was)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from jointcert.app import Services
from jointcert.bank.formats import normalize_account_number
from jointcert.bank.seed import demo_customer
from jointcert.clock import FakeClock
from jointcert.ra.ports import Credential
from jointcert.ra.throttle import Action, AntiAutomation, Throttled
from jointcert.ra.workflow import State
from jointcert.storage.db import Database
from jointcert.storage.repositories.ra import SqlAttempts, SqlSessionStore, SqlStepLog
from jointcert.storage.throttle.sql import SqlThrottle
from tests.integration.issuance_flow import identity_confirmed, ra_services

__all__ = ["ra_services"]
ADDRESS = "203.0.113.50"  # both customers' phones behind one carrier NAT


def _account(user_id: str) -> tuple[str, str]:
    account = demo_customer(user_id).spec.accounts[0]
    return account.number, account.pin


def _hold_pin_check(services: Services, number: str) -> tuple[threading.Event, threading.Event]:
    """Make the bank's PIN check of ``number`` wait (entered, then release): a slow core banking call."""
    entered, release = threading.Event(), threading.Event()
    original: Callable[[str, str], bool] = services.bank.accounts.verify_pin

    def slow(account_number: str, pin: str) -> bool:
        if normalize_account_number(account_number) == normalize_account_number(number):
            entered.set()
            assert release.wait(20), "the test never released the PIN check"
        return original(account_number, pin)

    services.bank.accounts.verify_pin = slow  # type: ignore[method-assign]
    return entered, release


def _anti(services: Services, database: Database, clock: FakeClock, per_address: int) -> AntiAutomation:
    """Another node's anti-automation on the same database, with its own address limit for credentials."""
    settings = services.settings.throttle.model_copy(update={"secret_per_address": per_address})
    return AntiAutomation(SqlThrottle(database), settings, clock, services.pii)


@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # SQLite serialises every step by design
def test_a_slow_bank_check_does_not_hold_up_a_step_from_the_same_address(
    ra_services: Services, database: Database, clock: FakeClock
) -> None:
    ra = ra_services.ra
    first, second = identity_confirmed(ra_services, "minjun88"), identity_confirmed(ra_services, "seoyeon91")
    entered, release = _hold_pin_check(ra_services, _account("minjun88")[0])
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(ra.verify_account, *first, *_account("minjun88"), client=ADDRESS)
        try:
            assert entered.wait(10)
            fast = pool.submit(ra.verify_account, *second, *_account("seoyeon91"), client=ADDRESS)
            done = fast.result(timeout=5)  # before the change it waited for the first step's bucket row lock
        finally:
            release.set()
        assert done.session.state == State.ACCOUNT_VERIFIED.value
        assert slow.result(timeout=10).session.state == State.ACCOUNT_VERIFIED.value
    other = Database(database.url)
    try:
        counted = _anti(ra_services, other, clock, per_address=2)
        counted.precheck(Action.CREDENTIAL, "198.51.100.7")  # another address: nothing counted there
        with pytest.raises(Throttled):
            counted.precheck(Action.CREDENTIAL, ADDRESS)  # both steps counted one attempt at the shared address
        _anti(ra_services, other, clock, per_address=3).precheck(Action.CREDENTIAL, ADDRESS)  # and only one each
    finally:
        other.dispose()


def test_an_attempt_whose_bucket_filled_meanwhile_keeps_nothing(
    ra_services: Services, database: Database, clock: FakeClock
) -> None:
    sid, token = identity_confirmed(ra_services, "minjun88")
    number, _ = _account("minjun88")
    limit = ra_services.settings.throttle.secret_per_address
    before, logged = ra_services.ra.ctx.sessions.get(sid), len(ra_services.ra.steps_of(sid))
    other = Database(database.url)

    def fill() -> None:  # other customers behind the address use up its bucket while this step runs
        anti = ra_services.anti if database.is_sqlite else _anti(ra_services, other, clock, limit)
        for _ in range(limit):
            anti.take(Action.CREDENTIAL, ADDRESS)

    release = threading.Event()
    try:
        if database.is_sqlite:  # a second writer would wait for the step: fill inside its own transaction
            check = ra_services.bank.accounts.verify_pin
            ra_services.bank.accounts.verify_pin = _filling(check, fill)  # type: ignore[method-assign]
            with pytest.raises(Throttled) as refused:
                ra_services.ra.verify_account(sid, token, number, "0000", client=ADDRESS)
        else:  # another node, committed at once, while the bank checks the PIN
            entered, release = _hold_pin_check(ra_services, number)
            with ThreadPoolExecutor(1) as pool:
                step = pool.submit(ra_services.ra.verify_account, sid, token, number, "0000", client=ADDRESS)
                assert entered.wait(10)
                fill()
                release.set()
                with pytest.raises(Throttled) as refused:
                    step.result(timeout=10)
        assert refused.value.details["scope"] == "address"
        assert SqlSessionStore(other).get(sid) == before  # the session as it was
        digits = normalize_account_number(number)
        assert SqlAttempts(other).failures(Credential.ACCOUNT_PIN, digits) == (0, False)  # the wrong PIN not kept
        assert len(SqlStepLog(other).entries(sid)) == logged  # no step-log line
        if not database.is_sqlite:
            with pytest.raises(Throttled):  # the filler's attempts stand; the refused one was not counted past them
                _anti(ra_services, other, clock, limit).precheck(Action.CREDENTIAL, ADDRESS)
            _anti(ra_services, other, clock, limit + 1).precheck(Action.CREDENTIAL, ADDRESS)
    finally:
        release.set()
        other.dispose()


def _filling(check: Callable[[str, str], bool], fill: Callable[[], None]) -> Callable[[str, str], bool]:
    """``check`` that first fills the address's bucket (on SQLite, inside the step's own transaction)."""

    def filled(account_number: str, pin: str) -> bool:
        fill()
        return check(account_number, pin)

    return filled
