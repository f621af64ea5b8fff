"""The bank app's login sessions in the database (``bank_app_sessions``), shared by every node.

Rows are keyed by the SHA-256 of the random session id the cookie carries (the id itself is never stored). Every
read of a live session is one conditional UPDATE that moves its idle expiry (never past the absolute one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from jointcert.storage.db import Database, rowcount
from jointcert.storage.tables.bank_app import BankAppSession

__all__ = ["AppSessionRecord", "SqlBankAppSessions"]


@dataclass(frozen=True)
class AppSessionRecord:
    """A stored login: who, with which certificate, and until when (idle and absolute)."""

    serial: str
    name: str
    cert_type: str | None
    issued_at: datetime
    idle_expires_at: datetime
    expires_at: datetime

    @property
    def ends_at(self) -> datetime:
        """The earlier of the idle and the absolute expiry."""
        return min(self.idle_expires_at, self.expires_at)


def _record(row: BankAppSession) -> AppSessionRecord:
    return AppSessionRecord(row.serial, row.name, row.cert_type, row.issued_at, row.idle_expires_at, row.expires_at)


class SqlBankAppSessions:
    """Create, touch and end bank-app sessions."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def create(self, id_hash: bytes, record: AppSessionRecord, now: datetime) -> None:
        """Store a new session (and drop every session that has ended by now)."""
        with self._db.session() as session:
            ended = or_(BankAppSession.expires_at <= now, BankAppSession.idle_expires_at <= now)
            session.execute(delete(BankAppSession).where(ended))
            session.add(
                BankAppSession(
                    id_hash=id_hash,
                    serial=record.serial,
                    name=record.name,
                    cert_type=record.cert_type,
                    issued_at=record.issued_at,
                    last_seen_at=now,
                    idle_expires_at=record.idle_expires_at,
                    expires_at=record.expires_at,
                )
            )

    def get(self, id_hash: bytes) -> AppSessionRecord | None:
        """The stored session, ended or not; None if there is none."""
        with self._db.session() as session:
            row = session.get(BankAppSession, id_hash)
            return None if row is None else _record(row)

    def touch(self, id_hash: bytes, now: datetime, idle: timedelta) -> AppSessionRecord | None:
        """Extend a live session's idle expiry to ``now + idle`` (capped by the absolute one); None if it ended."""
        with self._db.session() as session:
            changed = session.execute(
                update(BankAppSession)
                .where(
                    BankAppSession.id_hash == id_hash,
                    BankAppSession.idle_expires_at > now,
                    BankAppSession.expires_at > now,
                )
                .values(last_seen_at=now, idle_expires_at=now + idle)
                .execution_options(synchronize_session=False)
            )
            if rowcount(changed) != 1:
                return None
            row = session.scalar(select(BankAppSession).where(BankAppSession.id_hash == id_hash))
            return None if row is None else _record(row)

    def delete(self, id_hash: bytes) -> bool:
        """End one session; True if it existed."""
        with self._db.session() as session:
            return rowcount(session.execute(delete(BankAppSession).where(BankAppSession.id_hash == id_hash))) == 1

    def delete_for_serial(self, serial: str) -> int:
        """End every session logged in with this certificate (hex serial); how many."""
        return self.delete_for_serials([serial])

    def delete_for_serials(self, serials: Sequence[str]) -> int:
        """End every session logged in with one of these certificates (hex serials; a bulk revocation's chunk)."""
        lowered = [serial.lower() for serial in serials]
        with self._db.session() as session:
            return rowcount(session.execute(delete(BankAppSession).where(BankAppSession.serial.in_(lowered))))
