"""SQLAlchemy adapter for the RA's fee ledger (:class:`jointcert.ra.ports.FeeLedger`) on ``ra_fee_ledger``.

The table is unique on (serial, kind): a second charge (or final mark, or reversal) of one certificate cannot be
written by any node; :meth:`SqlFeeLedger.add` answers such an attempt with the entry that is already there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from jointcert.ra.ports import FeeEntry, FeeKind
from jointcert.storage.db import Database
from jointcert.storage.tables.ra import RaFeeEntry

__all__ = ["SqlFeeLedger"]


def _entry(row: RaFeeEntry) -> FeeEntry:
    return FeeEntry(
        row.id,
        int(row.serial_hex, 16),
        FeeKind(row.kind),
        row.session_id,
        row.customer_id,
        row.account_number,
        row.amount_krw,
        row.bank_entry_id,
        row.created_at,
    )


class SqlFeeLedger:
    """:class:`~jointcert.ra.ports.FeeLedger` on ``ra_fee_ledger``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, entry: FeeEntry) -> FeeEntry:
        """Insert, or return the entry of the same serial and kind that is already there."""
        try:
            with self._db.session() as db:
                db.add(
                    RaFeeEntry(
                        id=entry.id,
                        serial_hex=format(entry.serial, "x"),
                        kind=entry.kind.value,
                        session_id=entry.session_id,
                        customer_id=entry.customer_id,
                        account_number=entry.account_number,
                        amount_krw=entry.amount_krw,
                        bank_entry_id=entry.bank_entry_id,
                        created_at=entry.created_at,
                    )
                )
            return entry
        except IntegrityError:
            existing = self._one(entry.serial, entry.kind)
            if existing is None:
                raise
            return existing

    def _one(self, serial: int, kind: FeeKind) -> FeeEntry | None:
        with self._db.session() as db:
            row = db.scalar(
                select(RaFeeEntry).where(RaFeeEntry.serial_hex == format(serial, "x"), RaFeeEntry.kind == kind.value)
            )
            return None if row is None else _entry(row)

    def entries(self, serial: int) -> list[FeeEntry]:
        """Every entry of one certificate, oldest first."""
        with self._db.session() as db:
            rows = db.scalars(
                select(RaFeeEntry).where(RaFeeEntry.serial_hex == format(serial, "x")).order_by(RaFeeEntry.created_at)
            )
            return [_entry(row) for row in rows]

    def open_charges(self, *, created_before: datetime, limit: int = 100) -> list[FeeEntry]:
        """Charges with neither a final mark nor a reversal, created before ``created_before``."""
        settled = aliased(RaFeeEntry)
        with self._db.session() as db:
            rows = db.scalars(
                select(RaFeeEntry)
                .where(RaFeeEntry.kind == FeeKind.CHARGE.value, RaFeeEntry.created_at < created_before)
                .where(
                    ~select(settled.id)
                    .where(settled.serial_hex == RaFeeEntry.serial_hex, settled.kind != FeeKind.CHARGE.value)
                    .exists()
                )
                .order_by(RaFeeEntry.created_at)
                .limit(limit)
            )
            return [_entry(row) for row in rows]
