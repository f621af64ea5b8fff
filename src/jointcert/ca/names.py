"""Names: CA names from settings, subscriber subjects (``cn=<name>()<unique digits>``) and their input rules."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date, datetime, timedelta, timezone

from cryptography import x509
from cryptography.x509.oid import NameOID

from jointcert.ca.errors import InvalidName
from jointcert.ca.presets import preset_for
from jointcert.config import CaSettings
from jointcert.npki.resident_number import validate_canonical

__all__ = [
    "MAX_NAME_LENGTH",
    "bank_code_of",
    "issuing_name",
    "new_unique_id",
    "ocsp_signer_name",
    "root_name",
    "subscriber_subject",
    "validate_bank",
    "validate_real_name",
    "validate_rrn",
]

MAX_NAME_LENGTH = 38  # cn = name + "()" + up to 24 digits must stay within ub-common-name (64)
_KST = timezone(timedelta(hours=9))
_FORBIDDEN = set('()<>,;=+"\\#/')
_BANK_CODE = re.compile(r"\A[0-9]{3}\Z")
_BANK_UNIT = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}\Z")


def _country(settings: CaSettings) -> x509.NameAttribute[str]:
    """``c=kr`` or ``C=KR``: the case the preset imitates (yessign writes ``kr``, KISA and the other CAs ``KR``)."""
    return x509.NameAttribute(NameOID.COUNTRY_NAME, preset_for(settings.preset).country)


def _ca_name(settings: CaSettings, common_name: str) -> x509.Name:
    return x509.Name(
        [
            _country(settings),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, settings.unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def root_name(settings: CaSettings) -> x509.Name:
    """``c=kr, o=<org>, ou=<unit>, cn=<root name>``."""
    return _ca_name(settings, settings.root_name)


def issuing_name(settings: CaSettings) -> x509.Name:
    """``c=kr, o=<org>, ou=<unit>, cn=<org>CA Class 1`` (CaSettings.issuing_name)."""
    return _ca_name(settings, settings.issuing_name)


def ocsp_signer_name(settings: CaSettings) -> x509.Name:
    """The delegated OCSP signer: ``cn=<issuing name> OCSP``."""
    return _ca_name(settings, f"{settings.issuing_name} OCSP")


def validate_real_name(name: str) -> str:
    """The trimmed, NFC-normalised real name; :class:`InvalidName` when empty, too long or unsafe."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise InvalidName("The name is empty.", message_ko="이름이 비어 있습니다.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidName(
            f"The name is longer than {MAX_NAME_LENGTH} characters.",
            message_ko=f"이름은 {MAX_NAME_LENGTH}자를 넘을 수 없습니다.",
        )
    bad = [c for c in cleaned if c in _FORBIDDEN or (unicodedata.category(c)[0] in "CZ" and c != " ")]
    if bad or any(c.isdigit() for c in cleaned):
        raise InvalidName(
            "The name contains characters that cannot be used (digits, brackets, separators or control characters).",
            message_ko="이름에 사용할 수 없는 문자(숫자, 괄호, 구분자, 제어문자)가 있습니다.",
        )
    return cleaned


def validate_rrn(rrn: str) -> date:
    """Check a resident registration number's form (13 digits, real birth date); return the birth date."""
    return validate_canonical(rrn).birth_date


def validate_bank(unit: str, code: str) -> None:
    """The bank's ou= (ASCII letters, digits, space, ``._-``) and its 3-digit code."""
    if not _BANK_UNIT.match(unit):
        raise InvalidName("The bank unit name is not valid.", message_ko="은행 이름(ou)이 올바르지 않습니다.")
    if not _BANK_CODE.match(code):
        raise InvalidName("The bank code must be 3 digits.", message_ko="은행 코드는 숫자 3자리입니다.")


def new_unique_id(bank_code: str, now: datetime, digits: int = 21) -> str:
    """The cn's unique digits, unique per issuer (database constraint, retried): ``00`` + bank code + issue date
    (KST, YYYYMMDD) + 8 random digits (21 in all); or, with ``digits=24`` (the ``yessign-like`` preset), yessign's
    layout ``00`` + a 5-digit code + date + 9 digits, as the PyPinkSign test certificate's
    ``…()009104120200225191000030`` (our code: the bank code padded to 5)."""
    day = now.astimezone(_KST).strftime("%Y%m%d")
    if digits == 24:
        return f"00{bank_code:0>5}{day}{secrets.randbelow(10**9):09d}"
    if digits != 21:
        raise ValueError("unique digits are 21 or 24")
    return f"00{bank_code}{day}{secrets.randbelow(10**8):08d}"


def bank_code_of(unique_id: str) -> str:
    """The 3-digit bank code inside unique digits made by :func:`new_unique_id` (either length)."""
    return unique_id[4:7] if len(unique_id) == 24 else unique_id[2:5]


def subscriber_subject(settings: CaSettings, ou: str, bank_unit: str, real_name: str, unique_id: str) -> x509.Name:
    """``c=kr, o=<org>, ou=personal4IB, ou=<bank>, cn=<name>()<unique digits>`` (``C=KR`` as the preset says)."""
    return x509.Name(
        [
            _country(settings),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, bank_unit),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{real_name}(){unique_id}"),
        ]
    )
