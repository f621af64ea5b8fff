"""Tables of the copy relay (prefix ``relay_``): one row per transfer, ciphertext only, kept minutes.

The row never holds the code, a password or a key: the code's id digits (primary key), the receiver's random salt
and KDF count, SHA-256 hashes of the receiver token and of the upload proof, and the sender's AES-GCM ciphertext
while it waits for its single download. Verifier and ciphertext are set to NULL as soon as they are spent; rows are
deleted a TTL after they finish. Binary columns come last (see ``tables/bank.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["RelayTransfer"]


class RelayTransfer(Base):
    """A certificate copy between two devices."""

    __tablename__ = "relay_transfers"

    id: Mapped[str] = mapped_column(String(8), primary_key=True)  # the code's first digits
    status: Mapped[str] = mapped_column(String(12))  # TransferStatus
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    uploaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    iterations: Mapped[int] = mapped_column(Integer)
    wrong_codes: Mapped[int] = mapped_column(Integer)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    receiver_token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    verifier: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
