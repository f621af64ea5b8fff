"""Reading what a relying party needs from a certificate: policies, identifyData, URLs, fingerprint, summary.

A client sends the same certificate at every login: DER certificates that parsed well-formed, and their summaries,
are remembered by their bytes (bounded LRU caches; a certificate is immutable, and bytes that fail are parsed
again every time)."""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID

from jointcert.errors import InvalidInput
from jointcert.npki.oids import policy_info
from jointcert.npki.vid import IdentifyData, identify_data_of
from jointcert.rp.checks import CertificateSummary

__all__ = [
    "MalformedCertificate",
    "crl_urls",
    "ensure_well_formed",
    "fingerprint",
    "load_certificate",
    "load_certificates",
    "ocsp_urls",
    "policy_oids",
    "safe_identify_data",
    "summarize",
]


_REMEMBERED = 1024  # certificates (and summaries) remembered per process


class MalformedCertificate(InvalidInput):
    """Bytes that are not an X.509 certificate."""

    code = "malformed_certificate"
    message_ko = "인증서 형식이 올바르지 않습니다."
    message_en = "The certificate is malformed."


def ensure_well_formed(cert: x509.Certificate) -> x509.Certificate:
    """Parse what ``cryptography`` parses lazily (extensions, public key, signature algorithm) once, so later reads
    cannot raise; :class:`MalformedCertificate` when any of it is broken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # e.g. a non-positive serial
            for extension in cert.extensions:
                _ = extension.value
            cert.public_key()
            _ = cert.signature_hash_algorithm, cert.subject, cert.issuer, cert.serial_number, cert.not_valid_after_utc
    except Exception as exc:  # ValueError, TypeError, UnsupportedAlgorithm, DuplicateExtension … on hostile bytes
        raise MalformedCertificate(f"The certificate is malformed: {exc}") from exc
    return cert


def load_certificate(data: bytes | x509.Certificate) -> x509.Certificate:
    """A well-formed certificate from DER or PEM bytes (or as is); :class:`MalformedCertificate` otherwise."""
    if isinstance(data, x509.Certificate):
        return ensure_well_formed(data)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return ensure_well_formed(x509.load_pem_x509_certificate(data))
        return _well_formed_der(bytes(data))
    except MalformedCertificate:
        raise
    except Exception as exc:  # ValueError, InvalidVersion … on hostile bytes
        raise MalformedCertificate() from exc


@functools.lru_cache(maxsize=_REMEMBERED)
def _well_formed_der(data: bytes) -> x509.Certificate:
    return ensure_well_formed(x509.load_der_x509_certificate(data))


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a DER file or a PEM bundle."""
    try:
        if b"-----BEGIN" in data:
            return [ensure_well_formed(c) for c in x509.load_pem_x509_certificates(data)]
        return [ensure_well_formed(x509.load_der_x509_certificate(data))]
    except MalformedCertificate:
        raise
    except Exception as exc:  # ValueError, InvalidVersion … on hostile bytes
        raise MalformedCertificate() from exc


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lower-case hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def policy_oids(cert: x509.Certificate) -> tuple[str, ...]:
    """Dotted OIDs of the certificate's policies (empty when it has none)."""
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(p.policy_identifier.dotted_string for p in policies)


def _uris(names: Iterable[x509.GeneralName]) -> list[str]:
    return [n.value for n in names if isinstance(n, x509.UniformResourceIdentifier)]


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    """HTTP(S) OCSP responder URLs from the AIA extension."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    found = _uris(d.access_location for d in aia if d.access_method == AuthorityInformationAccessOID.OCSP)
    return [u for u in found if u.lower().startswith(("http://", "https://"))]


def crl_urls(cert: x509.Certificate) -> list[str]:
    """HTTP(S) CRL URLs from the CRL distribution points (LDAP ones are left out)."""
    try:
        dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    found: list[str] = []
    for dp in dps:
        found.extend(_uris(dp.full_name or ()))
    return [u for u in found if u.lower().startswith(("http://", "https://"))]


def safe_identify_data(cert: x509.Certificate) -> IdentifyData | None:
    """identifyData, or ``None`` when absent or malformed."""
    try:
        return identify_data_of(cert)
    except (InvalidInput, ValueError):
        return None


@functools.lru_cache(maxsize=_REMEMBERED)
def summarize(cert: x509.Certificate) -> CertificateSummary:
    """The summary a verdict carries (frozen; remembered per certificate)."""
    oids = policy_oids(cert)
    info = next((i for i in map(policy_info, oids) if i is not None), None)
    ident = safe_identify_data(cert)
    return CertificateSummary(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=cert.serial_number,
        fingerprint_sha256=fingerprint(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        policy_oids=oids,
        cert_type=info.cert_type if info else None,
        policy_label_ko=info.label_ko if info else None,
        real_name=ident.real_name if ident else None,
        has_vid=bool(ident and ident.vid),
    )
