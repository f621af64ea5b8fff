"""The issuance flow as an explicit state machine: states, steps and ONE transition table.

Happy path (DESIGN "The issuance flow")::

    STARTED ─terms→ TERMS_AGREED ─identify→ IDENTIFIED ─ars_call→ ARS_CALLING ─ars_confirm→ IDENTITY_CONFIRMED
                                            IDENTIFIED | ARS_CALLING ─abroad_check────────→ IDENTITY_CONFIRMED
    IDENTITY_CONFIRMED ─account→ ACCOUNT_VERIFIED ─app_pin→ APP_PIN_OK ─app_pattern→ SECOND_FACTOR_DONE
                                 ACCOUNT_VERIFIED ─security_card | otp───────────────→ SECOND_FACTOR_DONE
    ACCOUNT_VERIFIED | SECOND_FACTOR_DONE ─register_app_cert→ APP_CERT_REGISTERED (the bank's app certificate instead)
    SECOND_FACTOR_DONE ─contact→ CONTACT_CONFIRMED ─choose_type→ TYPE_CHOSEN ─enrollment_challenge→ READY
    READY ─enroll→ (ISSUING) → DELIVERED ─confirm_enrollment→ (CONFIRMING) → ISSUED
                               DELIVERED ─enroll→ DELIVERED (a retry: the same certificate)
                               DELIVERED ─(confirm wait over: the reconciler)→ (UNCONFIRMING) → UNCONFIRMED
    READY ─cmp_register→ (ISSUING) → REGISTERED

The states in parentheses are held only while one saga step runs (docs/crash-safety.md); a crash can leave a
session in one of them (or in DELIVERED), and only the reconciler (``ra/reconciler.py``) moves it on from there.

Every row of :data:`TRANSITIONS` names the state a step needs, the state it leads to on success and the other
states it may leave the session in (a failed ARS call goes back to ``IDENTIFIED``; a wrong PIN stays). Any
step may also end the session in ``FAILED`` (a credential locked); ``cancel`` ends it in ``CANCELLED`` from any
open state, and the clock ends it in ``EXPIRED``. Terminal states accept nothing. ``ISSUING`` is held only while
the CA signs (or registers), so a second request for the same session or customer is refused meanwhile.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from jointcert.ra.errors import SessionClosed, StepOutOfOrder

__all__ = [
    "OPEN_STATES",
    "SAGA_STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "State",
    "Step",
    "Transition",
    "allowed_steps",
    "outcomes",
    "transition",
]


class State(enum.StrEnum):
    """Where an issuance session stands."""

    STARTED = "started"
    TERMS_AGREED = "terms_agreed"
    IDENTIFIED = "identified"
    ARS_CALLING = "ars_calling"
    IDENTITY_CONFIRMED = "identity_confirmed"
    ACCOUNT_VERIFIED = "account_verified"
    APP_PIN_OK = "app_pin_ok"
    SECOND_FACTOR_DONE = "second_factor_done"
    CONTACT_CONFIRMED = "contact_confirmed"
    TYPE_CHOSEN = "type_chosen"
    READY = "ready"
    ISSUING = "issuing"
    DELIVERED = "delivered"  # certificate handed out, fee charged; waits for the app's confirmation
    CONFIRMING = "confirming"  # confirmed: superseding the older certificate, making the fee final
    UNCONFIRMING = "unconfirming"  # not confirmed in time: revoking the certificate, reversing the fee
    ISSUED = "issued"
    REGISTERED = "registered"  # CMP: reference number + authorization code handed out
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNCONFIRMED = "unconfirmed"  # the app never confirmed: the certificate was revoked and the fee reversed
    APP_CERT_REGISTERED = "app_cert_registered"  # the session registered the bank's app certificate (no issuance)

    @property
    def is_terminal(self) -> bool:
        """True once nothing more can happen in the session."""
        return self in TERMINAL_STATES


class Step(enum.StrEnum):
    """What the customer (or the app on their behalf) does; one module each under ``ra/steps``."""

    AGREE_TERMS = "agree_terms"
    FIND_USER_ID = "find_user_id"
    IDENTIFY = "identify"
    ARS_CALL = "ars_call"
    ARS_CONFIRM = "ars_confirm"
    ABROAD_CHECK = "abroad_check"
    VERIFY_ACCOUNT = "verify_account"
    APP_PIN = "app_pin"
    APP_PATTERN = "app_pattern"
    CARD_CHALLENGE = "card_challenge"
    SECURITY_CARD = "security_card"
    OTP = "otp"
    SHOW_CONTACT = "show_contact"
    CONFIRM_CONTACT = "confirm_contact"
    CHOOSE_TYPE = "choose_type"
    ENROLLMENT_CHALLENGE = "enrollment_challenge"
    ENROLL = "enroll"
    CONFIRM_ENROLLMENT = "confirm_enrollment"
    CMP_REGISTER = "cmp_register"
    REGISTER_APP_CERT = "register_app_cert"
    CANCEL = "cancel"


TERMINAL_STATES = frozenset(
    {
        State.ISSUED,
        State.REGISTERED,
        State.FAILED,
        State.EXPIRED,
        State.CANCELLED,
        State.UNCONFIRMED,
        State.APP_CERT_REGISTERED,
    }
)
OPEN_STATES = frozenset(State) - TERMINAL_STATES
SAGA_STATES = frozenset({State.ISSUING, State.DELIVERED, State.CONFIRMING, State.UNCONFIRMING})
"""Open states only the saga and the reconciler move on: no cancel, no expiry at the session TTL."""


@dataclass(frozen=True)
class Transition:
    """One row: ``step`` is allowed in ``source``; success leads to ``target``; ``also`` lists other outcomes."""

    source: State
    step: Step
    target: State
    also: frozenset[State] = frozenset()


def _row(source: State, step: Step, target: State, *also: State) -> Transition:
    return Transition(source, step, target, frozenset(also))


S, T = State, Step
_ROWS = (
    _row(S.STARTED, T.AGREE_TERMS, S.TERMS_AGREED),
    _row(S.TERMS_AGREED, T.FIND_USER_ID, S.TERMS_AGREED),  # 아이디 찾기: a lookup, the state stays
    _row(S.TERMS_AGREED, T.IDENTIFY, S.IDENTIFIED),
    _row(S.IDENTIFIED, T.ARS_CALL, S.ARS_CALLING),
    _row(S.ARS_CALLING, T.ARS_CALL, S.ARS_CALLING),  # call again (e.g. another number); counts as an attempt
    _row(S.ARS_CALLING, T.ARS_CONFIRM, S.IDENTITY_CONFIRMED, S.IDENTIFIED),  # still ringing: stays
    _row(S.IDENTIFIED, T.ABROAD_CHECK, S.IDENTITY_CONFIRMED),
    _row(S.ARS_CALLING, T.ABROAD_CHECK, S.IDENTITY_CONFIRMED),  # the overseas check while a call is pending
    _row(S.IDENTITY_CONFIRMED, T.VERIFY_ACCOUNT, S.ACCOUNT_VERIFIED),
    _row(S.ACCOUNT_VERIFIED, T.APP_PIN, S.APP_PIN_OK),
    _row(S.APP_PIN_OK, T.APP_PATTERN, S.SECOND_FACTOR_DONE),
    _row(S.ACCOUNT_VERIFIED, T.CARD_CHALLENGE, S.ACCOUNT_VERIFIED),  # the same challenge until answered
    _row(S.ACCOUNT_VERIFIED, T.SECURITY_CARD, S.SECOND_FACTOR_DONE),
    _row(S.ACCOUNT_VERIFIED, T.OTP, S.SECOND_FACTOR_DONE),
    _row(S.ACCOUNT_VERIFIED, T.REGISTER_APP_CERT, S.APP_CERT_REGISTERED),  # a customer with no card or OTP
    _row(S.SECOND_FACTOR_DONE, T.REGISTER_APP_CERT, S.APP_CERT_REGISTERED),  # after her card or OTP
    _row(S.SECOND_FACTOR_DONE, T.SHOW_CONTACT, S.SECOND_FACTOR_DONE),
    _row(S.SECOND_FACTOR_DONE, T.CONFIRM_CONTACT, S.CONTACT_CONFIRMED),
    _row(S.CONTACT_CONFIRMED, T.CHOOSE_TYPE, S.TYPE_CHOSEN),
    _row(S.TYPE_CHOSEN, T.ENROLLMENT_CHALLENGE, S.READY),
    _row(S.READY, T.ENROLLMENT_CHALLENGE, S.READY),  # the same challenge again
    _row(S.READY, T.ENROLL, S.DELIVERED),
    _row(S.DELIVERED, T.ENROLL, S.DELIVERED),  # a retry returns the same certificate
    _row(S.DELIVERED, T.ENROLLMENT_CHALLENGE, S.DELIVERED),  # a retrying app asks for the challenge again
    _row(S.DELIVERED, T.CONFIRM_ENROLLMENT, S.ISSUED),
    _row(S.READY, T.CMP_REGISTER, S.REGISTERED),
    *(_row(state, T.CANCEL, S.CANCELLED) for state in sorted(OPEN_STATES - SAGA_STATES)),
)

TRANSITIONS: Mapping[tuple[State, Step], Transition] = {(row.source, row.step): row for row in _ROWS}
"""The one transition table: (state, step) → :class:`Transition`."""


def transition(state: State, step: Step) -> Transition:
    """The row that allows ``step`` in ``state``; :class:`SessionClosed` / :class:`StepOutOfOrder` otherwise."""
    if state.is_terminal:
        raise SessionClosed(state=state.value)
    row = TRANSITIONS.get((state, step))
    if row is None:
        raise StepOutOfOrder(state=state.value, step=step.value, allowed_steps=allowed_steps(state))
    return row


def allowed_steps(state: State) -> list[str]:
    """The steps allowed in ``state`` (for the client: what the next screen may be)."""
    return [row.step.value for row in _ROWS if row.source is state]


def outcomes(row: Transition) -> frozenset[State]:
    """Every state a step may leave the session in: its target, its alternatives, unchanged, or failed."""
    return row.also | {row.target, row.source, State.FAILED}
