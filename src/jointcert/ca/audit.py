"""The tamper-evident audit log: each entry's hash = SHA-256(previous hash || canonical JSON of the event), and
each entry's MAC = HMAC-SHA256(audit key, previous MAC || every column of the row).

The canonical JSON (sorted keys, no spaces, UTF-8) binds the sequence number, time, type, actor and data, so
changing, reordering, inserting or deleting a row breaks a link that :func:`verify_chain` reports. The hash chain
alone can be recomputed by anyone who can write the database; the MAC cannot: its key is derived from the instance
secret (:func:`derive_audit_keys`), which is never stored in the database. The MACs chain too (each covers the
previous MAC), so the newest MAC commits to the whole log; checkpoints of it kept outside the database
(``ca/checkpoint.py``) catch a cut tail with a rewound head. Entries written before the log was keyed carry no MAC
(``mac`` NULL): they may only form a prefix, and the first keyed entry covers the prefix's last hash through its
``prev_hash`` column. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jointcert.ca.ports import AuditEntry, AuditEvent, AuditStore

__all__ = [
    "GENESIS_HASH",
    "AuditKeys",
    "ChainReport",
    "canonical_payload",
    "chain_hash",
    "derive_audit_keys",
    "entry_mac",
    "verify_chain",
    "verify_store",
]

GENESIS_HASH = bytes(32)
_FORBIDDEN_KEYS = frozenset({"rrn", "resident_number", "password", "passphrase", "secret", "private_key", "pin"})


def _timestamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


@dataclass(frozen=True, repr=False)
class AuditKeys:
    """The two keys of the audit log, derived from the instance secret: entry MACs and checkpoint tags."""

    entry: bytes
    checkpoint: bytes


def derive_audit_keys(secret: bytes) -> AuditKeys:
    """HKDF-SHA256 of the instance secret key, one label per use (never stored anywhere)."""

    def derive(label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)

    return AuditKeys(derive(b"jointcert audit entry mac v1"), derive(b"jointcert audit checkpoint v1"))


def _field(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def entry_mac(key: bytes, prev_mac: bytes, entry: AuditEntry) -> bytes:
    """HMAC-SHA256 over the previous MAC and every column: seq, at (UTC, microseconds), type, actor, payload,
    prev_hash and hash, each length-prefixed."""
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds").encode()
    parts = [entry.type.encode(), entry.actor.encode(), entry.payload.encode(), entry.prev_hash, entry.hash]
    message = prev_mac + entry.seq.to_bytes(8, "big") + _field(at) + b"".join(_field(p) for p in parts)
    return hmac.new(key, message, hashlib.sha256).digest()


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
    keyed: int = 0  # entries whose MAC was verified (0 when verified without the key)
    last_mac: bytes = GENESIS_HASH

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
    columns = (body.get("seq"), body.get("type"), body.get("actor")) == (entry.seq, entry.type, entry.actor)
    if not columns or not _same_time(body.get("at"), entry.at):
        return "columns (seq, at, type, actor) disagree with the hashed payload"
    if not hmac.compare_digest(chain_hash(prev, entry.payload), entry.hash):
        return "hash does not match the content"
    return None


def _same_time(text: object, at: datetime) -> bool:
    try:
        stamped = datetime.fromisoformat(str(text))
    except ValueError:
        return False
    return stamped.tzinfo is not None and stamped == at


def _check_mac(entry: AuditEntry, key: bytes, prev_mac: bytes, keyed: int) -> str | None:
    if entry.mac is None:
        return "an entry after keyed entries has no MAC (rows were rewritten)" if keyed else None
    if not hmac.compare_digest(entry_mac(key, prev_mac, entry), entry.mac):
        return "the MAC does not match (the entry was changed or the chain rewritten without the key)"
    return None


def verify_chain(
    entries: Iterable[AuditEntry],
    head: tuple[int, bytes] | None = None,
    *,
    start: tuple[int, bytes] = (0, GENESIS_HASH),
    key: bytes | None = None,
    start_mac: tuple[int, bytes] = (0, GENESIS_HASH),
) -> ChainReport:
    """Walk the chain from ``start`` and report the first broken link (and a truncated tail against ``head``).

    With ``key`` every MAC is checked too; ``start_mac`` = (entries keyed so far, the MAC to chain from)."""
    seq, prev = start
    keyed, prev_mac = start_mac
    checked = 0
    for entry in entries:
        problem = _check(entry, seq + 1, prev)
        if problem is None and key is not None:
            problem = _check_mac(entry, key, prev_mac, keyed)
        if problem is not None:  # a missing entry is reported by the number it should have had
            return ChainReport(checked, min(entry.seq, seq + 1), problem, keyed, prev_mac)
        if key is not None and entry.mac is not None:
            keyed, prev_mac = keyed + 1, entry.mac
        seq, prev = entry.seq, entry.hash
        checked += 1
    if head is not None and (head[0] != seq or not hmac.compare_digest(head[1], prev)):
        reason = "the chain head does not match the last entry (rows were removed)"
        return ChainReport(checked, seq + 1, reason, keyed, prev_mac)
    return ChainReport(checked, keyed=keyed, last_mac=prev_mac)


def verify_store(store: AuditStore, page: int = 1000, *, key: bytes | None = None) -> ChainReport:
    """Verify the whole log held by ``store``, page by page (and every MAC when ``key`` is given)."""
    head = store.head()
    seq, prev, checked, mac_state = 0, GENESIS_HASH, 0, (0, GENESIS_HASH)
    while True:
        batch = store.entries(after_seq=seq, limit=page)
        if not batch:
            break
        report = verify_chain(batch, start=(seq, prev), key=key, start_mac=mac_state)
        if not report.ok:
            return ChainReport(checked + report.checked, report.broken_seq, report.reason, report.keyed)
        checked += report.checked
        seq, prev, mac_state = batch[-1].seq, batch[-1].hash, (report.keyed, report.last_mac)
    final = verify_chain([], head, start=(seq, prev), key=key, start_mac=mac_state)
    return ChainReport(checked, final.broken_seq, final.reason, final.keyed, final.last_mac)
