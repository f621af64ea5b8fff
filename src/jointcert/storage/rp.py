"""SQL adapters of the relying-party ports: :class:`SqlChallengeStore` and :class:`SqlRegistrationStore`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from jointcert.rp.challenge import Challenge
from jointcert.rp.registry import AlreadyRegistered, Registration
from jointcert.storage.db import Database, rowcount
from jointcert.storage.group_commit import GroupCommit
from jointcert.storage.tables.rp import RpChallenge, RpRegistration

__all__ = ["SqlChallengeStore", "SqlRegistrationStore"]


def _claim(dialect: Any) -> Any:
    """Insert the records that are not there yet and name them; built once per dialect."""
    statement = dialect.insert(RpChallenge).on_conflict_do_nothing(index_elements=[RpChallenge.value])
    return statement.returning(RpChallenge.value)


_CLAIM = {"postgresql": _claim(postgresql), "sqlite": _claim(sqlite)}


class SqlChallengeStore:
    """Single-use records of consumed challenges in ``rp_challenges``: a claim inserts the record unless its id is
    there (the primary key decides, for every process and node on the same database).

    Claims made at the same moment by the threads of one process share a transaction (group commit,
    ``storage/group_commit.py``): one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` names the ids it inserted,
    and a claim succeeds when its id is among them and no earlier claim of the same batch named it."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._statement = _CLAIM[database.engine.dialect.name]
        self.group: GroupCommit[tuple[Challenge, datetime], bool] = GroupCommit(self._insert)

    def claim(self, challenge: Challenge, now: datetime) -> bool:
        """Record ``challenge`` as used at ``now``; ``False`` when its id is there already."""
        return self.group.submit((challenge, now))

    def _insert(self, claims: Sequence[tuple[Challenge, datetime]]) -> list[bool]:
        """One unit of work for a batch of claims (:meth:`Database.unit_of_work`: on SQLite this process's writers
        queue for the write lock instead of polling SQLite's busy handler)."""
        first: dict[str, int] = {}
        rows = []
        for index, (challenge, now) in enumerate(claims):
            if challenge.id in first:
                continue  # the same id twice in one batch: the first claim takes it, the second is a replay
            first[challenge.id] = index
            rows.append(
                {
                    "value": challenge.id,
                    "institution_id": challenge.institution_id,
                    "session_id": challenge.session_id[:128],
                    "issued_at": challenge.issued_at,
                    "expires_at": challenge.expires_at,
                    "consumed_at": now,
                }
            )
        with self._db.unit_of_work() as connection:
            inserted = set(connection.execute(self._statement, rows if len(rows) > 1 else rows[0]).scalars())
        return [first[claim.id] == index and claim.id in inserted for index, (claim, _) in enumerate(claims)]

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
