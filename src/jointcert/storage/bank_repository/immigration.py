"""The sandbox immigration records (출입국 기록) on the database."""

from __future__ import annotations

from sqlalchemy import select

from jointcert.bank.model import Departure
from jointcert.storage.bank_repository._rows import customer_row
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankDeparture

__all__ = ["SqlImmigrationRecords"]


class SqlImmigrationRecords:
    """:class:`~jointcert.bank.ports.ImmigrationRecords` backed by ``bank_departures``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def departure(self, customer_id: str) -> Departure | None:
        """The latest departure, or ``None``; :class:`CustomerNotFound` for an unknown customer."""
        with self._db.session() as session:
            customer_row(session, customer_id)
            row = session.scalars(
                select(BankDeparture)
                .where(BankDeparture.customer_id == customer_id)
                .order_by(BankDeparture.departed_at.desc(), BankDeparture.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return Departure(departed_at=row.departed_at, destination=row.destination, returned_at=row.returned_at)
