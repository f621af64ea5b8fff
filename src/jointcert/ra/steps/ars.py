"""Step 5a — ARS callback: pick a registered number, the app shows a 2-digit code, the bank calls, the
customer keys the code in on the phone; the app polls until the call is confirmed or has failed.

Each call placed reserves one ARS attempt (``max_ars_failures`` per customer); a confirmed call resets the
count, a wrong code or a call not answered in time (``ars_timeout_seconds``) keeps it and sends the session
back to ``IDENTIFIED`` so the customer can try again or use the overseas-departure check.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from jointcert.bank.model import CallStatus
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import ArsCallFailed, UnknownPhone, WrongCredential
from jointcert.ra.ports import Credential
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["ArsCall", "ArsStatus", "call", "confirm"]


@dataclass(frozen=True)
class ArsCall:
    """What the app shows while the phone rings: the code to key in and until when."""

    code: str
    phone: str  # masked
    expires_at: datetime


@dataclass(frozen=True)
class ArsStatus:
    """``ringing`` (poll again) or ``confirmed`` (with the customer's name, shown from now on)."""

    status: str
    name: str | None = None


def call(ctx: StepContext, session: IssuanceSession, phone_id: str) -> Outcome[ArsCall]:
    """Reserve an ARS attempt and call the chosen registered number."""
    customer = ctx.customer(session)
    phone = customer.phone(phone_id)
    if phone is None:
        raise UnknownPhone(phone_id=phone_id)
    number = ctx.lockouts.reserve(Credential.ARS, customer.id)
    code = f"{10 + secrets.randbelow(90)}"
    expires_at = ctx.now() + timedelta(seconds=ctx.settings.ars_timeout_seconds)
    call_id = ctx.bank.telephony.place_call(phone, code, expires_at=expires_at)
    moved = session.moved(
        State.ARS_CALLING, ctx.now(), identity_method="ars", phone_id=phone.id, call_id=call_id, ars_attempt=number
    )
    return Outcome(moved, ArsCall(code, phone.masked, expires_at))


def confirm(ctx: StepContext, session: IssuanceSession) -> Outcome[ArsStatus]:
    """Poll the call: still ringing, confirmed (identity confirmed), or failed (back to IDENTIFIED)."""
    customer_id, call_id = session.customer_id or "", session.data.call_id or ""
    status = ctx.bank.telephony.call_status(call_id)
    if status is CallStatus.RINGING:
        return Outcome(session, ArsStatus(status.value))
    if status is CallStatus.CONFIRMED:
        ctx.lockouts.succeeded(Credential.ARS, customer_id)
        moved = session.moved(State.IDENTITY_CONFIRMED, ctx.now(), call_id=None)
        return Outcome(moved, ArsStatus(status.value, ctx.customer(session).name))
    try:  # wrong code or no answer: the reserved attempt stays counted; the last one locks
        ctx.lockouts.failed(Credential.ARS, customer_id, customer_id, session.data.ars_attempt)
    except WrongCredential as wrong:
        error = ArsCallFailed(call_status=status.value, remaining_attempts=wrong.details["remaining_attempts"])
        back = session.moved(State.IDENTIFIED, ctx.now(), call_id=None)
        return Outcome(back, ArsStatus(status.value), error)
    raise AssertionError("Lockouts.failed always raises")  # pragma: no cover
