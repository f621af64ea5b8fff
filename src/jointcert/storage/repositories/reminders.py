"""SQLAlchemy adapter of :class:`jointcert.ra.reminders.ReminderStore`: the RA's certificates (``ra_certificates``)
joined with the CA's records (``ca_certificates``: issued, not after), and ``ra_expiry_reminders``, whose primary
key (serial, days before) lets one node only record — and so send — each reminder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jointcert.ca.ports import RecordStatus
from jointcert.ra.reminders import ExpiringCertificate
from jointcert.storage.db import Database
from jointcert.storage.tables.ca import CaCertificate
from jointcert.storage.tables.ra import RaCertificate, RaExpiryReminder
from jointcert.types import CertType

__all__ = ["SqlReminderStore"]


class SqlReminderStore:
    """:class:`~jointcert.ra.reminders.ReminderStore` in the instance's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def expiring(self, now: datetime, until: datetime) -> list[ExpiringCertificate]:
        """Issued (not revoked, not pending) certificates of the RA expiring in ``(now, until]``, soonest first."""
        query = (
            select(
                RaCertificate.serial_hex, RaCertificate.customer_id, RaCertificate.cert_type, CaCertificate.not_after
            )
            .join(CaCertificate, CaCertificate.serial_hex == RaCertificate.serial_hex)
            .where(
                CaCertificate.status == RecordStatus.ISSUED.value,
                CaCertificate.not_after > now,
                CaCertificate.not_after <= until,
            )
            .order_by(CaCertificate.not_after, RaCertificate.serial_hex)
        )
        with self._db.session() as db:
            rows = db.execute(query).all()
        return [
            ExpiringCertificate(serial, customer, CertType(kind), not_after)
            for serial, customer, kind, not_after in rows
        ]

    def claim(self, serial_hex: str, days_before: int, customer_id: str, at: datetime) -> bool:
        """Insert the reminder's row; ``False`` when it is there already (the primary key refuses a second)."""
        try:
            with self._db.session() as db:
                if db.get(RaExpiryReminder, (serial_hex, days_before)) is not None:
                    return False
                db.add(
                    RaExpiryReminder(
                        serial_hex=serial_hex, days_before=days_before, customer_id=customer_id, sent_at=at
                    )
                )
        except IntegrityError:
            return False
        return True
