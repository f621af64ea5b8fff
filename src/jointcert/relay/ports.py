"""What the relay needs from storage: one small Protocol (implemented in ``jointcert.storage``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from jointcert.relay.model import TransferRecord

__all__ = ["TransferStore"]


class TransferStore(Protocol):
    """Transfers by id. Every state change is conditional, so concurrent requests cannot both win.

    Implementations must not keep a ciphertext or verifier they were told to drop, and should scrub the storage
    space it occupied (SQLite ``secure_delete``, a WAL checkpoint) where the engine allows it.
    """

    def insert(self, record: TransferRecord) -> bool:
        """Store a new transfer; ``False`` when a transfer with that id exists."""
        ...

    def get(self, transfer_id: str) -> TransferRecord | None:
        """The transfer, or ``None``."""
        ...

    def count_wrong_code(self, transfer_id: str, max_wrong: int, now: datetime) -> int | None:
        """Add one wrong code to a WAITING transfer and burn it (status BURNED, verifier dropped) when the count
        reaches ``max_wrong``; return the new count, or ``None`` if the transfer was not WAITING."""
        ...

    def put_envelope(self, transfer_id: str, envelope: bytes, now: datetime) -> bool:
        """WAITING → UPLOADED with the ciphertext (verifier dropped); ``False`` if it was not WAITING."""
        ...

    def take_envelope(self, transfer_id: str, now: datetime) -> bytes | None:
        """UPLOADED → DOWNLOADED, returning the ciphertext and dropping it; ``None`` if not UPLOADED."""
        ...

    def finish(self, transfer_id: str, status: str, now: datetime) -> bool:
        """A live transfer → ``status`` (expired, cancelled), dropping ciphertext and verifier."""
        ...

    def sweep(self, now: datetime, forget_before: datetime) -> int:
        """Expire live transfers past ``expires_at`` (dropping their data) and delete those that expired before
        ``forget_before``; return how many rows changed."""
        ...
