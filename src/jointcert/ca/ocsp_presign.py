"""Pre-signed OCSP responses (RFC 5019 profile: nonce-less, SHA-1 CertID): signed ahead for every live
certificate, kept in the database (``ca_ocsp_responses``, shared by every node) and in each process's memory.

* Signed when a certificate is issued and right after it is revoked (authority listeners), and re-signed by the
  scheduler leader in batches once half their validity has passed (:meth:`PresignedOcsp.refresh`).
* A stored response names the record status it was signed for; the database hands it out only while the
  certificate still has that status (a row signed as ``good`` just before a revocation is never served).
* Memory entries are tagged with the revocation epoch (:mod:`jointcert.ca.epoch`) read when they were loaded, and
  every request checks the epoch committed now (:class:`EpochReader`; ``storage/repositories/ca_epoch_notify.py``:
  on SQLite ``PRAGMA data_version`` says whether anything was committed since the last read, on PostgreSQL a
  ``LISTEN`` connection is told of every bump): a revocation committed anywhere moves the epoch in the same
  transaction, so a request that sees the new epoch finds its entries stale and reloads from the database. On SQLite
  that is the first request after the commit; on PostgreSQL the first once the commit's notification has reached
  the process (never later than two seconds after the commit) — see docs/ca.md. That is what keeps revocations
  visible in every process without reading the certificate's status on every request.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Protocol, TypeGuard

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from jointcert.ca.keys import CaSigner
from jointcert.ca.ports import CertificateState, CertificateStore, RecordStatus
from jointcert.ca.stats import Counters
from jointcert.clock import Clock
from jointcert.config import CaSettings

__all__ = ["EpochReader", "OcspAnswer", "OcspResponseStore", "PresignedOcsp", "StoredResponse", "sign_response"]

_MEMORY_LIMIT = 100_000  # entries per process; the database holds them all
_RECHECK_SECONDS = 60.0  # how long a due (not yet refreshed) row is served from memory before reading it again
_SHA1 = hashes.SHA1()  # noqa: S303 (RFC 5019 CertID)


@dataclass(frozen=True)
class OcspAnswer:
    """A DER OCSPResponse and, for a cacheable one, its validity (HTTP caching headers, RFC 5019 §6)."""

    der: bytes
    this_update: datetime | None = None
    next_update: datetime | None = None
    etag: str = ""
    last_modified: str = ""
    expires: str = ""
    validators: tuple[tuple[bytes, bytes], ...] = ()  # ETag, Last-Modified and Expires as raw HTTP header pairs

    @classmethod
    def cacheable(cls, der: bytes, this_update: datetime, next_update: datetime) -> OcspAnswer:
        """An answer with its ETag and HTTP dates computed (and encoded as header pairs) once."""
        etag = f'"{hashlib.sha256(der).hexdigest()[:32]}"'
        modified, expires = format_datetime(this_update, usegmt=True), format_datetime(next_update, usegmt=True)
        encoded = (etag.encode("latin-1"), modified.encode("latin-1"), expires.encode("latin-1"))
        validators = tuple(zip((b"etag", b"last-modified", b"expires"), encoded, strict=True))
        return cls(der, this_update, next_update, etag, modified, expires, validators)


@dataclass(frozen=True)
class StoredResponse:
    """One pre-signed response as kept in the database."""

    issuer: str
    serial: int
    status: RecordStatus
    der: bytes
    this_update: datetime
    next_update: datetime
    refresh_at: datetime


class OcspResponseStore(Protocol):
    """The pre-signed responses (``storage.repositories.ca_ocsp``)."""

    def load(self, issuer: str, serial: int) -> StoredResponse | None:
        """The stored response, only if it was signed for the certificate's current status."""
        ...

    def save(self, responses: Sequence[StoredResponse]) -> None:
        """Insert or replace, in one transaction."""
        ...

    def due(self, issuer: str, now: datetime, limit: int) -> list[tuple[int, CertificateState]]:
        """Up to ``limit`` live certificates (issued, revoked or void, not expired) whose response is missing, due
        (``refresh_at <= now``) or signed for another status."""
        ...

    def mark_all_due(self, now: datetime) -> int:
        """Make every stored response due (a new OCSP signer); how many."""
        ...


class EpochReader(Protocol):
    """The revocation epoch as committed now: a value kept by the reader only while it knows nothing was committed
    since (SQLite's data version; PostgreSQL's notifications, within their delivery bound)."""

    def current(self) -> int:
        """Changes in every transaction that revokes or voids a record."""
        ...

    def close(self) -> None:
        """Release its connections."""
        ...


