"""SQLAlchemy adapters for the registration authority's ports (:mod:`jointcert.ra.ports`).

Sessions change only by compare-and-set on ``version``; attempt counters only by conditional UPDATEs, so the
database decides every race (PostgreSQL re-checks the WHERE clause after a row lock; SQLite serialises writers).
A flow step runs in one unit of work (:meth:`SqlSessionStore.step`); the statements of the hot path are
module-level Core statements (compiled once, cached by SQLAlchemy), run on the unit's connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from jointcert.ra.errors import IssuanceInProgress, SessionBusy
from jointcert.ra.ports import Challenge, Credential, RegisteredCertificate, StepLogEntry
from jointcert.ra.session import IssuanceSession, SessionData
from jointcert.ra.workflow import OPEN_STATES, SAGA_STATES, State
from jointcert.storage.db import Database, rowcount
from jointcert.storage.tables.ra import RaAttempt, RaCertificate, RaChallenge, RaSession, RaStepLog
from jointcert.types import CertType

__all__ = ["SqlAttempts", "SqlCertificateRegistry", "SqlChallengeStore", "SqlSessionStore", "SqlStepLog"]


def _values(session: IssuanceSession) -> dict[str, Any]:
    issuing = session.customer_id if session.state is State.ISSUING else None
    rrn = None if session.state.is_terminal else session.rrn_ciphertext
    return {
        "state": session.state.value,
        "updated_at": session.updated_at,
        "expires_at": session.expires_at,
        "customer_id": session.customer_id,
        "issuing_customer_id": issuing,
        "data": session.data.to_json(),
        "token_hash": session.token_hash,
        "rrn_ciphertext": rrn,
    }


_IN_CHUNK = 500  # serials per IN (…) list
_S = cast(Table, RaSession.__table__)
_A = cast(Table, RaAttempt.__table__)
_L = cast(Table, RaStepLog.__table__)
_GET_SESSION = select(_S).where(_S.c.id == bindparam("sid"))
_INSERT_SESSION = insert(_S)
_SAVE_SESSION = update(_S).where(_S.c.id == bindparam("sid"), _S.c.version == bindparam("expected"))
_APPEND_STEP = insert(_L)
_EXPIRED_IN_STATE = (
    select(_S)
    .where(_S.c.state == bindparam("state"), _S.c.expires_at <= bindparam("now"))
    .order_by(_S.c.expires_at)
    .limit(bindparam("limit"))
)
_EXPIRE_STALE = (
    update(_S)
    .where(_S.c.state.in_(sorted(s.value for s in OPEN_STATES - SAGA_STATES)), _S.c.expires_at <= bindparam("now"))
    .values(
        state=State.EXPIRED.value,
        rrn_ciphertext=None,
        issuing_customer_id=None,
        updated_at=bindparam("now"),
        version=_S.c.version + 1,
    )
)
_ATTEMPT_KEY = and_(_A.c.credential == bindparam("cred"), _A.c.subject == bindparam("subj"))
_ATTEMPT = select(_A.c.failures, _A.c.locked_at).where(_ATTEMPT_KEY)
_SUCCEEDED = update(_A).where(_ATTEMPT_KEY, _A.c.locked_at.is_(None)).values(failures=0)
_RELEASE = (
    update(_A).where(_ATTEMPT_KEY, _A.c.failures > 0, _A.c.locked_at.is_(None)).values(failures=_A.c.failures - 1)
)
_UNLOCK = update(_A).where(_ATTEMPT_KEY, _A.c.locked_at.is_not(None)).values(failures=0, locked_at=None)
_LOCK = (
    update(_A)
    .where(_ATTEMPT_KEY, _A.c.failures >= bindparam("limit"), _A.c.locked_at.is_(None))
    .values(locked_at=bindparam("at"))
)


def _reserve(dialect_insert: Any) -> Any:
    """One upsert: a new counter starts at 1; an existing one counts up while below the limit and unlocked."""
    stmt = dialect_insert(_A).values(
        credential=bindparam("cred"), subject=bindparam("subj"), failures=1, locked_at=None
    )
    return stmt.on_conflict_do_update(
        index_elements=[_A.c.credential, _A.c.subject],
        set_={"failures": _A.c.failures + 1},
        where=and_(_A.c.failures < bindparam("limit"), _A.c.locked_at.is_(None)),
    ).returning(_A.c.failures)


_RESERVE_SQLITE, _RESERVE_POSTGRESQL = _reserve(sqlite.insert), _reserve(postgresql.insert)


def _session(row: Any) -> IssuanceSession:
    return IssuanceSession(
        id=row.id,
        token_hash=row.token_hash,
        state=State(row.state),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        customer_id=row.customer_id,
        rrn_ciphertext=row.rrn_ciphertext,
        data=SessionData.from_json(row.data),
    )


class SqlSessionStore:
    """:class:`~jointcert.ra.ports.SessionStore` on ``ra_sessions``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def create(self, session: IssuanceSession) -> None:
        """Insert a new session (version as given, normally 0)."""
        values = _values(session) | {"id": session.id, "version": session.version, "created_at": session.created_at}
        with self._db.connection() as connection:
            connection.execute(_INSERT_SESSION, values)

    def get(self, session_id: str) -> IssuanceSession | None:
        """The session, or ``None`` (also for ids that cannot exist)."""
        if not 0 < len(session_id) <= 32:
            return None
        with self._db.connection() as connection:
            row = connection.execute(_GET_SESSION, {"sid": session_id}).first()
            return None if row is None else _session(row)

    @contextmanager
    def step(self, session_id: str) -> Iterator[IssuanceSession | None]:
        """One unit of work (:meth:`Database.unit_of_work`, ``BEGIN IMMEDIATE`` on SQLite) holding the session as
        read at its start; every port on this database joins it; one commit at the end."""
        with self._db.unit_of_work():
            yield self.get(session_id)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One unit of work without a session to read (starting a session)."""
        with self._db.unit_of_work():
            yield

    def save(self, session: IssuanceSession, *, expected_version: int) -> IssuanceSession:
        """Compare-and-set: store ``session`` as version ``expected_version + 1``."""
        values = _values(session) | {"version": expected_version + 1}
        try:
            with self._db.connection() as connection:
                changed = connection.execute(_SAVE_SESSION, values | {"sid": session.id, "expected": expected_version})
        except IntegrityError as exc:  # issuing_customer_id is unique
            raise IssuanceInProgress() from exc
        if rowcount(changed) != 1:
            raise SessionBusy()
        # what was written, without reading it back (one transaction per step fewer)
        return replace(
            session,
            version=expected_version + 1,
            rrn_ciphertext=values["rrn_ciphertext"],
            data=SessionData.from_json(values["data"]),
        )

    def expired_in_state(self, state: State, now: datetime, *, limit: int = 100) -> list[IssuanceSession]:
        """Sessions still in ``state`` past their expiry, oldest first."""
        with self._db.connection() as connection:
            rows = connection.execute(_EXPIRED_IN_STATE, {"state": state.value, "now": now, "limit": limit})
            return [_session(row) for row in rows]

    def expire_stale(self, now: datetime) -> int:
        """Open sessions past their expiry become EXPIRED, without their resident number."""
        with self._db.connection() as connection:
            return rowcount(connection.execute(_EXPIRE_STALE, {"now": now}))

    def in_state(self, state: State, *, updated_before: datetime, limit: int = 100) -> list[IssuanceSession]:
        """Sessions in ``state`` last changed before ``updated_before``, oldest first."""
        with self._db.session() as db:
            rows = db.scalars(
                select(RaSession)
                .where(RaSession.state == state.value, RaSession.updated_at < updated_before)
                .order_by(RaSession.updated_at)
                .limit(limit)
            )
            return [_session(row) for row in rows]


class SqlAttempts:
    """:class:`~jointcert.ra.ports.Attempts` on ``ra_attempts``: every change one conditional UPDATE."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @staticmethod
    def _key(credential: Credential, subject: str) -> dict[str, Any]:
        return {"cred": credential.value, "subj": subject}

    def reserve(self, credential: Credential, subject: str, limit: int) -> int | None:
        """``failures + 1`` while below ``limit`` and unlocked (a new counter starts at 1); the new count, or
        ``None``. One upsert: the row lock it takes on PostgreSQL is held to the end of the unit of work, so
        parallel attempts at one counter queue behind each other and re-check the limit."""
        if limit < 1:
            return None
        statement = _RESERVE_SQLITE if self._db.is_sqlite else _RESERVE_POSTGRESQL
        with self._db.connection() as connection:
            number = connection.execute(statement, self._key(credential, subject) | {"limit": limit}).scalar()
        return None if number is None else int(number)

    def succeeded(self, credential: Credential, subject: str) -> None:
        """Back to zero, unless locked."""
        with self._db.connection() as connection:
            connection.execute(_SUCCEEDED, self._key(credential, subject))

    def release(self, credential: Credential, subject: str) -> None:
        """``failures - 1`` while above zero and unlocked."""
        with self._db.connection() as connection:
            connection.execute(_RELEASE, self._key(credential, subject))

    def unlock(self, credential: Credential, subject: str) -> bool:
        """Clear the lock and the counter; True if it was locked."""
        with self._db.connection() as connection:
            return rowcount(connection.execute(_UNLOCK, self._key(credential, subject))) == 1

    def lock_if_exhausted(self, credential: Credential, subject: str, limit: int, at: datetime) -> bool:
        """Set the lock once; True for the one caller that set it."""
        with self._db.connection() as connection:
            changed = connection.execute(_LOCK, self._key(credential, subject) | {"limit": limit, "at": at})
            return rowcount(changed) == 1

    def failures(self, credential: Credential, subject: str) -> tuple[int, bool]:
        """(failures, locked)."""
        with self._db.connection() as connection:
            row = connection.execute(_ATTEMPT, self._key(credential, subject)).first()
            return (0, False) if row is None else (int(row.failures), row.locked_at is not None)


