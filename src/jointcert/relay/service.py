"""The relay service: holds one ciphertext per transfer for a short time and hands it out once.

It never sees the copy code. The receiver registers the code's id digits, a random salt, the PBKDF2 iteration
count and ``verifier = SHA-256(proof)``; the sender proves it knows the whole code by presenting ``proof`` (derived
from the code with PBKDF2 + HKDF, see :mod:`jointcert.relay.protocol`), which the service checks in constant time
against the verifier. Wrong proofs count against the transfer and burn it after ``max_wrong_codes``. The
ciphertext is deleted on its single download or at expiry. Per-client rate limits apply to every call.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import NoReturn

from jointcert.clock import Clock
from jointcert.config import RelaySettings
from jointcert.relay.errors import (
    AlreadyDownloaded,
    AlreadyUploaded,
    InvalidRelayRequest,
    NotUploaded,
    TransferBurned,
    TransferExpired,
    TransferIdTaken,
    TransferNotFound,
    WrongCode,
)
from jointcert.relay.model import (
    ID_DIGITS,
    MAX_ENVELOPE_BYTES,
    MAX_ITERATIONS,
    MIN_CODE_DIGITS,
    MIN_ITERATIONS,
    PROOF_BYTES,
    SALT_BYTES,
    TOKEN_BYTES,
    VERIFIER_BYTES,
    CreatedTransfer,
    NewTransfer,
    TransferRecord,
    TransferStatus,
    TransferView,
)
from jointcert.relay.ports import TransferStore
from jointcert.relay.ratelimit import RateLimiter

__all__ = ["RelayService"]

_ID = re.compile(rf"[0-9]{{{ID_DIGITS}}}")
_AES_GCM_OVERHEAD = 12 + 16  # IV + tag


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class RelayService:
    """Create, inspect, upload to, download from and cancel transfers."""

    def __init__(self, *, store: TransferStore, clock: Clock, settings: RelaySettings, limiter: RateLimiter) -> None:
        if settings.code_digits < MIN_CODE_DIGITS:
            raise ValueError(f"relay codes need at least {MIN_CODE_DIGITS} digits")
        if settings.ttl_seconds < 10 or settings.max_wrong_codes < 1:
            raise ValueError("relay ttl_seconds must be >= 10 and max_wrong_codes >= 1")
        self._store = store
        self._clock = clock
        self._settings = settings
        self._limiter = limiter

    @property
    def settings(self) -> RelaySettings:
        """The relay's settings (code length, time to live, wrong-code limit)."""
        return self._settings

    # --- receiver -------------------------------------------------------------------------------------------

    def create(self, new: NewTransfer, *, client: str) -> CreatedTransfer:
        """Register a transfer under ``new.transfer_id``; :class:`TransferIdTaken` if that id is live."""
        self._limiter.hit("create", client)
        _check_new(new)
        now = self._clock.now()
        self.sweep()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        record = TransferRecord(
            transfer_id=new.transfer_id,
            status=TransferStatus.WAITING,
            created_at=now,
            expires_at=now + timedelta(seconds=self._settings.ttl_seconds),
            iterations=new.iterations,
            wrong_codes=0,
            salt=new.salt,
            receiver_token_hash=_sha256(token.encode()),
            verifier=new.verifier,
            envelope=None,
        )
        if not self._store.insert(record):
            raise TransferIdTaken(transfer_id=new.transfer_id)
        return CreatedTransfer(self._view(record, now), token)

    def download(self, transfer_id: str, *, receiver_token: str, client: str) -> bytes:
        """The ciphertext, once: it is deleted as it is handed out."""
        self._limiter.hit("download", client)
        record = self._receivers(transfer_id, receiver_token)
        status = self._effective_status(record)
        if status is TransferStatus.WAITING:
            raise NotUploaded(transfer_id=transfer_id)
        self._refuse_finished(record, status)
        envelope = self._store.take_envelope(transfer_id, self._clock.now())
        if envelope is None:  # another request took it between our read and our update
            raise AlreadyDownloaded(transfer_id=transfer_id)
        return envelope

    def cancel(self, transfer_id: str, *, receiver_token: str, client: str) -> None:
        """The receiver gives up: a live transfer is closed and anything uploaded deleted."""
        self._limiter.hit("create", client)
        record = self._receivers(transfer_id, receiver_token)
        if record.status.is_live:
            self._store.finish(transfer_id, TransferStatus.CANCELLED, self._clock.now())

    # --- anyone who knows the id ----------------------------------------------------------------------------

    def status(self, transfer_id: str, *, client: str) -> TransferView:
        """State, time left, wrong-code attempts left and the sender's KDF parameters (nothing secret)."""
        self._limiter.hit("status", client)
        return self._view(self._get(transfer_id), self._clock.now())

    # --- sender ---------------------------------------------------------------------------------------------

    def upload(self, transfer_id: str, *, proof: bytes, envelope: bytes, client: str) -> TransferView:
        """Accept the ciphertext if ``proof`` matches the code's verifier; count and burn wrong proofs."""
        self._limiter.hit("upload", client)
        if not _AES_GCM_OVERHEAD < len(envelope) <= MAX_ENVELOPE_BYTES:
            raise InvalidRelayRequest("The encrypted certificate has an impossible size.", size=len(envelope))
        record = self._get(transfer_id)
        status = self._effective_status(record)
        if status is TransferStatus.UPLOADED:
            raise AlreadyUploaded(transfer_id=transfer_id)
        self._refuse_finished(record, status)
        now = self._clock.now()
        if not self._proof_matches(record, proof):
            self._wrong_code(transfer_id, now)
        if not self._store.put_envelope(transfer_id, envelope, now):
            raise AlreadyUploaded(transfer_id=transfer_id)
        return self._view(self._get(transfer_id), now)

    # --- housekeeping ---------------------------------------------------------------------------------------

    def sweep(self) -> int:
        """Expire overdue transfers (deleting their data) and forget those finished a TTL ago."""
        now = self._clock.now()
        return self._store.sweep(now, now - timedelta(seconds=self._settings.ttl_seconds))

    # --- internals ------------------------------------------------------------------------------------------

    def _get(self, transfer_id: str) -> TransferRecord:
        record = self._store.get(transfer_id) if _ID.fullmatch(transfer_id) else None
        if record is None:
            raise TransferNotFound(transfer_id=transfer_id)
        return record

    def _receivers(self, transfer_id: str, token: str) -> TransferRecord:
        record = self._get(transfer_id)
        if not hmac.compare_digest(_sha256(token.encode()), record.receiver_token_hash):
            raise TransferNotFound(transfer_id=transfer_id)  # not the receiver: as if it did not exist
        return record

    def _effective_status(self, record: TransferRecord) -> TransferStatus:
        if record.status.is_live and self._clock.now() >= record.expires_at:
            self._store.finish(record.transfer_id, TransferStatus.EXPIRED, self._clock.now())
            return TransferStatus.EXPIRED
        return record.status

    @staticmethod
    def _refuse_finished(record: TransferRecord, status: TransferStatus) -> None:
        errors = {
            TransferStatus.EXPIRED: TransferExpired,
            TransferStatus.BURNED: TransferBurned,
            TransferStatus.DOWNLOADED: AlreadyDownloaded,
            TransferStatus.CANCELLED: TransferNotFound,
        }
        error = errors.get(status)
        if error is not None:
            raise error(transfer_id=record.transfer_id)

    @staticmethod
    def _proof_matches(record: TransferRecord, proof: bytes) -> bool:
        if record.verifier is None or len(proof) != PROOF_BYTES:
            return False
        return hmac.compare_digest(_sha256(proof), record.verifier)

    def _wrong_code(self, transfer_id: str, now: datetime) -> NoReturn:
        limit = self._settings.max_wrong_codes
        count = self._store.count_wrong_code(transfer_id, limit, now)
        if count is None:  # it changed under us (uploaded, burned, expired): report its state now
            record = self._get(transfer_id)
            self._refuse_finished(record, self._effective_status(record))
            raise AlreadyUploaded(transfer_id=transfer_id)
        if count >= limit:
            raise TransferBurned(transfer_id=transfer_id)
        raise WrongCode(transfer_id=transfer_id, attempts_left=limit - count)

    def _view(self, record: TransferRecord, now: datetime) -> TransferView:
        status = self._effective_status(record)
        left = max(0, int((record.expires_at - now).total_seconds())) if status.is_live else 0
        return TransferView(
            transfer_id=record.transfer_id,
            status=status,
            expires_at=record.expires_at,
            seconds_left=left,
            salt=record.salt,
            iterations=record.iterations,
            attempts_left=max(0, self._settings.max_wrong_codes - record.wrong_codes),
        )


def _check_new(new: NewTransfer) -> None:
    if not _ID.fullmatch(new.transfer_id):
        raise InvalidRelayRequest(f"The transfer id must be {ID_DIGITS} digits.")
    if len(new.salt) != SALT_BYTES or len(new.verifier) != VERIFIER_BYTES:
        raise InvalidRelayRequest(f"The salt must be {SALT_BYTES} bytes and the verifier {VERIFIER_BYTES} bytes.")
    if not MIN_ITERATIONS <= new.iterations <= MAX_ITERATIONS:
        raise InvalidRelayRequest(
            f"PBKDF2 iterations must be between {MIN_ITERATIONS} and {MAX_ITERATIONS}.",
            min_iterations=MIN_ITERATIONS,
        )
