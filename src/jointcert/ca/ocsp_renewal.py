"""OCSP signer renewal: a new key (an encrypted file, like the embedded default) and a new delegated OCSP signer
certificate issued by the issuing CA, recorded like any certificate of the issuing CA, and the instance's ``ocsp``
role pointed at it. The old key file stays (its certificate is valid until its notAfter; other workers sign with it
until they restart). Keys in a PKCS#11 token are refused here: make a new token key with a ceremony instead."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jointcert.ca.bootstrap import infrastructure_record
from jointcert.ca.hierarchy import ISSUING, OCSP, ocsp_signer
from jointcert.ca.keys import CaSigner, FileKeyStore, KeyLocked, encrypt_key
from jointcert.ca.ports import AuditEvent, PendingRecord
from jointcert.ca.token import TokenKey
from jointcert.clock import Clock
from jointcert.config import CaSettings
from jointcert.errors import Conflict

__all__ = ["AuthorityWriter", "TokenKeyRenewal", "renew_ocsp_signer"]


class TokenKeyRenewal(Conflict):
    """The OCSP signer key lives in a PKCS#11 token: renewal makes file keys only."""

    code = "ocsp_renewal_token_key"
    message_ko = "OCSP 서명 키가 HSM(PKCS#11)에 있습니다. 키 의식(ceremony)으로 새 키를 만드세요."
    message_en = "The OCSP signer key is in a PKCS#11 token: make a new one with a key ceremony."


class AuthorityWriter(Protocol):
    """What renewal needs of the certificate store."""

    def record_pending(self, record: PendingRecord, event: AuditEvent) -> None:
        """Record the certificate before it is stored as issued."""
        ...

    def mark_issued(
        self,
        issuer: str,
        serial: int,
        der: bytes,
        *,
        at: datetime,
        event: AuditEvent,
        supersede: Callable[[int], AuditEvent] | None = None,
    ) -> list[int]:
        """Store the signed DER."""
        ...

    def replace_authority(self, slug: str, der: bytes, key_name: str) -> None:
        """Point a CA role at a new certificate and key."""
        ...


def renew_ocsp_signer(
    *,
    settings: CaSettings,
    issuing: CaSigner,
    current: CaSigner,
    store: AuthorityWriter,
    keys: FileKeyStore,
    passphrase: bytes | None,
    clock: Clock,
    actor: str,
) -> CaSigner:
    """Issue, record and install a new OCSP signer; the caller swaps it into the running responder."""
    if isinstance(current.key, TokenKey):
        raise TokenKeyRenewal()
    if passphrase is None:
        raise KeyLocked("No CA passphrase is configured: the new key cannot be stored encrypted.")
    now = clock.now()
    signer = ocsp_signer(
        settings, issuing, rsa.generate_private_key(65537, 2048), now.replace(microsecond=0) - timedelta(minutes=5)
    )
    cert = signer.certificate
    serial, der = format(cert.serial_number, "x"), cert.public_bytes(serialization.Encoding.DER)
    key_name = f"{OCSP}-{serial[:16]}"
    keys.write(key_name, encrypt_key(signer.key, passphrase))
    record = infrastructure_record(cert, issuer=ISSUING, profile="ocsp", now=now, channel="admin")
    store.record_pending(record, AuditEvent("certificate.recorded", actor, now, {"issuer": ISSUING, "serial": serial}))
    sha256 = hashlib.sha256(der).hexdigest()
    issued = AuditEvent("certificate.issued", actor, now, {"issuer": ISSUING, "serial": serial, "sha256": sha256})
    store.mark_issued(ISSUING, cert.serial_number, der, at=now, event=issued)
    store.replace_authority(OCSP, der, key_name)
    return signer
