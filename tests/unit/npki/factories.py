"""Small factories for NPKI tests: keys with R and certificates shaped like bank-issued joint certificates.

The real CA is built elsewhere; these certificates come from a throwaway test CA made with ``cryptography`` and
carry what the formats layer looks at (KISA-style names, a policy OID, identifyData with a VID made from R).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from jointcert.npki.keyfile import PrivateKeyBundle
from jointcert.npki.oids import ID_KISA_IDENTIFY_DATA, POLICY_LIMITED_PERSONAL, x509_oid
from jointcert.npki.vid import build_identify_data, compute_vid

TEST_RRN = "8001011234567"
TEST_R = bytes(range(1, 21))
CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "kr"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jointsign"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "AccreditedCA"),
        x509.NameAttribute(NameOID.COMMON_NAME, "jointsignCA-Test Class 1"),
    ]
)


SMALL = 50  # key index of a 1024-bit key: property tests open keys many times, and 2048-bit checks are slower


def rsa_key(index: int = 0) -> rsa.RSAPrivateKey:
    """An RSA key (2048 bits; 1024 for index ``SMALL``), made once per index per test run."""
    return _rsa_key(index)


@functools.cache
def _rsa_key(index: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024 if index == SMALL else 2048)


def bundle(index: int = 0, random_num: bytes | None = TEST_R) -> PrivateKeyBundle:
    """A cached key with R (``TEST_R`` unless given; ``None`` for a key without R)."""
    return PrivateKeyBundle(rsa_key(index), random_num)


def small_bundle() -> PrivateKeyBundle:
    """A cached 1024-bit key with ``TEST_R`` for property tests."""
    return bundle(SMALL)


@functools.cache
def small_certificate() -> x509.Certificate:
    """The certificate of :func:`small_bundle`, made once."""
    return certificate(small_bundle())


def subject_name(cn: str = "홍길동()0081234520261125000001", bank: str = "HANBIT") -> x509.Name:
    """``c=kr, o=jointsign, ou=personal4IB, ou=<bank>, cn=<cn>`` like a bank-issued personal certificate."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "kr"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jointsign"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, bank),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@functools.cache
def ca_certificate() -> x509.Certificate:
    """The self-signed test CA (key index 99)."""
    key = rsa_key(99)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(CA_NAME)
        .issuer_name(CA_NAME)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )


def certificate(
    owner: PrivateKeyBundle | None = None,
    *,
    cn: str = "홍길동()0081234520261125000001",
    real_name: str = "홍길동",
    rrn: str = TEST_RRN,
    policy: str = POLICY_LIMITED_PERSONAL,
    serial: int = 0x1A2B3C,
    not_before: datetime = datetime(2026, 11, 25, tzinfo=UTC),
    days: int = 365,
) -> x509.Certificate:
    """A personal certificate for ``owner`` (default: :func:`bundle`) issued by the test CA."""
    owner = owner or bundle()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject_name(cn))
        .issuer_name(CA_NAME)
        .public_key(owner.key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509_oid(policy), None)]), critical=True)
    )
    if owner.random_num is not None:
        identify = build_identify_data(real_name, compute_vid(rrn, owner.random_num))
        san = x509.SubjectAlternativeName([x509.OtherName(x509_oid(ID_KISA_IDENTIFY_DATA), identify)])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(rsa_key(99), hashes.SHA256())


def km_certificate(owner: PrivateKeyBundle | None = None, *, serial: int = 0x1A2B3D) -> x509.Certificate:
    """The encryption (km) certificate of a pair: same subject, keyEncipherment only, no subjectAltName."""
    owner = owner or bundle(1, random_num=None)
    not_before = datetime(2026, 11, 25, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject_name())
        .issuer_name(CA_NAME)
        .public_key(owner.key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=365))
        .add_extension(x509.KeyUsage(False, False, True, False, False, False, False, False, False), critical=True)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(x509_oid(POLICY_LIMITED_PERSONAL), None)]), critical=True
        )
        .sign(rsa_key(99), hashes.SHA256())
    )
