"""Step 3 — 약관 동의: the terms as data, and the check that every required one was agreed to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import TermsNotAccepted
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["TERMS", "Term", "TermsAgreed", "agree"]


@dataclass(frozen=True)
class Term:
    """One term the customer is shown; ``required`` ones must all be agreed to."""

    id: str
    title_ko: str
    title_en: str
    required: bool
    summary_ko: str


TERMS: tuple[Term, ...] = (
    Term(
        "electronic-finance",
        "전자금융거래 기본약관",
        "Electronic financial transactions: basic terms",
        True,
        "전자금융거래의 이용 조건과 은행·고객의 권리와 의무를 정합니다.",
    ),
    Term(
        "certificate-service",
        "공동인증서 발급 및 이용약관",
        "Joint certificate issuance and use",
        True,
        "인증서의 발급, 갱신, 폐지와 비밀번호·개인키 관리 책임을 정합니다.",
    ),
    Term(
        "personal-information",
        "개인(신용)정보 수집·이용 동의",
        "Consent to collect and use personal (credit) information",
        True,
        "본인확인과 인증서 발급을 위해 이름, 연락처, 계좌 정보를 수집·이용합니다.",
    ),
    Term(
        "unique-identifier",
        "고유식별정보 처리 동의",
        "Consent to process the resident registration number",
        True,
        "본인확인과 인증서의 본인확인값(VID) 생성을 위해 주민등록번호를 처리합니다.",
    ),
    Term(
        "third-party-ca",
        "개인정보 제3자(인증기관) 제공 동의",
        "Consent to provide personal information to the certification authority",
        True,
        "인증서 발급을 위해 이름과 본인확인값을 인증기관에 제공합니다.",
    ),
    Term(
        "marketing",
        "마케팅 정보 수신 동의 (선택)",
        "Marketing messages (optional)",
        False,
        "상품·서비스 안내를 문자와 이메일로 받습니다. 동의하지 않아도 발급할 수 있습니다.",
    ),
)
_BY_ID = {term.id: term for term in TERMS}


@dataclass(frozen=True)
class TermsAgreed:
    """The ids agreed to (required and optional)."""

    agreed: tuple[str, ...]


def agree(ctx: StepContext, session: IssuanceSession, accepted: Sequence[str]) -> Outcome[TermsAgreed]:
    """All required terms must be among ``accepted``; unknown ids are refused."""
    given = list(dict.fromkeys(accepted))
    unknown = [term_id for term_id in given if term_id not in _BY_ID]
    missing = [term.id for term in TERMS if term.required and term.id not in given]
    if unknown or missing:
        raise TermsNotAccepted(missing=missing, unknown=unknown)
    agreed = tuple(term.id for term in TERMS if term.id in given)
    return Outcome(session.moved(State.TERMS_AGREED, ctx.now(), terms=agreed), TermsAgreed(agreed))
