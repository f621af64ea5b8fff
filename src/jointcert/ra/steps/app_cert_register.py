"""The bank's own app certificate (앱인증서), registered instead of issuing a joint certificate: after the terms,
the identity check (ARS or overseas departure) and the account PIN, and after the security card or OTP when the
customer has one, she chooses a 6-digit PIN and a pattern. The bank keeps them only as hashes; a later issuance's
second-factor step then accepts them (:mod:`jointcert.ra.steps.app_cert`). A customer who already has one is
refused (a branch resets it). The session ends in ``APP_CERT_REGISTERED`` and she is notified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointcert.bank.errors import AppCertAlreadyRegistered
from jointcert.bank.model import NotificationEvent, SecondFactorKind
from jointcert.bank.sandbox.hashing import encode_pattern
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import AppPatternInvalid, AppPinWeak, SecondFactorRequired
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["AppCertRegistered", "pin_problem", "register"]

_PIN_LENGTH = 6
_PIN_RULES = {
    "digits": ("PIN은 숫자 6자리로 정해 주십시오.", "The PIN must be 6 digits."),
    "repeated": ("같은 숫자를 3번 이상 연속으로 쓸 수 없습니다.", "Do not use the same digit 3 times in a row."),
    "sequence": ("연속된 숫자 3개 이상(123, 987 등)은 쓸 수 없습니다.", "Do not use 3 consecutive digits (123, 987…)."),
    "birth_date": ("생년월일은 PIN으로 쓸 수 없습니다.", "Do not use your birth date as the PIN."),
}
_RUN = 3  # three equal or consecutive digits in a row are refused


@dataclass(frozen=True)
class AppCertRegistered:
    """What was registered (no secret)."""

    method: str
    pattern_length: int


def pin_problem(pin: str, birth_yymmdd: str = "") -> str | None:
    """The rule a new app PIN breaks (``digits``, ``repeated``, ``sequence``, ``birth_date``), or ``None``."""
    if len(pin) != _PIN_LENGTH or not (pin.isascii() and pin.isdigit()):
        return "digits"
    for i in range(len(pin) - _RUN + 1):
        steps = {int(pin[j + 1]) - int(pin[j]) for j in range(i, i + _RUN - 1)}
        if steps == {0}:
            return "repeated"
        if steps in ({1}, {-1}):
            return "sequence"
    if birth_yymmdd and pin == birth_yymmdd:
        return "birth_date"
    return None


def register(
    ctx: StepContext, session: IssuanceSession, pin: str, pattern: Sequence[int]
) -> Outcome[AppCertRegistered]:
    """Check the customer's factors and the values, register, notify, end the session."""
    customer = ctx.customer(session)
    methods = ctx.bank.second_factors.methods(customer.id)
    if SecondFactorKind.APP_CERT in methods:
        raise AppCertAlreadyRegistered()
    if session.state is State.ACCOUNT_VERIFIED and methods:
        raise SecondFactorRequired(methods=sorted(m.value for m in methods))
    problem = pin_problem(pin, customer.birth_date.strftime("%y%m%d"))
    if problem is not None:
        ko, en = _PIN_RULES[problem]
        raise AppPinWeak(en, message_ko=ko, rule=problem)
    if encode_pattern(pattern) is None:
        raise AppPatternInvalid()
    ctx.bank.second_factors.register_app_cert(customer.id, pin, pattern)
    ctx.notifications.send(customer.id, NotificationEvent.APP_CERT_REGISTERED)
    moved = session.moved(State.APP_CERT_REGISTERED, ctx.now(), second_factor=SecondFactorKind.APP_CERT.value)
    return Outcome(moved, AppCertRegistered(SecondFactorKind.APP_CERT.value, len(pattern)))
