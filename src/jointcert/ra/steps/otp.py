"""Step 7c — OTP: a 6-digit code from the customer's OTP device (TOTP or HOTP; a used code is refused)."""

from __future__ import annotations

from jointcert.bank.model import SecondFactorKind
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.ports import Credential
from jointcert.ra.session import IssuanceSession
from jointcert.ra.steps.app_cert import SecondFactorPassed, require_method
from jointcert.ra.workflow import State

__all__ = ["verify"]


def verify(ctx: StepContext, session: IssuanceSession, code: str) -> Outcome[SecondFactorPassed]:
    """Check the code through the lockout."""
    customer_id = session.customer_id or ""
    require_method(ctx, customer_id, SecondFactorKind.OTP)
    factors = ctx.bank.second_factors
    ctx.lockouts.check(Credential.OTP, customer_id, customer_id, lambda: factors.verify_otp(customer_id, code))
    moved = session.moved(State.SECOND_FACTOR_DONE, ctx.now(), second_factor=SecondFactorKind.OTP.value)
    return Outcome(moved, SecondFactorPassed(SecondFactorKind.OTP.value, "confirm_contact"))
