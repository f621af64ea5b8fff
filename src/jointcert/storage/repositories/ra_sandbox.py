"""Sandbox only: a virtual OTP device for the demo customers (the ``/sandbox/otp/…`` page and the CLI).

A real OTP device keeps its own counter or clock; this one reads the sandbox bank's replay state, so it always
shows a code the bank will accept: HOTP at the bank's next counter, TOTP at the current time step (or the next
one, when the current step's code was already used).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from jointcert.bank.sandbox import otp
from jointcert.clock import Clock
from jointcert.errors import NotFound
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository.factors import otp_purpose
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankCustomer, BankOtpToken

__all__ = ["NoOtpDevice", "SqlVirtualOtpDevice", "VirtualOtpCode"]


class NoOtpDevice(NotFound):
    """The customer has no OTP device."""

    code = "sandbox_no_otp_device"
    message_ko = "OTP 기기가 등록되지 않은 고객입니다."
    message_en = "This customer has no OTP device."


@dataclass(frozen=True)
class VirtualOtpCode:
    """What the device shows."""

    user_id: str
    kind: str  # totp | hotp
    serial: str
    code: str
    valid_from: datetime | None  # TOTP: when the code becomes acceptable (now, or the next step)
    valid_until: datetime | None  # TOTP: end of the last step in which it is accepted


class SqlVirtualOtpDevice:
    """Reads an OTP token of the sandbox bank and shows its next usable code."""

    def __init__(self, database: Database, pii: PiiProtector, clock: Clock) -> None:
        self._db, self._pii, self._clock = database, pii, clock

    def code(self, user_id: str) -> VirtualOtpCode:
        """The next usable code of the customer's device; :class:`NoOtpDevice` if the customer has none."""
        with self._db.session() as session:
            row = session.execute(
                select(BankOtpToken, BankCustomer.user_id)
                .join(BankCustomer, BankCustomer.id == BankOtpToken.customer_id)
                .where(BankCustomer.user_id == user_id)
            ).first()
        if row is None:
            raise NoOtpDevice(user_id=user_id)
        token = row[0]
        secret = self._pii.decrypt(token.secret_ciphertext, otp_purpose(token.customer_id))
        if token.kind == otp.OtpKind.HOTP.value:
            return VirtualOtpCode(
                user_id, token.kind, token.serial, otp.hotp_code(secret, token.next_counter), None, None
            )
        now = self._clock.now()
        step = otp.totp_step(now)
        if token.last_step is not None and token.last_step >= step:
            step = token.last_step + 1
        start = datetime.fromtimestamp(step * otp.TOTP_INTERVAL, tz=now.tzinfo)
        code = otp.totp_code(secret, start)
        until = start + timedelta(seconds=otp.TOTP_INTERVAL * (1 + otp.TOTP_WINDOW))
        accepted_from = start - timedelta(seconds=otp.TOTP_INTERVAL * otp.TOTP_WINDOW)
        return VirtualOtpCode(user_id, token.kind, token.serial, code, max(accepted_from, now), until)
