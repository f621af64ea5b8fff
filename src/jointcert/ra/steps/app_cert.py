"""Step 7a — the bank's app certificate: its 6-digit PIN, then its pattern (each with its own attempt limit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointcert.bank.model import SecondFactorKind
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import SecondFactorUnavailable
from jointcert.ra.ports import Credential
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["SecondFactorPassed", "pattern", "pin", "require_method"]


@dataclass(frozen=True)
class SecondFactorPassed:
    """Which factor (or part of it) was passed and what comes next."""

    method: str
    next_step: str


def require_method(ctx: StepContext, customer_id: str, kind: SecondFactorKind) -> None:
    """:class:`SecondFactorUnavailable` unless the customer has registered ``kind``."""
    if kind not in ctx.bank.second_factors.methods(customer_id):
        raise SecondFactorUnavailable(method=kind.value)


def pin(ctx: StepContext, session: IssuanceSession, value: str) -> Outcome[SecondFactorPassed]:
    """The app certificate's 6-digit PIN."""
    customer_id = session.customer_id or ""
    require_method(ctx, customer_id, SecondFactorKind.APP_CERT)
    factors = ctx.bank.second_factors
    ctx.lockouts.check(Credential.APP_PIN, customer_id, customer_id, lambda: factors.verify_app_pin(customer_id, value))
    moved = session.moved(State.APP_PIN_OK, ctx.now(), second_factor=SecondFactorKind.APP_CERT.value)
    return Outcome(moved, SecondFactorPassed(SecondFactorKind.APP_CERT.value, "app_pattern"))


def pattern(ctx: StepContext, session: IssuanceSession, cells: Sequence[int]) -> Outcome[SecondFactorPassed]:
    """The app certificate's pattern (cells 1..9 of the 3x3 pad in drawing order)."""
    customer_id = session.customer_id or ""
    factors, drawn = ctx.bank.second_factors, tuple(cells)
    ctx.lockouts.check(
        Credential.APP_PATTERN, customer_id, customer_id, lambda: factors.verify_app_pattern(customer_id, drawn)
    )
    moved = session.moved(State.SECOND_FACTOR_DONE, ctx.now())
    return Outcome(moved, SecondFactorPassed(SecondFactorKind.APP_CERT.value, "confirm_contact"))
