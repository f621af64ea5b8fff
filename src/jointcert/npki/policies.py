"""Certificate policy OIDs of the NPKI CAs, by CA and by usage, so relying-party policies are written by name.

Every accredited CA (공인인증기관, now 전자서명인증사업자) has its own arc and one policy OID per certificate type:
개인 범용, 법인 범용, and the limited-use (용도제한) types 은행/보험용, 증권/보험용, 신용카드용, 전자민원용, 기업뱅킹 …

Sources (public; no single official list exists): the policy tables that relying parties configure in their NPKI
client software, cross-checked between independent vendors' public sample configurations on GitHub — CrossCert's
sample verifier JSP (``개인상호연동용(범용)`` / ``개인 용도제한용`` / ``법인상호연동용(범용)`` tables), Wizvera
Delfino site configurations (``CERT_Accept_*`` lists: "금결원, 개인, 용도제한(은행/보험/카드/민원)" …), VestSign's
``policies.js`` class tables and several KSBiz/MagicLine OID-name tables — and the yessign test certificate shipped
with PyPinkSign (1.2.410.200005.1.1.4). Where the sources disagree (1.2.410.200012.1.1.101 is once listed as
법인), the majority is followed. See docs/npki.md ("Certificate policies").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from jointcert.types import CertType

__all__ = [
    "KNOWN_POLICIES",
    "TEST_GENERAL_PERSONAL",
    "TEST_LIMITED_PERSONAL",
    "CaName",
    "PolicyInfo",
    "Usage",
    "issuing_ca_name",
    "oids_for",
    "policy_info",
]


class Usage(enum.StrEnum):
    """What a certificate type may be used for, as the CAs name it (keys usable in configuration)."""

    PERSONAL_GENERAL = "personal-general"  # 개인 범용 (상호연동)
    PERSONAL_BANKING = "personal-banking"  # 개인 은행/보험용 (용도제한)
    PERSONAL_SECURITIES = "personal-securities"  # 개인 증권/보험용
    PERSONAL_CARD = "personal-card"  # 개인 신용카드용
    PERSONAL_EGOV = "personal-egov"  # 개인 전자민원용
    CORPORATE_GENERAL = "corporate-general"  # 법인 범용 (법인·단체·개인사업자)
    CORPORATE_BANKING = "corporate-banking"  # 법인 용도제한 (은행/보험/카드/민원)
    CORPORATE_ENTERPRISE_BANKING = "corporate-enterprise-banking"  # 법인 기업뱅킹
    CORPORATE_TAX_INVOICE = "corporate-tax-invoice"  # 법인 전자세금계산서용

    @property
    def label_ko(self) -> str:
        """Korean name."""
        return _USAGE_KO[self]


_USAGE_KO = {
    Usage.PERSONAL_GENERAL: "개인 범용",
    Usage.PERSONAL_BANKING: "개인 은행·보험용",
    Usage.PERSONAL_SECURITIES: "개인 증권·보험용",
    Usage.PERSONAL_CARD: "개인 신용카드용",
    Usage.PERSONAL_EGOV: "개인 전자민원용",
    Usage.CORPORATE_GENERAL: "법인 범용",
    Usage.CORPORATE_BANKING: "법인 은행·보험·카드용",
    Usage.CORPORATE_ENTERPRISE_BANKING: "법인 기업뱅킹용",
    Usage.CORPORATE_TAX_INVOICE: "법인 전자세금계산서용",
}


@dataclass(frozen=True)
class CaName:
    """An NPKI CA: the ``o=`` of its certificates, its product name and its Korean company name."""

    org: str
    name: str
    name_ko: str


YESSIGN = CaName("yessign", "yessign", "금융결제원")
SIGNGATE = CaName("KICA", "signGATE", "한국정보인증")
SIGNKOREA = CaName("SignKorea", "SignKorea", "코스콤(한국증권전산)")
CROSSCERT = CaName("CrossCert", "CrossCert", "한국전자인증")
TRADESIGN = CaName("TradeSign", "TradeSign", "한국무역정보통신")
RFC7229 = CaName("", "RFC 7229 test", "RFC 7229 시험용")  # no CA's: [ca] preset = "neutral"

# Policy OIDs of no CA: RFC 7229's id-TEST-certPolicyOne/Two, "for use in test certificates" (a sandbox that must
# not pose as yessign to relying parties). Not a UUID arc under 2.25: pkilint cannot decode arcs above 32 bits.
TEST_GENERAL_PERSONAL = "1.3.6.1.5.5.7.13.1"  # 개인 범용
TEST_LIMITED_PERSONAL = "1.3.6.1.5.5.7.13.2"  # 개인 은행·신용카드·보험용


@dataclass(frozen=True)
class PolicyInfo:
    """What a certificate policy OID means to a relying party."""

    oid: str
    cert_type: CertType
    ca: str  # the CA whose arc the OID is in (product name)
    label_ko: str
    usage: Usage = Usage.PERSONAL_GENERAL
    ca_org: str = ""  # the ``o=`` of that CA's certificates


def _p(oid: str, ca: CaName, usage: Usage) -> PolicyInfo:
    general = usage in (Usage.PERSONAL_GENERAL, Usage.CORPORATE_GENERAL)
    kind = CertType.GENERAL if general else CertType.LIMITED
    return PolicyInfo(oid, kind, ca.name, usage.label_ko, usage, ca.org)


_U = Usage
KNOWN_POLICIES: dict[str, PolicyInfo] = {
    info.oid: info
    for info in (
        _p("1.2.410.200005.1.1.1", YESSIGN, _U.PERSONAL_GENERAL),
        _p("1.2.410.200005.1.1.4", YESSIGN, _U.PERSONAL_BANKING),
        _p("1.2.410.200005.1.1.6.2", YESSIGN, _U.PERSONAL_CARD),
        _p("1.2.410.200005.1.1.5", YESSIGN, _U.CORPORATE_GENERAL),
        _p("1.2.410.200005.1.1.2", YESSIGN, _U.CORPORATE_BANKING),
        _p("1.2.410.200005.1.1.6.1", YESSIGN, _U.CORPORATE_ENTERPRISE_BANKING),
        _p("1.2.410.200005.1.1.6.8", YESSIGN, _U.CORPORATE_TAX_INVOICE),
        _p("1.2.410.200004.5.2.1.2", SIGNGATE, _U.PERSONAL_GENERAL),
        _p("1.2.410.200004.5.2.1.7.1", SIGNGATE, _U.PERSONAL_BANKING),
        _p("1.2.410.200004.5.2.1.7.2", SIGNGATE, _U.PERSONAL_SECURITIES),
        _p("1.2.410.200004.5.2.1.7.3", SIGNGATE, _U.PERSONAL_CARD),
        _p("1.2.410.200004.5.2.1.1", SIGNGATE, _U.CORPORATE_GENERAL),
        _p("1.2.410.200004.5.2.1.6.257", SIGNGATE, _U.CORPORATE_TAX_INVOICE),
        _p("1.2.410.200004.5.1.1.5", SIGNKOREA, _U.PERSONAL_GENERAL),
        _p("1.2.410.200004.5.1.1.9", SIGNKOREA, _U.PERSONAL_SECURITIES),
        _p("1.2.410.200004.5.1.1.9.2", SIGNKOREA, _U.PERSONAL_CARD),
        _p("1.2.410.200004.5.1.1.7", SIGNKOREA, _U.CORPORATE_GENERAL),
        _p("1.2.410.200004.5.4.1.1", CROSSCERT, _U.PERSONAL_GENERAL),
        _p("1.2.410.200004.5.4.1.101", CROSSCERT, _U.PERSONAL_BANKING),
        _p("1.2.410.200004.5.4.1.102", CROSSCERT, _U.PERSONAL_SECURITIES),
        _p("1.2.410.200004.5.4.1.103", CROSSCERT, _U.PERSONAL_CARD),
        _p("1.2.410.200004.5.4.1.104", CROSSCERT, _U.PERSONAL_EGOV),
        _p("1.2.410.200004.5.4.1.2", CROSSCERT, _U.CORPORATE_GENERAL),
        _p("1.2.410.200012.1.1.1", TRADESIGN, _U.PERSONAL_GENERAL),
        _p("1.2.410.200012.1.1.101", TRADESIGN, _U.PERSONAL_BANKING),
        _p("1.2.410.200012.1.1.103", TRADESIGN, _U.PERSONAL_SECURITIES),
        _p("1.2.410.200012.1.1.105", TRADESIGN, _U.PERSONAL_CARD),
        _p("1.2.410.200012.1.1.3", TRADESIGN, _U.CORPORATE_GENERAL),
        _p(TEST_GENERAL_PERSONAL, RFC7229, _U.PERSONAL_GENERAL),
        _p(TEST_LIMITED_PERSONAL, RFC7229, _U.PERSONAL_BANKING),
    )
}


def policy_info(oid: str) -> PolicyInfo | None:
    """The known meaning of a certificate policy OID, if any."""
    return KNOWN_POLICIES.get(oid)


def oids_for(*usages: Usage | str, cas: tuple[str, ...] = ()) -> frozenset[str]:
    """Every known policy OID of ``usages`` (e.g. ``"personal-general"``), optionally only of the CAs ``cas``
    (product names such as ``"yessign"``): how an institution's policy is written by name."""
    wanted = {Usage(u) for u in usages}
    unknown = {c for c in cas if all(c.lower() != i.ca.lower() for i in KNOWN_POLICIES.values())}
    if unknown:
        raise ValueError(f"unknown CA name(s): {', '.join(sorted(unknown))}")
    return frozenset(
        oid
        for oid, info in KNOWN_POLICIES.items()
        if info.usage in wanted and (not cas or info.ca.lower() in {c.lower() for c in cas})
    )


def _org(name: x509.Name) -> str | None:
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        attrs = name.get_attributes_for_oid(oid)
        if attrs:
            return str(attrs[0].value)
    return None


def issuing_ca_name(info: PolicyInfo, issuer: x509.Name) -> str:
    """Who issued a certificate with policy ``info``: the CA named by the OID only when the issuer *is* that CA
    (``o=yessign``); otherwise the issuer's own name, noting whose OID it reuses (our certificates reuse yessign's
    OIDs so that relying parties' whitelists accept them, but they are not yessign's)."""
    org = _org(issuer)
    if org is not None and info.ca_org and org.casefold() == info.ca_org.casefold():
        return info.ca
    return f"{org or issuer.rfc4514_string()} ({info.ca} OID)"
