"""Small text formats of the bank: phone and account numbers, masked IDs."""

from __future__ import annotations

import re

from jointcert.bank.errors import InvalidAccountNumber

__all__ = ["mask_account", "mask_phone", "mask_user_id", "normalize_account_number", "phone_digits"]

_SEPARATORS = re.compile(r"[\s-]")
_ACCOUNT = re.compile(r"\d{10,16}")


def phone_digits(number: str) -> str:
    """The digits of a phone number, e.g. ``010-1234-5678`` → ``01012345678``."""
    return "".join(ch for ch in number if ch.isdigit())


def mask_phone(number: str) -> str:
    """Hide the middle group: ``010-1234-5678`` → ``010-****-5678`` (undashed numbers keep the last 4)."""
    groups = number.split("-")
    if len(groups) == 3:
        return f"{groups[0]}-{'*' * len(groups[1])}-{groups[2]}"
    digits = phone_digits(number)
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_account(number: str) -> str:
    """An account number for a receipt: the first group and the last 4 digits, e.g. ``1002-345-678901`` →
    ``1002-***-**8901`` (undashed numbers: the first 4 and the last 4)."""
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    shown = set(digits[-4:]) | (set(digits[:4]) if "-" not in number else set(range(number.index("-"))))
    return "".join(ch if i in shown or not ch.isdigit() else "*" for i, ch in enumerate(number))


def mask_user_id(user_id: str) -> str:
    """Show only the ends of an online-banking ID (아이디 찾기): ``hongildong`` → ``ho******ng``."""
    if len(user_id) <= 2:
        return "*" * len(user_id)
    if len(user_id) <= 4:
        return user_id[0] + "*" * (len(user_id) - 2) + user_id[-1]
    return user_id[:2] + "*" * (len(user_id) - 4) + user_id[-2:]


def normalize_account_number(number: str) -> str:
    """Digits of an account number (dashes and spaces dropped), or :class:`InvalidAccountNumber`."""
    digits = _SEPARATORS.sub("", number)
    if not _ACCOUNT.fullmatch(digits):
        raise InvalidAccountNumber()
    return digits