@dataclass(frozen=True)
class _Entry:
    answer: OcspAnswer
    counter: str  # ocsp_good / ocsp_revoked
    epoch: int
    valid_until: float  # wall-clock timestamp: reload from the database after this
    deadline: float  # never served after this (nextUpdate minus a quarter of the validity)


def _current(entry: _Entry | None, epoch: int, now: float) -> TypeGuard[_Entry]:
    """Whether memory's ``entry`` may answer without a reload: signed under ``epoch`` and not due for a re-check."""
    return entry is not None and entry.epoch == epoch and now < entry.valid_until


def cert_status(state: CertificateState | None) -> tuple[ocsp.OCSPCertStatus, datetime | None, x509.ReasonFlags | None]:
    """The OCSP status of a record: unknown while pending or absent, revoked when revoked or void."""
    if state is None or state.status is RecordStatus.PENDING:
        return ocsp.OCSPCertStatus.UNKNOWN, None, None
    if state.status is RecordStatus.ISSUED:
        return ocsp.OCSPCertStatus.GOOD, None, None
    reason = None if state.revocation_reason is x509.ReasonFlags.unspecified else state.revocation_reason
    return ocsp.OCSPCertStatus.REVOKED, (state.revoked_at or state.created_at).replace(microsecond=0), reason


