"""SQLAlchemy adapters for the CA's ports: certificate records, CRLs, CA certificates and the audit chain.

Every state change is a conditional ``UPDATE`` (``... WHERE status = 'pending'``) so concurrent writers cannot
both win, and every audited change appends its audit entry in the same transaction. The audit chain is
serialised by updating the single head row *first*: on PostgreSQL that takes a row lock, on SQLite the write lock
(a first statement that writes waits on ``busy_timeout`` instead of failing with a stale snapshot).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import String, Table, Update, bindparam, case, func, insert, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jointcert.ca.audit import GENESIS_HASH
from jointcert.ca.crl_der import encode_entry
from jointcert.ca.errors import AlreadyRevoked, CertificateNotFound, RecordCollision
from jointcert.ca.ports import (
    AuditEntry,
    AuditEvent,
    AuthorityRecord,
    BulkRevoked,
    CertificateRecord,
    CertificateState,
    CrlRecord,
    PendingRecord,
    RecordStatus,
    RevokedEntry,
)
from jointcert.errors import NotFound
from jointcert.storage.db import Database, rowcount
from jointcert.storage.repositories.ca_chain import HEAD_ID as _HEAD_ID
from jointcert.storage.repositories.ca_chain import append_audit, append_audit_many
from jointcert.storage.repositories.ca_epoch import bump_epoch, bump_partition
from jointcert.storage.tables.ca import (
    CaAuditHead,
    CaAuditLog,
    CaAuthority,
    CaCertificate,
    CaCompromisedKey,
    CaCrl,
    CaCrlCounter,
    CaCrlEntry,
    CaRequestKey,
)

__all__ = [
    "SqlAuditStore",
    "SqlCertificateStore",
    "append_audit",
    "insert_pending",
    "issue_pending",
    "pending_values",
    "serial_key",
    "supersede_in",
    "with_older",
]

_REASONS = {flag.value: flag for flag in x509.ReasonFlags}
# built once: SQLAlchemy reuses its compiled form, psycopg prepares it on the server after a few executions
_STATE = select(
    CaCertificate.status, CaCertificate.created_at, CaCertificate.revoked_at, CaCertificate.revocation_reason
).where(CaCertificate.issuer == bindparam("issuer"), CaCertificate.serial_hex == bindparam("serial"))
# asked on every issuance: the request key's record (idempotency) and the holder's active certificate
_BY_REQUEST_KEY = (
    select(CaCertificate)
    .join(
        CaRequestKey,
        (CaRequestKey.issuer == CaCertificate.issuer) & (CaRequestKey.serial_hex == CaCertificate.serial_hex),
    )
    .where(CaRequestKey.issuer == bindparam("issuer"), CaRequestKey.request_key == bindparam("key"))
)
_COMPROMISED = select(CaCompromisedKey.spki_sha256).where(CaCompromisedKey.spki_sha256 == bindparam("spki"))
_ACTIVE_OF_HOLDER = (
    select(CaCertificate)
    .where(
        CaCertificate.issuer == bindparam("issuer"),
        CaCertificate.holder_hash == bindparam("holder"),
        CaCertificate.profile == bindparam("profile"),
        CaCertificate.status == RecordStatus.ISSUED.value,
        CaCertificate.not_after > bindparam("now"),
    )
    .order_by(CaCertificate.id.desc())
    .limit(1)
)


# the issuance hot path as Core statements on the session's connection (no ORM unit of work), built once
_CERTS = cast(Table, CaCertificate.__table__)
_KEYS = cast(Table, CaRequestKey.__table__)
_INSERT_CERTS, _INSERT_KEYS = insert(_CERTS), insert(_KEYS)
_MINE, _OLD = _CERTS.alias("mine"), _CERTS.alias("old")
_MINE_AND_OLDER = _OLD.join(  # a record (mine) beside the issued records of its holder and profile recorded before it
    _MINE,
    (_OLD.c.issuer == _MINE.c.issuer)
    & (_OLD.c.holder_hash == _MINE.c.holder_hash)
    & (_OLD.c.profile == _MINE.c.profile)
    & (_OLD.c.id < _MINE.c.id)
    & (_OLD.c.status == RecordStatus.ISSUED.value),
)
_OLDER = (  # the holder's issued certificates of the same profile recorded before ``serial``, in one statement
    select(_OLD.c.serial_hex, _MINE.c.pair_serial_hex)
    .select_from(_MINE_AND_OLDER)
    .where(_MINE.c.issuer == bindparam("issuer"), _MINE.c.serial_hex == bindparam("serial"))
    .order_by(_OLD.c.id)
)
_WITH_OLDER = (  # which of ``serials`` have such older certificates (a batch's supersessions, one statement)
    select(_MINE.c.serial_hex)
    .distinct()
    .select_from(_MINE_AND_OLDER)
    .where(_MINE.c.issuer == bindparam("issuer"), _MINE.c.serial_hex.in_(bindparam("serials", expanding=True)))
)
_PAIR = select(_CERTS.c.pair_serial_hex).where(
    _CERTS.c.issuer == bindparam("issuer"), _CERTS.c.serial_hex == bindparam("serial")
)


def serial_key(serial: int) -> str:
    """The stored form of a serial number: lowercase hex without leading zeros."""
    return format(serial, "x")


def _revocation_time(value: datetime | str | None) -> datetime:
    """A revocation time as read for the CRL (SQLite: ISO text), UTC-aware; the earliest time when missing."""
    if value is None:
        return datetime.min.replace(tzinfo=UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _record(row: Any) -> CertificateRecord:
    """A record from an ORM row or a Core row of ``ca_certificates`` (the same attribute names)."""
    return CertificateRecord(
        issuer=row.issuer,
        serial=int(row.serial_hex, 16),
        status=RecordStatus(row.status),
        profile=row.profile,
        subject=row.subject,
        unique_id=row.unique_id,
        holder_hash=row.holder_hash,
        not_before=row.not_before,
        not_after=row.not_after,
        tbs_sha256=row.tbs_sha256,
        created_at=row.created_at,
        channel=row.channel,
        der=row.der,
        issued_at=row.issued_at,
        revoked_at=row.revoked_at,
        revocation_reason=None if row.revocation_reason is None else x509.ReasonFlags(row.revocation_reason),
        crl_partition=row.crl_partition,
        pair_serial=None if row.pair_serial_hex is None else int(row.pair_serial_hex, 16),
    )


def pending_values(record: PendingRecord) -> dict[str, object]:
    """The ``ca_certificates`` columns of a pending record (for an ORM row or a multi-row insert)."""
    return dict(
        issuer=record.issuer,
        serial_hex=serial_key(record.serial),
        status=RecordStatus.PENDING.value,
        profile=record.profile,
        subject=record.subject,
        unique_id=record.unique_id,
        holder_hash=record.holder_hash,
        channel=record.channel,
        not_before=record.not_before,
        not_after=record.not_after,
        tbs_sha256=record.tbs_sha256,
        created_at=record.created_at,
        crl_partition=record.crl_partition,
        pair_serial_hex=None if record.pair_serial is None else serial_key(record.pair_serial),
    )


def supersede_in(
    session: Session, issuer: str, serial: int, at: datetime, event: Callable[[int], AuditEvent]
) -> list[int]:
    """Inside ``session``: revoke (superseded) the holder's issued certificates of ``serial``'s profile recorded
    before it, with their pairs (never ``serial``'s own pair); the revoked serials."""
    session.flush()  # the session's pending rows first, as an ORM statement's autoflush would
    connection = session.connection()
    older = connection.execute(_OLDER, {"issuer": issuer, "serial": serial_key(serial)}).all()  # none: no holder
    revoked: list[int] = []
    for hex_serial, own_pair in older:
        for target in (hex_serial, *SqlCertificateStore._pair_of(session, issuer, hex_serial)):
            if target != own_pair and SqlCertificateStore._set_revoked(
                session, issuer, target, x509.ReasonFlags.superseded, at
            ):
                revoked.append(int(target, 16))
                append_audit(session, event(int(target, 16)))
    if revoked:
        bump_epoch(session, issuer)  # every node's caches and the CRL see it (storage/repositories/ca_epoch.py)
    return revoked


def issue_pending(session: Session, issuer: str, issued: Sequence[tuple[int, bytes]], at: datetime) -> bool:
    """Inside ``session``: the pending records of ``issued`` → issued, each with its DER, in one statement; whether
    every one of them was still pending (if not, the caller raises and the transaction rolls back)."""
    ders = {serial_key(serial): der for serial, der in issued}
    params: dict[str, object] = {"b_issuer": issuer, "b_serials": list(ders), "b_at": at}
    for i, (hex_serial, der) in enumerate(ders.items()):
        params[f"s{i}"], params[f"d{i}"] = hex_serial, der
    return rowcount(session.connection().execute(_issue_statement(len(ders)), params)) == len(ders)


@functools.lru_cache(maxsize=256)
def _issue_statement(size: int) -> Update:
    """``size`` pending records → issued, each with its DER (chosen by a ``CASE`` on the serial): one statement per
    number of records, built and compiled once."""
    serial_type, der_type = _CERTS.c.serial_hex.type, _CERTS.c.der.type
    whens = [(bindparam(f"s{i}", type_=serial_type), bindparam(f"d{i}", type_=der_type)) for i in range(size)]
    ders = case(*whens, value=_CERTS.c.serial_hex)
    return (
        update(_CERTS)
        .where(
            _CERTS.c.issuer == bindparam("b_issuer"), _CERTS.c.serial_hex.in_(bindparam("b_serials", expanding=True))
        )
        .where(_CERTS.c.status == RecordStatus.PENDING.value)
        .values(
            status=RecordStatus.ISSUED.value,
            der=ders,
            issued_at=bindparam("b_at", type_=_CERTS.c.issued_at.type),
        )
    )


def with_older(session: Session, issuer: str, serials: Sequence[int]) -> set[str]:
    """Inside ``session``: the hex serials among ``serials`` that :func:`supersede_in` would find older certificates
    for (so a batch asks only for those)."""
    session.flush()
    rows = session.connection().execute(_WITH_OLDER, {"issuer": issuer, "serials": [serial_key(s) for s in serials]})
    return {hex_serial for (hex_serial,) in rows}


def insert_pending(session: Session, records: Sequence[PendingRecord], events: Sequence[AuditEvent]) -> None:
    """Inside ``session``: the pending records (one multi-row ``INSERT``), their request keys and audit entries.
    A taken serial, unique id or request key raises ``IntegrityError``."""
    keys = [
        {
            "issuer": r.issuer,
            "request_key": r.request_key,
            "serial_hex": serial_key(r.serial),
            "created_at": r.created_at,
        }
        for r in records
        if r.request_key is not None
    ]
    session.flush()
    connection = session.connection()
    connection.execute(_INSERT_CERTS, [pending_values(r) for r in records])
    if keys:
        connection.execute(_INSERT_KEYS, keys)
    append_audit_many(session, events)


def _block_key(session: Session, row: CaCertificate, at: datetime) -> None:
    """Put the revoked certificate's key on the compromised-key blocklist (same transaction as the revocation)."""
    spki = (
        x509.load_der_x509_certificate(row.der or b"")
        .public_key()
        .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    digest = hashlib.sha256(spki).digest()
    if session.get(CaCompromisedKey, digest) is None:
        session.add(CaCompromisedKey(spki_sha256=digest, issuer=row.issuer, serial_hex=row.serial_hex, recorded_at=at))


class SqlAuditStore:
    """The audit chain in ``ca_audit_log`` with its head in ``ca_audit_head``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def append(self, event: AuditEvent) -> AuditEntry:
        """Append one event in its own transaction."""
        with self._db.session() as session:
            return append_audit(session, event)

    def entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Entries with ``seq > after_seq`` in order."""
        with self._db.session() as session:
            rows = session.scalars(
                select(CaAuditLog).where(CaAuditLog.seq > after_seq).order_by(CaAuditLog.seq).limit(limit)
            ).all()
            return [AuditEntry(r.seq, r.at, r.type, r.actor, r.payload, r.prev_hash, r.hash, r.mac) for r in rows]

    def head(self) -> tuple[int, bytes]:
        """Newest sequence number and hash."""
        with self._db.session() as session:
            row = session.execute(select(CaAuditHead.seq, CaAuditHead.hash).where(CaAuditHead.id == _HEAD_ID)).first()
            return (0, GENESIS_HASH) if row is None else (int(row[0]), bytes(row[1]))


class SqlCertificateStore:
    """Issuance records, CRLs and CA certificates in the ``ca_*`` tables."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # --- issuance records -------------------------------------------------------------------------------------
    def record_pending(self, record: PendingRecord, event: AuditEvent) -> None:
        """Insert the intended certificate and commit; a taken serial or unique id raises RecordCollision."""
        self.record_unit([record], [event])

    def record_unit(self, records: Sequence[PendingRecord], events: Sequence[AuditEvent]) -> None:
        """Insert every intended certificate of one unit (a sign + km pair) and their audit entries in one
        transaction; a taken serial, unique id or request key raises RecordCollision and records nothing."""
        try:
            with self._db.session() as session:
                insert_pending(session, records, events)
        except IntegrityError as exc:
            raise RecordCollision() from exc

    def find_by_request_key(self, issuer: str, request_key: str) -> CertificateRecord | None:
        """The record made for ``request_key``, or ``None``."""
        with self._db.connection() as connection:  # Core: no ORM session for a lookup on every request
            row = connection.execute(_BY_REQUEST_KEY, {"issuer": issuer, "key": request_key}).first()
        return None if row is None else _record(row)

    def mark_issued(
        self,
        issuer: str,
        serial: int,
        der: bytes,
        *,
        at: datetime,
        event: AuditEvent,
        supersede: Callable[[int], AuditEvent] | None = None,
    ) -> list[int]:
        """Store the signed certificate; optionally revoke older active ones of the same holder and profile."""
        return self.mark_unit_issued(issuer, [(serial, der)], at=at, events=[event], supersede=supersede)

    def mark_unit_issued(
        self,
        issuer: str,
        issued: Sequence[tuple[int, bytes]],
        *,
        at: datetime,
        events: Sequence[AuditEvent],
        supersede: Callable[[int], AuditEvent] | None = None,
    ) -> list[int]:
        """Store every signed certificate of one unit in one transaction (all or nothing); optionally revoke the
        holder's older active certificates of the same profiles, with their pairs."""
        with self._db.session() as session:
            if not issue_pending(session, issuer, issued, at):  # the exception rolls the whole unit back
                raise AlreadyRevoked("The record is no longer pending (voided by recovery?); the certificate is void.")
            append_audit_many(session, events)
            if supersede is None:
                return []
            revoked: list[int] = []
            for serial, _ in issued:
                revoked += self._supersede(session, issuer, serial, at, supersede)
            return revoked

    def _supersede(
        self, session: Session, issuer: str, serial: int, at: datetime, event: Callable[[int], AuditEvent]
    ) -> list[int]:
        return supersede_in(session, issuer, serial, at, event)

    def supersede_older(
        self, issuer: str, serial: int, *, at: datetime, supersede: Callable[[int], AuditEvent]
    ) -> list[int]:
        """Revoke (superseded) the holder's issued certificates of the same profile recorded before ``serial`` and
        before its pair (with their own pairs)."""
        with self._db.session() as session:
            revoked = self._supersede(session, issuer, serial, at, supersede)
            for pair in self._pair_of(session, issuer, serial_key(serial)):
                revoked += self._supersede(session, issuer, int(pair, 16), at, supersede)
            return revoked

    @staticmethod
    def _pair_of(session: Session, issuer: str, hex_serial: str) -> list[str]:
        """The serial of the other certificate of a sign + km pair (empty for a single certificate)."""
        pair = session.connection().scalar(_PAIR, {"issuer": issuer, "serial": hex_serial})
        return [] if pair is None else [pair]

    @staticmethod
    def _set_revoked(session: Session, issuer: str, hex_serial: str, reason: x509.ReasonFlags, at: datetime) -> bool:
        """Revoke one issued record, storing its CRL entry and marking its CRL partition dirty."""
        entry = encode_entry(int(hex_serial, 16), at, None if reason is x509.ReasonFlags.unspecified else reason)
        row = session.execute(
            update(CaCertificate)
            .where(CaCertificate.issuer == issuer, CaCertificate.serial_hex == hex_serial)
            .where(CaCertificate.status == RecordStatus.ISSUED.value)
            .values(status=RecordStatus.REVOKED.value, revoked_at=at, revocation_reason=reason.value)
            .returning(CaCertificate.crl_partition)
        ).first()
        if row is None:
            return False
        session.add(CaCrlEntry(issuer=issuer, serial_hex=hex_serial, crl_partition=row[0], entry=entry))
        bump_partition(session, issuer, row[0])
        return True

    def revoke(
        self,
        issuer: str,
        serial: int,
        reason: x509.ReasonFlags,
        at: datetime,
        event: AuditEvent,
        *,
        pair_event: Callable[[int], AuditEvent] | None = None,
    ) -> CertificateRecord:
        """Revoke an issued certificate (atomically: only one concurrent revocation wins) and, in the same
        transaction and for the same reason, the other certificate of its sign + km pair (audited by
        ``pair_event``, or by ``event`` itself when none is given)."""
        with self._db.session() as session:
            if not self._set_revoked(session, issuer, serial_key(serial), reason, at):
                exists = session.scalar(
                    select(func.count())
                    .select_from(CaCertificate)
                    .where(CaCertificate.issuer == issuer, CaCertificate.serial_hex == serial_key(serial))
                )
                raise AlreadyRevoked() if exists else CertificateNotFound()
            append_audit(session, event)
            rows = [self._row(session, issuer, serial_key(serial))]
            for pair in self._pair_of(session, issuer, serial_key(serial)):
                if self._set_revoked(session, issuer, pair, reason, at):
                    append_audit(session, event if pair_event is None else pair_event(int(pair, 16)))
                    rows.append(self._row(session, issuer, pair))
            bump_epoch(session, issuer)
            for row in rows:
                if reason is x509.ReasonFlags.key_compromise and row.der is not None:
                    _block_key(session, row, at)
            return _record(rows[0])

    def revoke_many(
        self,
        issuer: str,
        serials: Sequence[int],
        reason: x509.ReasonFlags,
        at: datetime,
        *,
        event: Callable[[int], AuditEvent],
        pair_event: Callable[[int, int], AuditEvent],
    ) -> BulkRevoked:
        """Revoke the issued certificates among ``serials`` and the other certificate of each one's sign + km
        pair, in one transaction (one audit entry each, one epoch bump); the rest (unknown, already revoked) are
        left as they are and counted by the caller."""
        revoked: list[int] = []
        pairs: list[int] = []
        with self._db.session() as session:
            for serial in serials:
                hex_serial = serial_key(serial)
                if not self._set_revoked(session, issuer, hex_serial, reason, at):
                    continue
                append_audit(session, event(serial))
                revoked.append(serial)
                rows = [hex_serial]
                for pair in self._pair_of(session, issuer, hex_serial):
                    if self._set_revoked(session, issuer, pair, reason, at):
                        append_audit(session, pair_event(int(pair, 16), serial))
                        pairs.append(int(pair, 16))
                        rows.append(pair)
                if reason is x509.ReasonFlags.key_compromise:
                    for hex_row in rows:
                        row = self._row(session, issuer, hex_row)
                        if row.der is not None:
                            _block_key(session, row, at)
            if revoked:
                bump_epoch(session, issuer)
        return BulkRevoked(revoked, pairs)

    @staticmethod
    def _row(session: Session, issuer: str, hex_serial: str) -> CaCertificate:
        return session.scalars(
            select(CaCertificate).where(CaCertificate.issuer == issuer, CaCertificate.serial_hex == hex_serial)
        ).one()

    def is_key_compromised(self, spki_sha256: bytes) -> bool:
        """Whether a key with this SubjectPublicKeyInfo hash was revoked for keyCompromise."""
        with self._db.engine.connect() as connection:
            found = connection.execute(_COMPROMISED, {"spki": spki_sha256}).first()
        return found is not None

    def get(self, issuer: str, serial: int) -> CertificateRecord | None:
        """One record by issuer and serial."""
        with self._db.session() as session:
            row = session.scalars(
                select(CaCertificate).where(
                    CaCertificate.issuer == issuer, CaCertificate.serial_hex == serial_key(serial)
                )
            ).first()
            return None if row is None else _record(row)

    def state(self, issuer: str, serial: int) -> CertificateState | None:
        """Status columns of one record, read on a plain connection (no ORM session, no DER)."""
        with self._db.engine.connect() as connection:
            row = connection.execute(_STATE, {"issuer": issuer, "serial": serial_key(serial)}).first()
        if row is None:
            return None
        status, created_at, revoked_at, reason = row
        return CertificateState(
            RecordStatus(status),
            created_at,
            revoked_at,
            None if reason is None else x509.ReasonFlags(reason),
        )

    def find_active(self, issuer: str, holder_hash: bytes, profile: str, now: datetime) -> CertificateRecord | None:
        """The newest issued, unexpired certificate of the holder and profile."""
        values = {"issuer": issuer, "holder": holder_hash, "profile": profile, "now": now}
        with self._db.connection() as connection:  # Core: asked on every issuance
            row = connection.execute(_ACTIVE_OF_HOLDER, values).first()
        return None if row is None else _record(row)

    def revoked(self, issuer: str) -> list[RevokedEntry]:
        """Revoked and void records of the issuer, oldest first (a plain connection: a CRL may list millions)."""
        statuses = (RecordStatus.REVOKED.value, RecordStatus.VOID.value)
        # SQLite keeps datetimes as text that SQLAlchemy parses with a regex per row (≈30 s for a million rows);
        # read the text and parse it with datetime.fromisoformat instead
        when = type_coerce(CaCertificate.revoked_at, String) if self._db.is_sqlite else CaCertificate.revoked_at
        query = (
            select(CaCertificate.serial_hex, when, CaCertificate.revocation_reason)
            .where(CaCertificate.issuer == issuer, CaCertificate.status.in_(statuses))
            .order_by(CaCertificate.id)
        )
        with self._db.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [RevokedEntry(int(s, 16), _revocation_time(at), None if r is None else _REASONS[r]) for s, at, r in rows]

    def void_stale(self, issuer: str, before: datetime, at: datetime, event: Callable[[int], AuditEvent]) -> list[int]:
        """Void pending records older than ``before`` (the signing step never completed for them)."""
        with self._db.session() as session:
            stale = session.scalars(
                select(CaCertificate.serial_hex).where(
                    CaCertificate.issuer == issuer,
                    CaCertificate.status == RecordStatus.PENDING.value,
                    CaCertificate.created_at < before,
                )
            ).all()
            voided: list[int] = []
            for hex_serial in stale:
                row = session.execute(
                    update(CaCertificate)
                    .where(CaCertificate.issuer == issuer, CaCertificate.serial_hex == hex_serial)
                    .where(CaCertificate.status == RecordStatus.PENDING.value)
                    .values(status=RecordStatus.VOID.value, revoked_at=at, revocation_reason=None)
                    .returning(CaCertificate.crl_partition)
                ).first()
                if row is not None:
                    entry = encode_entry(int(hex_serial, 16), at, None)
                    session.add(CaCrlEntry(issuer=issuer, serial_hex=hex_serial, crl_partition=row[0], entry=entry))
                    bump_partition(session, issuer, row[0])
                    voided.append(int(hex_serial, 16))
                    append_audit(session, event(int(hex_serial, 16)))
            if voided:
                bump_epoch(session, issuer)
            return voided

    def counts(self) -> dict[str, int]:
        """Records by status."""
        with self._db.session() as session:
            rows = session.execute(select(CaCertificate.status, func.count()).group_by(CaCertificate.status)).all()
        return {str(status): int(n) for status, n in rows}

    # --- CRLs --------------------------------------------------------------------------------------------------
    def next_crl_number(self, issuer: str, count: int = 1) -> int:
        """Allocate the next ``count`` CRL numbers, returning the last (committed before the CRLs are signed, so
        numbers never repeat)."""
        for _ in range(3):
            try:
                with self._db.session() as session:
                    bumped = session.execute(
                        update(CaCrlCounter)
                        .where(CaCrlCounter.issuer == issuer)
                        .values(number=CaCrlCounter.number + count)
                    )
                    if rowcount(bumped) == 0:
                        session.execute(insert(CaCrlCounter).values(issuer=issuer, number=count))
                    return int(session.scalars(select(CaCrlCounter.number).where(CaCrlCounter.issuer == issuer)).one())
            except IntegrityError:
                continue  # another writer created the counter first; bump it instead
        raise RecordCollision("Could not allocate a CRL number.")

    def save_crl(self, crl: CrlRecord, event: AuditEvent) -> None:
        """Keep ``crl`` as the newest unless a higher-numbered one is already stored."""
        values = {"number": crl.number, "this_update": crl.this_update, "next_update": crl.next_update, "der": crl.der}
        with self._db.session() as session:
            newer = session.execute(
                update(CaCrl).where(CaCrl.issuer == crl.issuer, CaCrl.number < crl.number).values(**values)
            )
            if rowcount(newer) == 0 and session.get(CaCrl, crl.issuer) is None:
                session.execute(insert(CaCrl).values(issuer=crl.issuer, **values))
            append_audit(session, event)

    def latest_crl(self, issuer: str) -> CrlRecord | None:
        """The newest stored CRL of the issuer."""
        with self._db.session() as session:
            row = session.get(CaCrl, issuer)
            if row is None:
                return None
            return CrlRecord(row.issuer, row.number, row.this_update, row.next_update, row.der)

    # --- CA certificates ---------------------------------------------------------------------------------------
    def add_authority(self, authority: AuthorityRecord) -> None:
        """Record a CA certificate of the instance."""
        with self._db.session() as session:
            session.add(
                CaAuthority(
                    slug=authority.slug,
                    role=authority.role,
                    der=authority.der,
                    key_name=authority.key_name,
                    created_at=authority.created_at,
                )
            )

    def replace_authority(self, slug: str, der: bytes, key_name: str) -> None:
        """Point a CA role at a new certificate and key (OCSP signer renewal)."""
        with self._db.session() as session:
            row = session.get(CaAuthority, slug)
            if row is None:
                raise NotFound(f"No CA role {slug!r}.", message_ko="CA 역할을 찾을 수 없습니다.")
            row.der, row.key_name = der, key_name

    def authorities(self) -> Sequence[AuthorityRecord]:
        """Every CA certificate of the instance."""
        with self._db.session() as session:
            rows = session.scalars(select(CaAuthority).order_by(CaAuthority.created_at)).all()
            return [AuthorityRecord(r.slug, r.role, r.der, r.key_name, r.created_at) for r in rows]
