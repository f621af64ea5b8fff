"""OCSP (RFC 6960) for a relying party: build a request, and read a response only after checking who signed it.

A response is believed when it is signed by the issuer itself or by a delegated responder whose certificate the
issuer signed, that carries id-kp-OCSPSigning and is valid now; when it answers for exactly our certificate (serial,
issuer name hash and key hash); when thisUpdate is not in the future and nextUpdate not in the past; and, when we
sent a nonce and the responder echoed one, when the two are equal. Responders that serve pre-produced responses
(RFC 5019) do not echo nonces, so a missing nonce is accepted.

:class:`VerifiedResponses` remembers what the signature of a nonce-less response vouches for, by the response's
bytes: a pre-signed response comes back as the same bytes until it is re-signed, and the same bytes for the same
certificate and issuer verify the same way, so only the time checks (thisUpdate, nextUpdate, the delegated
responder's validity) are repeated.
"""

from __future__ import annotations

import enum
import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

__all__ = ["CertStatus", "OcspAnswer", "OcspProblem", "VerifiedResponses", "build_request", "read_response"]

NONCE_LENGTH = 32
_MAX_REMEMBERED = 4096


class CertStatus(enum.StrEnum):
    """What a revocation source said about a certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OcspAnswer:
    """A verified single response for our certificate."""

    status: CertStatus
    this_update: datetime
    next_update: datetime | None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


class OcspProblem(Exception):
    """The response cannot be believed (why, in English and Korean); the caller falls back to the CRL."""

    def __init__(self, message_en: str, message_ko: str = "OCSP 응답을 신뢰할 수 없습니다.") -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_ko = message_ko


def build_request(
    cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bool = True
) -> tuple[bytes, bytes | None]:
    """DER of an OCSP request for ``cert`` (SHA-1 CertID, as RFC 5019 responders expect) and the nonce sent."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 (CertID, RFC 5019)
    value = os.urandom(NONCE_LENGTH) if nonce else None
    if value is not None:
        builder = builder.add_extension(x509.OCSPNonce(value), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER), value


def _key_hash(cert: x509.Certificate) -> bytes:
    """SHA-1 of the subjectPublicKey BIT STRING (the ResponderID byKey form)."""
    return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def _verify_signature(key: object, response: ocsp.OCSPResponse) -> None:
    algorithm = response.signature_hash_algorithm
    if algorithm is None:
        raise OcspProblem("The OCSP response uses an unsupported signature algorithm.")
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        else:
            raise OcspProblem("The OCSP responder key type is not supported.")
    except (InvalidSignature, UnsupportedAlgorithm) as exc:
        raise OcspProblem(
            "The OCSP response signature does not verify.", "OCSP 응답 서명이 올바르지 않습니다."
        ) from exc


