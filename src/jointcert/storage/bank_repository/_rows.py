"""Row ↔ value conversion and small SQL helpers shared by the sandbox bank adapters."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Result, Table, bindparam, select
from sqlalchemy.orm import Session

from jointcert.bank.errors import CustomerNotFound
from jointcert.bank.model import Account, AccountStatus, Customer, LedgerEntry, Phone, PhoneKind
from jointcert.storage.tables.bank import BankCustomer, BankLedgerEntry, BankPhone

__all__ = [
    "CUSTOMERS",
    "account_value",
    "customer_record",
    "customer_row",
    "customer_value",
    "ledger_value",
    "rowcount",
]

CUSTOMERS = cast(Table, BankCustomer.__table__)
_PHONES_T = cast(Table, BankPhone.__table__)
_CUSTOMER = select(CUSTOMERS).where(CUSTOMERS.c.id == bindparam("cid"))
_PHONES = (
    select(_PHONES_T.c.id, _PHONES_T.c.number, _PHONES_T.c.kind)
    .where(_PHONES_T.c.customer_id == bindparam("cid"))
    .order_by(_PHONES_T.c.position, _PHONES_T.c.id)
)


def rowcount(result: Result[Any]) -> int:
    """Rows touched by an UPDATE/DELETE."""
    return cast(CursorResult[Any], result).rowcount


def customer_row(session: Session, customer_id: str) -> BankCustomer:
    """The customer's row or :class:`CustomerNotFound`."""
    row = session.get(BankCustomer, customer_id)
    if row is None:
        raise CustomerNotFound(customer_id=customer_id)
    return row


def customer_record(connection: Connection, customer_id: str) -> Any:
    """The customer's row (Core) or :class:`CustomerNotFound`."""
    row = connection.execute(_CUSTOMER, {"cid": customer_id}).first()
    if row is None:
        raise CustomerNotFound(customer_id=customer_id)
    return row


def customer_value(db: Connection | Session, row: Any) -> Customer:
    """The :class:`Customer` of a row (ORM or Core), with its phones in display order."""
    phones = db.execute(_PHONES, {"cid": row.id})
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


def account_value(row: Any) -> Account:
    """The :class:`Account` of a row (ORM or Core)."""
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
