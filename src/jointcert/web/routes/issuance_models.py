"""Pydantic models of the issuance and certificate JSON API (the edge only; the RA works on dataclasses).

Binary values travel as standard base64 (base64url is accepted too). Times are ISO 8601 with an offset (UTC).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jointcert.errors import JointcertError
from jointcert.ra.errors import MalformedInput
from jointcert.ra.service import SessionView
from jointcert.ra.steps.enrollment import FeeCharged, Issued
from jointcert.ra.steps.terms import TERMS
from jointcert.web.problems import problem_responses

__all__ = [
    "AbroadOut",
    "AccountIn",
    "AccountOut",
    "ArsCallIn",
    "ArsCallOut",
    "ArsStatusOut",
    "CardAnswerIn",
    "CardPromptOut",
    "CertificateOut",
    "CertificateTypeOut",
    "CmpTicketOut",
    "CodeIn",
    "ConfirmIn",
    "ConfirmedOut",
    "ContactIn",
    "ContactOut",
    "EnrollIn",
    "EnrollmentChallengeOut",
    "FeeOut",
    "FeeQuoteOut",
    "FindUserIdIn",
    "FoundUserIdsOut",
    "IdentityIn",
    "IdentityOut",
    "PatternIn",
    "PhoneOut",
    "PinIn",
    "Problem",
    "SecondFactorOut",
    "SessionOut",
    "StartIn",
    "StartOut",
    "TermOut",
    "TermsIn",
    "TermsOut",
    "TypeChoiceIn",
    "TypeChosenOut",
    "b64",
    "certificate_out",
    "fee_out",
    "from_b64",
    "problems",
    "session_none_guard",
    "session_out",
]


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def from_b64(text: str, field: str, *, max_bytes: int = 16 * 1024) -> bytes:
    """Decode standard or URL-safe base64 (padding optional); :class:`MalformedInput` naming ``field``."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        data = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedInput(
            f"{field} is not base64.", message_ko=f"{field} 값이 base64 형식이 아닙니다.", field=field
        ) from exc
    if not data or len(data) > max_bytes:
        raise MalformedInput(f"{field} is empty or too long.", field=field)
    return data


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class Problem(BaseModel):
    """RFC 9457 problem details, with the stable ``code`` and both messages (more fields may follow)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    message_ko: str
    message_en: str


def problems(*errors: type[JointcertError], invalid_request: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` listing each status with the error codes behind it (``web.problems``)."""
    return problem_responses(*errors, invalid_request=invalid_request)


class SessionOut(BaseModel):
    """Where the session stands and which steps may come next."""

    session_id: str
    state: str
    expires_at: datetime
    allowed_steps: list[str]
    identity_method: str | None = None
    second_factor: str | None = None
    cert_type: str | None = None
    serial: str | None = None


def session_out(view: SessionView) -> SessionOut:
    """The model of a session view."""
    return SessionOut(
        session_id=view.session_id,
        state=view.state,
        expires_at=view.expires_at,
        allowed_steps=list(view.allowed_steps),
        identity_method=view.identity_method,
        second_factor=view.second_factor,
        cert_type=view.cert_type,
        serial=view.serial,
    )


class StartIn(_In):
    """``app_logged_in``: whether the customer is logged in to the banking app (issuance needs logged out)."""

    app_logged_in: bool = False


class StartOut(BaseModel):
    """The new session; send ``token`` as the ``X-Issuance-Token`` header on every later call."""

    token: str
    session: SessionOut


class TermOut(BaseModel):
    """One term."""

    id: str
    title_ko: str
    title_en: str
    required: bool
    summary_ko: str


class TermsIn(_In):
    """The ids of the terms agreed to (every required one; an unknown id is refused)."""

    accepted: list[str] = Field(
        max_length=50, json_schema_extra={"items": {"type": "string", "enum": [term.id for term in TERMS]}}
    )


class TermsOut(BaseModel):
    """The step's result."""

    session: SessionOut
    agreed: list[str]


class FindUserIdIn(_In):
    """아이디 찾기: name and resident number."""

    name: str = Field(min_length=1, max_length=100)
    rrn: str = Field(min_length=13, max_length=14)


class FoundUserIdsOut(BaseModel):
    """Masked user IDs."""

    session: SessionOut
    user_ids: list[str]