class SqlStepLog:
    """:class:`~jointcert.ra.ports.StepLog` on ``ra_step_log``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def append(self, entry: StepLogEntry) -> None:
        """Store one entry."""
        values = {
            "session_id": entry.session_id,
            "step": entry.step,
            "outcome": entry.outcome[:64],
            "state_before": entry.state_before,
            "state_after": entry.state_after,
            "at": entry.at,
        }
        with self._db.connection() as connection:
            connection.execute(_APPEND_STEP, values)

    def entries(self, session_id: str) -> list[StepLogEntry]:
        """Oldest first."""
        with self._db.session() as db:
            rows = db.scalars(select(RaStepLog).where(RaStepLog.session_id == session_id).order_by(RaStepLog.id))
            return [StepLogEntry(r.session_id, r.step, r.outcome, r.state_before, r.state_after, r.at) for r in rows]


class SqlChallengeStore:
    """:class:`~jointcert.ra.ports.ChallengeStore` on ``ra_challenges``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, challenge: Challenge) -> None:
        """Store a new challenge."""
        with self._db.session() as db:
            db.add(
                RaChallenge(
                    id=challenge.id,
                    purpose=challenge.purpose,
                    value=challenge.value,
                    created_at=challenge.created_at,
                    expires_at=challenge.expires_at,
                    used_at=None,
                )
            )

    def consume(self, challenge_id: str, purpose: str, now: datetime) -> Challenge | None:
        """Mark used (once) and return it, if it is unused, unexpired and for ``purpose``."""
        if not 0 < len(challenge_id) <= 32:
            return None
        with self._db.session() as db:
            changed = db.execute(
                update(RaChallenge)
                .where(
                    RaChallenge.id == challenge_id,
                    RaChallenge.purpose == purpose,
                    RaChallenge.used_at.is_(None),
                    RaChallenge.expires_at > now,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if rowcount(changed) != 1:
                return None
            row = db.get(RaChallenge, challenge_id)
            assert row is not None
            return Challenge(row.id, row.purpose, row.value, row.created_at, row.expires_at)


class SqlCertificateRegistry:
    """:class:`~jointcert.ra.ports.CertificateRegistry` on ``ra_certificates``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, certificate: RegisteredCertificate) -> None:
        """Record a certificate."""
        with self._db.session() as db:
            db.add(
                RaCertificate(
                    serial_hex=format(certificate.serial, "x"),
                    customer_id=certificate.customer_id,
                    cert_type=certificate.cert_type.value,
                    event=certificate.event,
                    session_id=certificate.session_id,
                    created_at=certificate.created_at,
                )
            )

    def get(self, serial: int) -> RegisteredCertificate | None:
        """The record of a serial, or ``None``."""
        with self._db.session() as db:
            row = db.get(RaCertificate, format(serial, "x"))
            return None if row is None else _registered(row)

    def get_many(self, serials: Sequence[int]) -> dict[int, RegisteredCertificate]:
        """The records of those serials that were registered."""
        found: dict[int, RegisteredCertificate] = {}
        with self._db.session() as db:
            for start in range(0, len(serials), _IN_CHUNK):
                keys = [format(serial, "x") for serial in serials[start : start + _IN_CHUNK]]
                for row in db.scalars(select(RaCertificate).where(RaCertificate.serial_hex.in_(keys))):
                    found[int(row.serial_hex, 16)] = _registered(row)
        return found

    def for_customer(self, customer_id: str) -> list[RegisteredCertificate]:
        """Oldest first."""
        with self._db.session() as db:
            rows = db.scalars(
                select(RaCertificate)
                .where(RaCertificate.customer_id == customer_id)
                .order_by(RaCertificate.created_at, RaCertificate.serial_hex)
            )
            return [_registered(r) for r in rows]


def _registered(row: RaCertificate) -> RegisteredCertificate:
    return RegisteredCertificate(
        int(row.serial_hex, 16), row.customer_id, CertType(row.cert_type), row.event, row.session_id, row.created_at
    )
