"""SQLAlchemy adapters for CMP enrollment: registrations (``ca.ports.RegistrationStore``) and CMP transactions
(``cmp.ports.TransactionStore``).

Every state change is a conditional ``UPDATE … WHERE status = …`` so concurrent requests cannot both win; the MAC
attempt reservation is one such update (``mac_failures + mac_pending < max``), which makes the lockout exact under
concurrency on SQLite and PostgreSQL alike. Audited changes append their audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jointcert.ca.errors import RecordCollision
from jointcert.ca.ports import AuditEvent, RegistrationRecord, RegistrationStatus
from jointcert.cmp.ports import FINAL_STATES, TransactionIdInUse, TransactionRecord, TransactionState
from jointcert.storage.db import Database, rowcount
from jointcert.storage.repositories.ca import append_audit, serial_key
from jointcert.storage.tables.cmp import CmpRegistration, CmpTransaction
from jointcert.types import CertType

__all__ = ["SqlRegistrationStore", "SqlTransactionStore"]

_ACTIVE = RegistrationStatus.ACTIVE.value
_WIPED: dict[str, Any] = {"rrn_ciphertext": None, "code_ciphertext": None}


def _registration(row: CmpRegistration) -> RegistrationRecord:
    return RegistrationRecord(
        reference_number=row.reference_number,
        status=RegistrationStatus(row.status),
        cert_type=CertType(row.cert_type),
        real_name=row.real_name,
        holder_hash=row.holder_hash,
        rrn_ciphertext=row.rrn_ciphertext,
        code_ciphertext=row.code_ciphertext,
        bank_unit=row.bank_unit,
        bank_code=row.bank_code,
        requested_by=row.requested_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        mac_failures=row.mac_failures,
        mac_pending=row.mac_pending,
        claimed_at=row.claimed_at,
        finished_at=row.finished_at,
        serial=None if row.serial_hex is None else int(row.serial_hex, 16),
    )


class SqlRegistrationStore:
    """Registrations in ``cmp_registrations``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, record: RegistrationRecord, event: AuditEvent, supersede: Callable[[str], AuditEvent]) -> list[str]:
        """Insert; cancel older active registrations of the same holder and type (each audited)."""
        try:
            with self._db.session() as session:
                older = session.scalars(
                    select(CmpRegistration.reference_number).where(
                        CmpRegistration.holder_hash == record.holder_hash,
                        CmpRegistration.cert_type == record.cert_type.value,
                        CmpRegistration.status == _ACTIVE,
                    )
                ).all()
                session.add(_new_row(record))
                session.flush()
                append_audit(session, event)
                cancelled = [ref for ref in older if self._close(session, ref, RegistrationStatus.CANCELLED, event.at)]
                for ref in cancelled:
                    append_audit(session, supersede(ref))
                return cancelled
        except IntegrityError as exc:
            raise RecordCollision("The reference number is taken.") from exc

    def get(self, reference_number: str) -> RegistrationRecord | None:
        """One registration."""
        with self._db.session() as session:
            row = session.get(CmpRegistration, reference_number)
            return None if row is None else _registration(row)

    def reserve_attempt(self, reference_number: str, max_failures: int, now: datetime) -> bool:
        """One conditional UPDATE: active, unexpired, failures + reservations below the limit."""
        with self._db.connection() as connection:
            result = connection.execute(
                update(CmpRegistration)
                .where(
                    CmpRegistration.reference_number == reference_number,
                    CmpRegistration.status == _ACTIVE,
                    CmpRegistration.expires_at > now,
                    CmpRegistration.mac_failures + CmpRegistration.mac_pending < max_failures,
                )
                .values(mac_pending=CmpRegistration.mac_pending + 1, mac_reserved_at=now)
            )
            return rowcount(result) == 1

    def settle_attempt(
        self, reference_number: str, *, failed: bool, max_failures: int, at: datetime, lock_event: AuditEvent
    ) -> bool:
        """Release the reservation (as a failure when ``failed``) and lock once the failures reach the limit."""
        with self._db.session() as session:
            key = CmpRegistration.reference_number == reference_number
            values: dict[str, Any] = {"mac_pending": CmpRegistration.mac_pending - 1}
            if failed:
                values["mac_failures"] = CmpRegistration.mac_failures + 1
            session.execute(update(CmpRegistration).where(key, CmpRegistration.mac_pending > 0).values(**values))
            if not failed:
                return False
            locked = session.execute(
                update(CmpRegistration)
                .where(key, CmpRegistration.status == _ACTIVE, CmpRegistration.mac_failures >= max_failures)
                .values(status=RegistrationStatus.LOCKED.value, finished_at=at, **_WIPED)
            )
            if rowcount(locked) == 1:
                append_audit(session, lock_event)
                return True
            return False

    def claim(self, reference_number: str, now: datetime) -> RegistrationRecord | None:
        """active and unexpired → issuing; the record as read before the change."""
        with self._db.session() as session:
            row = session.get(CmpRegistration, reference_number)
            if row is None:
                return None
            record = _registration(row)
            result = session.execute(
                update(CmpRegistration)
                .where(
                    CmpRegistration.reference_number == reference_number,
                    CmpRegistration.status == _ACTIVE,
                    CmpRegistration.expires_at > now,
                )
                .values(status=RegistrationStatus.ISSUING.value, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            return record if rowcount(result) == 1 and record.status is RegistrationStatus.ACTIVE else None

    def release(self, reference_number: str) -> None:
        """issuing → active."""
        with self._db.connection() as connection:
            connection.execute(
                update(CmpRegistration)
                .where(
                    CmpRegistration.reference_number == reference_number,
                    CmpRegistration.status == RegistrationStatus.ISSUING.value,
                )
                .values(status=_ACTIVE, claimed_at=None)
            )

    def complete(self, reference_number: str, serial: int, at: datetime, event: AuditEvent) -> None:
        """issuing → used, secrets wiped."""
        with self._db.session() as session:
            result = session.execute(
                update(CmpRegistration)
                .where(
                    CmpRegistration.reference_number == reference_number,
                    CmpRegistration.status == RegistrationStatus.ISSUING.value,
                )
                .values(status=RegistrationStatus.USED.value, finished_at=at, serial_hex=serial_key(serial), **_WIPED)
            )
            if rowcount(result) == 1:
                append_audit(session, event)

    def close(
        self,
        reference_number: str,
        status: RegistrationStatus,
        *,
        from_statuses: tuple[RegistrationStatus, ...],
        at: datetime,
        event: AuditEvent,
    ) -> bool:
        """Move to a final status if in one of ``from_statuses``; secrets wiped."""
        with self._db.session() as session:
            if not self._close(session, reference_number, status, at, from_statuses):
                return False
            append_audit(session, event)
            return True

    @staticmethod
    def _close(
        session: Session,
        reference_number: str,
        status: RegistrationStatus,
        at: datetime,
        from_statuses: tuple[RegistrationStatus, ...] = (RegistrationStatus.ACTIVE,),
    ) -> bool:
        result = session.execute(
            update(CmpRegistration)
            .where(
                CmpRegistration.reference_number == reference_number,
                CmpRegistration.status.in_([s.value for s in from_statuses]),
            )
            .values(status=status.value, finished_at=at, **_WIPED)
        )
        return rowcount(result) == 1

    def due(self, now: datetime, stale_claims_before: datetime) -> list[RegistrationRecord]:
        """Active ones past expiry; claims older than ``stale_claims_before``."""
        with self._db.session() as session:
            rows = session.scalars(
                select(CmpRegistration).where(
                    or_(
                        (CmpRegistration.status == _ACTIVE) & (CmpRegistration.expires_at <= now),
                        (CmpRegistration.status == RegistrationStatus.ISSUING.value)
                        & (CmpRegistration.claimed_at < stale_claims_before),
                    )
                )
            ).all()
            return [_registration(row) for row in rows]

    def reset_stale_reservations(self, before: datetime) -> int:
        """Drop reservations a crashed process never settled."""
        with self._db.session() as session:
            result = session.execute(
                update(CmpRegistration)
                .where(CmpRegistration.mac_pending > 0, CmpRegistration.mac_reserved_at < before)
                .values(mac_pending=0)
            )
            return rowcount(result)


def _new_row(record: RegistrationRecord) -> CmpRegistration:
    return CmpRegistration(
        reference_number=record.reference_number,
        status=record.status.value,
        cert_type=record.cert_type.value,
        real_name=record.real_name,
        holder_hash=record.holder_hash,
        rrn_ciphertext=record.rrn_ciphertext,
        code_ciphertext=record.code_ciphertext,
        bank_unit=record.bank_unit,
        bank_code=record.bank_code,
        requested_by=record.requested_by,
        created_at=record.created_at,
        expires_at=record.expires_at,
        mac_failures=0,
        mac_pending=0,
    )


def _transaction(row: CmpTransaction) -> TransactionRecord:
    return TransactionRecord(
        transaction_id=bytes.fromhex(row.transaction_id),
        kind=row.kind,
        protection=row.protection,
        state=TransactionState(row.state),
        created_at=row.created_at,
        reference_number=row.reference_number,
        signer_sha256=row.signer_sha256,
        secret_ciphertext=row.secret_ciphertext,
        serial=None if row.serial_hex is None else int(row.serial_hex, 16),
        cert_req_id=row.cert_req_id,
        response_nonce=row.response_nonce,
        deadline=row.deadline,
        finished_at=row.finished_at,
    )


class SqlTransactionStore:
    """CMP transactions in ``cmp_transactions`` (keyed by the transactionID in hex)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def open(self, record: TransactionRecord) -> None:
        """Insert an open transaction; a taken transactionID is :class:`TransactionIdInUse`."""
        try:
            with self._db.session() as session:
                session.add(
                    CmpTransaction(
                        transaction_id=record.transaction_id.hex(),
                        kind=record.kind,
                        protection=record.protection,
                        state=TransactionState.OPEN.value,
                        created_at=record.created_at,
                        reference_number=record.reference_number,
                        signer_sha256=record.signer_sha256,
                    )
                )
        except IntegrityError as exc:
            raise TransactionIdInUse() from exc

    def discard(self, transaction_id: bytes) -> None:
        """Delete the transaction if it is still open."""
        with self._db.session() as session:
            session.execute(
                delete(CmpTransaction).where(
                    CmpTransaction.transaction_id == transaction_id.hex(),
                    CmpTransaction.state == TransactionState.OPEN.value,
                )
            )

    def issued(
        self,
        transaction_id: bytes,
        *,
        state: TransactionState,
        serial: int,
        cert_req_id: int,
        response_nonce: bytes,
        deadline: datetime | None,
        finished_at: datetime | None,
        secret_ciphertext: bytes | None,
    ) -> None:
        """Record the outcome of an open transaction."""
        with self._db.connection() as connection:
            connection.execute(
                update(CmpTransaction)
                .where(
                    CmpTransaction.transaction_id == transaction_id.hex(),
                    CmpTransaction.state == TransactionState.OPEN.value,
                )
                .values(
                    state=state.value,
                    serial_hex=serial_key(serial),
                    cert_req_id=cert_req_id,
                    response_nonce=response_nonce,
                    deadline=deadline,
                    finished_at=finished_at,
                    secret_ciphertext=None if state in FINAL_STATES else secret_ciphertext,
                )
            )

    def get(self, transaction_id: bytes) -> TransactionRecord | None:
        """One transaction."""
        with self._db.session() as session:
            row = session.get(CmpTransaction, transaction_id.hex())
            return None if row is None else _transaction(row)

    def transition(
        self,
        transaction_id: bytes,
        *,
        from_states: tuple[TransactionState, ...],
        to_state: TransactionState,
        at: datetime,
        deadline_after: datetime | None = None,
    ) -> bool:
        """Conditional state change; the secret is wiped when the new state is final."""
        conditions = [
            CmpTransaction.transaction_id == transaction_id.hex(),
            CmpTransaction.state.in_([s.value for s in from_states]),
        ]
        if deadline_after is not None:
            conditions.append(CmpTransaction.deadline > deadline_after)
        values: dict[str, Any] = {"state": to_state.value}
        if to_state in FINAL_STATES:
            values.update(secret_ciphertext=None, finished_at=at)
        with self._db.connection() as connection:
            return rowcount(connection.execute(update(CmpTransaction).where(*conditions).values(**values))) == 1

    def overdue(self, now: datetime, *, open_before: datetime | None = None) -> list[TransactionRecord]:
        """Waiting past the deadline, left revoking or superseding, or (``open_before``) left open."""
        left = (TransactionState.REVOKING.value, TransactionState.SUPERSEDING.value)
        stale_open = (CmpTransaction.state == TransactionState.OPEN.value) & (
            CmpTransaction.created_at <= (open_before or datetime.min.replace(tzinfo=now.tzinfo))
        )
        with self._db.session() as session:
            rows = session.scalars(
                select(CmpTransaction).where(
                    or_(
                        (CmpTransaction.state == TransactionState.WAITING.value) & (CmpTransaction.deadline <= now),
                        CmpTransaction.state.in_(left),
                        stale_open,
                    )
                )
            ).all()
            return [_transaction(row) for row in rows]
