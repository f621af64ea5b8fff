"""Anti-automation: fixed-window buckets per client address and per customer, shared by every node.

One mechanism for every guessable step (identity and 아이디 찾기, ARS calls, account PIN, second factors, the
certificate login): the :class:`Throttle` port keeps counters in the database (or Redis), so every process and
node sees the same numbers. Windows are aligned on the epoch (``window_seconds``), so every node agrees on them.

For an ``action`` by a client ``address`` about a ``subject`` (a user ID typed, a customer, a certificate):

1. **Customer guard** (read only): if the subject's failures in this window reached the customer limit, an address
   that itself failed on this subject in the window is refused. An address with no failure on the subject (the
   customer's own phone, typing right) still gets through: an attacker cannot lock her out from elsewhere.
2. **Address cap**: one event is counted in the address's bucket for the action, only if it is under the limit
   (a conditional update); otherwise refused.

A refused call raises :class:`Throttled` (429 + ``Retry-After``) and changes nothing. After the step, a failure (a
wrong pair, PIN or code) is counted for the subject and for the (subject, address) pair.

A flow step inside one transaction does it in two halves (:meth:`AntiAutomation.precheck` before the step, reading
only; :meth:`AntiAutomation.take` at its end, the conditional update), so that on PostgreSQL the address's bucket row
— shared by every customer behind one address, e.g. a carrier's NAT — is locked only for the end of the step's
transaction, not while the bank checks a PIN. When the bucket filled meanwhile, :class:`Throttled` rolls the whole
step back (``rolls_back``): nothing the step did is kept, and its verdict is never shown.

Subjects and addresses are stored only as keyed hashes (``PiiProtector.lookup_hash``).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Protocol

from jointcert.clock import Clock
from jointcert.config import ThrottleSettings
from jointcert.errors import Denied
from jointcert.pii import PiiProtector

__all__ = ["Action", "AntiAutomation", "Rule", "Throttle", "Throttled", "rules_from"]

_PURPOSE = "throttle"


class Throttled(Denied):
    """Too many attempts from this address (or at this customer): try again after ``retry_after`` seconds."""

    code = "throttled"
    message_ko = "요청이 너무 많습니다. 잠시 후 다시 시도해 주십시오."
    message_en = "Too many attempts; please try again later."
    rolls_back = True  # refused at a step's end, nothing the step did is kept


class Throttle(Protocol):
    """Counters in fixed windows: one row (or Redis key) per bucket key; each call is one atomic statement."""

    def take(self, key: str, window_start: int, window_seconds: int, limit: int) -> bool:
        """Count one event in the bucket's window if fewer than ``limit`` are counted; False (nothing changed) if
        the bucket is full."""
        ...

    def add(self, key: str, window_start: int, window_seconds: int) -> int:
        """Count one event unconditionally; return the count in the window."""
        ...

    def count(self, key: str, window_start: int) -> int:
        """Events counted in this window (0 for another window or an unknown key)."""
        ...


class Action(enum.StrEnum):
    """What is being guarded; each has its own buckets."""

    IDENTITY = "identity"  # user ID + resident number, and 아이디 찾기
    ARS_CALL = "ars_call"  # calls placed (each call rings the customer's phone)
    CREDENTIAL = "credential"  # account PIN, app PIN/pattern, security card, OTP
    CERT_LOGIN = "cert_login"  # certificate login to the bank app


@dataclass(frozen=True)
class Rule:
    """``per_address`` attempts per window from one address; ``per_subject`` failures before the guard."""

    per_address: int
    per_subject: int


def rules_from(settings: ThrottleSettings) -> dict[Action, Rule]:
    """The configured rule of each action."""
    return {
        Action.IDENTITY: Rule(settings.identity_per_address, settings.identity_failures_per_customer),
        Action.ARS_CALL: Rule(settings.ars_calls_per_address, settings.ars_calls_per_customer),
        Action.CREDENTIAL: Rule(settings.secret_per_address, settings.secret_failures_per_customer),
        Action.CERT_LOGIN: Rule(settings.login_per_address, settings.login_failures_per_certificate),
    }


class AntiAutomation:
    """Admits or refuses attempts, and counts failures, through a :class:`Throttle`."""

    def __init__(self, throttle: Throttle, settings: ThrottleSettings, clock: Clock, pii: PiiProtector) -> None:
        if settings.window_seconds < 1:
            raise ValueError("the throttle window must be positive")
        self._throttle, self._clock, self._pii = throttle, clock, pii
        self.window = settings.window_seconds
        self.rules = rules_from(settings)

    def _window(self) -> tuple[int, int]:
        """(start of the current window, seconds until it ends), in epoch seconds."""
        now = self._clock.now().timestamp()
        start = int(now // self.window) * self.window
        return start, max(1, math.ceil(start + self.window - now))

    def _key(self, action: Action, kind: str, *parts: str) -> str:
        digest = self._pii.lookup_hash("\x1f".join(parts), _PURPOSE).hex()[:40]
        return f"{action.value}:{kind}:{digest}"

    def admit(self, action: Action, address: str, subject: str | None = None) -> None:
        """Let one attempt through (counted at the address), or raise :class:`Throttled` without changing anything."""
        window = self._window()
        self._guard(action, address, subject, window)
        self._take(action, address, window)

    def precheck(self, action: Action, address: str, subject: str | None = None) -> None:
        """Raise :class:`Throttled` if an attempt would be refused now; reads only (:meth:`take` counts it later)."""
        window = self._window()
        self._guard(action, address, subject, window)
        if self._throttle.count(self._key(action, "a", address), window[0]) >= self.rules[action].per_address:
            raise Throttled(retry_after=window[1], scope="address")

    def take(self, action: Action, address: str) -> None:
        """Count one attempt in the address's bucket, or raise :class:`Throttled` (the bucket is full)."""
        self._take(action, address, self._window())

    def _take(self, action: Action, address: str, window: tuple[int, int]) -> None:
        start, retry = window
        if not self._throttle.take(self._key(action, "a", address), start, self.window, self.rules[action].per_address):
            raise Throttled(retry_after=retry, scope="address")

    def _guard(self, action: Action, address: str, subject: str | None, window: tuple[int, int]) -> None:
        """The customer guard (read only) in ``window`` (start, seconds left)."""
        start, retry = window
        if subject is not None and self._guarded(action, address, subject, start, self.rules[action]):
            raise Throttled(retry_after=retry, scope="customer")

    def _guarded(self, action: Action, address: str, subject: str, start: int, rule: Rule) -> bool:
        if self._throttle.count(self._key(action, "s", subject), start) < rule.per_subject:
            return False
        return self._throttle.count(self._key(action, "p", subject, address), start) > 0

    def failed(self, action: Action, address: str, subject: str) -> None:
        """Count a failure at ``subject`` (and for this address at it)."""
        start, _ = self._window()
        self._throttle.add(self._key(action, "s", subject), start, self.window)
        self._throttle.add(self._key(action, "p", subject, address), start, self.window)
