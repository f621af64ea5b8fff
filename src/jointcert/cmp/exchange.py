"""What the server-side handlers share: their dependencies, the request being handled, and response building."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jointcert.ca.authority import CertificateAuthority
from jointcert.ca.keys import CaSigner
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.ca.registration import RegistrationService
from jointcert.clock import Clock
from jointcert.cmp.codec import encode_message
from jointcert.cmp.model import Body, PkiMessage
from jointcert.cmp.ports import TransactionStore
from jointcert.cmp.protection import PbmProtection, Protection, SignatureProtection
from jointcert.cmp.server import response_header
from jointcert.config import CmpSettings
from jointcert.pii import PiiProtector

__all__ = ["SECRET_PURPOSE", "Deps", "Exchange", "fingerprint"]

SECRET_PURPOSE = "cmp-transaction"  # noqa: S105 - PiiProtector purpose of the authorization code kept for certConf


def fingerprint(cert: x509.Certificate) -> bytes:
    """SHA-256 of the certificate's DER."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()


@dataclass(frozen=True)
class Deps:
    """Everything the handlers use. ``issuer`` (the issuing CA) signs signature-protected responses and names the
    server as sender; ``chain`` are the certificates above it (the root)."""

    authority: CertificateAuthority
    registrations: RegistrationService
    transactions: TransactionStore
    audit: AuditStore
    pii: PiiProtector
    clock: Clock
    settings: CmpSettings
    issuer: CaSigner
    chain: tuple[x509.Certificate, ...]
    renewal_window: timedelta | None = None  # kur only this long before expiry (the bank's rule); None: any time

    @property
    def confirm_wait(self) -> timedelta:
        """How long an issued certificate waits for certConf."""
        return timedelta(seconds=self.settings.confirm_wait_seconds)

    @property
    def ca_certificates(self) -> tuple[x509.Certificate, ...]:
        """The issuing CA and the certificates above it."""
        return (self.issuer.certificate, *self.chain)

    def signature(self) -> SignatureProtection:
        """Protection of answers to signature-protected (and unprotected) requests: the issuing CA's key."""
        return SignatureProtection(self.issuer.key, self.issuer.certificate, self.chain)

    def pbm(self, secret: bytes) -> PbmProtection:
        """Protection of answers to PBM-protected requests: the same secret."""
        return PbmProtection(secret)

    def event(self, kind: str, actor: str, data: dict[str, object]) -> AuditEvent:
        """An audit event stamped now."""
        return AuditEvent(kind, actor, self.clock.now(), data)


@dataclass
class Exchange:
    """One request being handled. ``protection`` is set as soon as the request's own protection verified, so
    that errors from then on are protected the same way; ``facts`` are what the audit event will say."""

    message: PkiMessage
    peer: str | None = None
    protection: Protection | None = None
    facts: dict[str, object] = field(default_factory=dict)

    def reply(
        self,
        deps: Deps,
        body: Body,
        *,
        implicit_confirm: bool = False,
        confirm_wait_time: datetime | None = None,
    ) -> tuple[bytes, bytes]:
        """DER of the response (protected like the request) and the senderNonce it carries."""
        header = response_header(
            self.message.header,
            sender=deps.issuer.name,
            message_time=deps.clock.now(),
            implicit_confirm=implicit_confirm,
            confirm_wait_time=confirm_wait_time,
        )
        protection = self.protection or deps.signature()
        der = encode_message(header, body, protection=protection, extra_certs=deps.ca_certificates)
        return der, header.sender_nonce or b""
