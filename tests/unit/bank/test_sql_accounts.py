"""Accounts on the database (SQLite and PostgreSQL): PIN, lock, idempotent fee debit."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jointcert.bank.errors import (
    AccountNotActive,
    AccountNotFound,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAccountNumber,
    InvalidFeeAmount,
)
from jointcert.bank.model import AccountStatus
from jointcert.clock import FakeClock
from jointcert.errors import InvalidInput
from jointcert.storage.bank_repository import SandboxBank
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankLedgerEntry

MINJUN = "110-482-915307"
SEOA = "110-927-460135"  # balance 2,150


def _ledger_rows(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(BankLedgerEntry)) or 0)


def test_get_accepts_dashes_or_digits(bank: SandboxBank) -> None:
    account = bank.accounts.get(MINJUN)
    assert account is not None and account == bank.accounts.get("110482915307")
    assert (account.customer_id, account.status, account.balance_krw) == ("C1001", AccountStatus.ACTIVE, 1_523_400)
    assert account.display_number == MINJUN and account.is_active
    assert bank.accounts.get("110-000-000000") is None
    with pytest.raises(InvalidAccountNumber):
        bank.accounts.get("12-34")


def test_seeded_locked_and_dormant_accounts(bank: SandboxBank, clock: FakeClock) -> None:
    locked = bank.accounts.get("110-408-352761")
    dormant = bank.accounts.get("110-377-208154")
    assert locked is not None and dormant is not None
    assert (locked.status, locked.lock_reason, locked.locked_at) == (
        AccountStatus.LOCKED,
        "계좌 비밀번호 5회 오류",
        clock.now(),
    )
    assert dormant.status is AccountStatus.DORMANT and not dormant.is_active


PIN_CASES = [
    (MINJUN, "4827", True),
    ("110482915307", "4827", True),
    (MINJUN, "4828", False),
    (MINJUN, "6190", False),  # the PIN of the customer's other account
    ("110-377-208154", "6190", True),
    (MINJUN, "48270", False),
    (MINJUN, "", False),
    ("110-000-000000", "4827", False),  # unknown account
    ("12-34", "4827", False),  # malformed number: no error, just no
]


def test_verify_pin(bank: SandboxBank) -> None:
    assert [(number, pin, bank.accounts.verify_pin(number, pin)) for number, pin, _ in PIN_CASES] == PIN_CASES


def test_lock_records_the_first_reason(bank: SandboxBank, clock: FakeClock) -> None:
    bank.accounts.lock(MINJUN, "PIN 5회 오류")
    first = bank.accounts.get(MINJUN)
    clock.advance(timedelta(minutes=5))
    bank.accounts.lock("110482915307", "again")
    assert bank.accounts.get(MINJUN) == first
    assert first is not None and first.status is AccountStatus.LOCKED
    assert (first.lock_reason, first.locked_at) == ("PIN 5회 오류", clock.now() - timedelta(minutes=5))
    assert bank.accounts.verify_pin(MINJUN, "4827")  # verification still answers; the RA checks the status
    with pytest.raises(AccountNotFound):
        bank.accounts.lock("110-000-000000", "x")


def test_debit_fee_writes_one_ledger_entry(bank: SandboxBank, clock: FakeClock) -> None:
    entry = bank.accounts.debit_fee(MINJUN, 4400, "공동인증서 범용 발급 수수료", "fee-1")
    assert (entry.account_number, entry.amount_krw, entry.balance_after_krw) == ("110482915307", -4400, 1_519_000)
    assert (entry.memo, entry.idempotency_key, entry.created_at) == (
        "공동인증서 범용 발급 수수료",
        "fee-1",
        clock.now(),
    )
    account = bank.accounts.get(MINJUN)
    assert account is not None and account.balance_krw == 1_519_000


def test_debit_fee_is_idempotent(bank: SandboxBank, database: Database, clock: FakeClock) -> None:
    first = bank.accounts.debit_fee(MINJUN, 4400, "fee", "fee-1")
    clock.advance(timedelta(seconds=3))
    again = bank.accounts.debit_fee("110482915307", 4400, "fee", "fee-1")
    assert again == first
    account = bank.accounts.get(MINJUN)
    assert account is not None and account.balance_krw == 1_523_400 - 4400
    assert _ledger_rows(database) == 1
    for amount, memo, number in [(4401, "fee", MINJUN), (4400, "other", MINJUN), (4400, "fee", "110-615-803427")]:
        with pytest.raises(IdempotencyKeyReused):
            bank.accounts.debit_fee(number, amount, memo, "fee-1")
    assert _ledger_rows(database) == 1


def test_insufficient_funds_writes_nothing(bank: SandboxBank, database: Database) -> None:
    with pytest.raises(InsufficientFunds):
        bank.accounts.debit_fee(SEOA, 4400, "fee", "fee-poor")
    account = bank.accounts.get(SEOA)
    assert account is not None and account.balance_krw == 2_150
    assert _ledger_rows(database) == 0
    entry = bank.accounts.debit_fee(SEOA, 2_150, "fee", "fee-exact")  # down to zero is fine
    assert entry.balance_after_krw == 0


def test_locked_or_dormant_accounts_are_not_debited(bank: SandboxBank, database: Database) -> None:
    for number in ("110-408-352761", "110-377-208154"):
        with pytest.raises(AccountNotActive):
            bank.accounts.debit_fee(number, 4400, "fee", "fee-x")
    assert _ledger_rows(database) == 0


def test_debit_fee_refuses_bad_arguments(bank: SandboxBank, database: Database) -> None:
    for amount in (0, -4400, True):
        with pytest.raises(InvalidFeeAmount):
            bank.accounts.debit_fee(MINJUN, amount, "fee", "k")
    with pytest.raises(InvalidInput):
        bank.accounts.debit_fee(MINJUN, 4400, "fee", "")
    with pytest.raises(AccountNotFound):
        bank.accounts.debit_fee("110-000-000000", 4400, "fee", "k")
    assert _ledger_rows(database) == 0


def test_concurrent_debits_never_overdraw_nor_double_charge(bank: SandboxBank, database: Database) -> None:
    def debit(key: str) -> str:
        try:
            bank.accounts.debit_fee(SEOA, 1000, "fee", key)
        except InsufficientFunds:
            return "refused"
        return "ok"

    with ThreadPoolExecutor(max_workers=4) as pool:
        same_key = list(pool.map(debit, ["dup"] * 4))
        distinct = list(pool.map(debit, [f"k{i}" for i in range(4)]))
    assert same_key == ["ok"] * 4
    assert sorted(distinct) == ["ok", "refused", "refused", "refused"]
    account = bank.accounts.get(SEOA)
    assert account is not None and account.balance_krw == 150
    assert _ledger_rows(database) == 2
