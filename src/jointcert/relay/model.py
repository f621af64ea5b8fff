"""Values of the copy relay: transfer states, the stored record, what each side is shown, and protocol limits."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "DEFAULT_ITERATIONS",
    "ID_DIGITS",
    "MAX_ENVELOPE_BYTES",
    "MAX_ITERATIONS",
    "MIN_CODE_DIGITS",
    "MIN_ITERATIONS",
    "PROOF_BYTES",
    "SALT_BYTES",
    "TOKEN_BYTES",
    "VERIFIER_BYTES",
    "CreatedTransfer",
    "NewTransfer",
    "TransferRecord",
    "TransferStatus",
    "TransferView",
]

ID_DIGITS = 4  # the code's first digits address the transfer; the rest never leave the two devices
MIN_CODE_DIGITS = 12
SALT_BYTES = 16
VERIFIER_BYTES = 32  # SHA-256 of the upload proof
PROOF_BYTES = 32
TOKEN_BYTES = 32  # the receiver's bearer token (only its SHA-256 is stored)
MIN_ITERATIONS = 600_000  # PBKDF2-HMAC-SHA256 of the code: both sides refuse fewer
DEFAULT_ITERATIONS = 1_000_000
MAX_ITERATIONS = 10_000_000
MAX_ENVELOPE_BYTES = 64 * 1024  # a certificate and an encrypted key are ~3 KiB


class TransferStatus(enum.StrEnum):
    """Life of a transfer: waiting → uploaded → downloaded; or → expired / burned / cancelled."""

    WAITING = "waiting"  # created by the receiver, nothing sent yet
    UPLOADED = "uploaded"  # the sender's ciphertext is held
    DOWNLOADED = "downloaded"  # received once; the ciphertext is gone
    EXPIRED = "expired"  # past its time; the ciphertext (if any) is gone
    BURNED = "burned"  # too many wrong codes
    CANCELLED = "cancelled"  # the receiver gave up

    @property
    def is_live(self) -> bool:
        """Whether the transfer can still make progress."""
        return self in (TransferStatus.WAITING, TransferStatus.UPLOADED)


@dataclass(frozen=True)
class NewTransfer:
    """What the receiver asks the relay to hold: an id and the code's public KDF inputs plus the proof verifier."""

    transfer_id: str
    salt: bytes
    iterations: int
    verifier: bytes  # SHA-256(upload proof); the proof is derived from the whole code with PBKDF2


@dataclass(frozen=True)
class TransferRecord:
    """A stored transfer (what the storage port reads and writes)."""

    transfer_id: str
    status: TransferStatus
    created_at: datetime
    expires_at: datetime
    iterations: int
    wrong_codes: int
    salt: bytes
    receiver_token_hash: bytes
    verifier: bytes | None  # cleared once the upload is accepted (or the code burned)
    envelope: bytes | None  # the sender's ciphertext, only while UPLOADED
    uploaded_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class TransferView:
    """What anyone who knows the id may see: state, time left and the KDF parameters the sender needs."""

    transfer_id: str
    status: TransferStatus
    expires_at: datetime
    seconds_left: int
    salt: bytes
    iterations: int
    attempts_left: int


@dataclass(frozen=True)
class CreatedTransfer:
    """The receiver's handle: the public view and the bearer token that alone may download or cancel."""

    view: TransferView
    receiver_token: str
