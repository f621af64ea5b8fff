"""Step 6 — own account at this bank + its 4-digit PIN (attempts counted per account; the last locks it)."""

from __future__ import annotations

from dataclasses import dataclass

from jointcert.bank.formats import normalize_account_number
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import AccountNotOwned, AccountNotUsable
from jointcert.ra.ports import Credential
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["AccountVerified", "verify"]


@dataclass(frozen=True)
class AccountVerified:
    """The verified account and the second factors offered next."""

    account: str  # display form
    second_factors: tuple[str, ...]  # SecondFactorKind values the customer has


def verify(ctx: StepContext, session: IssuanceSession, account_number: str, pin: str) -> Outcome[AccountVerified]:
    """The account must be the customer's and active; then the PIN, through the lockout."""
    customer_id = session.customer_id or ""
    number = normalize_account_number(account_number)
    account = ctx.bank.accounts.get(number)
    if account is None or account.customer_id != customer_id:
        raise AccountNotOwned()
    if not account.is_active:
        raise AccountNotUsable(account_status=account.status.value)
    accounts = ctx.bank.accounts
    ctx.lockouts.check(Credential.ACCOUNT_PIN, number, customer_id, lambda: accounts.verify_pin(number, pin))
    factors = tuple(sorted(kind.value for kind in ctx.bank.second_factors.methods(customer_id)))
    moved = session.moved(State.ACCOUNT_VERIFIED, ctx.now(), account_number=number)
    return Outcome(moved, AccountVerified(account.display_number, factors))
