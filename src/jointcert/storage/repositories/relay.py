"""SQLAlchemy adapter for the relay's port: transfers in ``relay_transfers``.

Every state change is one conditional ``UPDATE`` issued first in its transaction (``... WHERE status =
'uploaded'``), so two concurrent downloads cannot both get the ciphertext, and SQLite takes its write lock up front.

Scrubbing: on SQLite every relay write runs with ``PRAGMA secure_delete = ON``, so a ciphertext or verifier set to
NULL is overwritten with zeros in its page (and in freed overflow pages) rather than left as free space; after a
ciphertext or verifier is dropped the WAL is checkpointed and truncated (best effort: skipped if readers hold it
for more than a moment, in which case later checkpoints overwrite it). PostgreSQL keeps old row versions until
VACUUM and in its WAL: see docs/relay.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jointcert.relay.model import TransferRecord, TransferStatus
from jointcert.storage.db import Database, rowcount
from jointcert.storage.tables.relay import RelayTransfer

__all__ = ["SqlTransferStore"]

_LIVE = (TransferStatus.WAITING.value, TransferStatus.UPLOADED.value)
_CHECKPOINT_WAIT_MS = 250


def _record(row: RelayTransfer) -> TransferRecord:
    return TransferRecord(
        transfer_id=row.id,
        status=TransferStatus(row.status),
        created_at=row.created_at,
        expires_at=row.expires_at,
        iterations=row.iterations,
        wrong_codes=row.wrong_codes,
        salt=bytes(row.salt),
        receiver_token_hash=bytes(row.receiver_token_hash),
        verifier=None if row.verifier is None else bytes(row.verifier),
        envelope=None if row.envelope is None else bytes(row.envelope),
        uploaded_at=row.uploaded_at,
        finished_at=row.finished_at,
    )


class SqlTransferStore:
    """:class:`jointcert.relay.ports.TransferStore` on the instance database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        with self._db.session() as session:
            if self._db.is_sqlite:
                session.execute(text("PRAGMA secure_delete = ON"))
            yield session

    def _scrub_wal(self) -> None:
        """Checkpoint and truncate SQLite's WAL so dropped ciphertext does not linger in old frames."""
        if not self._db.is_sqlite:
            return
        with self._db.engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {_CHECKPOINT_WAIT_MS}")
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.exec_driver_sql("PRAGMA busy_timeout = 30000")

    def insert(self, record: TransferRecord) -> bool:
        """Store a new transfer; ``False`` if the id is taken."""
        row = RelayTransfer(
            id=record.transfer_id,
            status=record.status.value,
            created_at=record.created_at,
            expires_at=record.expires_at,
            iterations=record.iterations,
            wrong_codes=record.wrong_codes,
            salt=record.salt,
            receiver_token_hash=record.receiver_token_hash,
            verifier=record.verifier,
            envelope=record.envelope,
        )
        try:
            with self._session() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True

    def get(self, transfer_id: str) -> TransferRecord | None:
        """The transfer, or ``None``."""
        with self._db.session() as session:
            row = session.get(RelayTransfer, transfer_id)
            return None if row is None else _record(row)

    def count_wrong_code(self, transfer_id: str, max_wrong: int, now: datetime) -> int | None:
        """One more wrong code on a waiting transfer; burned (verifier dropped) at ``max_wrong``."""
        with self._session() as session:
            count = session.execute(
                update(RelayTransfer)
                .where(RelayTransfer.id == transfer_id, RelayTransfer.status == TransferStatus.WAITING.value)
                .values(wrong_codes=RelayTransfer.wrong_codes + 1)
                .returning(RelayTransfer.wrong_codes)
            ).scalar_one_or_none()
            if count is not None and count >= max_wrong:
                session.execute(
                    update(RelayTransfer)
                    .where(RelayTransfer.id == transfer_id)
                    .values(status=TransferStatus.BURNED.value, verifier=None, finished_at=now)
                )
        if count is not None and count >= max_wrong:
            self._scrub_wal()
        return None if count is None else int(count)

    def put_envelope(self, transfer_id: str, envelope: bytes, now: datetime) -> bool:
        """Waiting → uploaded with the ciphertext; the verifier is spent."""
        with self._session() as session:
            result = session.execute(
                update(RelayTransfer)
                .where(RelayTransfer.id == transfer_id, RelayTransfer.status == TransferStatus.WAITING.value)
                .values(status=TransferStatus.UPLOADED.value, envelope=envelope, verifier=None, uploaded_at=now)
            )
            return rowcount(result) == 1

    def take_envelope(self, transfer_id: str, now: datetime) -> bytes | None:
        """Uploaded → downloaded: the ciphertext, dropped in the same transaction; never once ``now`` is past
        the transfer's expiry, whether or not the sweep has run."""
        with self._session() as session:
            claimed = session.execute(
                update(RelayTransfer)
                .where(RelayTransfer.id == transfer_id, RelayTransfer.status == TransferStatus.UPLOADED.value)
                .where(RelayTransfer.expires_at > now)
                .values(status=TransferStatus.DOWNLOADED.value, finished_at=now)
            )
            if rowcount(claimed) != 1:
                return None
            envelope = session.scalar(select(RelayTransfer.envelope).where(RelayTransfer.id == transfer_id))
            session.execute(update(RelayTransfer).where(RelayTransfer.id == transfer_id).values(envelope=None))
        self._scrub_wal()
        return None if envelope is None else bytes(envelope)

    def finish(self, transfer_id: str, status: str, now: datetime) -> bool:
        """A live transfer → ``status`` (expired, cancelled) with its ciphertext and verifier dropped."""
        with self._session() as session:
            result = session.execute(
                update(RelayTransfer)
                .where(RelayTransfer.id == transfer_id, RelayTransfer.status.in_(_LIVE))
                .values(status=status, envelope=None, verifier=None, finished_at=now)
            )
            changed = rowcount(result) == 1
        if changed:
            self._scrub_wal()
        return changed

    def sweep(self, now: datetime, forget_before: datetime) -> int:
        """Expire overdue live transfers and delete rows that expired before ``forget_before``."""
        with self._session() as session:
            expired = session.execute(
                update(RelayTransfer)
                .where(RelayTransfer.status.in_(_LIVE), RelayTransfer.expires_at <= now)
                .values(status=TransferStatus.EXPIRED.value, envelope=None, verifier=None, finished_at=now)
            )
            forgotten = session.execute(delete(RelayTransfer).where(RelayTransfer.expires_at < forget_before))
            changed = rowcount(expired) + rowcount(forgotten)
        if changed:
            self._scrub_wal()
        return changed
