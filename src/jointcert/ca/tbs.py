"""Building certificates: the KISA personal profile's extensions, and assembling a certificate from its TBS.

The pipeline builds a certificate with a throwaway lint key; its ``tbs_certificate_bytes`` are exactly what the
CA then signs (the TBS does not depend on the signing key, only on the algorithm, which is the same), so what is
linted, recorded (by hash) and signed is one and the same byte string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID
from pyasn1.codec.der import encoder
from pyasn1.type import char, univ
from pyasn1_modules import rfc5280

from jointcert.ca.keys import CaSigner
from jointcert.ca.profiles import Profile, UrlSet
from jointcert.npki.oids import ID_KISA_IDENTIFY_DATA, x509_oid

__all__ = [
    "SHA256_WITH_RSA",
    "SubscriberFields",
    "assemble_certificate",
    "certificate_policies",
    "der_length",
    "key_usage_of",
    "profile_builder",
    "subscriber_builder",
]

SHA256_WITH_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")  # AlgorithmIdentifier, NULL parameters


def der_length(n: int) -> bytes:
    """DER length octets for ``n``."""
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def assemble_certificate(tbs: bytes, signature: bytes) -> bytes:
    """``Certificate ::= SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING signature }`` in DER."""
    bit_string = b"\x03" + der_length(len(signature) + 1) + b"\x00" + signature
    body = tbs + SHA256_WITH_RSA + bit_string
    return b"\x30" + der_length(len(body)) + body


def key_usage_of(*names: str) -> x509.KeyUsage:
    """A KeyUsage with exactly the named bits set (``digital_signature``, ``content_commitment``, ``crl_sign`` …)."""
    bits: tuple[str, ...] = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment")
    bits += ("key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    unknown = set(names) - set(bits)
    if unknown:
        raise ValueError(f"unknown key usage {sorted(unknown)}")
    return x509.KeyUsage(**{bit: bit in names for bit in bits})


def certificate_policies(
    policy_oid: str, cps_uri: str | None, notice: str | None, *, notice_first: bool = False
) -> bytes:
    """DER of certificatePolicies with a CPS URI and a user notice whose explicitText is a BMPString (in that order,
    or the notice first as yessign writes it)."""
    info = rfc5280.PolicyInformation()
    info["policyIdentifier"] = univ.ObjectIdentifier(policy_oid)
    found: list[rfc5280.PolicyQualifierInfo] = []
    if cps_uri is not None:
        cps = rfc5280.PolicyQualifierInfo()
        cps["policyQualifierId"] = rfc5280.id_qt_cps
        cps["qualifier"] = univ.Any(encoder.encode(char.IA5String(cps_uri)))
        found.append(cps)
    if notice is not None:
        user_notice = rfc5280.UserNotice()
        user_notice["explicitText"]["bmpString"] = notice
        unotice = rfc5280.PolicyQualifierInfo()
        unotice["policyQualifierId"] = rfc5280.id_qt_unotice
        unotice["qualifier"] = univ.Any(encoder.encode(user_notice))
        found.insert(0 if notice_first else len(found), unotice)
    for position, qualifier in enumerate(found):
        info["policyQualifiers"].setComponentByPosition(position, qualifier)
    policies = rfc5280.CertificatePolicies()
    policies.setComponentByPosition(0, info)
    return bytes(encoder.encode(policies))


def _aki(issuer: CaSigner) -> x509.AuthorityKeyIdentifier:
    """keyid + the issuer's issuer name + the issuer certificate's serial, as real NPKI certificates carry."""
    return x509.AuthorityKeyIdentifier(
        key_identifier=issuer.key_identifier,
        authority_cert_issuer=[x509.DirectoryName(issuer.certificate.issuer)],
        authority_cert_serial_number=issuer.certificate.serial_number,
    )


def profile_builder(
    issuer: CaSigner, profile: Profile, urls: UrlSet, *, notice_first: bool = False, partition: int | None = None
) -> x509.CertificateBuilder:
    """Everything in a subscriber certificate that does not depend on the subscriber (built once per profile and
    CRL partition: the distribution point names the partition's CRL, or the full CRL when ``partition`` is None)."""
    key_usage = key_usage_of(*profile.key_usage)
    policies = x509.UnrecognizedExtension(
        ExtensionOID.CERTIFICATE_POLICIES,
        certificate_policies(profile.policy_oid, urls.cps, profile.notice_ko, notice_first=notice_first),
    )
    crl_dp = x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(urls.crl_for(partition))], None, None, None)]
    )
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(urls.ca_issuers)
            ),
        ]
    )
    return (
        x509.CertificateBuilder()
        .issuer_name(issuer.name)
        .add_extension(_aki(issuer), critical=False)
        .add_extension(key_usage, critical=True)
        .add_extension(policies, critical=True)
        .add_extension(crl_dp, critical=False)
        .add_extension(aia, critical=False)
    )


@dataclass(frozen=True)
class SubscriberFields:
    """The per-request parts of a subscriber certificate."""

    serial: int
    subject: x509.Name
    public_key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime
    identify_data: bytes | None  # DER of the KISA identifyData (the otherName value); None: no subjectAltName (km)


def subscriber_builder(base: x509.CertificateBuilder, fields: SubscriberFields) -> x509.CertificateBuilder:
    """The full builder: ``base`` from :func:`profile_builder` plus the subscriber's fields."""
    builder = (
        base.subject_name(fields.subject)
        .serial_number(fields.serial)
        .public_key(fields.public_key)
        .not_valid_before(fields.not_before)
        .not_valid_after(fields.not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(fields.public_key), critical=False)
    )
    if fields.identify_data is None:  # the encryption (km) certificate: no subjectAltName
        return builder
    san = x509.SubjectAlternativeName([x509.OtherName(x509_oid(ID_KISA_IDENTIFY_DATA), fields.identify_data)])
    return builder.add_extension(san, critical=False)
