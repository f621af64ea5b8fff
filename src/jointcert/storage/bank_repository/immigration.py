"""The sandbox immigration records (출입국 기록) on the database."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select

from jointcert.bank.model import Departure
from jointcert.storage.bank_repository._rows import customer_record
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankDeparture

__all__ = ["SqlImmigrationRecords"]

_D = cast(Table, BankDeparture.__table__)
_LATEST = (
    select(_D.c.departed_at, _D.c.destination, _D.c.returned_at)
    .where(_D.c.customer_id == bindparam("cid"))
    .order_by(_D.c.departed_at.desc(), _D.c.id.desc())
    .limit(1)
)


class SqlImmigrationRecords:
    """:class:`~jointcert.bank.ports.ImmigrationRecords` backed by ``bank_departures``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def departure(self, customer_id: str) -> Departure | None:
        """The latest departure, or ``None``; :class:`CustomerNotFound` for an unknown customer."""
        with self._db.connection() as connection:
            customer_record(connection, customer_id)
            row = connection.execute(_LATEST, {"cid": customer_id}).first()
        if row is None:
            return None
        return Departure(departed_at=row.departed_at, destination=row.destination, returned_at=row.returned_at)
