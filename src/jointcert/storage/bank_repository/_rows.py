"""Row ↔ value conversion and small SQL helpers shared by the sandbox bank adapters."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, select
from sqlalchemy.orm import Session

from jointcert.bank.errors import CustomerNotFound
from jointcert.bank.model import Account, AccountStatus, Customer, LedgerEntry, Phone, PhoneKind
from jointcert.storage.tables.bank import BankAccount, BankCustomer, BankLedgerEntry, BankPhone

__all__ = ["account_value", "customer_row", "customer_value", "ledger_value", "rowcount"]


def rowcount(result: Result[Any]) -> int:
    """Rows touched by an UPDATE/DELETE."""
    return cast(CursorResult[Any], result).rowcount


def customer_row(session: Session, customer_id: str) -> BankCustomer:
    """The customer's row or :class:`CustomerNotFound`."""
    row = session.get(BankCustomer, customer_id)
    if row is None:
        raise CustomerNotFound(customer_id=customer_id)
    return row


def customer_value(session: Session, row: BankCustomer) -> Customer:
    """The :class:`Customer` of a row, with its phones in display order."""
    phones = session.scalars(
        select(BankPhone).where(BankPhone.customer_id == row.id).order_by(BankPhone.position, BankPhone.id)
    )
    return Customer(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        email=row.email,
        address=row.address,
        phones=tuple(Phone(id=p.id, number=p.number, kind=PhoneKind(p.kind)) for p in phones),
        is_korean_national=row.is_korean_national,
        birth_date=row.birth_date,
        contact_phone_id=row.contact_phone_id,
    )


def account_value(row: BankAccount) -> Account:
    """The :class:`Account` of a row."""
    return Account(
        number=row.number,
        display_number=row.display_number,
        customer_id=row.customer_id,
        product_name=row.product_name,
        status=AccountStatus(row.status),
        balance_krw=row.balance_krw,
        locked_at=row.locked_at,
        lock_reason=row.lock_reason,
    )


def ledger_value(row: BankLedgerEntry) -> LedgerEntry:
    """The :class:`LedgerEntry` of a row."""
    return LedgerEntry(
        id=row.id,
        account_number=row.account_number,
        amount_krw=row.amount_krw,
        balance_after_krw=row.balance_after_krw,
        memo=row.memo,
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
    )
