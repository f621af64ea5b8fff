"""Revocation checking: OCSP at the AIA URL first, the CRL from the distribution point as fallback.

I/O goes through two ports (:class:`OcspTransport`, :class:`CrlFetcher`; HTTP defaults in :mod:`jointcert.rp.http`).
Good OCSP answers are cached until their nextUpdate, verified CRLs until theirs. When neither source gives a
believable answer the result depends on ``fail_closed``: refused (``revocation_unavailable``) or accepted with a
warning of the same code.

A responder living in this process (``in_process``: the CA's own OCSP URL, :mod:`jointcert.rp.loopback`) is asked
without a nonce. A nonce protects against an attacker on the network replaying an old "good" response; between a
relying party and a responder in the same process there is no network, and the responder answers a nonce-less
request from its pre-signed responses only under the current revocation epoch (:mod:`jointcert.ca.ocsp_presign`):
a revocation committed by any process is refused at the very next login on SQLite, and on PostgreSQL once its
notification has reached this process (never later than two seconds after the commit), as the responder's own
answers are. The nonce-less request for a certificate is built once, and each distinct response is
verified once (:class:`~jointcert.rp.ocsp.VerifiedResponses`; its time checks are repeated every time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from cryptography import x509

from jointcert.clock import Clock
from jointcert.errors import Unavailable
from jointcert.rp.certinfo import crl_urls, ocsp_urls
from jointcert.rp.checks import Check, CheckName, Reason
from jointcert.rp.crl import CrlProblem, VerifiedCrl, read_crl
from jointcert.rp.ocsp import CertStatus, OcspAnswer, OcspProblem, VerifiedResponses, build_request, read_response

__all__ = [
    "CrlFetcher",
    "EpochSource",
    "OcspTransport",
    "RevocationCache",
    "RevocationChecker",
    "RevocationFetchError",
]

_MAX_CACHE_ENTRIES = 10_000


class RevocationFetchError(Unavailable):
    """An OCSP responder or CRL distribution point could not be reached or answered with an error."""

    code = "revocation_fetch_failed"
    message_ko = "인증서 상태 확인 서버에 연결할 수 없습니다."
    message_en = "The revocation service could not be reached."


class OcspTransport(Protocol):
    """Sends a DER OCSP request to a responder URL and returns the DER response."""

    def post(self, url: str, request: bytes) -> bytes:
        """The responder's answer; :class:`RevocationFetchError` when unreachable."""
        ...


class CrlFetcher(Protocol):
    """Fetches a CRL (DER or PEM) from a distribution point URL."""

    def fetch(self, url: str) -> bytes:
        """The CRL bytes; :class:`RevocationFetchError` when unreachable."""
        ...


class EpochSource(Protocol):
    """Something that changes whenever a certificate is revoked anywhere (``ca.epoch.EpochWatch``); ``None`` when
    it cannot be read."""

    def current(self) -> int | None:
        """The current revocation epoch."""
        ...


