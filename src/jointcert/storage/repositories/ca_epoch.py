"""The revocation epoch (``ca_revocation_epochs``): bumped inside every revoking transaction, read cheaply by every
process's caches, and the CRL's freshness (dirty while the newest CRL covers an older epoch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jointcert.storage.db import Database
from jointcert.storage.tables.ca import CaCrlPartition
from jointcert.storage.tables.ca_epoch import CaRevocationEpoch

__all__ = ["EPOCH_CHANNEL", "SqlRevocationEpochs", "bump_epoch", "bump_partition"]

EPOCH_CHANNEL = "jointcert_revocation_epoch"
_TOTAL = select(func.coalesce(func.sum(CaRevocationEpoch.epoch), 0))


def bump_epoch(session: Session, issuer: str) -> None:
    """Add one to ``issuer``'s revocation epoch inside the caller's transaction (creating the row at 1); on
    PostgreSQL also ``NOTIFY`` :data:`EPOCH_CHANNEL`, delivered to every listener when the transaction commits
    (``storage/repositories/ca_epoch_notify.py``)."""
    is_postgresql = session.get_bind().dialect.name == "postgresql"
    dialect: Any = postgresql if is_postgresql else sqlite
    statement = dialect.insert(CaRevocationEpoch).values(issuer=issuer, epoch=1, crl_epoch=0)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CaRevocationEpoch.issuer], set_={"epoch": CaRevocationEpoch.epoch + 1}
        )
    )
    if is_postgresql:
        session.execute(text(f"NOTIFY {EPOCH_CHANNEL}"))


def bump_partition(session: Session, issuer: str, partition: int | None) -> None:
    """Mark a CRL partition dirty inside the caller's (revoking) transaction; nothing for records without one
    (``storage/repositories/ca_partitions.py``)."""
    if partition is not None:
        session.execute(
            update(CaCrlPartition)
            .where(CaCrlPartition.issuer == issuer, CaCrlPartition.partition == partition)
            .values(epoch=CaCrlPartition.epoch + 1)
        )


class SqlRevocationEpochs:
    """Reads the epochs and records which epoch the newest CRL of an issuer covers."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def current(self) -> int:
        """The sum of every issuer's epoch: it changes whenever anything is revoked or voided, anywhere."""
        with self._db.engine.connect() as connection:
            return int(connection.execute(_TOTAL).scalar_one())

    def epoch(self, issuer: str) -> int:
        """``issuer``'s revocation epoch (0 before its first revocation)."""
        with self._db.engine.connect() as connection:
            value = connection.execute(
                select(CaRevocationEpoch.epoch).where(CaRevocationEpoch.issuer == issuer)
            ).scalar_one_or_none()
        return int(value or 0)

    def crl_dirty(self, issuer: str) -> bool:
        """Whether something was revoked after the newest CRL of ``issuer`` was made."""
        with self._db.engine.connect() as connection:
            row = connection.execute(
                select(CaRevocationEpoch.epoch, CaRevocationEpoch.crl_epoch).where(CaRevocationEpoch.issuer == issuer)
            ).first()
        return row is not None and int(row[0]) > int(row[1])

    def crl_made(self, issuer: str, epoch: int) -> None:
        """Record that a CRL covering every revocation up to ``epoch`` is stored (never moves backwards)."""
        with self._db.session() as session:
            session.execute(
                update(CaRevocationEpoch)
                .where(CaRevocationEpoch.issuer == issuer, CaRevocationEpoch.crl_epoch < epoch)
                .values(crl_epoch=epoch)
            )