def _names_responder(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    return response.responder_key_hash == _key_hash(cert)


def _check_delegate(delegate: x509.Certificate, issuer: x509.Certificate) -> None:
    """Certified by the issuer for OCSP signing (its validity at the time of use: :func:`_check_signer_times`)."""
    try:
        delegate.verify_directly_issued_by(issuer)
    except (InvalidSignature, TypeError, ValueError) as exc:
        raise OcspProblem("The OCSP responder certificate was not issued by the certificate's issuer.") from exc
    try:
        usages = list(delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        usages = []  # (cryptography ≥ 51 refuses an empty ExtendedKeyUsage object)
    if ExtendedKeyUsageOID.OCSP_SIGNING not in usages:
        raise OcspProblem(
            "The OCSP responder certificate lacks id-kp-OCSPSigning.",
            "OCSP 응답 서명용(id-kp-OCSPSigning) 인증서가 아닙니다.",
        )


def _signer(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate:
    """The certificate whose key signed the response: the issuer, or a delegated responder it certified."""
    if _names_responder(response, issuer):
        return issuer
    for candidate in response.certificates:
        if _names_responder(response, candidate):
            _check_delegate(candidate, issuer)
            return candidate
    raise OcspProblem("The OCSP response is signed by an unknown responder.", "알 수 없는 OCSP 응답기입니다.")


def _single(response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate) -> ocsp.OCSPSingleResponse:
    for single in response.responses:
        if single.serial_number != cert.serial_number:
            continue
        expected = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, single.hash_algorithm).build()
        if single.issuer_key_hash == expected.issuer_key_hash and single.issuer_name_hash == expected.issuer_name_hash:
            return single
    raise OcspProblem("The OCSP response does not answer for this certificate.")


def _check_nonce(response: ocsp.OCSPResponse, sent: bytes | None) -> None:
    if sent is None:
        return
    try:
        echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return
    if echoed != sent:
        raise OcspProblem("The OCSP response nonce does not match the request.", "OCSP 응답의 nonce가 다릅니다.")


@dataclass(frozen=True)
class _Believed:
    """What a verified response says about our certificate, before the checks that depend on the time."""

    answer: OcspAnswer
    signer_window: tuple[datetime, datetime] | None  # a delegated responder's validity; None: the issuer signed


def _check_times(believed: _Believed, now: datetime, skew: timedelta, max_age: timedelta) -> OcspAnswer:
    window = believed.signer_window
    if window is not None and not window[0] - skew <= now <= window[1] + skew:
        raise OcspProblem("The OCSP responder certificate is not valid now.", "OCSP 응답기 인증서가 유효하지 않습니다.")
    this_update = believed.answer.this_update
    next_update = believed.answer.next_update
    if this_update > now + skew:
        raise OcspProblem("The OCSP response's thisUpdate is in the future.")
    if next_update is not None and now > next_update + skew:
        raise OcspProblem("The OCSP response is stale (nextUpdate has passed).", "OCSP 응답이 오래되었습니다.")
    if next_update is None and now - this_update > max_age:
        raise OcspProblem("The OCSP response has no nextUpdate and is too old.", "OCSP 응답이 오래되었습니다.")
    return believed.answer


def read_response(
    der: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    now: datetime,
    nonce: bytes | None,
    skew: timedelta = timedelta(minutes=5),
    max_age: timedelta = timedelta(hours=1),
) -> OcspAnswer:
    """Verify an OCSP response and return what it says about ``cert``; :class:`OcspProblem` if not believable."""
    return _check_times(_believe(der, cert, issuer, nonce), now, skew, max_age)


def _believe(der: bytes, cert: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None) -> _Believed:
    try:
        return _read(der, cert, issuer, nonce)
    except OcspProblem:
        raise
    except Exception as exc:  # cryptography parses lazily: a hostile response can raise ValueError on any field
        raise OcspProblem("The OCSP response is malformed.", "OCSP 응답 형식이 올바르지 않습니다.") from exc


def _read(der: bytes, cert: x509.Certificate, issuer: x509.Certificate, nonce: bytes | None) -> _Believed:
    response = ocsp.load_der_ocsp_response(der)
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise OcspProblem(
            f"The OCSP responder answered {response.response_status.name}.",
            f"OCSP 응답기 오류: {response.response_status.name}",
        )
    signer = _signer(response, issuer)
    _verify_signature(signer.public_key(), response)
    _check_nonce(response, nonce)
    single = _single(response, cert, issuer)
    status = {
        ocsp.OCSPCertStatus.GOOD: CertStatus.GOOD,
        ocsp.OCSPCertStatus.REVOKED: CertStatus.REVOKED,
        ocsp.OCSPCertStatus.UNKNOWN: CertStatus.UNKNOWN,
    }[single.certificate_status]
    reason = single.revocation_reason.value if single.revocation_reason else None
    answer = OcspAnswer(status, single.this_update_utc, single.next_update_utc, single.revocation_time_utc, reason)
    window = None if signer is issuer else (signer.not_valid_before_utc, signer.not_valid_after_utc)
    return _Believed(answer, window)


class VerifiedResponses:
    """Nonce-less responses already verified, by (SHA-256 of the bytes, serial, issuer): thread-safe, bounded.

    Only what the signature vouches for is remembered; :meth:`read` repeats the time checks on every call, so a
    remembered response is refused once it is stale exactly as a fresh copy would be. Responses that failed are
    not remembered."""

    def __init__(self, limit: int = _MAX_REMEMBERED) -> None:
        self._limit = limit
        self._known: dict[tuple[bytes, int, x509.Certificate], _Believed] = {}
        self._lock = threading.Lock()

    def read(
        self,
        der: bytes,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        *,
        now: datetime,
        skew: timedelta = timedelta(minutes=5),
        max_age: timedelta = timedelta(hours=1),
    ) -> OcspAnswer:
        """:func:`read_response` without a nonce, verifying each distinct response once."""
        key = (hashlib.sha256(der).digest(), cert.serial_number, issuer)
        with self._lock:
            believed = self._known.get(key)
        if believed is None:
            believed = _believe(der, cert, issuer, None)
            with self._lock:
                if len(self._known) >= self._limit:
                    self._known.clear()
                self._known[key] = believed
        return _check_times(believed, now, skew, max_age)