@dataclass
class RevocationCache:
    """Thread-safe in-memory cache: good OCSP answers and verified CRLs, each until its nextUpdate.

    ``max_age`` caps how long a good OCSP answer is reused (zero: never cached; ``rp.ocsp_cache_seconds``).
    With an ``epoch`` (a relying party sharing the CA's database) everything cached is dropped when the epoch
    moves, so a revocation made by any process is seen within the watch's interval; while the epoch cannot be
    read nothing cached is used.
    """

    max_age: timedelta | None = None
    epoch: EpochSource | None = None
    _ocsp: dict[tuple[str, int], OcspAnswer] = field(default_factory=dict)
    _crls: dict[tuple[str, str], VerifiedCrl] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seen: int | None = None

    def _usable(self) -> bool:
        """Drop everything if the revocation epoch moved; ``False`` while it cannot be read."""
        if self.epoch is None:
            return True
        current = self.epoch.current()
        with self._lock:
            if current is None or current != self._seen:
                self._ocsp.clear()
                self._crls.clear()
                self._seen = current
        return current is not None

    def good_answer(self, issuer_key: str, serial: int, now: datetime) -> OcspAnswer | None:
        """A cached good answer still fresh at ``now`` (and younger than ``max_age``)."""
        if not self._usable():
            return None
        with self._lock:
            answer = self._ocsp.get((issuer_key, serial))
        if answer is None or answer.next_update is None or now >= answer.next_update:
            return None
        if self.max_age is not None and now - answer.this_update >= self.max_age:
            return None
        return answer

    def keep_answer(self, issuer_key: str, serial: int, answer: OcspAnswer) -> None:
        """Remember a good answer that has a nextUpdate (never when ``max_age`` is zero)."""
        if answer.status is not CertStatus.GOOD or answer.next_update is None:
            return
        if self.max_age is not None and self.max_age <= timedelta(0):
            return
        with self._lock:
            if len(self._ocsp) >= _MAX_CACHE_ENTRIES:
                self._ocsp.clear()
            self._ocsp[(issuer_key, serial)] = answer

    def crl(self, url: str, issuer_key: str, now: datetime) -> VerifiedCrl | None:
        """A cached CRL from ``url`` for this issuer, still fresh at ``now``."""
        if not self._usable():
            return None
        with self._lock:
            found = self._crls.get((url, issuer_key))
        return found if found is not None and now < found.next_update else None

    def keep_crl(self, url: str, issuer_key: str, crl: VerifiedCrl) -> None:
        """Remember a verified CRL."""
        with self._lock:
            if len(self._crls) >= _MAX_CACHE_ENTRIES:
                self._crls.clear()
            self._crls[(url, issuer_key)] = crl

    def forget(self, serial: int) -> None:
        """Drop what could vouch for ``serial``: its good OCSP answers and every cached CRL (for a relying party
        told of a revocation directly, e.g. one living in the CA's own process)."""
        self.forget_all([serial])

    def forget_all(self, serials: Sequence[int]) -> None:
        """:meth:`forget` for many serials in one pass (a bulk revocation's chunk)."""
        gone = set(serials)
        with self._lock:
            for key in [k for k in self._ocsp if k[1] in gone]:
                del self._ocsp[key]
            self._crls.clear()


@dataclass(frozen=True)
class _Outcome:
    status: CertStatus
    source: str
    note_en: str
    revoked_at: datetime | None = None
    reason: str | None = None


def _issuer_key(issuer: x509.Certificate) -> str:
    return x509.SubjectKeyIdentifier.from_public_key(issuer.public_key()).digest.hex()


