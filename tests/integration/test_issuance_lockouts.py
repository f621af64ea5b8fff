"""Lockouts hold exactly under 50 parallel wrong attempts (SQLite and PostgreSQL) and survive a restart."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from jointcert.app import Services
from jointcert.bank.model import AccountStatus, NotificationEvent
from jointcert.bank.seed import demo_customer
from jointcert.ca.lint import PkixLinter
from jointcert.clock import FakeClock
from jointcert.errors import JointcertError
from jointcert.ra.errors import CredentialLocked, WrongCredential
from jointcert.ra.ports import Credential
from jointcert.storage.db import Database
from tests.integration.issuance_flow import identity_confirmed, ra_services, reopen

__all__ = ["ra_services"]
PARALLEL = 50


def _customer_id(services: Services, user_id: str) -> str:
    customer = services.bank.customers.find_by_user_id(user_id)
    assert customer is not None
    return customer.id


def test_fifty_parallel_wrong_pins_lock_exactly_once(ra_services: Services) -> None:
    sid, token = identity_confirmed(ra_services, "minjun88")
    checked = Counter[str]()
    lock = threading.Lock()
    real_verify = ra_services.bank.accounts.verify_pin

    def counting_verify(number: str, pin: str) -> bool:
        with lock:
            checked["verify_pin"] += 1
        return real_verify(number, pin)

    ra_services.bank.accounts.verify_pin = counting_verify  # type: ignore[method-assign]
    barrier = threading.Barrier(PARALLEL)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            ra_services.ra.verify_account(sid, token, "110-482-915307", "0000")
        except JointcertError as exc:
            return exc.code
        return "ok"

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = Counter(pool.map(attempt, range(PARALLEL)))
    limit = ra_services.settings.ra.max_pin_failures
    assert checked["verify_pin"] == limit  # never more checks than the limit allows
    allowed = {
        WrongCredential.code,
        CredentialLocked.code,
        "ra_account_not_active",
        "ra_session_busy",
        "ra_session_closed",
    }
    assert set(outcomes) <= allowed  # after the lock the bank reports the account locked
    assert outcomes[WrongCredential.code] <= limit - 1
    assert ra_services.ra.ctx.lockouts.is_locked(Credential.ACCOUNT_PIN, "110482915307")
    account = ra_services.bank.accounts.get("110482915307")
    assert account is not None and account.status is AccountStatus.LOCKED
    customer_id = _customer_id(ra_services, "minjun88")
    locked = [m for m in ra_services.bank.outbox.messages(customer_id) if m.event is NotificationEvent.LOCKED]
    assert len(locked) == 2  # one SMS and one e-mail: the lock was set exactly once


@pytest.mark.parametrize("credential", [Credential.OTP, Credential.APP_PIN, Credential.SECURITY_CARD])
def test_fifty_parallel_wrong_answers_per_customer_credential(ra_services: Services, credential: Credential) -> None:
    lockouts = ra_services.ra.ctx.lockouts
    checks = Counter[str]()
    guard = threading.Lock()
    barrier = threading.Barrier(PARALLEL)

    def wrong() -> bool:
        with guard:
            checks["n"] += 1
        return False

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            lockouts.check(credential, "C1002", "C1002", wrong)
        except JointcertError as exc:
            return exc.code
        return "ok"

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = Counter(pool.map(attempt, range(PARALLEL)))
    assert checks["n"] == lockouts.limit(credential)
    assert outcomes[CredentialLocked.code] >= PARALLEL - lockouts.limit(credential) + 1
    assert outcomes["ok"] == 0
    locked = [m for m in ra_services.bank.outbox.messages("C1002") if m.event is NotificationEvent.LOCKED]
    assert len(locked) == 2


def test_counts_and_locks_survive_a_restart(
    ra_services: Services, database: Database, clock: FakeClock, tmp_path: Path, shared_linter: PkixLinter
) -> None:
    sid, token = identity_confirmed(ra_services, "minjun88")
    ra_services.ra.verify_account(sid, token, "110-482-915307", "4827")
    for _ in range(3):
        with pytest.raises(WrongCredential):
            ra_services.ra.app_pin(sid, token, "000000")
    restarted = reopen(database, clock, tmp_path / "data", shared_linter)
    with pytest.raises(WrongCredential) as fourth:
        restarted.ra.app_pin(sid, token, "000000")
    assert fourth.value.details["remaining_attempts"] == 1
    with pytest.raises(CredentialLocked):
        restarted.ra.app_pin(sid, token, "000000")
    again = reopen(database, clock, tmp_path / "data", shared_linter)
    assert again.ra.ctx.lockouts.is_locked(Credential.APP_PIN, "C1001")
    sid2, token2 = identity_confirmed(again, "minjun88")
    again.ra.verify_account(sid2, token2, "110-482-915307", "4827")
    with pytest.raises(CredentialLocked):
        again.ra.app_pin(sid2, token2, demo_customer("minjun88").spec.app_cert.pin)  # type: ignore[union-attr]


def test_a_right_answer_resets_the_count(ra_services: Services) -> None:
    sid, token = identity_confirmed(ra_services, "minjun88")
    for _ in range(4):
        with pytest.raises(WrongCredential):
            ra_services.ra.verify_account(sid, token, "110-482-915307", "1111")
    ra_services.ra.verify_account(sid, token, "110-482-915307", "4827")
    assert ra_services.ra.ctx.lockouts._attempts.failures(Credential.ACCOUNT_PIN, "110482915307") == (0, False)
