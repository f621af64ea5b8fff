"""What the CMP server needs from storage: the transaction store (a small Protocol) and its values."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jointcert.cmp.errors import CmpError, FailInfo

__all__ = [
    "TransactionIdInUse",
    "TransactionRecord",
    "TransactionState",
    "TransactionStore",
]


class TransactionIdInUse(CmpError):
    """A new request reuses the transactionID of an earlier transaction."""

    code = "cmp_transaction_id_in_use"
    message_ko = "이미 사용된 CMP 트랜잭션 ID입니다."
    message_en = "The transactionID is already in use."
    default_fail_info = FailInfo.TRANSACTION_ID_IN_USE


class TransactionState(enum.StrEnum):
    """open (request being handled) → waiting (certificate sent, certConf expected) → confirmed | rejected |
    revoking → unconfirmed; open → closed for rr; an open transaction whose request fails is deleted."""

    OPEN = "open"
    WAITING = "waiting"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"  # certConf said no: the certificate was revoked
    REVOKING = "revoking"  # no certConf in time: being revoked
    SUPERSEDING = "superseding"  # certConf accepted: the holder's older certificates are being superseded
    UNCONFIRMED = "unconfirmed"  # no certConf in time: revoked
    CLOSED = "closed"


FINAL_STATES = frozenset(
    {TransactionState.CONFIRMED, TransactionState.REJECTED, TransactionState.UNCONFIRMED, TransactionState.CLOSED}
)


@dataclass(frozen=True)
class TransactionRecord:
    """A CMP transaction. ``secret_ciphertext`` (PBM transactions) is the authorization code encrypted for the
    certConf exchange and wiped when the transaction ends; ``signer_sha256`` (kur/rr) names the protection
    certificate that a certConf must be signed with."""

    transaction_id: bytes
    kind: str
    protection: str  # "pbm" | "signature"
    state: TransactionState
    created_at: datetime
    reference_number: str | None = None
    signer_sha256: bytes | None = None
    secret_ciphertext: bytes | None = None
    serial: int | None = None
    cert_req_id: int | None = None
    response_nonce: bytes | None = None
    deadline: datetime | None = None
    finished_at: datetime | None = None


class TransactionStore(Protocol):
    """Durable CMP transactions; every state change is conditional so concurrent actors cannot both win."""

    def open(self, record: TransactionRecord) -> None:
        """Insert an ``open`` transaction; :class:`TransactionIdInUse` when its transactionID exists."""
        ...

    def discard(self, transaction_id: bytes) -> None:
        """Delete an ``open`` transaction whose request failed (nothing is kept of refused requests)."""
        ...

    def issued(
        self,
        transaction_id: bytes,
        *,
        state: TransactionState,
        serial: int,
        cert_req_id: int,
        response_nonce: bytes,
        deadline: datetime | None,
        finished_at: datetime | None,
        secret_ciphertext: bytes | None,
    ) -> None:
        """Record what an ``open`` transaction issued and answered (``waiting`` or, implicitly confirmed, final)."""
        ...

    def get(self, transaction_id: bytes) -> TransactionRecord | None:
        """One transaction."""
        ...

    def transition(
        self,
        transaction_id: bytes,
        *,
        from_states: tuple[TransactionState, ...],
        to_state: TransactionState,
        at: datetime,
        deadline_after: datetime | None = None,
    ) -> bool:
        """Move the transaction from one of ``from_states`` to ``to_state`` (secret wiped when final); with
        ``deadline_after`` only while its deadline is later than that. Return whether it moved."""
        ...

    def overdue(self, now: datetime, *, open_before: datetime | None = None) -> list[TransactionRecord]:
        """``waiting`` transactions past their deadline, ``revoking`` and ``superseding`` ones (left by a crash)
        and, with ``open_before``, ``open`` ones created before it (a crash while the request was handled)."""
        ...
