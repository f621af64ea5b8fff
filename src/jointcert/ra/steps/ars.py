"""Step 5a — ARS callback: pick a registered number, the app shows a 2-digit code, the bank calls, the
customer keys the code in on the phone; the app polls until the call is over, counting down its remaining time.

A call's end is one of four outcomes, each with its own message:

- ``confirmed``: the right code; the ARS counter is reset (unless ARS is locked: a right answer never lifts a lock);
- ``wrong_code``: counts toward the lock (``max_ars_failures`` per customer, across sessions); the last one locks
  ARS (recorded in ``ra_attempts.locked_at``, the customer notified) and only an operator lifts it after a branch
  visit (``jointcert ra unlock``);
- ``timed_out`` (unanswered) and ``declined``: no code was tried, so the attempt reserved when the call was placed
  is given back.

Every call reserves an attempt before it rings (so however many calls run at once, at most ``max_ars_failures``
codes can be tried); a failed call sends the session back to ``IDENTIFIED`` (call again, or the overseas check,
which is also allowed while a call is pending and gives its attempt back).
"""

from __future__ import annotations

import contextlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from jointcert.bank.model import CallStatus
from jointcert.errors import JointcertError
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import (
    ArsDeclined,
    ArsLocked,
    ArsUnanswered,
    ArsWrongCode,
    CredentialLocked,
    UnknownPhone,
    WrongCredential,
)
from jointcert.ra.ports import Credential
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["ArsCall", "ArsStatus", "call", "confirm", "settle_pending", "still_ringing"]


@dataclass(frozen=True)
class ArsCall:
    """What the app shows while the phone rings: the code to key in and until when."""

    code: str
    phone: str  # masked
    expires_at: datetime
    remaining_seconds: int


@dataclass(frozen=True)
class ArsStatus:
    """``ringing`` (poll again; with the expiry and seconds left) or ``confirmed`` (with the customer's name)."""

    status: str
    name: str | None = None
    expires_at: datetime | None = None
    remaining_seconds: int | None = None


def _left(ctx: StepContext, expires_at: datetime) -> int:
    return max(0, math.ceil((expires_at - ctx.now()).total_seconds()))


def call(ctx: StepContext, session: IssuanceSession, phone_id: str) -> Outcome[ArsCall]:
    """Settle a pending call (another number chosen), reserve an ARS attempt and call the chosen number."""
    customer = ctx.customer(session)
    phone = customer.phone(phone_id)
    if phone is None:
        raise UnknownPhone(phone_id=phone_id)
    if settle_pending(ctx, session) is CallStatus.WRONG_CODE and ctx.lockouts.is_locked(Credential.ARS, customer.id):
        raise ArsLocked()
    try:
        number = ctx.lockouts.reserve(Credential.ARS, customer.id)
    except CredentialLocked as exc:
        raise ArsLocked() from exc
    code = f"{10 + secrets.randbelow(90)}"
    expires_at = ctx.now() + timedelta(seconds=ctx.settings.ars_timeout_seconds)
    call_id = ctx.bank.telephony.place_call(phone, code, expires_at=expires_at)
    moved = session.moved(
        State.ARS_CALLING,
        ctx.now(),
        identity_method="ars",
        phone_id=phone.id,
        call_id=call_id,
        ars_attempt=number,
        call_expires_at=expires_at.isoformat(),
    )
    return Outcome(moved, ArsCall(code, phone.masked, expires_at, _left(ctx, expires_at)))


def settle_pending(ctx: StepContext, session: IssuanceSession) -> CallStatus | None:
    """Account for the session's pending call when it is left (another call, the overseas check): a wrong code
    counts (and may lock), anything else gives its attempt back. The call's status, or None without one."""
    if session.state is not State.ARS_CALLING or not session.data.call_id or session.customer_id is None:
        return None
    status = ctx.bank.telephony.call_status(session.data.call_id)
    if status is CallStatus.WRONG_CODE:
        with contextlib.suppress(WrongCredential, CredentialLocked):  # counted; a lock is recorded and notified
            ctx.lockouts.failed(Credential.ARS, session.customer_id, session.customer_id, session.data.ars_attempt)
    elif status is CallStatus.CONFIRMED:
        ctx.lockouts.succeeded(Credential.ARS, session.customer_id)
    else:
        ctx.lockouts.release(Credential.ARS, session.customer_id)
    return status


def still_ringing(ctx: StepContext, session: IssuanceSession) -> bool:
    """Whether the session's call still rings: a read between the checks of a long poll (nothing recorded)."""
    if session.state is not State.ARS_CALLING or not session.data.call_id:
        return False
    return ctx.bank.telephony.call_status(session.data.call_id) is CallStatus.RINGING


def confirm(ctx: StepContext, session: IssuanceSession) -> Outcome[ArsStatus]:
    """Poll the call: still ringing (with the time left), confirmed, or over without a right code (back to
    ``IDENTIFIED`` with the outcome's own error)."""
    customer_id, call_id = session.customer_id or "", session.data.call_id or ""
    status = ctx.bank.telephony.call_status(call_id)
    if status is CallStatus.RINGING:
        expires_at = datetime.fromisoformat(session.data.call_expires_at or ctx.now().isoformat())
        return Outcome(
            session, ArsStatus(status.value, expires_at=expires_at, remaining_seconds=_left(ctx, expires_at))
        )
    back = session.moved(State.IDENTIFIED, ctx.now(), call_id=None, call_expires_at=None)
    if status is CallStatus.CONFIRMED:
        if ctx.lockouts.is_locked(Credential.ARS, customer_id):  # locked meanwhile: a right answer does not lift it
            return Outcome(back, ArsStatus(status.value), ArsLocked())
        ctx.lockouts.succeeded(Credential.ARS, customer_id)
        moved = session.moved(State.IDENTITY_CONFIRMED, ctx.now(), call_id=None, call_expires_at=None)
        return Outcome(moved, ArsStatus(status.value, ctx.customer(session).name))
    return Outcome(back, ArsStatus(status.value), _ended(ctx, session, status))


def _ended(ctx: StepContext, session: IssuanceSession, status: CallStatus) -> JointcertError:
    """The error of a call over without the right code; only a wrong code counts toward the lock."""
    customer_id = session.customer_id or ""
    if status is CallStatus.DECLINED:
        ctx.lockouts.release(Credential.ARS, customer_id)
        return ArsDeclined(call_status=status.value)
    if status is not CallStatus.WRONG_CODE:
        ctx.lockouts.release(Credential.ARS, customer_id)
        return ArsUnanswered(call_status=status.value)
    try:
        ctx.lockouts.failed(Credential.ARS, customer_id, customer_id, session.data.ars_attempt)
    except WrongCredential as wrong:
        return ArsWrongCode(call_status=status.value, remaining_attempts=wrong.details["remaining_attempts"])
    except CredentialLocked:
        return ArsLocked(call_status=status.value)
    raise AssertionError("Lockouts.failed always raises")  # pragma: no cover
