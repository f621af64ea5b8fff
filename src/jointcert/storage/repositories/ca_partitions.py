"""CRL partitions (``ca_crl_partitions``): assignment at issuance, per-partition dirty marks and stored CRLs.

Every revoking transaction stores the record's DER CRL entry (``ca_crl_entries``, a narrow table) and bumps its
partition's epoch (``ca_epoch.bump_partition``), so a partition is dirty while its newest CRL covers an older epoch and
a CRL is a join of stored bytes: no per-entry encoding or datetime parsing when a million entries are published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, LargeBinary, and_, exists, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jointcert.ca.errors import RecordCollision
from jointcert.ca.ports import AuditEvent, CrlRecord
from jointcert.storage.db import Database, rowcount
from jointcert.storage.repositories.ca import append_audit
from jointcert.storage.tables.ca import CaCertificate, CaCrlEntry, CaCrlPartition

__all__ = ["SqlCrlPartitions"]


class _Raced(Exception):
    """Another transaction changed the newest partition between the read and the update."""


class SqlCrlPartitions:
    """The partitions of each issuer and their CRLs, on the CA's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def reserve(self, issuer: str, size: int, count: int) -> list[int]:
        """``count`` places in one transaction: the rest of the newest partition, then new ones (each at most
        ``size``); the partition of each place, in order."""
        if size < 1 or count < 1:
            raise ValueError("the partition size and the count must be positive")
        for _ in range(10):
            try:
                with self._db.session() as session:
                    return self._reserve(session, issuer, size, count)
            except (IntegrityError, _Raced):
                continue  # another process took the same places first: read again
        raise RecordCollision("Could not assign a CRL partition.")

    @staticmethod
    def _reserve(session: Session, issuer: str, size: int, count: int) -> list[int]:
        places: list[int] = []
        newest = session.execute(
            select(CaCrlPartition.partition, CaCrlPartition.assigned)
            .where(CaCrlPartition.issuer == issuer)
            .order_by(CaCrlPartition.partition.desc())
            .limit(1)
        ).first()
        top = None if newest is None else int(newest[0])
        if newest is not None and int(newest[1]) < size:
            taken = min(count, size - int(newest[1]))
            moved = session.execute(
                update(CaCrlPartition)
                .where(CaCrlPartition.issuer == issuer, CaCrlPartition.partition == top)
                .where(CaCrlPartition.assigned == newest[1])  # compare and set: nobody took places meanwhile
                .values(assigned=int(newest[1]) + taken)
            )
            if rowcount(moved) != 1:
                raise _Raced()
            places += [int(newest[0])] * taken
        while len(places) < count:
            new = 0 if top is None else top + 1
            taken = min(count - len(places), size)
            # epoch 1 > crl_epoch 0: the leader publishes the new partition's (empty) CRL within seconds
            session.execute(
                insert(CaCrlPartition).values(issuer=issuer, partition=new, assigned=taken, epoch=1, crl_epoch=0)
            )
            places += [new] * taken
            top = new
        return places

    def numbers(self, issuer: str) -> list[int]:
        """Every partition of the issuer."""
        query = (
            select(CaCrlPartition.partition).where(CaCrlPartition.issuer == issuer).order_by(CaCrlPartition.partition)
        )
        with self._db.engine.connect() as connection:
            return [int(n) for n in connection.execute(query).scalars()]

    def dirty(self, issuer: str) -> list[int]:
        """Partitions whose newest CRL misses a revocation (or that have no CRL yet)."""
        query = (
            select(CaCrlPartition.partition)
            .where(CaCrlPartition.issuer == issuer)
            .where(or_(CaCrlPartition.epoch > CaCrlPartition.crl_epoch, CaCrlPartition.der.is_(None)))
            .order_by(CaCrlPartition.partition)
        )
        with self._db.engine.connect() as connection:
            return [int(n) for n in connection.execute(query).scalars()]

    def stale(self, issuer: str, *, dirty_before: datetime, now: datetime) -> list[int]:
        """Partitions whose newest CRL misses a revocation made at or before ``dirty_before``, or is past its
        nextUpdate at ``now``."""
        p, c = CaCrlPartition, CaCertificate
        missed = exists().where(
            c.issuer == p.issuer,
            c.crl_partition == p.partition,
            c.revoked_at.is_not(None),
            c.revoked_at <= dirty_before,
            or_(p.this_update.is_(None), c.revoked_at >= p.this_update),
        )
        dirty = or_(p.epoch > p.crl_epoch, p.der.is_(None))
        query = (
            select(p.partition)
            .where(p.issuer == issuer)
            .where(or_(and_(dirty, missed), p.next_update <= now))
            .order_by(p.partition)
        )
        with self._db.engine.connect() as connection:
            return [int(n) for n in connection.execute(query).scalars()]

    def epochs(self, issuer: str) -> dict[int, int]:
        """Every partition's revocation epoch."""
        query = select(CaCrlPartition.partition, CaCrlPartition.epoch).where(CaCrlPartition.issuer == issuer)
        with self._db.engine.connect() as connection:
            return {int(p): int(e) for p, e in connection.execute(query).all()}

    def entries(self, issuer: str, partitions: Sequence[int | None]) -> dict[int | None, tuple[int, bytes]]:
        """Per partition (``None``: records without one): how many revoked and void records it has and their stored
        DER entries, concatenated (by PostgreSQL itself: a value per partition instead of a row per entry)."""
        found: dict[int | None, tuple[int, bytes]] = {p: (0, b"") for p in partitions}
        numbers = [p for p in partitions if p is not None]
        for start in range(0, len(numbers), 500):
            self._entries(issuer, CaCrlEntry.crl_partition.in_(numbers[start : start + 500]), found)
        if None in found:
            self._entries(issuer, CaCrlEntry.crl_partition.is_(None), found)
        return found

    def _entries(self, issuer: str, which: ColumnElement[bool], found: dict[int | None, tuple[int, bytes]]) -> None:
        partition = CaCrlEntry.crl_partition
        with self._db.engine.connect() as connection:
            if self._db.is_sqlite:  # group_concat is text: join the rows here
                rows: dict[int | None, list[bytes]] = {}
                listed = select(partition, CaCrlEntry.entry).where(CaCrlEntry.issuer == issuer, which)
                for number, entry in connection.execute(listed):
                    rows.setdefault(number, []).append(entry)
                chunks = [(number, len(parts), b"".join(parts)) for number, parts in rows.items()]
            else:
                joined = func.string_agg(CaCrlEntry.entry, literal(b"", LargeBinary))
                grouped = select(partition, func.count(), joined).where(CaCrlEntry.issuer == issuer, which)
                chunks = [(n, int(c), bytes(v or b"")) for n, c, v in connection.execute(grouped.group_by(partition))]
        for number, count, data in chunks:
            found[number] = (count, data)

    def save(self, issuer: str, crls: Sequence[tuple[int, CrlRecord, int]], event: AuditEvent) -> None:
        """Store each partition's CRL unless a higher-numbered one is; record the epoch it covers (never moving
        backwards); one transaction, one audit entry."""
        with self._db.session() as session:
            for partition, crl, covered in crls:
                key = (CaCrlPartition.issuer == issuer, CaCrlPartition.partition == partition)
                session.execute(
                    update(CaCrlPartition)
                    .where(*key, or_(CaCrlPartition.number.is_(None), CaCrlPartition.number < crl.number))
                    .values(
                        number=crl.number,
                        this_update=crl.this_update,
                        next_update=crl.next_update,
                        der=crl.der,
                        entries=crl.entries,
                    )
                )
                session.execute(
                    update(CaCrlPartition).where(*key, CaCrlPartition.crl_epoch < covered).values(crl_epoch=covered)
                )
            append_audit(session, event)

    def latest(self, issuer: str, partition: int) -> CrlRecord | None:
        """The partition's newest CRL."""
        with self._db.session() as session:
            row = session.get(CaCrlPartition, (issuer, partition))
            if row is None or row.der is None or row.number is None or row.this_update is None:
                return None
            if row.next_update is None:
                return None
            return CrlRecord(issuer, row.number, row.this_update, row.next_update, row.der, row.entries, partition)
