"""Request and response shapes of the relying-party JSON API, its errors, and how each demo site looks."""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jointcert.errors import InvalidInput, NotFound
from jointcert.npki.oids import KNOWN_POLICIES
from jointcert.rp import InstitutionPolicy, Reason, Verdict
from jointcert.rp.policy import DEMO_BANK, DEMO_CARD, DEMO_GOV, DEMO_INSURER, DEMO_SECURITIES
from jointcert.types import CertType

__all__ = [
    "DEFAULT_LOOK",
    "LOOKS",
    "ChallengeOut",
    "InstitutionOut",
    "InvalidRpRequest",
    "LoginIn",
    "RegisterIn",
    "SiteLook",
    "UnknownSite",
    "VerdictOut",
    "b64decode",
    "institution_out",
    "policy_labels",
    "same_name",
    "verdict_out",
]

MAX_CERTIFICATE_B64 = 16 * 1024
MAX_SIGNED_DATA_B64 = 64 * 1024


class UnknownSite(NotFound):
    """No demo relying party of that name."""

    code = "unknown_site"
    message_ko = "알 수 없는 기관입니다."
    message_en = "There is no such relying party."


class InvalidRpRequest(InvalidInput):
    """A field of a login or registration request is malformed."""

    code = "invalid_rp_request"
    message_ko = "요청 형식이 올바르지 않습니다."
    message_en = "The request is malformed."


def b64decode(value: str, field: str) -> bytes:
    """Standard base64 (padding optional, whitespace ignored); :class:`InvalidRpRequest` naming ``field``."""
    text = "".join(value.split())
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRpRequest(
            f"{field} is not base64.", message_ko=f"{field} 값이 base64 형식이 아닙니다.", field=field
        ) from exc


def same_name(entered: str, on_certificate: str | None) -> bool:
    """The sandbox identity check: the name the customer typed is the certificate's real name (NFC, no spaces)."""
    if not on_certificate:
        return False

    def norm(text: str) -> str:
        return "".join(unicodedata.normalize("NFC", text).split()).casefold()

    return norm(entered) == norm(on_certificate)


@dataclass(frozen=True)
class SiteLook:
    """Presentation of one demo site: its CSS theme, a one-letter mark, tagline and what a login opens."""

    theme: str
    mark: str
    tagline_ko: str
    tagline_en: str
    service_ko: str
    service_en: str


LOOKS: dict[str, SiteLook] = {
    DEMO_BANK: SiteLook(
        "bank", "새", "새로운 빛, 새빛은행", "A new light in banking", "인터넷뱅킹", "Internet banking"
    ),
    DEMO_CARD: SiteLook(
        "card", "푸", "푸른카드 홈페이지", "Purun Card online", "카드 이용내역 조회", "Card statements"
    ),
    DEMO_INSURER: SiteLook(
        "insurer", "다", "평생 든든한 다솜생명", "Dasom Life, for life", "보험계약 조회", "Your policies"
    ),
    DEMO_SECURITIES: SiteLook(
        "securities", "가", "가온증권 HTS·WTS", "Gaon Securities web trading", "주식 거래", "Stock trading"
    ),
    DEMO_GOV: SiteLook(
        "gov", "나", "민원 신청·발급을 한 곳에서", "Public services in one place", "민원 신청", "Civil petitions"
    ),
}
DEFAULT_LOOK = SiteLook("plain", "?", "", "", "로그인", "Sign in")


def policy_labels() -> dict[str, dict[str, str]]:
    """Every known personal policy OID → type and labels, for the wallet list in the page."""
    return {
        oid: {"type": info.cert_type.value, "label_ko": info.cert_type.label_ko, "label_en": info.cert_type.label_en}
        for oid, info in KNOWN_POLICIES.items()
    }


class InstitutionOut(BaseModel):
    """A relying party and its rules."""

    id: str
    name: str
    name_en: str
    accepted_types: list[CertType]
    require_registration: bool
    require_vid_at_registration: bool
    fail_closed: bool


def institution_out(policy: InstitutionPolicy, fail_closed: bool) -> InstitutionOut:
    """The public view of an institution's policy."""
    return InstitutionOut(
        id=policy.id,
        name=policy.name,
        name_en=policy.name_en,
        accepted_types=sorted(policy.accepted_types, key=list(CertType).index),
        require_registration=policy.require_registration,
        require_vid_at_registration=policy.require_vid_at_registration,
        fail_closed=fail_closed,
    )


class ChallengeOut(BaseModel):
    """A single-use challenge: sign the ASCII bytes of ``challenge`` (RSASSA-PKCS1-v1_5 SHA-256)."""

    challenge: str
    expires_at: datetime
    institution: InstitutionOut


class LoginIn(BaseModel):
    """A signed challenge: ``certificate`` + ``signature`` (raw PKCS#1 v1.5) or ``signed_data`` (CMS), base64."""

    model_config = ConfigDict(extra="forbid")

    challenge: str = Field(min_length=1, max_length=128)
    certificate: str | None = Field(default=None, max_length=MAX_CERTIFICATE_B64)
    signature: str | None = Field(default=None, max_length=1024)
    signed_data: str | None = Field(default=None, max_length=MAX_SIGNED_DATA_B64)


class RegisterIn(LoginIn):
    """타기관 인증서 등록: a signed challenge, R from the key (base64), and the customer's name and resident number."""

    random_num: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=64)
    rrn: str = Field(pattern=r"^\s*[0-9]{6}\s*-?\s*[0-9]{7}\s*$", description="13 digits, a hyphen allowed")


class CheckOut(BaseModel):
    """One named check of a verdict."""

    name: str
    status: str
    code: str
    message_ko: str
    message_en: str


class VerdictOut(BaseModel):
    """``Verdict.to_dict()`` plus what the page does next (``register`` when the certificate is not registered)."""

    accepted: bool
    reason: CheckOut | None
    institution_id: str | None
    customer_id: str | None
    certificate: dict[str, Any] | None
    checks: list[CheckOut]
    customer_name: str | None = None
    next: str | None = None


def verdict_out(verdict: Verdict) -> dict[str, Any]:
    """The JSON body of a verdict."""
    body = verdict.to_dict()
    body["customer_name"] = verdict.certificate.real_name if verdict.accepted and verdict.certificate else None
    only_unregistered = verdict.reason_code is Reason.NOT_REGISTERED
    body["next"] = "register" if only_unregistered else None
    return body
