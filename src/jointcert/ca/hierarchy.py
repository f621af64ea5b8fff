"""The CA hierarchy of an instance: root CA → issuing CA (Class 1) → delegated OCSP signer.

Slugs (used in URLs, key file names and records): ``root`` (``/ca/root.crt``, ``/crl/root.crl``), ``class1``
(``/ca/class1.crt``, ``/crl/class1.crl``; issues subscriber certificates) and ``ocsp`` (``/ca/ocsp.crt``; signs
OCSP responses for class1, carries id-kp-OCSPSigning and id-pkix-ocsp-nocheck).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from jointcert.ca.keys import CaSigner
from jointcert.ca.names import issuing_name, ocsp_signer_name, root_name
from jointcert.ca.profiles import UrlSet
from jointcert.ca.tbs import key_usage_of
from jointcert.config import CaSettings

__all__ = [
    "ISSUING",
    "OCSP",
    "ROOT",
    "SLUGS",
    "Hierarchy",
    "KeyMaker",
    "generate_hierarchy",
    "new_serial",
    "ocsp_signer",
]

ROOT, ISSUING, OCSP = "root", "class1", "ocsp"
SLUGS = (ROOT, ISSUING, OCSP)
ROOT_KEY_BITS = 3072
ROOT_YEARS, ISSUING_YEARS, OCSP_DAYS = 20, 10, 730
_ANY_POLICY = ObjectIdentifier("2.5.29.32.0")

KeyMaker = Callable[[str, int], rsa.RSAPrivateKey]
"""Makes the key of a CA role: ``(slug, bits) -> key`` (in memory by default; in a PKCS#11 token for ceremonies)."""


def _memory_key(slug: str, bits: int) -> rsa.RSAPrivateKey:
    del slug
    return rsa.generate_private_key(65537, bits)


def new_serial() -> int:
    """A positive serial number with 128 random bits (at least 64 as RFC 5280/CABF want; 128 like Boulder)."""
    while True:
        serial = secrets.randbits(128)
        if serial >= 1 << 64:
            return serial


def _builder(
    subject: x509.Name, issuer: x509.Name, key: rsa.RSAPublicKey, start: datetime, end: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(new_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
    )


@dataclass(frozen=True)
class Hierarchy:
    """Freshly generated keys and certificates of the three CA roles."""

    root: CaSigner
    issuing: CaSigner
    ocsp: CaSigner

    def signers(self) -> dict[str, CaSigner]:
        """By slug."""
        return {ROOT: self.root, ISSUING: self.issuing, OCSP: self.ocsp}


def _root(settings: CaSettings, start: datetime, new_key: KeyMaker) -> CaSigner:
    key = new_key(ROOT, ROOT_KEY_BITS)
    name = root_name(settings)
    cert = (
        _builder(name, name, key.public_key(), start, start + timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(key_usage_of("key_cert_sign", "crl_sign"), critical=True)
        .sign(key, hashes.SHA256())
    )
    return CaSigner(ROOT, key, cert)


def _issuing(settings: CaSettings, root: CaSigner, base_url: str, start: datetime, new_key: KeyMaker) -> CaSigner:
    key = new_key(ISSUING, 2048)
    urls = UrlSet(base_url, ROOT)
    cert = (
        _builder(
            issuing_name(settings), root.name, key.public_key(), start, start + timedelta(days=365 * ISSUING_YEARS)
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        # digitalSignature: the issuing CA also signs CMP responses (kup, rp, genp); openssl cmp checks this bit
        .add_extension(key_usage_of("digital_signature", "key_cert_sign", "crl_sign"), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier(root.key_identifier, None, None), critical=False)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(_ANY_POLICY, None)]), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(urls.crl)], None, None, None)]
            ),
            critical=False,
        )
        .sign(root.key, hashes.SHA256())
    )
    return CaSigner(ISSUING, key, cert)


def _ocsp(settings: CaSettings, issuing: CaSigner, start: datetime, new_key: KeyMaker) -> CaSigner:
    return ocsp_signer(settings, issuing, new_key(OCSP, 2048), start)


def ocsp_signer(settings: CaSettings, issuing: CaSigner, key: rsa.RSAPrivateKey, start: datetime) -> CaSigner:
    """An OCSP signer certificate for ``key`` issued by ``issuing`` (delegated, id-kp-OCSPSigning, ocsp-nocheck),
    valid :data:`OCSP_DAYS` from ``start`` (at creation and at renewal)."""
    cert = (
        _builder(ocsp_signer_name(settings), issuing.name, key.public_key(), start, start + timedelta(days=OCSP_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage_of("digital_signature"), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(issuing.key_identifier, None, None), critical=False)
        .sign(issuing.key, hashes.SHA256())
    )
    return CaSigner(OCSP, key, cert)


def generate_hierarchy(
    settings: CaSettings, base_url: str, now: datetime, new_key: KeyMaker = _memory_key
) -> Hierarchy:
    """Generate the root, the issuing CA and the OCSP signer (keys from ``new_key``: in memory by default, the
    caller persists them; or in a token)."""
    start = now.replace(microsecond=0) - timedelta(minutes=5)
    root = _root(settings, start, new_key)
    issuing = _issuing(settings, root, base_url, start, new_key)
    return Hierarchy(root, issuing, _ocsp(settings, issuing, start, new_key))
