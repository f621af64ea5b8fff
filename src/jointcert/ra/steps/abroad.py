"""Step 5b — 해외출국 확인: a Korean national whose latest departure has no re-entry yet (immigration records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import AbroadNotAllowed, NotAbroad
from jointcert.ra.session import IssuanceSession
from jointcert.ra.steps.ars import settle_pending
from jointcert.ra.workflow import State

__all__ = ["AbroadConfirmed", "check"]


@dataclass(frozen=True)
class AbroadConfirmed:
    """The departure on record, and the customer's name (shown once the check passed)."""

    name: str
    destination: str
    departed_at: datetime


def check(ctx: StepContext, session: IssuanceSession) -> Outcome[AbroadConfirmed]:
    """Korean nationals only; the latest departure must have no return. It does not lift an ARS lock."""
    customer = ctx.customer(session)
    if not customer.is_korean_national:
        raise AbroadNotAllowed()
    departure = ctx.bank.immigration.departure(customer.id)
    if departure is None or not departure.is_abroad:
        raise NotAbroad()
    settle_pending(ctx, session)  # allowed while a call rings: its attempt is given back (a wrong code counts)
    moved = session.moved(
        State.IDENTITY_CONFIRMED, ctx.now(), identity_method="abroad", call_id=None, call_expires_at=None
    )
    return Outcome(moved, AbroadConfirmed(customer.name, departure.destination, departure.departed_at))
