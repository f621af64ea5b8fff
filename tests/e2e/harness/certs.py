"""Test certificates in the KISA shape for the browser tests: a throwaway CA issuing for a browser-made SPKI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyasn1.codec.der import encoder
from pyasn1.type import char, univ
from pyasn1_modules import rfc5280

from jointcert.npki.oids import ID_KISA_IDENTIFY_DATA, POLICY_LIMITED_PERSONAL, x509_oid
from jointcert.npki.vid import build_identify_data, compute_vid

__all__ = ["NOTICE_LIMITED", "FakeCa", "certificate_policies_der", "make_ca"]

NOTICE_LIMITED = "이 인증서는 은행/신용카드/보험용으로만 사용할 수 있습니다"
CPS_URI = "https://ca.jointcert.example/cps"
ID_QT_CPS = "1.3.6.1.5.5.7.2.1"
ID_QT_UNOTICE = "1.3.6.1.5.5.7.2.2"


def certificate_policies_der(oid: str, notice: str) -> bytes:
    """certificatePolicies as the KISA profile writes it: CPS URI, then a user notice in a BMPString."""
    cps = rfc5280.PolicyQualifierInfo()
    cps["policyQualifierId"] = univ.ObjectIdentifier(ID_QT_CPS)
    cps["qualifier"] = encoder.encode(char.IA5String(CPS_URI))
    user_notice = rfc5280.UserNotice()
    user_notice["explicitText"]["bmpString"] = notice
    un = rfc5280.PolicyQualifierInfo()
    un["policyQualifierId"] = univ.ObjectIdentifier(ID_QT_UNOTICE)
    un["qualifier"] = encoder.encode(user_notice)
    info = rfc5280.PolicyInformation()
    info["policyIdentifier"] = univ.ObjectIdentifier(oid)
    info["policyQualifiers"].extend([cps, un])
    policies = rfc5280.CertificatePolicies()
    policies.append(info)
    return bytes(encoder.encode(policies))


@dataclass(frozen=True)
class FakeCa:
    """A CA key and name that issue end-entity certificates for a given SPKI."""

    key: rsa.RSAPrivateKey
    name: x509.Name

    def issue(
        self,
        spki_der: bytes,
        *,
        real_name: str = "홍길동",
        rrn: str = "9003151234567",
        random_num: bytes | None = None,
        not_before: datetime = datetime(2026, 11, 25, 0, 0, 0, tzinfo=UTC),
        days: int = 365,
        serial: int = 0x1A2B3C4D5E6F,
    ) -> bytes:
        """DER of a limited-use personal certificate for ``spki_der`` (with identifyData when R is given)."""
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "yessign"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "KB"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{real_name}()0011223344556677"),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(serialization.load_der_public_key(spki_der))  # type: ignore[arg-type]
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_before + timedelta(days=days))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(
                x509.UnrecognizedExtension(
                    x509.oid.ExtensionOID.CERTIFICATE_POLICIES,
                    certificate_policies_der(POLICY_LIMITED_PERSONAL, NOTICE_LIMITED),
                ),
                critical=True,
            )
        )
        if random_num is not None:
            identify = build_identify_data(real_name, compute_vid(rrn, random_num))
            san = x509.SubjectAlternativeName([x509.OtherName(x509_oid(ID_KISA_IDENTIFY_DATA), identify)])
            builder = builder.add_extension(san, critical=False)
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def make_ca() -> FakeCa:
    """A fresh test CA (RSA-2048)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "yessign"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "AccreditedCA"),
            x509.NameAttribute(NameOID.COMMON_NAME, "jointcert Test CA Class 1"),
        ]
    )
    return FakeCa(rsa.generate_private_key(public_exponent=65537, key_size=2048), name)
