"""Signed checkpoints of the audit chain's head, kept outside the database (a JSON-lines file in the data dir).

Each line is ``{"seq", "hash", "mac", "at", "tag"}``: the head's sequence number, its chain hash and its MAC, the
time of the checkpoint, and ``tag`` = HMAC-SHA256 under the checkpoint key (derived from the instance secret,
:func:`jointcert.ca.audit.derive_audit_keys`; not in the database). An HMAC rather than a signature by a CA key:
verifying the entry MACs needs the instance secret anyway, and the CA keys may live in an HSM later (ca/keys.py).
:func:`verify_anchored` checks the chain (hashes and MACs) and then every checkpoint against the stored entries:
an entry at a checkpointed position that is missing or differs (a cut tail with a rewound head, a re-keyed or
re-hashed chain) is reported. What happened after the newest checkpoint is protected by the MACs only: a cut of
the newest entries (at most ``audit_checkpoint_entries`` or ``audit_checkpoint_minutes`` worth) is not detectable.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from jointcert.ca.audit import AuditKeys, ChainReport, verify_store
from jointcert.ca.ports import AuditStore
from jointcert.clock import Clock

__all__ = ["AuditAnchor", "Checkpoint", "CheckpointFile", "verify_anchored"]


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: the head at ``seq`` (hash and MAC, hex) taken at ``at``."""

    seq: int
    hash: str
    mac: str
    at: str

    def message(self) -> bytes:
        """The bytes the tag covers."""
        return json.dumps([self.seq, self.hash, self.mac, self.at], separators=(",", ":")).encode()


class CheckpointFile:
    """An append-only JSON-lines file of tagged checkpoints (created 0600; appends serialised with ``flock``)."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path, self._key = path, key

    def _tag(self, checkpoint: Checkpoint) -> str:
        return hmac.new(self._key, checkpoint.message(), hashlib.sha256).hexdigest()

    def append(self, checkpoint: Checkpoint) -> None:
        """Add one checkpoint line (fsynced)."""
        line = json.dumps({**checkpoint.__dict__, "tag": self._tag(checkpoint)}, separators=(",", ":")) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> tuple[list[Checkpoint], list[int]]:
        """The checkpoints whose tag verifies, and the line numbers of those that do not."""
        if not self.path.exists():
            return [], []
        good: list[Checkpoint] = []
        bad: list[int] = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                data = json.loads(line)
                checkpoint = Checkpoint(int(data["seq"]), str(data["hash"]), str(data["mac"]), str(data["at"]))
                tag_ok = hmac.compare_digest(self._tag(checkpoint), str(data["tag"]))
            except (ValueError, KeyError, TypeError):
                tag_ok = False
            if tag_ok:
                good.append(checkpoint)
            else:
                bad.append(number)
        return good, bad


class AuditAnchor:
    """Writes a checkpoint when ``every_entries`` entries or ``every_minutes`` have passed since the last one."""

    def __init__(
        self, store: AuditStore, keys: AuditKeys, path: Path, clock: Clock, *, every_entries: int, every_minutes: int
    ) -> None:
        if every_entries < 1 or every_minutes < 1:
            raise ValueError("checkpoint intervals must be positive")
        self.store, self.file, self._clock = store, CheckpointFile(path, keys.checkpoint), clock
        self._key, self._entries, self._minutes = keys.entry, every_entries, every_minutes

    def verify(self) -> ChainReport:
        """:func:`verify_anchored` with this instance's keys and checkpoint file."""
        return verify_anchored(self.store, self._key, self.file)

    def checkpoint(self) -> Checkpoint | None:
        """Write a checkpoint of the current head now (None when the log is empty or has no MAC at its head)."""
        seq, _ = self.store.head()
        entries = self.store.entries(after_seq=seq - 1, limit=1) if seq else []
        if not entries or entries[0].mac is None:
            return None
        head, mac = entries[0], entries[0].mac
        checkpoint = Checkpoint(head.seq, head.hash.hex(), mac.hex(), self._clock.now().isoformat())
        self.file.append(checkpoint)
        return checkpoint

    def maybe_checkpoint(self) -> Checkpoint | None:
        """Checkpoint if the head moved ``every_entries`` since the last one, or moved at all and the last one is
        older than ``every_minutes``."""
        good, _ = self.file.read()
        seq, _ = self.store.head()
        if not good:
            return self.checkpoint()
        last = good[-1]
        if seq <= last.seq:
            return None
        old = self._clock.now() - datetime.fromisoformat(last.at) >= timedelta(minutes=self._minutes)
        return self.checkpoint() if old or seq - last.seq >= self._entries else None


def _check_point(store: AuditStore, checkpoint: Checkpoint) -> str | None:
    found = store.entries(after_seq=checkpoint.seq - 1, limit=1)
    if not found or found[0].seq != checkpoint.seq:
        return f"entry {checkpoint.seq}, checkpointed at {checkpoint.at}, is missing (the tail was cut)"
    entry = found[0]
    if entry.hash.hex() != checkpoint.hash or (entry.mac or b"").hex() != checkpoint.mac:
        return f"entry {checkpoint.seq} differs from its checkpoint of {checkpoint.at} (the chain was rewritten)"
    return None


def verify_anchored(store: AuditStore, key: bytes, file: CheckpointFile) -> ChainReport:
    """Verify hashes, MACs and every checkpoint; a log with keyed entries but no valid checkpoint fails."""
    report = verify_store(store, key=key)
    if not report.ok:
        return report
    good, bad = file.read()
    if bad:
        return ChainReport(report.checked, 0, f"checkpoint lines {bad} in {file.path} have a bad tag", report.keyed)
    if report.keyed and not good:
        return ChainReport(report.checked, 0, f"no checkpoint in {file.path}", report.keyed)
    head_seq, _ = store.head()
    for checkpoint in good:
        problem = _check_point(store, checkpoint)
        if problem is None and head_seq < checkpoint.seq:
            problem = f"the head ({head_seq}) is behind checkpoint {checkpoint.seq} (the head was rewound)"
        if problem is not None:
            return ChainReport(report.checked, min(checkpoint.seq, head_seq + 1), problem, report.keyed)
    return report
