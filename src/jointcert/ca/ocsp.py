"""OCSP responder (RFC 6960): request bytes in, response bytes out, signed by the delegated OCSP signer.

* A request with a nonce gets a freshly signed response echoing the nonce.
* A nonce-less request with a SHA-1 CertID (the RFC 5019 profile every client we know sends) is answered with the
  certificate's pre-signed response (:mod:`jointcert.ca.ocsp_presign`) when the responder has them: no signature,
  no status read — the revocation epoch checked per request stands in for it. A serial without one (unknown,
  pending, or its response not signed yet) takes the path below, which signs it and stores it for next time.
* Otherwise (another CertID hash algorithm, or no pre-signed responses) the response comes from a cache (per
  issuer, CertID hash algorithm and serial) that is reused for ``CaSettings.ocsp_cache_seconds`` — well before
  ``nextUpdate`` — and dropped when the certificate's status changes (an explicit
  :meth:`OcspResponder.invalidate` from the authority, and a status check per request so a revocation made by
  another process is seen too). A busy responder therefore does not sign per request.
* A nonce-less request seen before is recognised by its bytes (a dict of request DER → issuer, CertID hash
  algorithm and serial), so the cached path neither parses the request nor matches the issuer again; the status
  check is one small indexed read (:meth:`CertificateStore.state`).
* Serials never issued (or recorded but not yet signed) are ``unknown`` — never ``good``; records voided after a
  crash are ``revoked``. A CertID naming an issuer we do not serve gets ``unauthorized`` (RFC 6960 §2.3);
  an undecodable request, or one whose nonce is not 1–32 bytes (RFC 8954), gets ``malformedRequest``.
* When the signer fails (a PKCS#11 token error) nothing new is signed: a cached response for the same status is
  served while it is still within its validity (before its ``nextUpdate``), otherwise ``tryLater``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from jointcert.ca.errors import OcspNonceInvalid
from jointcert.ca.keys import CaSigner
from jointcert.ca.ocsp_presign import OcspAnswer, PresignedOcsp, cert_status, sign_response
from jointcert.ca.ports import CertificateState, CertificateStore
from jointcert.ca.stats import Counters
from jointcert.ca.token import SignerUnavailable
from jointcert.clock import Clock
from jointcert.config import CaSettings

__all__ = ["MAX_NONCE", "MIN_NONCE", "OcspAnswer", "OcspResponder", "error_response"]

MIN_NONCE, MAX_NONCE = 1, 32  # RFC 8954 §2.1: a nonce of 1 to 32 octets
_CACHE_LIMIT = 10_000
_RESIGN_AT_ONCE = 16  # revoked serials whose pre-signed responses the revoking process re-signs itself
_MEMORY_HIT = ("ocsp_requests", "ocsp_cache_hits")
_MEMORY_BACKOFF_SECONDS = 5.0  # after a failed epoch read, answer_from_memory steps aside (the event loop must not
# wait on a database that stopped answering; the reader's own timeouts bound one wait to about a second)


def error_response(status: ocsp.OCSPResponseStatus) -> bytes:
    """An unsigned error response (malformedRequest, internalError, unauthorized …)."""
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class _Status:
    status: ocsp.OCSPCertStatus
    revoked_at: datetime | None = None
    reason: x509.ReasonFlags | None = None
    state: CertificateState | None = field(default=None, compare=False)  # what it was read from (for signing)


def _status_of(state: CertificateState | None) -> _Status:
    return _Status(*cert_status(state), state=state)


@dataclass(frozen=True)
class _Cached:
    status: _Status
    der: bytes
    made_at: float


class OcspResponder:
    """Answers OCSP requests about certificates of ``issuers`` (by slug), signing with ``signer``."""

    def __init__(
        self,
        *,
        store: CertificateStore,
        issuers: Mapping[str, CaSigner],
        signer: CaSigner,
        clock: Clock,
        settings: CaSettings,
        counters: Counters | None = None,
        presigned: PresignedOcsp | None = None,
    ) -> None:
        if settings.ocsp_cache_seconds >= settings.ocsp_next_update_minutes * 60:
            raise ValueError("the OCSP cache must be refreshed before nextUpdate")
        self._store, self._signer, self._clock, self._settings = store, signer, clock, settings
        self._issuers = dict(issuers)
        self._cache: OrderedDict[tuple[str, str, int], _Cached] = OrderedDict()
        self._known: dict[bytes, tuple[str, str, int]] = {}  # nonce-less request DER → cache key
        self._lock = threading.Lock()
        self.counters = counters or Counters()
        self.presigned = presigned
        self._memory_off_until = 0.0

    def respond(self, request_der: bytes) -> bytes:
        """The DER OCSPResponse for a DER OCSPRequest."""
        return self.answer(request_der).der

    def answer_from_memory(self, request_der: bytes) -> OcspAnswer | None:
        """The pre-signed answer to a nonce-less SHA-1 request seen before when memory holds it under the revocation
        epoch committed now: a dict lookup and the epoch read, no parsing, signing or other database read, so the
        web layer calls it on the event loop. ``None``: ask :meth:`answer` (in a thread)."""
        key = self._known.get(request_der)
        if key is None or key[1] != "sha1" or self.presigned is None:
            return None
        if self._clock.monotonic() < self._memory_off_until:
            return None
        try:
            return self.presigned.in_memory(key[0], key[2], also_count=_MEMORY_HIT)  # counted there, with its status
        except Exception:  # the database is away: the threaded path reports it; do not retry on the loop at once
            self._memory_off_until = self._clock.monotonic() + _MEMORY_BACKOFF_SECONDS
            return None

    def answer(self, request_der: bytes) -> OcspAnswer:
        """The response, with its validity when HTTP caches may keep it (a pre-signed one), bare otherwise."""
        self.counters.inc("ocsp_requests")
        key = self._known.get(request_der)
        tried = key is not None and key[1] == "sha1" and self.presigned is not None
        if tried and key is not None and self.presigned is not None:
            hit = self.presigned.get(key[0], key[2])  # the hot path: the epoch read and a dict lookup
            if hit is not None:
                self.counters.inc("ocsp_cache_hits")
                return hit
        if key is not None:  # a nonce-less request we parsed before: no parsing, no issuer matching
            status = self._status(key[0], key[2])
            self.counters.inc(f"ocsp_{status.status.name.lower()}")
            hit_der = self._hit(key, status)  # the live cache (unknown serials, other CertID algorithms)
            if hit_der is not None:
                return OcspAnswer(hit_der)
        parsed = self._parse(request_der)
        if isinstance(parsed, bytes):
            return OcspAnswer(parsed)
        request, nonce = parsed
        slug = self._issuer_for(request, request.hash_algorithm.name)
        if slug is None:
            self.counters.inc("ocsp_unauthorized")
            return OcspAnswer(error_response(ocsp.OCSPResponseStatus.UNAUTHORIZED))
        return self._answer(slug, request, nonce, request_der, tried=tried)

    def _parse(self, request_der: bytes) -> tuple[ocsp.OCSPRequest, bytes | None] | bytes:
        """The request and its nonce, or the malformedRequest response."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            request.hash_algorithm  # noqa: B018 (raises for a CertID hash algorithm we do not know)
            nonce = self._nonce(request)
            if request.serial_number < 0:  # no certificate has one (RFC 5280 §4.1.2.2), and no response can name it
                raise ValueError("negative serial number")  # found by atheris (tests/fuzz): was a 500
        except (ValueError, NotImplementedError, TypeError, UnsupportedAlgorithm, OcspNonceInvalid):  # undecodable,
            # more than one CertID, a CertID hash algorithm we do not know (found by the fuzzer), a bad nonce
            self.counters.inc("ocsp_malformed")
            return error_response(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        return request, nonce

    def _answer(
        self, slug: str, request: ocsp.OCSPRequest, nonce: bytes | None, request_der: bytes, *, tried: bool
    ) -> OcspAnswer:
        serial, algorithm = request.serial_number, request.hash_algorithm.name
        presigned = self.presigned if nonce is None and algorithm == "sha1" else None
        if presigned is not None and not tried:
            hit = presigned.get(slug, serial)  # signed at issuance or by the leader: learn this request's bytes
            if hit is not None:
                self._remember_request(request_der, (slug, algorithm, serial))
                return hit
        epoch = presigned.epoch() if presigned is not None else None  # read before the status (ocsp_presign.py)
        state = self._store.state(slug, serial)
        status = _status_of(state)
        self.counters.inc(f"ocsp_{status.status.name.lower()}")
        try:
            if nonce is not None:
                return OcspAnswer(self._sign(slug, request, status, nonce))
            if presigned is not None:
                filled = presigned.fill(slug, serial, state, epoch)
                if filled is not None:
                    self._remember_request(request_der, (slug, algorithm, serial))
                    return filled
            return OcspAnswer(self._cached(slug, request, status, request_der))
        except SignerUnavailable:
            self.counters.inc("ocsp_signer_failures")
            stale = self._still_valid((slug, algorithm, serial), status)
            if stale is None and presigned is not None:
                answer = presigned.get(slug, serial, stale_ok=True)
                stale = None if answer is None else answer.der
            return OcspAnswer(stale if stale is not None else error_response(ocsp.OCSPResponseStatus.TRY_LATER))

    def _still_valid(self, key: tuple[str, str, int], status: _Status) -> bytes | None:
        """A cached response past the cache time but before its nextUpdate (served only while the signer fails)."""
        validity = self._settings.ocsp_next_update_minutes * 60
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit.status == status and self._clock.monotonic() - hit.made_at < validity:
            self.counters.inc("ocsp_stale_served")
            return hit.der
        return None

    @staticmethod
    def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
        """The request's nonce; :class:`OcspNonceInvalid` unless it is 1–32 bytes (RFC 8954 §2.1)."""
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            return None
        if not MIN_NONCE <= len(nonce) <= MAX_NONCE:
            raise OcspNonceInvalid(nonce_length=len(nonce))
        return nonce

    def _issuer_for(self, request: ocsp.OCSPRequest, algorithm: str) -> str | None:
        for slug, issuer in self._issuers.items():
            if (
                issuer.name_hashes.get(algorithm) == request.issuer_name_hash
                and issuer.key_hashes.get(algorithm) == request.issuer_key_hash
            ):
                return slug
        return None

    def _status(self, slug: str, serial: int) -> _Status:
        return _status_of(self._store.state(slug, serial))

    def _hit(self, key: tuple[str, str, int], status: _Status) -> bytes | None:
        """The cached response for ``key`` if it is fresh and was made for ``status``."""
        now = self._clock.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit.status == status and now - hit.made_at < self._settings.ocsp_cache_seconds:
                self.counters.inc("ocsp_cache_hits")
                return hit.der
        return None

    def _cached(self, slug: str, request: ocsp.OCSPRequest, status: _Status, request_der: bytes) -> bytes:
        key = (slug, request.hash_algorithm.name, request.serial_number)
        hit = self._hit(key, status)
        if hit is not None:
            return hit
        der = self._sign(slug, request, status, None)
        with self._lock:
            self._cache[key] = _Cached(status, der, self._clock.monotonic())
            self._cache.move_to_end(key)
            while len(self._cache) > _CACHE_LIMIT:
                self._cache.popitem(last=False)
        self._remember_request(request_der, key)
        return der

    def _remember_request(self, request_der: bytes, key: tuple[str, str, int]) -> None:
        with self._lock:
            self._known[request_der] = key
            while len(self._known) > _CACHE_LIMIT:
                del self._known[next(iter(self._known))]

    def _sign(self, slug: str, request: ocsp.OCSPRequest, status: _Status, nonce: bytes | None) -> bytes:
        now = self._clock.now().replace(microsecond=0)
        self.counters.inc("ocsp_signatures")
        return sign_response(
            signer=self._signer,
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            algorithm=request.hash_algorithm,
            serial=request.serial_number,
            state=status.state,
            this_update=now,
            next_update=now + timedelta(minutes=self._settings.ocsp_next_update_minutes),
            nonce=nonce,
        )

    @property
    def signer(self) -> CaSigner:
        """The delegated signer in use."""
        return self._signer

    def use_signer(self, signer: CaSigner) -> None:
        """Sign with ``signer`` from now on (a renewed OCSP signer); cached responses of the old one are dropped and
        every pre-signed response is made due, so the scheduler leader re-signs them in batches."""
        with self._lock:
            self._signer = signer
            self._cache.clear()
            self._known.clear()
        if self.presigned is not None:
            self.presigned.use_signer(signer)

    def invalidate(self, serials: Sequence[int]) -> None:
        """Revocation listener: drop cached responses for ``serials``; re-sign the pre-signed responses of a few
        at once (a bulk revocation's chunk is left to the leader's :meth:`PresignedOcsp.refresh` batches: until
        then a request finds its stored response signed for the old status and signs one live)."""
        gone = set(serials)
        if self.presigned is not None:
            self.presigned.forget(list(gone))
            if len(gone) <= _RESIGN_AT_ONCE:
                for serial in gone:
                    self.presigned.resign(serial)
        with self._lock:
            for key in [k for k in self._cache if k[2] in gone]:
                del self._cache[key]
            for request_der in [r for r, k in self._known.items() if k[2] in gone]:
                del self._known[request_der]
