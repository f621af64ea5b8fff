"""Step 4 — user ID + resident number (본인확인), and 아이디 찾기."""

from __future__ import annotations

from dataclasses import dataclass

from jointcert.bank.errors import IdentityMismatch
from jointcert.bank.model import Customer, SecondFactorKind
from jointcert.npki import resident_number
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import IdentityAttemptsExceeded
from jointcert.ra.ports import Credential
from jointcert.ra.session import RRN_PURPOSE, IssuanceSession
from jointcert.ra.workflow import State

__all__ = [
    "MAX_FIND_ID_LOOKUPS",
    "MAX_IDENTIFY_FAILURES",
    "FoundUserIds",
    "Identified",
    "PhoneChoice",
    "find_user_ids",
    "identify",
]

MAX_IDENTIFY_FAILURES = 5  # wrong ID/RRN pairs per session before it ends
MAX_FIND_ID_LOOKUPS = 5  # 아이디 찾기 lookups per session


@dataclass(frozen=True)
class PhoneChoice:
    """A registered number as the ARS screen lists it."""

    id: str
    masked: str
    kind: str


@dataclass(frozen=True)
class Identified:
    """The identity checks offered next; no name: it is shown only after the ARS or overseas check."""

    phones: tuple[PhoneChoice, ...]
    abroad_check_offered: bool  # Korean nationals only
    locked: tuple[str, ...] = ()  # Credential values locked for this customer (app PIN/pattern, card, OTP)
    second_factors_blocked: bool = False  # every second factor the customer has is locked: step 7 must fail


@dataclass(frozen=True)
class FoundUserIds:
    """Masked IDs (``mi****88``) of the customer with that name and resident number."""

    user_ids: tuple[str, ...]


_FACTOR_CREDENTIALS: dict[SecondFactorKind, tuple[Credential, ...]] = {
    SecondFactorKind.APP_CERT: (Credential.APP_PIN, Credential.APP_PATTERN),
    SecondFactorKind.SECURITY_CARD: (Credential.SECURITY_CARD,),
    SecondFactorKind.OTP: (Credential.OTP,),
}


def _identified(ctx: StepContext, customer: Customer) -> Identified:
    """The customer as the next screens need it, with the locks checked now: a customer whose every second factor
    is locked is told so before the phone check, instead of failing at step 7."""
    phones = tuple(PhoneChoice(p.id, p.masked, p.kind.value) for p in customer.phones)
    methods = ctx.bank.second_factors.methods(customer.id)
    locked = tuple(
        credential.value
        for kind in sorted(methods)
        for credential in _FACTOR_CREDENTIALS[kind]
        if ctx.lockouts.is_locked(credential, customer.id)
    )
    usable = [kind for kind in methods if not any(c.value in locked for c in _FACTOR_CREDENTIALS[kind])]
    blocked = bool(methods) and not usable
    return Identified(phones, customer.is_korean_national, locked, blocked)


def identify(ctx: StepContext, session: IssuanceSession, user_id: str, rrn: str) -> Outcome[Identified | None]:
    """Match ID and resident number at the bank; the number is kept only encrypted, for the VID later."""
    digits = resident_number.parse(rrn).digits  # InvalidResidentNumber for a malformed number (not counted)
    try:
        customer = ctx.bank.customers.identify(user_id.strip(), digits)
    except IdentityMismatch as exc:
        failures = session.data.identify_failures + 1
        if failures >= MAX_IDENTIFY_FAILURES:
            raise IdentityAttemptsExceeded() from exc
        left = MAX_IDENTIFY_FAILURES - failures
        changed = session.moved(session.state, ctx.now(), identify_failures=failures)
        return Outcome(changed, None, IdentityMismatch(remaining_attempts=left))
    bound = session.with_customer(customer.id, ctx.pii.encrypt(digits, RRN_PURPOSE))
    moved = bound.moved(State.IDENTIFIED, ctx.now(), user_id=customer.user_id)
    return Outcome(moved, _identified(ctx, customer))


def find_user_ids(ctx: StepContext, session: IssuanceSession, name: str, rrn: str) -> Outcome[FoundUserIds]:
    """아이디 찾기 by name and resident number, a few times per session."""
    lookups = session.data.find_id_lookups + 1
    if lookups > MAX_FIND_ID_LOOKUPS:
        raise IdentityAttemptsExceeded("Too many user-ID lookups in this session.")
    digits = resident_number.parse(rrn).digits
    found = tuple(ctx.bank.customers.find_user_ids(name.strip(), digits))
    return Outcome(session.moved(session.state, ctx.now(), find_id_lookups=lookups), FoundUserIds(found))
