"""SQL adapters of the relying-party ports: :class:`SqlChallengeStore` and :class:`SqlRegistrationStore`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from jointcert.rp.challenge import Challenge
from jointcert.rp.registry import AlreadyRegistered, Registration
from jointcert.storage.db import Database, rowcount
from jointcert.storage.tables.rp import RpChallenge, RpRegistration

__all__ = ["SqlChallengeStore", "SqlRegistrationStore"]

_CLAIM = insert(RpChallenge)  # compiled once


class SqlChallengeStore:
    """Single-use records of consumed challenges in ``rp_challenges``: a claim is one INSERT, refused by the primary
    key when the id was claimed before — by any process or node on the same database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def claim(self, challenge: Challenge, now: datetime) -> bool:
        """Insert the record in a unit of work (:meth:`Database.unit_of_work`: on SQLite this process's logins
        queue for the write lock instead of polling SQLite's busy handler, and hold a pooled connection only while
        writing); ``False`` when the id is there already."""
        try:
            with self._db.unit_of_work() as connection:
                connection.execute(
                    _CLAIM,
                    {
                        "value": challenge.id,
                        "institution_id": challenge.institution_id,
                        "session_id": challenge.session_id[:128],
                        "issued_at": challenge.issued_at,
                        "expires_at": challenge.expires_at,
                        "consumed_at": now,
                    },
                )
        except IntegrityError:
            return False
        return True

    def purge(self, before: datetime) -> int:
        """Delete records of challenges that expired before ``before``."""
        with self._db.engine.begin() as connection:
            return rowcount(connection.execute(delete(RpChallenge).where(RpChallenge.expires_at < before)))


def _registration(row: RpRegistration) -> Registration:
    return Registration(
        row.institution_id, row.customer_id, row.serial_hex, row.issuer, row.fingerprint, row.registered_at
    )


class SqlRegistrationStore:
    """Registrations in ``rp_registrations``; (institution, fingerprint) is unique."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, registration: Registration) -> Registration:
        """Insert, or return the existing registration of the same customer; :class:`AlreadyRegistered` else."""
        try:
            with self._db.session() as session:
                session.add(
                    RpRegistration(
                        institution_id=registration.institution_id,
                        customer_id=registration.customer_id,
                        serial_hex=registration.serial_hex,
                        issuer=registration.issuer,
                        fingerprint=registration.fingerprint,
                        registered_at=registration.registered_at,
                    )
                )
            return registration
        except IntegrityError:
            existing = self.find(registration.institution_id, registration.fingerprint)
        if existing is None or existing.customer_id != registration.customer_id:
            raise AlreadyRegistered()
        return existing

    def find(self, institution_id: str, fingerprint: str) -> Registration | None:
        """Look up by certificate fingerprint."""
        with self._db.session() as session:
            row = session.scalars(
                select(RpRegistration).where(
                    RpRegistration.institution_id == institution_id, RpRegistration.fingerprint == fingerprint
                )
            ).first()
            return _registration(row) if row is not None else None

    def for_customer(self, institution_id: str, customer_id: str) -> list[Registration]:
        """A customer's registered certificates, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(RpRegistration)
                .where(RpRegistration.institution_id == institution_id, RpRegistration.customer_id == customer_id)
                .order_by(RpRegistration.registered_at, RpRegistration.id)
            ).all()
            return [_registration(r) for r in rows]

    def remove(self, institution_id: str, fingerprint: str) -> bool:
        """Unregister a certificate."""
        with self._db.session() as session:
            done = session.execute(
                delete(RpRegistration)
                .where(RpRegistration.institution_id == institution_id, RpRegistration.fingerprint == fingerprint)
                .execution_options(synchronize_session=False)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]
