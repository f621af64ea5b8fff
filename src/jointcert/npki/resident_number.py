"""Resident registration numbers (주민등록번호) and alien registration numbers (외국인등록번호).

Format ``YYMMDD-GNNNNNC``: birth date, then G = century, sex and nationality (1–4 Korean, 5–8 foreign;
9/0 for 1800s), then a check digit C. Numbers issued before October 2020 carry a check digit (weights
2,3,4,5,6,7,8,9,2,3,4,5; Korean: ``(11 - sum % 11) % 10``, foreign: ``(13 - sum % 11) % 10``); numbers issued
since then end in random digits, so :func:`parse` checks the format only and :func:`has_valid_check_digit` is
separate (the sandbox seed uses it to make sure its fake numbers look real).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from jointcert.errors import InvalidInput

__all__ = [
    "InvalidResidentNumber",
    "ResidentNumber",
    "check_digit",
    "has_valid_check_digit",
    "parse",
    "validate_canonical",
]


class InvalidResidentNumber(InvalidInput):
    """A resident registration number is not 13 digits with a plausible birth date and a valid 7th digit."""

    code = "invalid_resident_number"
    message_ko = "주민등록번호 형식이 올바르지 않습니다."
    message_en = "The resident registration number is not in a valid format."


_FORMAT = re.compile(r"([0-9]{6})-?([0-9]{7})")  # ASCII digits only: \d would admit other scripts
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CENTURY = {
    "9": 1800,
    "0": 1800,
    "1": 1900,
    "2": 1900,
    "5": 1900,
    "6": 1900,
    "3": 2000,
    "4": 2000,
    "7": 2000,
    "8": 2000,
}
_FOREIGN = frozenset("5678")


@dataclass(frozen=True)
class ResidentNumber:
    """A parsed number; ``digits`` is the canonical 13-digit form (no dash). Never log or store it."""

    digits: str
    birth_date: date
    is_korean_national: bool

    def __repr__(self) -> str:
        return f"ResidentNumber(birth_date={self.birth_date!r}, is_korean_national={self.is_korean_national})"


def parse(value: str) -> ResidentNumber:
    """Parse ``YYMMDD-GNNNNNC`` or 13 digits; :class:`InvalidResidentNumber` if the format or date is wrong."""
    match = _FORMAT.fullmatch(value.strip())
    if match is None:
        raise InvalidResidentNumber()
    digits = match.group(1) + match.group(2)
    century = _CENTURY[digits[6]]
    try:
        born = date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError as exc:
        raise InvalidResidentNumber() from exc
    return ResidentNumber(digits=digits, birth_date=born, is_korean_national=digits[6] not in _FOREIGN)


def check_digit(first_twelve: str) -> str:
    """The pre-2020 check digit for the first 12 digits (Korean or foreign rule by the 7th digit)."""
    if not re.fullmatch(r"[0-9]{12}", first_twelve):
        raise InvalidResidentNumber()
    total = sum(int(d) * w for d, w in zip(first_twelve, _WEIGHTS, strict=True))
    base = 13 if first_twelve[6] in _FOREIGN else 11
    return str((base - total % 11) % 10)


def has_valid_check_digit(value: str) -> bool:
    """True when the number's last digit is the pre-2020 check digit of the first twelve."""
    digits = parse(value).digits
    return check_digit(digits[:12]) == digits[12]


def validate_canonical(value: str) -> ResidentNumber:
    """Like :func:`parse`, but only the canonical 13-digit form (no dash) is accepted (what the CA takes)."""
    number = parse(value)
    if number.digits != value:
        raise InvalidResidentNumber("The resident registration number must be 13 digits without a dash.")
    return number
