"""What a certificate holder does with the current certificate: renew it (갱신) or revoke it (폐지).

Both are authorised by a signature with the current certificate's key over a fresh single-use challenge, and
the certificate must be ours: issued by our issuing CA, byte for byte the one in the CA's record, ``issued`` (not
revoked) and unexpired. Renewal opens ``renewal_window_days`` before expiry and needs a new key pair; the CA
keeps the old certificate's identifyData (VID) and holder (``CertificateAuthority.renew``, shared with CMP
``kur``), because it never stored the resident number, so the client keeps its R. The renewed certificate
supersedes the old one.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jointcert.bank.model import NotificationEvent
from jointcert.ca.authority import RenewalRequest, SignatureProof
from jointcert.ca.ports import CertificateRecord, RecordStatus
from jointcert.clock import Clock
from jointcert.config import RaSettings
from jointcert.errors import InvalidInput
from jointcert.ra.errors import (
    CertificateExpired,
    CertificateNotActive,
    CertificateNotOurs,
    ChallengeInvalid,
    HolderSignatureInvalid,
    MalformedInput,
    RenewalNotDue,
    SameKey,
)
from jointcert.ra.policies import Notifications, kst_date
from jointcert.ra.ports import Authority, CertificateRegistry, Challenge, ChallengeStore, RegisteredCertificate
from jointcert.ra.steps.enrollment import Issued, KmKey, issued_view, verify_pop
from jointcert.types import CertType

__all__ = ["CHALLENGE_TTL_SECONDS", "HOLDER_REASONS", "PURPOSES", "HolderService", "Revoked"]

CHALLENGE_TTL_SECONDS = 300
PURPOSES = ("renew", "revoke")
HOLDER_REASONS = {
    flag.value: flag
    for flag in (
        x509.ReasonFlags.unspecified,
        x509.ReasonFlags.key_compromise,
        x509.ReasonFlags.affiliation_changed,
        x509.ReasonFlags.superseded,
        x509.ReasonFlags.cessation_of_operation,
    )
}


@dataclass(frozen=True)
class Revoked:
    """A revocation by the holder."""

    serial: int
    reason: str
    revoked_at: datetime
    cert_type: CertType | None


@dataclass(frozen=True)
class _Proven:
    record: CertificateRecord
    certificate: x509.Certificate
    challenge: Challenge


class HolderService:
    """Challenges, renewal and revocation for holders of our certificates."""

    def __init__(
        self,
        *,
        authority: Authority,
        registry: CertificateRegistry,
        challenges: ChallengeStore,
        notifications: Notifications,
        clock: Clock,
        settings: RaSettings,
        issuing_certificate: x509.Certificate,
        chain: Sequence[bytes],
    ) -> None:
        self._authority, self._registry, self._challenges = authority, registry, challenges
        self._notifications, self._clock, self._settings = notifications, clock, settings
        self._issuing = issuing_certificate
        self._chain = tuple(chain)

    def new_challenge(self, purpose: str) -> Challenge:
        """A fresh challenge for ``renew`` or ``revoke``; the holder signs its ``value`` (UTF-8)."""
        if purpose not in PURPOSES:
            raise InvalidInput(f"Unknown purpose {purpose!r} (renew or revoke).", message_ko="알 수 없는 요청입니다.")
        now = self._clock.now()
        challenge = Challenge(
            id=uuid.uuid4().hex,
            purpose=purpose,
            value=f"jointcert-{purpose}:{secrets.token_hex(16)}",
            created_at=now,
            expires_at=now + timedelta(seconds=CHALLENGE_TTL_SECONDS),
        )
        self._challenges.add(challenge)
        return challenge

    def renew(
        self,
        *,
        challenge_id: str,
        certificate_der: bytes,
        signature: bytes,
        public_key_der: bytes,
        pop: bytes,
        km_public_key_der: bytes | None = None,
        km_pop: bytes | None = None,
    ) -> Issued:
        """A new certificate for a new key, keeping the old one's identifyData; the old one is superseded. With a
        new km key (and its signature over the same challenge) the sign + km pair is renewed together."""
        proven = self._prove("renew", challenge_id, certificate_der, signature)
        record, now = proven.record, self._clock.now()
        opens = record.not_after - timedelta(days=self._settings.renewal_window_days)
        if now < opens:
            raise RenewalNotDue(renewable_from=opens.isoformat(), not_after=record.not_after.isoformat())
        old_spki = proven.certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        if old_spki == public_key_der:
            raise SameKey()
        message = proven.challenge.value.encode()
        verify_pop(public_key_der, message, pop)
        km = KmKey.of(km_public_key_der, km_pop)
        if km is not None:
            verify_pop(km.public_key_der, message, km.signature)
        if record.cert_type is None:
            raise CertificateNotOurs("The certificate is not a subscriber certificate.")
        renewal = RenewalRequest(
            record.serial,
            public_key_der,
            SignatureProof(message, pop),
            "api",
            km_public_key_der=None if km is None else km.public_key_der,
            km_pop=None if km is None else SignatureProof(message, km.signature),
        )
        issued = self._authority.renew(renewal)  # keeps identifyData (VID), holder, name and bank
        owner = self._registry.get(record.serial)
        if owner is not None:
            self._registry.add(
                RegisteredCertificate(issued.serial, owner.customer_id, issued.cert_type, "renewed", None, now)
            )
            params = {"cert_type": issued.cert_type.label_ko, "valid_until": kst_date(issued.not_after)}
            self._notifications.send(owner.customer_id, NotificationEvent.RENEWED, params)
        return issued_view(self._chain, issued, None)

    def revoke(self, *, challenge_id: str, certificate_der: bytes, signature: bytes, reason: str) -> Revoked:
        """Revoke the holder's certificate with one of :data:`HOLDER_REASONS`."""
        flag = HOLDER_REASONS.get(reason)
        if flag is None:
            raise InvalidInput(
                f"Unknown reason {reason!r}.", message_ko="알 수 없는 폐지 사유입니다.", allowed=sorted(HOLDER_REASONS)
            )
        proven = self._prove("revoke", challenge_id, certificate_der, signature)
        serial = proven.record.serial
        self._authority.revoke(serial, flag, actor="holder")
        owner = self._registry.get(serial)
        cert_type = proven.record.cert_type
        if owner is not None and cert_type is not None:
            self._notifications.send(owner.customer_id, NotificationEvent.REVOKED, {"cert_type": cert_type.label_ko})
        return Revoked(serial, flag.value, self._clock.now(), cert_type)

    def _prove(self, purpose: str, challenge_id: str, certificate_der: bytes, signature: bytes) -> _Proven:
        challenge = self._challenges.consume(challenge_id, purpose, self._clock.now())
        if challenge is None:
            raise ChallengeInvalid()
        certificate = self._ours(certificate_der)
        record = self._authority.certificate(certificate.serial_number)
        if record is None or record.der != certificate_der:
            raise CertificateNotOurs()
        if record.status is not RecordStatus.ISSUED:
            raise CertificateNotActive(record_status=record.status.value)
        if record.not_after <= self._clock.now():
            raise CertificateExpired(not_after=record.not_after.isoformat())
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise CertificateNotOurs()
        try:
            key.verify(signature, challenge.value.encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise HolderSignatureInvalid() from exc
        return _Proven(record, certificate, challenge)

    def _ours(self, der: bytes) -> x509.Certificate:
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise MalformedInput("The certificate is not DER.", field="certificate") from exc
        try:
            certificate.verify_directly_issued_by(self._issuing)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CertificateNotOurs() from exc
        return certificate
