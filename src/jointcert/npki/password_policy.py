"""The certificate password policy (인증서 비밀번호 규칙), as data the web UI can render and as checks.

Rules (every violated one is reported, not just the first):

* 10 to 56 characters;
* only printable ASCII: letters, digits and the allowed symbols — Korean banks' certificate software and security
  keyboards accept nothing else, and it keeps the key file's bytes the same on every platform;
* at least one letter, one digit and one allowed symbol;
* none of the symbols ``'`` ``"`` ``\\`` ``|`` (refused by common bank software, or awkward in scripts and forms)
  and no whitespace;
* it must not contain the online-banking user ID (compared case-insensitively, IDs of 3+ characters) nor the
  birth date as YYMMDD or YYYYMMDD.

The maximum of 56 is our choice: long enough for a passphrase, short enough to type twice on a phone and to keep
every key-derivation input small.
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from jointcert.errors import InvalidInput

__all__ = [
    "ALLOWED_SYMBOLS",
    "DISALLOWED_SYMBOLS",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "RULES",
    "PasswordViolation",
    "WeakPassword",
    "check_password",
    "policy_rules",
    "require_valid_password",
]

MIN_LENGTH = 10
MAX_LENGTH = 56
MIN_USER_ID_LENGTH = 3
DISALLOWED_SYMBOLS = "'\"\\|"
ALLOWED_SYMBOLS = "".join(c for c in string.punctuation if c not in DISALLOWED_SYMBOLS)
_LETTERS = frozenset(string.ascii_letters)
_DIGITS = frozenset(string.digits)
_SYMBOLS = frozenset(ALLOWED_SYMBOLS)


@dataclass(frozen=True)
class PasswordViolation:
    """One broken rule: a stable code and the message to show, in Korean and English."""

    code: str
    message_ko: str
    message_en: str


def _rule(code: str, ko: str, en: str) -> PasswordViolation:
    return PasswordViolation(code, ko, en)


# The rules in the order they are shown; check_password returns violations in this order.
RULES: tuple[PasswordViolation, ...] = (
    _rule("too_short", f"{MIN_LENGTH}자 이상이어야 합니다.", f"Use at least {MIN_LENGTH} characters."),
    _rule("too_long", f"{MAX_LENGTH}자 이하여야 합니다.", f"Use at most {MAX_LENGTH} characters."),
    _rule("no_letter", "영문자를 포함해야 합니다.", "Include a letter (A-Z or a-z)."),
    _rule("no_digit", "숫자를 포함해야 합니다.", "Include a digit."),
    _rule("no_symbol", "특수문자를 포함해야 합니다.", "Include a symbol."),
    _rule(
        "disallowed_symbol",
        "사용할 수 없는 특수문자(' \" \\ |)가 있습니다.",
        "Do not use the symbols ' \" \\ or |.",
    ),
    _rule("whitespace", "공백을 사용할 수 없습니다.", "Do not use spaces or other whitespace."),
    _rule(
        "invalid_character",
        "영문자, 숫자, 특수문자만 사용할 수 있습니다.",
        "Use only English letters, digits and symbols.",
    ),
    _rule("contains_user_id", "아이디를 포함할 수 없습니다.", "Do not include your user ID."),
    _rule("contains_birth_date", "생년월일을 포함할 수 없습니다.", "Do not include your date of birth."),
)


class WeakPassword(InvalidInput):
    """The certificate password breaks the policy; ``details['violations']`` lists every broken rule."""

    code = "weak_password"
    message_ko = "인증서 비밀번호가 규칙에 맞지 않습니다."
    message_en = "The certificate password does not meet the policy."


def _broken_codes(password: str, user_id: str | None, birth_date: date | None) -> set[str]:
    chars = set(password)
    broken = {
        "too_short": len(password) < MIN_LENGTH,
        "too_long": len(password) > MAX_LENGTH,
        "no_letter": not chars & _LETTERS,
        "no_digit": not chars & _DIGITS,
        "no_symbol": not chars & _SYMBOLS,
        "disallowed_symbol": bool(chars & set(DISALLOWED_SYMBOLS)),
        "whitespace": any(c.isspace() for c in chars),
        "invalid_character": any(not c.isspace() and not (c.isascii() and c.isprintable()) for c in chars),
    }
    lowered = password.casefold()
    user = (user_id or "").strip().casefold()
    broken["contains_user_id"] = len(user) >= MIN_USER_ID_LENGTH and user in lowered
    if birth_date is not None:
        forms = (birth_date.strftime("%y%m%d"), birth_date.strftime("%Y%m%d"))
        broken["contains_birth_date"] = any(form in password for form in forms)
    return {code for code, hit in broken.items() if hit}


def check_password(
    password: str, *, user_id: str | None = None, birth_date: date | None = None
) -> list[PasswordViolation]:
    """Every rule ``password`` breaks, in :data:`RULES` order (empty list: the password is acceptable)."""
    broken = _broken_codes(password, user_id, birth_date)
    return [rule for rule in RULES if rule.code in broken]


def require_valid_password(password: str, *, user_id: str | None = None, birth_date: date | None = None) -> None:
    """Raise :class:`WeakPassword` listing every broken rule, unless ``password`` meets the policy."""
    violations = check_password(password, user_id=user_id, birth_date=birth_date)
    if violations:
        raise WeakPassword(violations=[asdict(v) for v in violations])


def policy_rules() -> dict[str, Any]:
    """The policy as JSON-safe data for a live checklist: limits, symbol sets and every rule's code and messages."""
    return {
        "min_length": MIN_LENGTH,
        "max_length": MAX_LENGTH,
        "allowed_symbols": ALLOWED_SYMBOLS,
        "disallowed_symbols": DISALLOWED_SYMBOLS,
        "whitespace_allowed": False,
        "ascii_only": True,
        "min_user_id_length": MIN_USER_ID_LENGTH,
        "birth_date_formats": ["YYMMDD", "YYYYMMDD"],
        "rules": [asdict(rule) for rule in RULES],
    }
