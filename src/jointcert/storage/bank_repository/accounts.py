"""The sandbox bank's deposit accounts and ledger on the database."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jointcert.bank.errors import (
    AccountNotActive,
    AccountNotFound,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAccountNumber,
    InvalidFeeAmount,
)
from jointcert.bank.formats import normalize_account_number
from jointcert.bank.model import Account, AccountStatus, LedgerEntry
from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.clock import Clock
from jointcert.errors import InvalidInput
from jointcert.storage.bank_repository._rows import account_value, ledger_value, rowcount
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankAccount, BankLedgerEntry

__all__ = ["SqlAccounts", "account_pin_context"]

_MAX_KEY, _MAX_TEXT = 128, 200
_ACCOUNTS = cast(Table, BankAccount.__table__)
_ACCOUNT = select(_ACCOUNTS).where(_ACCOUNTS.c.number == bindparam("number"))
_PIN_HASH = select(_ACCOUNTS.c.pin_hash).where(_ACCOUNTS.c.number == bindparam("number"))


def account_pin_context(number: str) -> str:
    """Hashing context of an account PIN (binds the hash to the account)."""
    return f"account-pin:{number}"


def _pin_well_formed(pin: str) -> bool:
    return len(pin) == 4 and pin.isascii() and pin.isdigit()


class SqlAccounts:
    """:class:`~jointcert.bank.ports.Accounts` backed by ``bank_accounts`` and ``bank_ledger``."""

    def __init__(self, database: Database, hasher: SecretHasher, clock: Clock) -> None:
        self._db = database
        self._hasher = hasher
        self._clock = clock

    def get(self, account_number: str) -> Account | None:
        """The account, or ``None``; :class:`InvalidAccountNumber` if the number is malformed."""
        number = normalize_account_number(account_number)
        with self._db.connection() as connection:
            row = connection.execute(_ACCOUNT, {"number": number}).first()
            return None if row is None else account_value(row)

    def verify_pin(self, account_number: str, pin: str) -> bool:
        """Whether ``pin`` is the account's PIN (same work for unknown accounts and malformed input)."""
        try:
            number = normalize_account_number(account_number)
        except InvalidAccountNumber:
            number = ""
        with self._db.connection() as connection:
            stored = connection.execute(_PIN_HASH, {"number": number}).scalar()
        ok = self._hasher.verify(stored, pin, account_pin_context(number))
        return ok and _pin_well_formed(pin)

    def lock(self, account_number: str, reason: str) -> None:
        """Mark the account locked; a second lock keeps the first time and reason."""
        number = normalize_account_number(account_number)
        reason = " ".join(reason.split())[:_MAX_TEXT] or "locked"
        with self._db.session() as session:
            if session.get(BankAccount, number) is None:
                raise AccountNotFound(account_number=number)
            session.execute(
                update(BankAccount)
                .where(BankAccount.number == number, BankAccount.status != AccountStatus.LOCKED.value)
                .values(status=AccountStatus.LOCKED.value, locked_at=self._clock.now(), lock_reason=reason)
            )

    def debit_fee(self, account_number: str, amount_krw: int, memo: str, idempotency_key: str) -> LedgerEntry:
        """Debit once per idempotency key; nothing is written when the debit is refused."""
        number = normalize_account_number(account_number)
        if isinstance(amount_krw, bool) or not isinstance(amount_krw, int) or amount_krw <= 0:
            raise InvalidFeeAmount(amount_krw=amount_krw)
        if not 0 < len(idempotency_key) <= _MAX_KEY or not 0 < len(memo) <= _MAX_TEXT:
            raise InvalidInput("The memo and idempotency key must be 1 to 200 and 1 to 128 characters.")
        replay = self._replay(number, amount_krw, memo, idempotency_key)
        if replay is not None:
            return replay
        try:
            with self._db.session() as session:
                return self._debit(session, number, amount_krw, memo, idempotency_key)
        except IntegrityError:  # the same key committed concurrently: answer with that entry
            replay = self._replay(number, amount_krw, memo, idempotency_key)
            if replay is None:
                raise
            return replay

    def refund_fee(self, account_number: str, amount_krw: int, memo: str, idempotency_key: str) -> LedgerEntry:
        """Credit once per idempotency key (a reversal of a fee); any account status."""
        number = normalize_account_number(account_number)
        if isinstance(amount_krw, bool) or not isinstance(amount_krw, int) or amount_krw <= 0:
            raise InvalidFeeAmount(amount_krw=amount_krw)
        replay = self._replay(number, -amount_krw, memo, idempotency_key)
        if replay is not None:
            return replay
        try:
            with self._db.session() as session:
                return self._credit(session, number, amount_krw, memo, idempotency_key)
        except IntegrityError:  # the same key committed concurrently
            replay = self._replay(number, -amount_krw, memo, idempotency_key)
            if replay is None:
                raise
            return replay

    def _credit(self, session: Session, number: str, amount: int, memo: str, key: str) -> LedgerEntry:
        if session.get(BankAccount, number) is None:
            raise AccountNotFound(account_number=number)
        session.execute(
            update(BankAccount)
            .where(BankAccount.number == number)
            .values(balance_krw=BankAccount.balance_krw + amount)
            .execution_options(synchronize_session=False)
        )
        balance = session.scalar(select(BankAccount.balance_krw).where(BankAccount.number == number))
        entry = BankLedgerEntry(
            id=uuid.uuid4().hex,
            account_number=number,
            amount_krw=amount,
            balance_after_krw=int(balance or 0),
            memo=memo,
            idempotency_key=key,
            created_at=self._clock.now(),
        )
        session.add(entry)
        session.flush()
        return ledger_value(entry)

    def _debit(self, session: Session, number: str, amount: int, memo: str, key: str) -> LedgerEntry:
        row = session.get(BankAccount, number)
        if row is None:
            raise AccountNotFound(account_number=number)
        if row.status != AccountStatus.ACTIVE.value:
            raise AccountNotActive(account_number=number, status=row.status)
        debited = session.execute(
            update(BankAccount)
            .where(
                BankAccount.number == number,
                BankAccount.status == AccountStatus.ACTIVE.value,
                BankAccount.balance_krw >= amount,
            )
            .values(balance_krw=BankAccount.balance_krw - amount)
            .execution_options(synchronize_session=False)
        )
        if rowcount(debited) != 1:
            raise InsufficientFunds(account_number=number, amount_krw=amount)
        balance = session.scalar(select(BankAccount.balance_krw).where(BankAccount.number == number))
        entry = BankLedgerEntry(
            id=uuid.uuid4().hex,
            account_number=number,
            amount_krw=-amount,
            balance_after_krw=int(balance or 0),
            memo=memo,
            idempotency_key=key,
            created_at=self._clock.now(),
        )
        session.add(entry)
        session.flush()
        return ledger_value(entry)

    def _replay(self, number: str, amount: int, memo: str, key: str) -> LedgerEntry | None:
        with self._db.session() as session:
            row = session.scalar(select(BankLedgerEntry).where(BankLedgerEntry.idempotency_key == key))
            if row is None:
                return None
            if (row.account_number, row.amount_krw, row.memo) != (number, -amount, memo):
                raise IdempotencyKeyReused(idempotency_key=key)
            return ledger_value(row)
