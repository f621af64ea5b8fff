"""OTP devices (OTP 발생기): TOTP (RFC 6238) and event-based HOTP (RFC 4226) via pyotp, with replay protection.

Both matchers try every candidate without stopping early and compare with :func:`hmac.compare_digest`; they
return the step/counter that matched so the caller can persist it and refuse the same code later.
"""

from __future__ import annotations

import enum
import hmac
from datetime import datetime

import pyotp

__all__ = [
    "DIGITS",
    "HOTP_WINDOW",
    "TOTP_INTERVAL",
    "TOTP_WINDOW",
    "OtpKind",
    "hotp_code",
    "match_hotp",
    "match_totp",
    "totp_code",
    "totp_step",
]

TOTP_INTERVAL = 30  # seconds per step
TOTP_WINDOW = 1  # accept the current step ±1 (clock drift)
HOTP_WINDOW = 10  # look-ahead: presses of the button that never reached the bank
DIGITS = 6


class OtpKind(enum.StrEnum):
    """Time-based or event (counter) based device."""

    TOTP = "totp"
    HOTP = "hotp"


def _well_formed(code: str, digits: int) -> bool:
    return len(code) == digits and code.isascii() and code.isdigit()


def totp_step(now: datetime, interval: int = TOTP_INTERVAL) -> int:
    """The TOTP time step of ``now``."""
    return int(now.timestamp()) // interval


def match_totp(
    secret: str,
    code: str,
    *,
    now: datetime,
    last_step: int | None,
    window: int = TOTP_WINDOW,
    interval: int = TOTP_INTERVAL,
    digits: int = DIGITS,
) -> int | None:
    """The step within ``now ± window`` whose code is ``code`` and that is after ``last_step``, else ``None``."""
    if not _well_formed(code, digits):
        return None
    totp = pyotp.TOTP(secret, digits=digits, interval=interval)
    current = totp_step(now, interval)
    found: int | None = None
    for step in range(current - window, current + window + 1):
        fresh = last_step is None or step > last_step
        if hmac.compare_digest(totp.generate_otp(step), code) and fresh and found is None:
            found = step
    return found


def match_hotp(secret: str, code: str, *, counter: int, window: int = HOTP_WINDOW, digits: int = DIGITS) -> int | None:
    """The counter in ``[counter, counter + window)`` whose code is ``code``, else ``None``."""
    if not _well_formed(code, digits):
        return None
    hotp = pyotp.HOTP(secret, digits=digits)
    found: int | None = None
    for candidate in range(counter, counter + window):
        if hmac.compare_digest(hotp.at(candidate), code) and found is None:
            found = candidate
    return found


def totp_code(secret: str, at: datetime, *, interval: int = TOTP_INTERVAL, digits: int = DIGITS) -> str:
    """What a TOTP device shows at ``at`` (for the demo's virtual device and tests)."""
    return pyotp.TOTP(secret, digits=digits, interval=interval).generate_otp(totp_step(at, interval))


def hotp_code(secret: str, counter: int, *, digits: int = DIGITS) -> str:
    """What an HOTP device shows on press number ``counter`` (for the demo's virtual device and tests)."""
    return pyotp.HOTP(secret, digits=digits).at(counter)
