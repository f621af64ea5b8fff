"""ARS callbacks and the virtual phone that receives them, on the database (so every process sees them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update

from jointcert.bank.errors import CallNotFound, InvalidCallRequest
from jointcert.bank.formats import phone_digits
from jointcert.bank.model import CallStatus, IncomingCall, Phone
from jointcert.bank.sandbox.ars import CALLER, code_is_valid, effective_status
from jointcert.clock import Clock
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository._rows import rowcount
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankArsCall

__all__ = ["SqlTelephony", "ars_purpose"]


def ars_purpose(call_id: str) -> str:
    """Keyed-hash purpose of a call's code (binds the hash to the call)."""
    return f"ars:{call_id}"


class SqlTelephony:
    """:class:`~jointcert.bank.ports.Telephony` and :class:`~jointcert.bank.ports.VirtualPhone` in one.

    The bank side places calls and reads their status; the handset side (the sandbox phone page) lists the
    calls ringing on a number and keys in digits. Expiry is decided by the injected clock on every read.
    """

    def __init__(self, database: Database, pii: PiiProtector, clock: Clock) -> None:
        self._db = database
        self._pii = pii
        self._clock = clock

    def place_call(self, phone: Phone, code: str, *, expires_at: datetime) -> str:
        """Ring ``phone``; the customer must key in ``code`` before ``expires_at``."""
        now = self._clock.now()
        if not code_is_valid(code):
            raise InvalidCallRequest("The code must be 2 to 6 digits.")
        if expires_at.tzinfo is None or expires_at <= now:
            raise InvalidCallRequest("The call must expire in the future (aware datetime).")
        call_id = uuid.uuid4().hex
        with self._db.session() as session:
            session.add(
                BankArsCall(
                    id=call_id,
                    phone_id=phone.id,
                    phone_digits=phone_digits(phone.number),
                    phone_number=phone.number,
                    code_hash=self._pii.lookup_hash(code, ars_purpose(call_id)),
                    status=CallStatus.RINGING.value,
                    placed_at=now,
                    expires_at=expires_at,
                )
            )
        return call_id

    def call_status(self, call_id: str) -> CallStatus:
        """The call's state, TIMED_OUT once the clock passed the expiry unanswered."""
        with self._db.session() as session:
            call = session.get(BankArsCall, call_id)
        if call is None:
            raise CallNotFound(call_id=call_id)
        return effective_status(CallStatus(call.status), call.expires_at, self._clock.now())

    def ringing(self, phone_number: str) -> list[IncomingCall]:
        """Calls ringing now on this number, oldest first."""
        now = self._clock.now()
        with self._db.session() as session:
            calls = session.scalars(
                select(BankArsCall)
                .where(
                    BankArsCall.phone_digits == phone_digits(phone_number),
                    BankArsCall.status == CallStatus.RINGING.value,
                    BankArsCall.expires_at > now,
                )
                .order_by(BankArsCall.placed_at, BankArsCall.id)
            ).all()
        return [
            IncomingCall(
                call_id=c.id, phone_number=c.phone_number, caller=CALLER, placed_at=c.placed_at, expires_at=c.expires_at
            )
            for c in calls
        ]

    def answer(self, call_id: str, digits: str) -> CallStatus:
        """Key in ``digits`` (a trailing ``#`` is ignored); a finished call keeps its state."""
        return self._end(call_id, digits)

    def decline(self, call_id: str) -> CallStatus:
        """Reject the call: DECLINED (a finished call keeps its state)."""
        return self._end(call_id, None)

    def _end(self, call_id: str, digits: str | None) -> CallStatus:
        now = self._clock.now()
        with self._db.session() as session:
            call = session.get(BankArsCall, call_id)
            if call is None:
                raise CallNotFound(call_id=call_id)
            status = effective_status(CallStatus(call.status), call.expires_at, now)
            if status is not CallStatus.RINGING:
                return status
            if digits is None:
                new = CallStatus.DECLINED
            else:
                right = self._pii.matches(digits.removesuffix("#"), call.code_hash, ars_purpose(call_id))
                new = CallStatus.CONFIRMED if right else CallStatus.WRONG_CODE
            changed = session.execute(
                update(BankArsCall)
                .where(
                    BankArsCall.id == call_id,
                    BankArsCall.status == CallStatus.RINGING.value,
                    BankArsCall.expires_at > now,
                )
                .values(status=new.value, answered_at=now)
                .execution_options(synchronize_session=False)
            )
        if rowcount(changed) != 1:  # answered or expired in the meantime
            return self.call_status(call_id)
        return new