class IdentityIn(_In):
    """Online-banking user ID and resident number (``YYMMDD-NNNNNNN`` or 13 digits)."""

    user_id: str = Field(min_length=1, max_length=64)
    rrn: str = Field(min_length=13, max_length=14)


class PhoneOut(BaseModel):
    """A registered number, masked."""

    id: str
    masked: str
    kind: str


class IdentityOut(BaseModel):
    """The identity checks offered next (the name comes with a passed ARS or overseas check)."""

    session: SessionOut
    phones: list[PhoneOut]
    abroad_check_offered: bool
    locked: list[str] = Field(default_factory=list, description="Credentials locked for this customer")
    second_factors_blocked: bool = Field(
        default=False, description="Every second factor is locked: the issuance cannot finish (recovery: a branch)"
    )


class ArsCallIn(_In):
    """The registered number to call (an id from the identity step)."""

    phone_id: str = Field(min_length=1, max_length=32)


class ArsCallOut(BaseModel):
    """Show ``code``; the customer keys it in on the phone before ``expires_at``; then poll ``ars/confirm``."""

    session: SessionOut
    code: str
    phone: str
    expires_at: datetime
    remaining_seconds: int  # the page counts down from this (its own clock may differ from the server's)


class ArsStatusOut(BaseModel):
    """``ringing`` (poll again) or ``confirmed`` (then ``name`` is the customer's name)."""

    session: SessionOut
    status: str
    name: str | None = None
    expires_at: datetime | None = None  # while ringing
    remaining_seconds: int | None = None  # while ringing


class AbroadOut(BaseModel):
    """The departure on record and the customer's name."""

    session: SessionOut
    name: str
    destination: str
    departed_at: datetime


class AccountIn(_In):
    """Account number (dashes allowed) and its 4-digit PIN."""

    account_number: str = Field(min_length=1, max_length=32)
    pin: str = Field(min_length=1, max_length=16)


class AccountOut(BaseModel):
    """The verified account and the second factors the customer has."""

    session: SessionOut
    account: str
    second_factors: list[str]


class PinIn(_In):
    """The app certificate's 6-digit PIN."""

    pin: str = Field(min_length=1, max_length=16)


class PatternIn(_In):
    """The app certificate's pattern: cells 1..9 of the 3x3 pad in drawing order."""

    pattern: list[int] = Field(min_length=1, max_length=9)


class AppCertRegisterIn(_In):
    """A new app certificate: its 6-digit PIN and its pattern (cells 1..9 in drawing order)."""

    pin: str = Field(min_length=1, max_length=16)
    pattern: list[int] = Field(min_length=1, max_length=9)


class AppCertRegisteredOut(BaseModel):
    """The app certificate is registered; the session has ended (``app_cert_registered``)."""

    session: SessionOut
    method: str
    pattern_length: int


class SecondFactorOut(BaseModel):
    """Which factor was passed and the next step."""

    session: SessionOut
    method: str
    next_step: str


class CardPromptOut(BaseModel):
    """The cells to enter: ``part_a`` of cell ``cell_a``, then ``part_b`` of cell ``cell_b`` (4 digits)."""

    session: SessionOut
    card_serial_tail: str
    cell_a: int
    part_a: str
    cell_b: int
    part_b: str
    prompt_ko: str


class CardAnswerIn(_In):
    """The 4 digits."""

    answer: str = Field(min_length=1, max_length=16)


class CodeIn(_In):
    """A 6-digit OTP code."""

    code: str = Field(min_length=1, max_length=16)


class ContactIn(_In):
    """Changes (omit a field to keep it); an empty body confirms the details as shown."""

    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=300)
    phone_id: str | None = Field(default=None, max_length=32)


class ContactOut(BaseModel):
    """The customer's details; ``mobiles`` can receive notifications, ``contact_phone_id`` does."""

    session: SessionOut
    name: str
    email: str
    address: str
    mobiles: list[PhoneOut]
    contact_phone_id: str | None
    changed: bool


class CertificateTypeOut(BaseModel):
    """A certificate type with its fee and validity."""

    cert_type: str
    label_ko: str
    label_en: str
    fee_krw: int
    validity_days: int


class TypeChoiceIn(_In):
    """``limited`` or ``general``."""

    cert_type: str = Field(min_length=1, max_length=16)


