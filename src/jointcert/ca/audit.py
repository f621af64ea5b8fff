"""The tamper-evident audit log: each entry's hash = SHA-256(previous hash || canonical JSON of the event).

The canonical JSON (sorted keys, no spaces, UTF-8) binds the sequence number, time, type, actor and data, so
changing, reordering, inserting or deleting a row breaks a link that :func:`verify_chain` reports.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jointcert.ca.ports import AuditEntry, AuditEvent, AuditStore

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "canonical_payload",
    "chain_hash",
    "verify_chain",
    "verify_store",
]

GENESIS_HASH = bytes(32)
_FORBIDDEN_KEYS = frozenset({"rrn", "resident_number", "password", "passphrase", "secret", "private_key", "pin"})


def _timestamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def canonical_payload(seq: int, event: AuditEvent) -> str:
    """The canonical JSON text that is stored and hashed for the event at position ``seq``."""
    leaked = _FORBIDDEN_KEYS.intersection(k.lower() for k in event.data)
    if leaked:
        raise ValueError(f"audit events must not carry secrets: {sorted(leaked)}")
    body: dict[str, Any] = {
        "seq": seq,
        "at": _timestamp(event.at),
        "type": event.type,
        "actor": event.actor,
        "data": dict(event.data),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: bytes, payload: str) -> bytes:
    """SHA-256 over the previous hash and the canonical payload."""
    return hashlib.sha256(prev_hash + payload.encode()).digest()


@dataclass(frozen=True)
class ChainReport:
    """Outcome of a verification: how many entries were checked and the first broken one, if any."""

    checked: int
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when every link holds."""
        return self.broken_seq is None


def _recanonical(entry: AuditEntry) -> str | None:
    try:
        body = json.loads(entry.payload)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check(entry: AuditEntry, expected_seq: int, prev: bytes) -> str | None:
    if entry.seq != expected_seq:
        return f"expected entry {expected_seq}, found {entry.seq} (a row was removed or inserted)"
    if not hmac.compare_digest(entry.prev_hash, prev):
        return "prev_hash does not match the previous entry"
    canon = _recanonical(entry)
    if canon is None or canon != entry.payload:
        return "payload is not canonical JSON"
    body = json.loads(canon)
    if body.get("seq") != entry.seq or body.get("type") != entry.type or body.get("actor") != entry.actor:
        return "columns disagree with the hashed payload"
    if not hmac.compare_digest(chain_hash(prev, entry.payload), entry.hash):
        return "hash does not match the content"
    return None


def verify_chain(
    entries: Iterable[AuditEntry],
    head: tuple[int, bytes] | None = None,
    *,
    start: tuple[int, bytes] = (0, GENESIS_HASH),
) -> ChainReport:
    """Walk the chain from ``start`` and report the first broken link (and a truncated tail against ``head``)."""
    seq, prev = start
    checked = 0
    for entry in entries:
        problem = _check(entry, seq + 1, prev)
        if problem is not None:  # a missing entry is reported by the number it should have had
            return ChainReport(checked, min(entry.seq, seq + 1), problem)
        seq, prev = entry.seq, entry.hash
        checked += 1
    if head is not None and (head[0] != seq or not hmac.compare_digest(head[1], prev)):
        return ChainReport(checked, seq + 1, "the chain head does not match the last entry (rows were removed)")
    return ChainReport(checked)


def verify_store(store: AuditStore, page: int = 1000) -> ChainReport:
    """Verify the whole log held by ``store``, page by page."""
    head = store.head()
    seq, prev, checked = 0, GENESIS_HASH, 0
    while True:
        batch = store.entries(after_seq=seq, limit=page)
        if not batch:
            break
        report = verify_chain(batch, start=(seq, prev))
        if not report.ok:
            return ChainReport(checked + report.checked, report.broken_seq, report.reason)
        checked += report.checked
        seq, prev = batch[-1].seq, batch[-1].hash
    final = verify_chain([], head, start=(seq, prev))
    return ChainReport(checked, final.broken_seq, final.reason)
