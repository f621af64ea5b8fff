"""The CA's audit chain: appending entries inside a transaction (every audited change of the CA's adapters).

The single head row is updated *first*: on PostgreSQL that takes a row lock, on SQLite the write lock, so writers
serialise on it; one append bumps the head once by the number of entries and inserts them in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Integer, LargeBinary, Table, bindparam, insert, update
from sqlalchemy.orm import Session

from jointcert.ca.audit import GENESIS_HASH, canonical_payload, chain_hash, entry_mac
from jointcert.ca.ports import AuditEntry, AuditEvent
from jointcert.storage.db import AUDIT_KEY
from jointcert.storage.tables.ca import CaAuditHead, CaAuditLog

__all__ = ["HEAD_ID", "append_audit", "append_audit_many"]

HEAD_ID = 1
_LOG = cast(Table, CaAuditLog.__table__)  # Core statements on the session's connection skip the ORM's bulk handling
_HEAD = cast(Table, CaAuditHead.__table__)
# built once: SQLAlchemy compiles each once and reuses it (no per-call construction or cache key)
_BUMP = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=_HEAD.c.seq + bindparam("count", type_=Integer))
    .returning(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.mac)
)
_SET_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(hash=bindparam("new_hash", type_=LargeBinary), mac=bindparam("new_mac", type_=LargeBinary))
)
_INSERT = insert(_LOG)


def append_audit(session: Session, event: AuditEvent) -> AuditEntry:
    """Append ``event`` to the chain inside ``session``'s transaction."""
    return append_audit_many(session, [event])[0]


def append_audit_many(session: Session, events: Sequence[AuditEvent]) -> list[AuditEntry]:
    """Append ``events`` to the chain inside ``session``'s transaction: the head bumped once by their number (which
    serialises writers), the entries inserted in one statement."""
    if not events:
        return []
    session.flush()  # the session's pending rows first, as an ORM statement's autoflush would
    connection = session.connection()
    last, prev, prev_mac = connection.execute(_BUMP, {"count": len(events)}).one()
    key: bytes | None = session.info.get(AUDIT_KEY)
    entries: list[AuditEntry] = []
    for seq, event in enumerate(events, start=int(last) - len(events) + 1):
        payload = canonical_payload(seq, event)
        digest = chain_hash(prev, payload)
        entry = AuditEntry(seq, event.at, event.type, event.actor, payload, prev, digest)
        mac = None if key is None else entry_mac(key, prev_mac or GENESIS_HASH, entry)
        entries.append(AuditEntry(seq, event.at, event.type, event.actor, payload, prev, digest, mac))
        prev, prev_mac = digest, mac
    connection.execute(_SET_HEAD, {"new_hash": prev, "new_mac": prev_mac})
    connection.execute(
        _INSERT,
        [
            {
                "seq": e.seq,
                "at": e.at,
                "type": e.type,
                "actor": e.actor,
                "payload": e.payload,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
                "mac": e.mac,
            }
            for e in entries
        ],
    )
    return entries