class RevocationChecker:
    """Asks OCSP, then the CRL; turns the answer into the ``revocation`` check."""

    def __init__(
        self,
        clock: Clock,
        ocsp: OcspTransport | None,
        crl: CrlFetcher | None = None,
        *,
        cache: RevocationCache | None = None,
        send_nonce: bool = True,
        in_process: Callable[[str], bool] | None = None,
        skew: timedelta = timedelta(minutes=5),
        max_age_without_next_update: timedelta = timedelta(hours=1),
    ) -> None:
        self._clock = clock
        self._ocsp = ocsp
        self._crl = crl
        self._cache = cache if cache is not None else RevocationCache()
        self._nonce = send_nonce
        self._in_process = in_process  # URLs answered in this process: asked without a nonce (module docstring)
        self._skew = skew
        self._max_age = max_age_without_next_update
        self._requests: dict[tuple[int, x509.Certificate], bytes] = {}  # nonce-less requests, built once
        self._verified = VerifiedResponses()

    def check(self, cert: x509.Certificate, issuer: x509.Certificate, *, fail_closed: bool) -> Check:
        """The revocation check of ``cert`` (whose path was already validated up to ``issuer``)."""
        problems: list[str] = []
        outcome = self._from_ocsp(cert, issuer, problems)
        if outcome is None or outcome.status is CertStatus.UNKNOWN:
            if outcome is not None:
                problems.append(f"OCSP {outcome.source}: status unknown")
            outcome = self._from_crl(cert, issuer, problems)
        if outcome is None:
            return _unavailable(problems, fail_closed)
        if outcome.status is CertStatus.REVOKED:
            when = outcome.revoked_at.isoformat() if outcome.revoked_at else "?"
            why = outcome.reason or "unspecified"
            return Check.failed(
                CheckName.REVOCATION,
                Reason.REVOKED,
                f"폐지된 인증서입니다 (폐지일시 {when}, 사유 {why}, {outcome.source}).",
                f"Revoked on {when} (reason {why}) according to {outcome.source}.",
            )
        return Check.passed(
            CheckName.REVOCATION, f"폐지되지 않았습니다 ({outcome.source}).", f"Not revoked: {outcome.note_en}."
        )

    def _from_ocsp(self, cert: x509.Certificate, issuer: x509.Certificate, problems: list[str]) -> _Outcome | None:
        now = self._clock.now()
        key = _issuer_key(issuer)
        cached = self._cache.good_answer(key, cert.serial_number, now)
        if cached is not None:
            until = cached.next_update.isoformat() if cached.next_update else "?"
            return _Outcome(CertStatus.GOOD, "OCSP (cached)", f"OCSP good, cached until {until}")
        urls = ocsp_urls(cert)
        if self._ocsp is None or not urls:
            problems.append("no OCSP responder" if self._ocsp is not None else "OCSP disabled")
            return None
        for url in urls:
            with_nonce = self._nonce and not (self._in_process is not None and self._in_process(url))
            request, nonce = build_request(cert, issuer) if with_nonce else (self._plain_request(cert, issuer), None)
            try:
                der = self._ocsp.post(url, request)
                answer = self._read(der, cert, issuer, now, nonce)
            except RevocationFetchError as exc:
                problems.append(f"OCSP {url}: {exc.text_en}")
                continue
            except OcspProblem as exc:
                problems.append(f"OCSP {url}: {exc.message_en}")
                continue
            self._cache.keep_answer(key, cert.serial_number, answer)
            return _Outcome(
                answer.status, "OCSP", f"OCSP {url} says {answer.status}", answer.revoked_at, answer.revocation_reason
            )
        return None

    def _plain_request(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
        """The nonce-less request for ``cert`` (the same bytes every time, so built once)."""
        key = (cert.serial_number, issuer)
        request = self._requests.get(key)
        if request is None:
            request, _ = build_request(cert, issuer, nonce=False)
            if len(self._requests) >= _MAX_CACHE_ENTRIES:
                self._requests.clear()
            self._requests[key] = request
        return request

    def _read(
        self, der: bytes, cert: x509.Certificate, issuer: x509.Certificate, now: datetime, nonce: bytes | None
    ) -> OcspAnswer:
        if nonce is None:
            return self._verified.read(der, cert, issuer, now=now, skew=self._skew, max_age=self._max_age)
        return read_response(der, cert, issuer, now=now, nonce=nonce, skew=self._skew, max_age=self._max_age)

    def _from_crl(self, cert: x509.Certificate, issuer: x509.Certificate, problems: list[str]) -> _Outcome | None:
        urls = crl_urls(cert)
        if self._crl is None or not urls:
            problems.append("no CRL distribution point" if self._crl is not None else "CRL disabled")
            return None
        now = self._clock.now()
        key = _issuer_key(issuer)
        for url in urls:
            crl = self._cache.crl(url, key, now)
            if crl is None:
                try:
                    crl = read_crl(self._crl.fetch(url), issuer, now=now, skew=self._skew)
                except RevocationFetchError as exc:
                    problems.append(f"CRL {url}: {exc.text_en}")
                    continue
                except CrlProblem as exc:
                    problems.append(f"CRL {url}: {exc.message_en}")
                    continue
                self._cache.keep_crl(url, key, crl)
            entry = crl.revoked(cert.serial_number)
            if entry is None:
                return _Outcome(CertStatus.GOOD, "CRL", f"not on the CRL from {url} (nextUpdate {crl.next_update})")
            reason = _crl_reason(entry)
            return _Outcome(CertStatus.REVOKED, "CRL", f"listed on {url}", entry.revocation_date_utc, reason)
        return None


def _crl_reason(entry: x509.RevokedCertificate) -> str | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value
    except x509.ExtensionNotFound:
        return None


def _unavailable(problems: list[str], fail_closed: bool) -> Check:
    detail = "; ".join(problems) or "no revocation source"
    if fail_closed:
        return Check.failed(
            CheckName.REVOCATION,
            Reason.REVOCATION_UNAVAILABLE,
            "인증서 폐지 여부를 확인할 수 없어 거부합니다 (fail-closed).",
            f"Revocation status unavailable, refused (fail-closed): {detail}.",
        )
    return Check.warning(
        CheckName.REVOCATION,
        Reason.REVOCATION_UNAVAILABLE,
        "인증서 폐지 여부를 확인하지 못했지만 허용합니다 (fail-open).",
        f"Revocation status unavailable, accepted (fail-open): {detail}.",
    )