def sign_response(
    *,
    signer: CaSigner,
    issuer_name_hash: bytes,
    issuer_key_hash: bytes,
    algorithm: hashes.HashAlgorithm,
    serial: int,
    state: CertificateState | None,
    this_update: datetime,
    next_update: datetime,
    nonce: bytes | None = None,
) -> bytes:
    """One signed OCSP response (responderID byKey, the signer's certificate included)."""
    status, revoked_at, reason = cert_status(state)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=issuer_name_hash,
            issuer_key_hash=issuer_key_hash,
            serial_number=serial,
            algorithm=algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=revoked_at,
            revocation_reason=reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer.certificate)
        .certificates([signer.certificate])
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(signer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class PresignedOcsp:
    """The pre-signed responses of ``issuers``: served from memory, loaded from and saved to ``store``."""

    def __init__(
        self,
        *,
        store: OcspResponseStore,
        certificates: CertificateStore,
        epochs: EpochReader,
        issuers: Mapping[str, CaSigner],
        signer: CaSigner,
        clock: Clock,
        settings: CaSettings,
        counters: Counters,
    ) -> None:
        self._store, self._certificates, self._epochs = store, certificates, epochs
        self._issuers, self._signer, self._clock, self.counters = dict(issuers), signer, clock, counters
        self._validity = timedelta(minutes=settings.ocsp_next_update_minutes)
        self._memory: dict[tuple[str, int], _Entry] = {}
        self._lock = threading.Lock()
        self._signer_since: datetime | None = None  # set by use_signer: older stored responses are re-signed here

    # --- the hot path ------------------------------------------------------------------------------------------
    def get(self, slug: str, serial: int, *, stale_ok: bool = False) -> OcspAnswer | None:
        """The pre-signed answer, or ``None`` (the caller signs one with :meth:`fill`). ``stale_ok`` (the signer
        is failing) accepts a response until its nextUpdate."""
        try:
            epoch = self._epochs.current()
        except Exception:  # the database is away: nothing can be re-checked, the caller's path reports it
            return None
        now = self._clock.now().timestamp()
        key = (slug, serial)
        entry = self._memory.get(key)
        if not _current(entry, epoch, now):
            entry = self._load(slug, serial, epoch, now)
        if entry is None:
            return None
        next_update = entry.answer.next_update
        still_valid = next_update is not None and now < next_update.timestamp()  # never past its nextUpdate
        if now >= entry.deadline and not (stale_ok and still_valid):
            return None
        self.counters.inc(entry.counter)
        return entry.answer

    def in_memory(self, slug: str, serial: int, *, also_count: Sequence[str] = ()) -> OcspAnswer | None:
        """The answer only when memory holds it under the epoch committed now and it needs no reload: nothing is
        read but the epoch (the event-loop path of :meth:`OcspResponder.answer_from_memory`); ``None`` otherwise.
        An answer counts its status and ``also_count`` (in one go). The epoch read's error is raised."""
        epoch = self._epochs.current()
        entry = self._memory.get((slug, serial))
        now = self._clock.now().timestamp()
        if not _current(entry, epoch, now) or now >= entry.deadline:
            return None
        self.counters.inc_each((*also_count, entry.counter))
        return entry.answer

    def _load(self, slug: str, serial: int, epoch: int, now: float) -> _Entry | None:
        stored = self._store.load(slug, serial)
        if stored is None or (self._signer_since is not None and stored.this_update < self._signer_since):
            return None
        self.counters.inc("ocsp_presigned_loads")
        return self._remember(stored, epoch, now)

    def _remember(self, stored: StoredResponse, epoch: int, now: float) -> _Entry:
        refresh_at = stored.refresh_at.timestamp()
        deadline = (stored.next_update - self._validity / 4).timestamp()
        valid_until = refresh_at if now < refresh_at else min(now + _RECHECK_SECONDS, deadline)
        status = "good" if stored.status is RecordStatus.ISSUED else "revoked"
        answer = OcspAnswer.cacheable(stored.der, stored.this_update, stored.next_update)
        entry = _Entry(answer, f"ocsp_{status}", epoch, valid_until, deadline)
        with self._lock:
            self._memory[(stored.issuer, stored.serial)] = entry
            while len(self._memory) > _MEMORY_LIMIT:
                del self._memory[next(iter(self._memory))]
        return entry

    # --- signing -----------------------------------------------------------------------------------------------
    def fill(self, slug: str, serial: int, state: CertificateState | None, epoch: int | None) -> OcspAnswer | None:
        """Sign, store and remember the response for ``state``, which the caller read after ``epoch``
        (:meth:`epoch`); ``None`` for a serial that has none (unknown or pending)."""
        stored = self._sign(slug, serial, state)
        if stored is None:
            return None
        self._store.save([stored])
        if epoch is None:
            return OcspAnswer.cacheable(stored.der, stored.this_update, stored.next_update)
        return self._remember(stored, epoch, self._clock.now().timestamp()).answer

    def resign(self, serial: int) -> None:
        """Issuance and revocation listener: sign ``serial``'s response for its current status now."""
        self.resign_many([serial])

    def resign_many(self, serials: Sequence[int]) -> None:
        """Batch issuance listener: sign the responses of ``serials`` for their current status, store them in one
        transaction per issuer."""
        for slug in self._issuers:
            epoch = self.epoch()  # read before the statuses: an entry never claims a newer epoch than its status
            rows = [self._sign(slug, serial, self._certificates.state(slug, serial)) for serial in serials]
            stored = [row for row in rows if row is not None]
            if not stored:
                continue
            self._store.save(stored)
            if epoch is not None:
                now = self._clock.now().timestamp()
                for row in stored:
                    self._remember(row, epoch, now)

    def refresh(self, *, limit: int = 500) -> int:
        """The leader's batch: sign up to ``limit`` due responses per issuer, store them in one transaction each;
        how many were signed."""
        signed = 0
        for slug in self._issuers:
            now = self._clock.now()
            batch = [self._sign(slug, serial, state) for serial, state in self._store.due(slug, now, limit)]
            rows = [row for row in batch if row is not None]
            if rows:
                self._store.save(rows)
                signed += len(rows)
        return signed

    def _sign(self, slug: str, serial: int, state: CertificateState | None) -> StoredResponse | None:
        if state is None or state.status is RecordStatus.PENDING:
            return None
        issuer = self._issuers[slug]
        this_update = self._clock.now().replace(microsecond=0)
        next_update = this_update + self._validity
        der = sign_response(
            signer=self._signer,
            issuer_name_hash=issuer.name_hashes[_SHA1.name],
            issuer_key_hash=issuer.key_hashes[_SHA1.name],
            algorithm=_SHA1,
            serial=serial,
            state=state,
            this_update=this_update,
            next_update=next_update,
        )
        self.counters.inc("ocsp_signatures")
        refresh_at = this_update + self._validity / 2
        return StoredResponse(slug, serial, state.status, der, this_update, next_update, refresh_at)

    def epoch(self) -> int | None:
        """The revocation epoch now; ``None`` when unreadable."""
        try:
            return self._epochs.current()
        except Exception:
            return None

    def forget(self, serials: Sequence[int]) -> None:
        """Drop memory's entries for ``serials`` (just revoked here): this process reloads them from the database
        without waiting for the epoch to reach it (on PostgreSQL the epoch comes by notification)."""
        with self._lock:
            for slug in self._issuers:
                for serial in serials:
                    self._memory.pop((slug, serial), None)

    def use_signer(self, signer: CaSigner) -> int:
        """Sign with ``signer`` from now on: memory is dropped, every stored response made due (the leader
        re-signs them in batches) and, in this process, a response signed before now is re-signed when asked for;
        how many were made due."""
        with self._lock:
            self._signer = signer
            self._signer_since = self._clock.now().replace(microsecond=0)
            self._memory.clear()
        return self._store.mark_all_due(self._clock.now())

    def close(self) -> None:
        """Release the epoch reader's connections."""
        self._epochs.close()
