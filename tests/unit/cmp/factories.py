"""Factories for the CMP tests: a test PKI (CA, user certificate, keys) made with cryptography, and the vectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

VECTORS = Path(__file__).parent / "vectors"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SECRET = b"CODE123"
ALL_VECTORS = sorted(path.name for path in VECTORS.glob("*.der"))


def name(cn: str, *units: str) -> x509.Name:
    """c=KR, o=jointsign, ou=…, cn=…"""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jointsign")]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit) for unit in units]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def issue(
    ca_key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    subject: x509.Name,
    public_key: rsa.RSAPublicKey,
    *,
    serial: int = 0x1234,
    ca: bool = False,
) -> x509.Certificate:
    """A certificate for ``public_key`` signed by ``ca_key`` (sha256WithRSAEncryption)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(ca_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    """A CA and a user with a current certificate, plus a fresh key for the next one."""

    ca_key: rsa.RSAPrivateKey
    ca_cert: x509.Certificate
    user_key: rsa.RSAPrivateKey
    user_cert: x509.Certificate
    new_key: rsa.RSAPrivateKey

    @property
    def user_name(self) -> x509.Name:
        """The user's subject."""
        return self.user_cert.subject

    def issue_for(self, public_key: rsa.RSAPublicKey, serial: int = 0x5678) -> x509.Certificate:
        """A user certificate for ``public_key``."""
        return issue(self.ca_key, self.ca_cert.subject, self.user_name, public_key, serial=serial)


def make_pki() -> Pki:
    """A fresh test PKI (RSA-2048, as the KISA profile wants)."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = name("jointsignCA Class 1", "AccreditedCA")
    ca_cert = issue(ca_key, ca_name, ca_name, ca_key.public_key(), serial=1, ca=True)
    user_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    user_name = name("홍길동()0081045202511250001", "personal4IB", "HANBIT")
    user_cert = issue(ca_key, ca_name, user_name, user_key.public_key())
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Pki(ca_key, ca_cert, user_key, user_cert, new_key)


def vector(name: str) -> bytes:
    """An openssl-made message from ``vectors/`` (see its README)."""
    return (VECTORS / name).read_bytes()
