"""SQL adapters of the relying-party ports: :class:`SqlChallengeStore` and :class:`SqlRegistrationStore`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from jointcert.rp.challenge import Challenge, ConsumeResult, classify
from jointcert.rp.registry import AlreadyRegistered, Registration
from jointcert.storage.db import Database
from jointcert.storage.tables.rp import RpChallenge, RpRegistration

__all__ = ["SqlChallengeStore", "SqlRegistrationStore"]


class SqlChallengeStore:
    """Challenges in ``rp_challenges``; consuming is one conditional UPDATE, atomic on SQLite and PostgreSQL."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, challenge: Challenge) -> None:
        """Insert a new challenge."""
        with self._db.session() as session:
            session.add(
                RpChallenge(
                    value=challenge.value,
                    institution_id=challenge.institution_id,
                    session_id=challenge.session_id,
                    issued_at=challenge.issued_at,
                    expires_at=challenge.expires_at,
                    consumed_at=challenge.consumed_at,
                )
            )

    def consume(self, value: str, institution_id: str, session_id: str, now: datetime) -> ConsumeResult:
        """Mark used if unused, unexpired and bound to this institution and session; else say why not."""
        statement = (
            update(RpChallenge)
            .where(
                RpChallenge.value == value,
                RpChallenge.institution_id == institution_id,
                RpChallenge.session_id == session_id,
                RpChallenge.consumed_at.is_(None),
                RpChallenge.expires_at > now,
            )
            .values(consumed_at=now)
            .execution_options(synchronize_session=False)
        )
        with self._db.session() as session:
            if session.execute(statement).rowcount == 1:  # type: ignore[attr-defined]
                return ConsumeResult.OK
        with self._db.session() as session:
            row = session.get(RpChallenge, value)
            found = _challenge(row) if row is not None else None
        result = classify(found, institution_id, session_id, now)
        return ConsumeResult.REPLAYED if result is ConsumeResult.OK else result

    def purge(self, before: datetime) -> int:
        """Delete challenges that expired before ``before``."""
        with self._db.session() as session:
            done = session.execute(
                delete(RpChallenge).where(RpChallenge.expires_at < before).execution_options(synchronize_session=False)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]


def _challenge(row: RpChallenge) -> Challenge:
    return Challenge(row.value, row.institution_id, row.session_id, row.issued_at, row.expires_at, row.consumed_at)


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
