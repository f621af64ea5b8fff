"""Certificate profiles as data: one per :class:`~jointcert.types.CertType` (KISA personal certificates)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from jointcert.ca.errors import UnknownProfile
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL
from jointcert.types import CertType

__all__ = [
    "ALL_PROFILES",
    "KM_PROFILES",
    "KM_SUFFIX",
    "PERSONAL_OU",
    "PROFILES",
    "Profile",
    "UrlSet",
    "km_profile_for",
    "km_profile_of",
    "profile_for",
]

PERSONAL_OU = "personal4IB"  # ou= of personal certificates requested through a bank (Internet Banking)
KM_SUFFIX = "-km"  # the record profile of an encryption certificate: "limited-km", "general-km"


@dataclass(frozen=True)
class UrlSet:
    """Where relying parties find the CRL, OCSP, the issuer certificate and the CPS (from ServerSettings)."""

    base: str
    issuer_slug: str

    @property
    def crl(self) -> str:
        """CRL distribution point."""
        return f"{self.base.rstrip('/')}/crl/{self.issuer_slug}.crl"

    def partition_crl(self, partition: int) -> str:
        """The distribution point of one CRL partition: in the certificates assigned to it and, byte for byte, in
        the critical issuingDistributionPoint of its CRL."""
        return f"{self.base.rstrip('/')}/crl/{self.issuer_slug}/p{partition}.crl"

    def crl_for(self, partition: int | None) -> str:
        """The distribution point of a certificate: its partition's CRL, or the full CRL without a partition."""
        return self.crl if partition is None else self.partition_crl(partition)

    @property
    def ocsp(self) -> str:
        """AIA OCSP responder."""
        return f"{self.base.rstrip('/')}/ocsp"

    @property
    def ca_issuers(self) -> str:
        """AIA caIssuers (the issuing CA certificate)."""
        return f"{self.base.rstrip('/')}/ca/{self.issuer_slug}.crt"

    @property
    def cps(self) -> str:
        """Certification practice statement."""
        return f"{self.base.rstrip('/')}/cps"


@dataclass(frozen=True)
class Profile:
    """What a certificate of one type carries besides the subscriber's data."""

    cert_type: CertType
    policy_oid: str
    notice_ko: str  # the user notice's explicitText, encoded as BMPString like real NPKI certificates
    subject_ou: str = PERSONAL_OU
    key_usage: tuple[str, ...] = ("digital_signature", "content_commitment")  # content_commitment = nonRepudiation
    validity_days: int | None = None  # None: CaSettings.validity_days
    identify_data: bool = True  # subjectAltName identifyData (VID); False for the encryption (km) certificate
    encryption: bool = False  # the km certificate of a sign + km pair (kmCert.der)

    @property
    def name(self) -> str:
        """The profile's name on the command line and in records (``limited`` / ``general`` / ``limited-km`` …)."""
        return self.cert_type.value + (KM_SUFFIX if self.encryption else "")


PROFILES: Mapping[CertType, Profile] = MappingProxyType(
    {
        CertType.LIMITED: Profile(
            cert_type=CertType.LIMITED,
            policy_oid=POLICY_LIMITED_PERSONAL,
            notice_ko="이 인증서는 은행/신용카드/보험/전자정부용 공동인증서입니다",
        ),
        CertType.GENERAL: Profile(
            cert_type=CertType.GENERAL,
            policy_oid=POLICY_GENERAL_PERSONAL,
            notice_ko="이 인증서는 범용 공동인증서입니다",
        ),
    }
)


def km_profile_of(sign: Profile) -> Profile:
    """The encryption (km) profile paired with a signing profile: same policy, notice and subject; keyEncipherment
    only, no identifyData (real NPKI kmCert.der carry neither a subjectAltName nor an R in kmPri.key)."""
    return Profile(
        cert_type=sign.cert_type,
        policy_oid=sign.policy_oid,
        notice_ko=sign.notice_ko,
        subject_ou=sign.subject_ou,
        key_usage=("key_encipherment",),
        validity_days=sign.validity_days,
        identify_data=False,
        encryption=True,
    )


KM_PROFILES: Mapping[CertType, Profile] = MappingProxyType({t: km_profile_of(p) for t, p in PROFILES.items()})
ALL_PROFILES: tuple[Profile, ...] = (*PROFILES.values(), *KM_PROFILES.values())  # every profile the CA signs


def km_profile_for(cert_type: CertType) -> Profile:
    """The encryption (km) profile of a certificate type."""
    return KM_PROFILES[cert_type]


def profile_for(name: str | CertType) -> Profile:
    """The profile for a type or its name; :class:`UnknownProfile` otherwise."""
    try:
        return PROFILES[CertType(name)]
    except ValueError as exc:
        raise UnknownProfile(profile=str(name)) from exc
