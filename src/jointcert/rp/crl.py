"""CRL (RFC 5280 §6.3, simplified to full CRLs from the issuer itself): verify one, then look a serial up in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

__all__ = ["CrlProblem", "VerifiedCrl", "read_crl"]


class CrlProblem(Exception):
    """The CRL cannot be used (why, in English and Korean)."""

    def __init__(self, message_en: str, message_ko: str = "CRL을 사용할 수 없습니다.") -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_ko = message_ko


@dataclass(frozen=True)
class VerifiedCrl:
    """A CRL whose signature, issuer and freshness were checked."""

    crl: x509.CertificateRevocationList
    this_update: datetime
    next_update: datetime

    def revoked(self, serial: int) -> x509.RevokedCertificate | None:
        """The entry for ``serial``, if it is listed."""
        return self.crl.get_revoked_certificate_by_serial_number(serial)


def _load(data: bytes) -> x509.CertificateRevocationList:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise CrlProblem("The CRL is malformed.", "CRL 형식이 올바르지 않습니다.") from exc


def _may_sign_crls(issuer: x509.Certificate) -> bool:
    try:
        return issuer.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign
    except x509.ExtensionNotFound:
        return True


def read_crl(
    data: bytes, issuer: x509.Certificate, *, now: datetime, skew: timedelta = timedelta(minutes=5)
) -> VerifiedCrl:
    """Parse and verify a full CRL from ``issuer``, fresh at ``now``; :class:`CrlProblem` otherwise."""
    try:
        return _verify(data, issuer, now, skew)
    except CrlProblem:
        raise
    except Exception as exc:  # cryptography parses lazily: hostile entries can raise ValueError late
        raise CrlProblem("The CRL is malformed.", "CRL 형식이 올바르지 않습니다.") from exc


def _verify(data: bytes, issuer: x509.Certificate, now: datetime, skew: timedelta) -> VerifiedCrl:
    crl = _load(data)
    for entry in crl:  # parse every entry (and its extensions) now, so lookups later cannot raise
        _ = entry.serial_number, entry.revocation_date_utc, list(entry.extensions)
    if crl.issuer != issuer.subject:
        raise CrlProblem("The CRL is from another issuer.", "다른 발급기관의 CRL입니다.")
    if not _may_sign_crls(issuer) or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        raise CrlProblem("The CRL signature does not verify.", "CRL 서명이 올바르지 않습니다.")
    this_update = crl.last_update_utc
    next_update = crl.next_update_utc
    if this_update > now + skew:
        raise CrlProblem("The CRL's thisUpdate is in the future.")
    if next_update is None or now > next_update + skew:
        raise CrlProblem("The CRL is stale (nextUpdate has passed).", "CRL이 오래되었습니다.")
    return VerifiedCrl(crl, this_update, next_update)
