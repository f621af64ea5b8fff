"""What each institution accepts: a frozen :class:`InstitutionPolicy`, and the demo institutions as data."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from jointcert.npki.oids import POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL, policy_info
from jointcert.npki.policies import issuing_ca_name
from jointcert.rp.certinfo import policy_oids
from jointcert.rp.checks import Check, CheckName, Reason
from jointcert.rp.path import TrustAnchors
from jointcert.types import CertType

__all__ = [
    "DEMO_BANK",
    "DEMO_CARD",
    "DEMO_GOV",
    "DEMO_INSURER",
    "DEMO_SECURITIES",
    "ISSUING_BANK",
    "InstitutionPolicy",
    "demo_institutions",
    "describe_policy",
    "issuing_bank_policy",
    "policy_check",
]

ALL_TYPES = frozenset(CertType)


@dataclass(frozen=True)
class InstitutionPolicy:
    """One relying institution's rules for accepting a joint certificate."""

    id: str
    name: str  # Korean name shown to users
    name_en: str
    trust_anchors: TrustAnchors
    accepted_types: frozenset[CertType] = ALL_TYPES
    accepted_policy_oids: frozenset[str] = frozenset()  # accepted in addition to the OIDs of accepted_types
    refusal_ko: str | None = None  # shown when the certificate type is not accepted
    refusal_en: str | None = None
    require_vid_at_registration: bool = True
    require_registration: bool = False  # logins need a certificate registered to a customer here
    check_revocation: bool = True
    fail_closed: bool | None = None  # None: RpSettings.fail_closed

    def __post_init__(self) -> None:
        if not self.id or not (self.accepted_types or self.accepted_policy_oids):
            raise ValueError("an institution policy needs an id and something to accept")

    def accepts(self, oid: str) -> bool:
        """True when a certificate with policy ``oid`` is acceptable here."""
        if oid in self.accepted_policy_oids:
            return True
        info = policy_info(oid)
        return info is not None and info.cert_type in self.accepted_types


OUR_POLICIES = frozenset({POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL})


def describe_policy(oid: str, issuer: x509.Name | None = None) -> tuple[str, str]:
    """Korean and English words for a policy OID, as a customer reads them: the type ("범용 공동인증서"), and the
    CA for another CA's certificate; never the OID or the CPS label of a known policy. With the certificate's
    ``issuer`` the CA is named from the OID only when the issuer is that CA (our certificates reuse yessign's OIDs:
    "jointsign (yessign OID)")."""
    info = policy_info(oid)
    if info is None:
        return f"알 수 없는 종류의 인증서 (정책 {oid})", f"a certificate of an unknown type (policy {oid})"
    if issuer is None and oid in OUR_POLICIES:
        return f"{info.cert_type.label_ko} 공동인증서", f"{info.cert_type.label_en} joint certificate"
    ca = info.ca if issuer is None else issuing_ca_name(info, issuer)
    return (
        f"{info.cert_type.label_ko} 공동인증서 ({ca})",
        f"{info.cert_type.label_en} joint certificate ({ca})",
    )


def policy_check(cert: x509.Certificate, policy: InstitutionPolicy) -> Check:
    """The ``policy`` check: does this institution accept the certificate's type?"""
    oids = policy_oids(cert)
    if not oids:
        return Check.failed(
            CheckName.POLICY,
            Reason.POLICY_NOT_ACCEPTED,
            "인증서 정책(certificatePolicies)이 없습니다.",
            "The certificate has no certificate policy.",
        )
    for oid in oids:
        if policy.accepts(oid):
            ko, en = describe_policy(oid, cert.issuer)
            return Check.passed(
                CheckName.POLICY, f"{ko}: {policy.name}에서 사용 가능", f"{en}: accepted by {policy.name_en}"
            )
    ko, en = describe_policy(oids[0], cert.issuer)
    return Check.failed(
        CheckName.POLICY,
        Reason.POLICY_NOT_ACCEPTED,
        policy.refusal_ko or f"{policy.name}에서 사용할 수 없는 인증서입니다: {ko}",
        policy.refusal_en or f"{policy.name_en} does not accept this certificate: {en}",
    )


DEMO_BANK = "saebit-bank"
DEMO_CARD = "purun-card"
DEMO_INSURER = "dasom-life"
DEMO_SECURITIES = "gaon-securities"
DEMO_GOV = "gov-portal"


def demo_institutions(anchors: TrustAnchors) -> dict[str, InstitutionPolicy]:
    """The demo relying parties, all trusting ``anchors``: a bank other than the issuing bank (한빛은행), a card
    company, an insurer, a securities firm and a government portal. Only the securities firm refuses limited-use
    certificates; all but the portal want a certificate registered to a customer (타기관 인증서 등록)."""
    both = frozenset({CertType.LIMITED, CertType.GENERAL})
    institutions = (
        InstitutionPolicy(DEMO_BANK, "새빛은행", "Saebit Bank", anchors, both, require_registration=True),
        InstitutionPolicy(DEMO_CARD, "푸른카드", "Purun Card", anchors, both, require_registration=True),
        InstitutionPolicy(DEMO_INSURER, "다솜생명", "Dasom Life Insurance", anchors, both, require_registration=True),
        InstitutionPolicy(
            DEMO_SECURITIES,
            "가온증권",
            "Gaon Securities",
            anchors,
            frozenset({CertType.GENERAL}),
            refusal_ko="증권 거래에는 범용 인증서가 필요합니다",
            refusal_en="Securities trading needs a general-purpose certificate.",
            require_registration=True,
        ),
        InstitutionPolicy(DEMO_GOV, "나라민원포털", "Nara e-Government Portal", anchors, both),
    )
    return {i.id: i for i in institutions}


ISSUING_BANK = "hanbit-bank"


def issuing_bank_policy(anchors: TrustAnchors) -> InstitutionPolicy:
    """The issuing bank (한빛은행) as a relying party of its own certificates: the bank app's certificate login
    accepts both types, and needs no 타기관 인증서 등록 (the bank issued the certificate to its own customer)."""
    both = frozenset({CertType.LIMITED, CertType.GENERAL})
    return InstitutionPolicy(ISSUING_BANK, "한빛은행", "Hanbit Bank", anchors, both)
