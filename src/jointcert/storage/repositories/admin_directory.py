"""SQLAlchemy adapter of :class:`jointcert.admin.directory.Directory`: read-only queries for the console over the
``bank_customers``, ``ra_*`` and ``ca_*`` tables (keyed hashes only, never a resident number)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select

from jointcert.admin.directory import AuditFilter, CertificateQuery, CertificateRow, CustomerRow, SessionRow
from jointcert.ca.ports import AuditEntry
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankCustomer
from jointcert.storage.tables.ca import CaAuditLog, CaCertificate
from jointcert.storage.tables.ra import RaCertificate, RaSession

__all__ = ["SqlDirectory"]

_NOT_SUBSCRIBER = ("ca", "ocsp")


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (``\\`` escapes)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _certificate_conditions(q: CertificateQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [CaCertificate.profile.not_in(_NOT_SUBSCRIBER)]
    if q.serial_hex is not None:
        found.append(CaCertificate.serial_hex == q.serial_hex)
    if q.subject_contains is not None:
        found.append(CaCertificate.subject.like(_like(q.subject_contains), escape="\\"))
    if q.holder_hash is not None:
        found.append(CaCertificate.holder_hash == q.holder_hash)
    if q.customer_id is not None:
        found.append(RaCertificate.customer_id == q.customer_id)
    if q.issuer is not None:
        found.append(CaCertificate.issuer == q.issuer)
    if q.issued_from is not None:
        found.append(CaCertificate.created_at >= q.issued_from)
    if q.issued_to is not None:
        found.append(CaCertificate.created_at < q.issued_to)
    if q.status is not None:
        found.append(CaCertificate.status == q.status)
    return found


class SqlDirectory:
    """:class:`jointcert.admin.directory.Directory`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def customers(
        self, *, name: str | None = None, user_id: str | None = None, rrn_hash: bytes | None = None, limit: int = 50
    ) -> list[CustomerRow]:
        """Customers by name prefix, exact user ID or keyed resident-number hash (no filter: none)."""
        stmt = select(BankCustomer.id, BankCustomer.user_id, BankCustomer.name)
        if name is None and user_id is None and rrn_hash is None:
            return []
        if name is not None:
            stmt = stmt.where(BankCustomer.name.like(_like(name)[1:], escape="\\"))
        if user_id is not None:
            stmt = stmt.where(BankCustomer.user_id == user_id)
        if rrn_hash is not None:
            stmt = stmt.where(BankCustomer.rrn_hash == rrn_hash)
        with self._db.session() as session:
            rows = session.execute(stmt.order_by(BankCustomer.name, BankCustomer.id).limit(limit)).all()
        return [CustomerRow(r[0], r[1], r[2]) for r in rows]

    def customer(self, customer_id: str) -> CustomerRow | None:
        """One customer by id."""
        with self._db.session() as session:
            row = session.get(BankCustomer, customer_id)
            return None if row is None else CustomerRow(row.id, row.user_id, row.name)

    def certificates(self, query: CertificateQuery) -> list[CertificateRow]:
        """Subscriber records matching ``query``, newest first, with the RA's customer id when known."""
        stmt = select(CaCertificate, RaCertificate.customer_id).outerjoin(
            RaCertificate, RaCertificate.serial_hex == CaCertificate.serial_hex
        )
        stmt = stmt.where(*_certificate_conditions(query))
        stmt = stmt.order_by(CaCertificate.created_at.desc(), CaCertificate.id.desc()).limit(query.limit)
        with self._db.session() as session:
            rows = session.execute(stmt).all()
            return [
                CertificateRow(
                    c.issuer,
                    c.serial_hex,
                    c.status,
                    c.profile,
                    c.subject,
                    c.not_before,
                    c.not_after,
                    c.created_at,
                    customer,
                    c.revoked_at,
                    c.revocation_reason,
                )
                for c, customer in rows
            ]

    def serials(self, query: CertificateQuery) -> list[str]:
        """The serials (hex) of the matching records, oldest first."""
        stmt = select(CaCertificate.serial_hex)
        if query.customer_id is not None:
            stmt = stmt.join(RaCertificate, RaCertificate.serial_hex == CaCertificate.serial_hex)
        stmt = stmt.where(*_certificate_conditions(query)).order_by(CaCertificate.id).limit(query.limit)
        with self._db.session() as session:
            return list(session.scalars(stmt).all())

    def sessions(self, customer_id: str, limit: int = 50) -> Sequence[SessionRow]:
        """The customer's issuance sessions, newest first."""
        stmt = (
            select(RaSession.id, RaSession.state, RaSession.created_at, RaSession.updated_at, RaSession.data)
            .where(RaSession.customer_id == customer_id)
            .order_by(RaSession.created_at.desc())
            .limit(limit)
        )
        with self._db.session() as session:
            rows = session.execute(stmt).all()
        found: list[SessionRow] = []
        for sid, state, created, updated, data in rows:
            facts = json.loads(data) if data else {}
            found.append(SessionRow(sid, state, created, updated, facts.get("cert_type"), facts.get("serial")))
        return found

    def audit(self, query: AuditFilter) -> list[AuditEntry]:
        """Entries matching the filter (actor/type substrings, time range), newest first."""
        stmt = select(CaAuditLog)
        if query.actor:
            stmt = stmt.where(CaAuditLog.actor.like(_like(query.actor), escape="\\"))
        if query.action:
            stmt = stmt.where(CaAuditLog.type.like(_like(query.action), escape="\\"))
        if query.since is not None:
            stmt = stmt.where(CaAuditLog.at >= query.since)
        if query.until is not None:
            stmt = stmt.where(CaAuditLog.at < query.until)
        with self._db.session() as session:
            rows = session.scalars(stmt.order_by(CaAuditLog.seq.desc()).limit(query.limit)).all()
            return [AuditEntry(r.seq, r.at, r.type, r.actor, r.payload, r.prev_hash, r.hash, r.mac) for r in rows]