class TypeChosenOut(BaseModel):
    """The choice; ``reissue`` when it replaces a certificate of that type the customer holds (재발급)."""

    session: SessionOut
    type: CertificateTypeOut
    reissue: bool
    current_valid_until: datetime | None


class EnrollmentChallengeOut(BaseModel):
    """Sign the UTF-8 bytes of ``challenge`` with the new key (RSASSA-PKCS1-v1_5, SHA-256)."""

    session: SessionOut
    challenge: str
    cert_type: str
    fee_krw: int
    expires_at: datetime
    password_policy: dict[str, Any]


class EnrollIn(_In):
    """The new key's SPKI (DER), R (20 bytes) and the signature over the challenge, all base64; with
    ``km_public_key`` + ``km_signature`` (a second key's SPKI and its signature over the same challenge) the CA
    issues the sign + km pair (signCert.der + kmCert.der) in one unit."""

    public_key: str = Field(min_length=1, max_length=8192)
    random_num: str = Field(min_length=1, max_length=64)
    signature: str = Field(min_length=1, max_length=2048)
    km_public_key: str | None = Field(default=None, min_length=1, max_length=8192)
    km_signature: str | None = Field(default=None, min_length=1, max_length=2048)


class ConfirmIn(_In):
    """The new key's signature (base64) over ``jointcert-confirm:<challenge>:<serial hex>`` (UTF-8)."""

    signature: str = Field(min_length=1, max_length=2048)


class ConfirmedOut(BaseModel):
    """The certificate is final; ``superseded`` lists the older serials revoked for it."""

    session: SessionOut
    serial: str
    superseded: list[str]


class FeeOut(BaseModel):
    """The fee's ledger entry: the receipt (account masked, amount, balance after, when)."""

    amount_krw: int
    ledger_id: str
    balance_after_krw: int
    account: str
    charged_at: datetime


class CertificateOut(BaseModel):
    """An issued certificate (DER, base64) with the CA chain, type and validity."""

    certificate: str
    chain: list[str]
    serial: str
    cert_type: str
    label_ko: str
    label_en: str
    subject: str
    not_before: datetime
    not_after: datetime
    reissue: bool
    superseded_serial: str | None
    fee: FeeOut | None
    km_certificate: str | None = None  # the encryption certificate (kmCert.der, base64) of a sign + km pair
    km_serial: str | None = None


def fee_out(fee: FeeCharged | None) -> FeeOut | None:
    """The model of a fee entry."""
    return (
        None
        if fee is None
        else FeeOut(
            amount_krw=fee.amount_krw,
            ledger_id=fee.ledger_id,
            balance_after_krw=fee.balance_after_krw,
            account=fee.account,
            charged_at=fee.charged_at,
        )
    )


def certificate_out(issued: Issued) -> CertificateOut:
    """The model of an issued certificate."""
    superseded = None if issued.superseded_serial is None else format(issued.superseded_serial, "x")
    return CertificateOut(
        certificate=b64(issued.certificate_der),
        chain=[b64(der) for der in issued.chain_der],
        serial=format(issued.serial, "x"),
        cert_type=issued.cert_type.value,
        label_ko=issued.cert_type.label_ko,
        label_en=issued.cert_type.label_en,
        subject=issued.subject,
        not_before=issued.not_before,
        not_after=issued.not_after,
        reissue=issued.reissue,
        superseded_serial=superseded,
        fee=fee_out(issued.fee),
        km_certificate=None if issued.km_certificate_der is None else b64(issued.km_certificate_der),
        km_serial=None if issued.km_serial is None else format(issued.km_serial, "x"),
    )


class CmpTicketOut(BaseModel):
    """Enroll over CMP (``POST /cmp``, ``ir`` under PBM): senderKID = reference number, secret = code."""

    session: SessionOut
    reference_number: str
    authorization_code: str
    cert_type: str
    expires_at: datetime
    cmp_url: str
    fee: FeeOut | None


def session_none_guard(value: object) -> None:
    """Steps return no value only together with an error, which has been raised already."""
    if value is None:  # pragma: no cover
        raise RuntimeError("a step returned no value without an error")


class FeeQuoteOut(BaseModel):
    """The debit a type would make: shown for confirmation before a paid type is chosen."""

    cert_type: str
    fee_krw: int
    account: str
    balance_krw: int
    balance_after_krw: int
