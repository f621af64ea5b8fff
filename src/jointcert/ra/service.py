"""The registration authority: one entry point per step, all run through one guarded runner.

For every step the runner loads the session, checks the token (constant time) and the expiry (injected
clock), asks the transition table whether the step is allowed in the session's state, runs the step, checks
that the step left the session in a state the table allows, stores it by compare-and-set and writes the step
log (step, outcome, time — never an input). A locked credential ends the session (``FAILED``); every end wipes
the encrypted resident number.

All of that is one transaction per step (``SessionStore.step``): one commit, and a refused step still commits
its counted failure and its step-log entry. The issuance saga's steps (:data:`_SAGA_STEPS`) are the exception:
each of their writes is committed before the next begins (record before sign, docs/crash-safety.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from jointcert import faults
from jointcert.bank.ports import BankPorts
from jointcert.ca.profiles import PROFILES
from jointcert.clock import Clock
from jointcert.config import RaSettings
from jointcert.errors import ErrorKind, JointcertError
from jointcert.pii import PiiProtector
from jointcert.ra import saga
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.errors import (
    CredentialLocked,
    IdentityAttemptsExceeded,
    IssuanceInProgress,
    LoggedInRefused,
    SessionBusy,
    SessionClosed,
    SessionExpired,
    SessionNotFound,
    UnknownCustomer,
)
from jointcert.ra.policies import Lockouts, Notifications
from jointcert.ra.ports import (
    Attempts,
    Authority,
    CertificateRegistry,
    Credential,
    FeeLedger,
    Registrar,
    SessionStore,
    StepLog,
    StepLogEntry,
)
from jointcert.ra.session import IssuanceSession, NewSession, new_session
from jointcert.ra.steps import (
    abroad,
    account,
    app_cert,
    app_cert_register,
    ars,
    cert_type,
    contact,
    enrollment,
    identity,
    otp,
    security_card,
    terms,
)
from jointcert.ra.steps.cert_type import FeeQuote, quote
from jointcert.ra.steps.extend import extended
from jointcert.ra.throttle import Action, AntiAutomation
from jointcert.ra.workflow import SAGA_STATES, State, Step, allowed_steps, outcomes, transition

__all__ = ["RegistrationAuthority", "SessionView", "Stepped"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_ENDS_SESSION = (CredentialLocked, IdentityAttemptsExceeded)
_FAILURE_KINDS = frozenset({ErrorKind.AUTHENTICATION, ErrorKind.LOCKED})
# steps whose writes must be durable one by one (the CA records before it signs): not one transaction
_SAGA_STEPS = frozenset({Step.ENROLL, Step.CONFIRM_ENROLLMENT, Step.CMP_REGISTER})


@dataclass(frozen=True)
class _Guard:
    """Anti-automation for one call: the action, the client address, the subject (a user ID typed, else the
    session's customer), and whether every call counts at the subject (ARS calls) or only failures."""

    action: Action
    client: str | None
    subject: str | None = None
    every_call_counts: bool = False

    def subject_of(self, session: IssuanceSession) -> str:
        return self.subject if self.subject is not None else (session.customer_id or f"session:{session.id}")


@dataclass(frozen=True)
class SessionView:
    """Where a session stands, for the client (no personal data)."""

    session_id: str
    state: str
    expires_at: datetime
    allowed_steps: tuple[str, ...]
    identity_method: str | None
    second_factor: str | None
    cert_type: str | None
    serial: str | None


@dataclass(frozen=True)
class Stepped(Generic[T]):
    """A step's value and where the session stands afterwards."""

    session: SessionView
    value: T


def _view(session: IssuanceSession) -> SessionView:
    data = session.data
    steps = () if session.state.is_terminal else tuple(allowed_steps(session.state))
    return SessionView(
        session.id,
        session.state.value,
        session.expires_at,
        steps,
        data.identity_method,
        data.second_factor,
        data.cert_type,
        data.serial,
    )


class RegistrationAuthority:
    """The bank's issuance workflow over the bank's ports, the CA and the RA's own stores."""

    def __init__(
        self,
        *,
        bank: BankPorts,
        sessions: SessionStore,
        attempts: Attempts,
        step_log: StepLog,
        authority: Authority,
        registry: CertificateRegistry,
        pii: PiiProtector,
        clock: Clock,
        settings: RaSettings,
        ca_validity_days: int,
        chain: Sequence[bytes],
        fees: FeeLedger,
        registrar: Registrar | None = None,
        anti: AntiAutomation | None = None,
        validity_days: Mapping[str, int] | None = None,
    ) -> None:
        if settings.session_ttl_seconds < 1 or settings.ars_timeout_seconds < 1:
            raise ValueError("session and ARS timeouts must be positive")
        notifications = Notifications(bank.notifier)
        lockouts = Lockouts(
            attempts, accounts=bank.accounts, notifications=notifications, clock=clock, settings=settings
        )
        days = validity_days or {t.value: (p.validity_days or ca_validity_days) for t, p in PROFILES.items()}
        self.ctx = StepContext(
            bank, sessions, lockouts, notifications, authority, registry, registrar, pii, clock, settings, days,
            tuple(chain), fees,
        )  # fmt: skip
        self._sessions, self._log, self._clock = sessions, step_log, clock
        self._anti = anti  # None: no anti-automation (unit tests of the flow alone)

    @property
    def cmp_available(self) -> bool:
        """Whether CMP registration (reference number + authorization code) is wired."""
        return self.ctx.registrar is not None

    # --- sessions ------------------------------------------------------------------------------------------
    def start(self, *, app_logged_in: bool) -> NewSession:
        """A new session; refused while the customer is logged in to the banking app."""
        if app_logged_in:
            raise LoggedInRefused()
        with self._sessions.transaction():
            now = self._clock.now()
            for abandoned in self._sessions.expired_in_state(State.ARS_CALLING, now):
                ars.settle_pending(self.ctx, abandoned)  # a call left ringing gives its ARS attempt back
                self._end(abandoned, State.EXPIRED)
            self._sessions.expire_stale(now)
            created = new_session(now, self.ctx.settings.session_ttl_seconds)
            self._sessions.create(created.session)
            self._append(created.session.id, "start", "ok", State.STARTED, State.STARTED)
        return created

    def status(self, session_id: str, token: str | None) -> SessionView:
        """The session's state and the steps allowed next."""
        return _view(self._load(session_id, token))

    def cancel(self, session_id: str, token: str | None) -> SessionView:
        """End the session (취소); its resident number is wiped."""
        return self._run(session_id, token, Step.CANCEL, self._cancel)[0]

    def extend(self, session_id: str, token: str | None) -> SessionView:
        """연장: a fresh lifetime from now, within the absolute cap (``ra_session_extend_limit`` at the cap)."""
        with self._sessions.step(session_id) as stored:
            session = self._checked(stored, token)
            saved = self._sessions.save(
                extended(session, self._clock.now(), self.ctx.settings), expected_version=session.version
            )
            self._append(session.id, "extend", "ok", session.state, saved.state)
        return _view(saved)

    def fee_quote(self, session_id: str, token: str | None, cert_type: str) -> FeeQuote:
        """The debit a type would make (account, fee, balance after), shown before the customer chooses it."""
        session = self._load(session_id, token)
        if session.customer_id is None or session.data.account_number is None:
            raise SessionClosed("The account is not verified yet.")
        return quote(self.ctx, session, cert_type)

    def _cancel(self, session: IssuanceSession) -> Outcome[None]:
        ars.settle_pending(self.ctx, session)  # a call still ringing gives its ARS attempt back
        return Outcome(session.moved(State.CANCELLED, self._clock.now()), None)

    def steps_of(self, session_id: str) -> list[StepLogEntry]:
        """The step log of a session (operators and tests)."""
        return self._log.entries(session_id)

    def unlock(self, user_id: str, credential: Credential, *, actor: str) -> bool:
        """Lift a customer's lock (ARS, app PIN/pattern, security card, OTP): the stronger path, for an operator
        after the customer proved who she is at a branch. True if there was a lock."""
        customer = self.ctx.bank.customers.find_by_user_id(user_id.strip())
        if customer is None or credential is Credential.ACCOUNT_PIN:
            raise UnknownCustomer(user_id=user_id)
        return self.ctx.lockouts.unlock(credential, customer.id, actor=actor)

    # --- the steps -----------------------------------------------------------------------------------------
    def agree_terms(self, session_id: str, token: str | None, accepted: Sequence[str]) -> Stepped[terms.TermsAgreed]:
        """Step 3."""
        return self._value(session_id, token, Step.AGREE_TERMS, lambda s: terms.agree(self.ctx, s, accepted))

    def find_user_ids(
        self, session_id: str, token: str | None, name: str, rrn: str, *, client: str | None = None
    ) -> Stepped[identity.FoundUserIds]:
        """아이디 찾기 (after the terms, before identification); throttled with the identity step."""
        call = lambda s: identity.find_user_ids(self.ctx, s, name, rrn)  # noqa: E731
        guard = _Guard(Action.IDENTITY, client, f"find-id:{rrn.strip()}", every_call_counts=True)
        return self._value(session_id, token, Step.FIND_USER_ID, call, guard)

    def identify(
        self, session_id: str, token: str | None, user_id: str, rrn: str, *, client: str | None = None
    ) -> Stepped[identity.Identified | None]:
        """Step 4 (throttled per address and per user ID typed, across sessions)."""
        call = lambda s: identity.identify(self.ctx, s, user_id, rrn)  # noqa: E731
        guard = _Guard(Action.IDENTITY, client, f"user:{user_id.strip()}")
        return self._value(session_id, token, Step.IDENTIFY, call, guard)

    def ars_call(
        self, session_id: str, token: str | None, phone_id: str, *, client: str | None = None
    ) -> Stepped[ars.ArsCall]:
        """Step 5a: place the ARS call (every call counts at the customer: it rings her phone)."""
        guard = _Guard(Action.ARS_CALL, client, every_call_counts=True)
        return self._value(session_id, token, Step.ARS_CALL, lambda s: ars.call(self.ctx, s, phone_id), guard)

    def ars_confirm(self, session_id: str, token: str | None) -> Stepped[ars.ArsStatus]:
        """Step 5a: poll the call."""
        return self._value(session_id, token, Step.ARS_CONFIRM, lambda s: ars.confirm(self.ctx, s))

    def ars_ringing(self, session_id: str, token: str | None) -> bool:
        """Step 5a, between the checks of a long poll: the call still rings (a read; no step-log entry)."""
        return ars.still_ringing(self.ctx, self._load(session_id, token))

    def abroad_check(self, session_id: str, token: str | None) -> Stepped[abroad.AbroadConfirmed]:
        """Step 5b."""
        return self._value(session_id, token, Step.ABROAD_CHECK, lambda s: abroad.check(self.ctx, s))

    def verify_account(
        self, session_id: str, token: str | None, number: str, pin: str, *, client: str | None = None
    ) -> Stepped[account.AccountVerified]:
        """Step 6."""
        call = lambda s: account.verify(self.ctx, s, number, pin)  # noqa: E731
        return self._value(session_id, token, Step.VERIFY_ACCOUNT, call, _Guard(Action.CREDENTIAL, client))

    def app_pin(
        self, session_id: str, token: str | None, pin: str, *, client: str | None = None
    ) -> Stepped[app_cert.SecondFactorPassed]:
        """Step 7a: app-certificate PIN."""
        call = lambda s: app_cert.pin(self.ctx, s, pin)  # noqa: E731
        return self._value(session_id, token, Step.APP_PIN, call, _Guard(Action.CREDENTIAL, client))

    def app_pattern(
        self, session_id: str, token: str | None, cells: Sequence[int], *, client: str | None = None
    ) -> Stepped[app_cert.SecondFactorPassed]:
        """Step 7a: app-certificate pattern."""
        call = lambda s: app_cert.pattern(self.ctx, s, cells)  # noqa: E731
        return self._value(session_id, token, Step.APP_PATTERN, call, _Guard(Action.CREDENTIAL, client))

    def register_app_cert(
        self, session_id: str, token: str | None, pin: str, cells: Sequence[int], *, client: str | None = None
    ) -> Stepped[app_cert_register.AppCertRegistered]:
        """앱인증서 등록 instead of issuance: a new 6-digit PIN and pattern (ends the session)."""
        call = lambda s: app_cert_register.register(self.ctx, s, pin, cells)  # noqa: E731
        return self._value(session_id, token, Step.REGISTER_APP_CERT, call, _Guard(Action.CREDENTIAL, client))

    def card_challenge(self, session_id: str, token: str | None) -> Stepped[security_card.CardPrompt]:
        """Step 7b: the cells to enter."""
        return self._value(session_id, token, Step.CARD_CHALLENGE, lambda s: security_card.challenge(self.ctx, s))

    def answer_security_card(
        self, session_id: str, token: str | None, answer: str, *, client: str | None = None
    ) -> Stepped[app_cert.SecondFactorPassed | None]:
        """Step 7b: the answer."""
        call = lambda s: security_card.answer(self.ctx, s, answer)  # noqa: E731
        return self._value(session_id, token, Step.SECURITY_CARD, call, _Guard(Action.CREDENTIAL, client))

    def verify_otp(
        self, session_id: str, token: str | None, code: str, *, client: str | None = None
    ) -> Stepped[app_cert.SecondFactorPassed]:
        """Step 7c."""
        call = lambda s: otp.verify(self.ctx, s, code)  # noqa: E731
        return self._value(session_id, token, Step.OTP, call, _Guard(Action.CREDENTIAL, client))

    def show_contact(self, session_id: str, token: str | None) -> Stepped[contact.ContactDetails]:
        """Step 8: what the bank has."""
        return self._value(session_id, token, Step.SHOW_CONTACT, lambda s: contact.show(self.ctx, s))

    def confirm_contact(
        self,
        session_id: str,
        token: str | None,
        *,
        email: str | None = None,
        address: str | None = None,
        phone_id: str | None = None,
    ) -> Stepped[contact.ContactDetails]:
        """Step 8: confirm, possibly with changes."""
        call = lambda s: contact.confirm(self.ctx, s, email=email, address=address, phone_id=phone_id)  # noqa: E731
        return self._value(session_id, token, Step.CONFIRM_CONTACT, call)

    def certificate_types(self) -> list[cert_type.CertificateTypeInfo]:
        """The types with fee and validity (no session needed)."""
        return cert_type.type_infos(self.ctx)

    def choose_type(self, session_id: str, token: str | None, value: str) -> Stepped[cert_type.TypeChosen]:
        """Choose limited-use or general-purpose."""
        return self._value(session_id, token, Step.CHOOSE_TYPE, lambda s: cert_type.choose(self.ctx, s, value))

    def enrollment_challenge(self, session_id: str, token: str | None) -> Stepped[enrollment.EnrollmentChallenge]:
        """What the new key must sign."""
        call = lambda s: enrollment.challenge(self.ctx, s)  # noqa: E731
        return self._value(session_id, token, Step.ENROLLMENT_CHALLENGE, call)

    def enroll(
        self,
        session_id: str,
        token: str | None,
        *,
        public_key_der: bytes,
        random_num: bytes,
        signature: bytes,
        km_public_key_der: bytes | None = None,
        km_signature: bytes | None = None,
    ) -> Stepped[enrollment.Issued | None]:
        """Issue over the JSON API (with a km key: the sign + km pair); a retry on the same session returns the
        same certificate. While a crashed attempt is being settled by the reconciler the answer is
        :class:`IssuanceInProgress` (try again)."""
        if self._load(session_id, token).state is State.ISSUING:
            raise IssuanceInProgress()
        km = enrollment.KmKey.of(km_public_key_der, km_signature)
        call = lambda s: enrollment.enroll(  # noqa: E731
            self.ctx, s, public_key_der=public_key_der, random_num=random_num, signature=signature, km=km
        )
        done = self._value(session_id, token, Step.ENROLL, call)
        faults.point("before_response")
        return done

    def confirm_enrollment(self, session_id: str, token: str | None, signature: bytes) -> Stepped[enrollment.Confirmed]:
        """The app saved the certificate (certConf): supersede the older one, make the fee final. Repeating it
        after success answers the same; a confirmation cut short by a crash is finished here."""
        session = self._load(session_id, token)
        if session.state in (State.CONFIRMING, State.ISSUED) and session.data.enroll_challenge:
            return self._reconfirm(session, signature)
        call = lambda s: enrollment.confirm(self.ctx, s, signature=signature)  # noqa: E731
        return self._value(session_id, token, Step.CONFIRM_ENROLLMENT, call)

    def _reconfirm(self, session: IssuanceSession, signature: bytes) -> Stepped[enrollment.Confirmed]:
        issued = saga.delivered_certificate(self.ctx, session)
        enrollment.verify_pop(saga.spki_of(issued.certificate), saga.confirm_message(session), signature)
        if session.state is State.CONFIRMING:
            done, _ = saga.finish_confirmation(self.ctx, session)
            try:
                session = self._sessions.save(done, expected_version=done.version)
                self._append(session.id, Step.CONFIRM_ENROLLMENT.value, "ok", State.CONFIRMING, State.ISSUED)
            except SessionBusy:  # the reconciler finished it meanwhile
                session = self._sessions.get(session.id) or session
        return Stepped(_view(session), enrollment.Confirmed(issued.serial, ()))

    def register_cmp(self, session_id: str, token: str | None) -> Stepped[enrollment.CmpTicket | None]:
        """Hand out a CMP reference number and authorization code."""
        return self._value(session_id, token, Step.CMP_REGISTER, lambda s: enrollment.register_cmp(self.ctx, s))

    # --- the runner ----------------------------------------------------------------------------------------
    def _value(
        self,
        session_id: str,
        token: str | None,
        step: Step,
        handler: Callable[[IssuanceSession], Outcome[T]],
        guard: _Guard | None = None,
    ) -> Stepped[T]:
        view, value = self._run(session_id, token, step, handler, guard)
        return Stepped(view, value)

    def _admit(self, guard: _Guard | None, session: IssuanceSession) -> None:
        """Anti-automation before the step, reading only: :class:`Throttled` changes nothing (not even the step log).

        Only calls that name a client address are guarded (the web API always does; in-process callers such as
        the CLI and tests pass none)."""
        if guard is not None and guard.client is not None and self._anti is not None:
            self._anti.precheck(guard.action, guard.client, guard.subject_of(session))

    def _count(self, guard: _Guard | None, session: IssuanceSession, error: JointcertError | None) -> None:
        """After the step: count a failure (or any ARS call / lookup) at the subject for this address, then the
        attempt at the address — last, so the bucket row every customer behind the address shares is locked only
        until the step commits; a bucket filled meanwhile raises :class:`Throttled`, which rolls the step back."""
        if guard is None or guard.client is None or self._anti is None:
            return
        if guard.every_call_counts or (error is not None and error.kind in _FAILURE_KINDS):
            self._anti.failed(guard.action, guard.client, guard.subject_of(session))
        self._anti.take(guard.action, guard.client)

    def _run(
        self,
        session_id: str,
        token: str | None,
        step: Step,
        handler: Callable[[IssuanceSession], Outcome[T]],
        guard: _Guard | None = None,
    ) -> tuple[SessionView, T]:
        if step in _SAGA_STEPS:
            return self._step(self._load(session_id, token), step, handler, guard)
        with self._sessions.step(session_id) as stored:
            return self._step(self._checked(stored, token), step, handler, guard)

    def _step(
        self,
        session: IssuanceSession,
        step: Step,
        handler: Callable[[IssuanceSession], Outcome[T]],
        guard: _Guard | None,
    ) -> tuple[SessionView, T]:
        self._admit(guard, session)
        try:
            row = transition(session.state, step)
            outcome = handler(session)
        except _ENDS_SESSION as exc:
            self._count(guard, session, exc)
            self._end(session, State.FAILED)
            self._append(session.id, step.value, exc.code, session.state, State.FAILED)
            raise
        except JointcertError as exc:
            self._count(guard, session, exc)
            self._append(session.id, step.value, exc.code, session.state, session.state)
            raise
        self._count(guard, session, outcome.error)
        after = outcome.session
        if after.state not in outcomes(row) and not (step is Step.CANCEL and after.state is State.CANCELLED):
            raise RuntimeError(f"step {step.value} left the session in {after.state.value}")  # a bug, not input
        saved = self._sessions.save(after, expected_version=after.version)
        code = outcome.error.code if outcome.error is not None else "ok"
        self._append(session.id, step.value, code, session.state, saved.state)
        if outcome.error is not None:
            raise outcome.error
        return _view(saved), outcome.value

    def _load(self, session_id: str, token: str | None) -> IssuanceSession:
        return self._checked(self._sessions.get(session_id), token)

    def _checked(self, session: IssuanceSession | None, token: str | None) -> IssuanceSession:
        """The session if the token is its own and it is not over (an expired one is ended here)."""
        if session is None:
            raise SessionNotFound()
        session.check_token(token)
        if session.state is State.EXPIRED:
            raise SessionExpired()
        saga_owned = session.state in SAGA_STATES  # the reconciler settles these, never the session TTL
        if not session.state.is_terminal and not saga_owned and session.is_expired(self._clock.now()):
            ars.settle_pending(self.ctx, session)
            self._end(session, State.EXPIRED)
            self._append(session.id, "expire", SessionExpired.code, session.state, State.EXPIRED)
            raise SessionExpired()
        return session

    def _end(self, session: IssuanceSession, state: State) -> None:
        try:
            self._sessions.save(session.moved(state, self._clock.now()), expected_version=session.version)
        except SessionBusy:  # changed meanwhile: try once more on the fresh copy
            fresh = self._sessions.get(session.id)
            if fresh is not None and not fresh.state.is_terminal:
                self._sessions.save(fresh.moved(state, self._clock.now()), expected_version=fresh.version)

    def _append(self, session_id: str, step: str, outcome: str, before: State, after: State) -> None:
        entry = StepLogEntry(session_id, step, outcome, before.value, after.value, self._clock.now())
        self._log.append(entry)
        log.info("issuance session %s: %s → %s (%s)", session_id[:8], step, outcome, after.value)
