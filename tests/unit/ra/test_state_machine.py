"""Hypothesis drives random step sequences with random right/wrong inputs against the RA (real stores, sandbox
bank, fake CA) and an independent model of the flow: a step succeeds exactly when the model says it may, and a
certificate is issued only after every check passed, in order."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from jointcert.bank.seed import demo_customer
from jointcert.clock import FakeClock
from jointcert.errors import JointcertError
from jointcert.ra.errors import CredentialLocked, IdentityAttemptsExceeded
from tests.unit.ra.support import Rig, build_rig

REQUIRED = ["electronic-finance", "certificate-service", "personal-information", "unique-identifier", "third-party-ca"]
KEY = rsa.generate_private_key(65537, 2048)
SPKI = KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
OTHER = rsa.generate_private_key(65537, 2048)
# the milestones a certificate needs, in order; "factor" is app_pin+app_pattern, security card or OTP
MILESTONES = ["terms", "identify", "identity", "account", "factor", "contact", "type", "challenge", "enroll"]
_ENDS = (CredentialLocked.code, IdentityAttemptsExceeded.code)
LIMITS = {"identify": 5, "ars": 3, "account": 5, "app_pin": 5, "app_pattern": 5, "card": 5, "otp": 5}
OPEN = {"started", "terms", "identified", "identity", "account", "app_pin", "factor", "contact", "type", "challenge"}


class IssuanceMachine(RuleBasedStateMachine):
    """Model: ``state`` moves only on a right input in the right state; ``done`` lists milestones in order."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="ra-sm-"))
        self.rig: Rig | None = None
        self.user = ""
        self.state = "started"
        self.done: list[str] = []
        self.issued = 0
        self.sid = self.token = ""
        self.code = ""
        self.wrong: dict[str, int] = {}
        self.expires_at = datetime.max.replace(tzinfo=UTC)

    @initialize(user=st.sampled_from(["minjun88", "jihopark", "seoyeon91"]))
    def start(self, user: str) -> None:
        clock = FakeClock()
        self.rig = build_rig(self.directory / uuid.uuid4().hex, clock)
        self.user = user
        created = self.rig.ra.start(app_logged_in=False)
        self.sid, self.token = created.session.id, created.token
        self.expires_at = created.session.expires_at

    # --- the oracle -----------------------------------------------------------------------------------------
    def attempt(
        self, step: str, allowed_from: set[str], right: bool, target: str, call: object, *, kind: str | None = None
    ) -> None:
        assert self.rig is not None
        if self.rig.clock.now() >= self.expires_at and self.state in OPEN:
            self.state = "expired"
        expect_ok = right and self.state in allowed_from
        counter = kind or step
        if not right and self.state in allowed_from:
            self.wrong[counter] = self.wrong.get(counter, 0) + 1
        try:
            call()  # type: ignore[operator]
        except JointcertError as exc:
            if exc.code in _ENDS:  # only after as many wrong attempts as the limit allows
                assert self.wrong.get(counter, 0) >= LIMITS.get(counter, 99), (counter, exc.code, self.wrong)
                self.state = "failed"
                return
            if exc.code == "ra_session_closed":
                assert self.state in ("failed", "cancelled", "issued", "expired")
                return
            if exc.code == "ra_session_expired":
                assert self.state == "expired"
                return
            assert not expect_ok, f"{step} refused ({exc.code}) in {self.state} with a right input"
            return
        assert expect_ok, f"{step} accepted in {self.state} (right={right})"
        self.state = target
        if step not in ("app_pin",) and (not self.done or self.done[-1] != step):
            self.done.append(step)

    @property
    def ra(self):  # type: ignore[no-untyped-def]
        assert self.rig is not None
        return self.rig.ra

    # --- rules ----------------------------------------------------------------------------------------------
    @rule(right=st.booleans())
    def terms(self, right: bool) -> None:
        accepted = REQUIRED if right else REQUIRED[:2]
        self.attempt("terms", {"started"}, right, "terms", lambda: self.ra.agree_terms(self.sid, self.token, accepted))

    @rule(right=st.booleans())
    def identify(self, right: bool) -> None:
        rrn = demo_customer(self.user).spec.rrn if right else demo_customer("doyun90").spec.rrn
        call = lambda: self.ra.identify(self.sid, self.token, self.user, rrn)  # noqa: E731
        self.attempt("identify", {"terms"}, right, "identified", call)

    @rule(right=st.booleans())
    def ars(self, right: bool) -> None:
        assert self.rig is not None
        phone = demo_customer(self.user).spec.phones[0]

        def call() -> None:
            code = self.ra.ars_call(self.sid, self.token, phone.id).value.code
            ringing = self.rig.bank.virtual_phone.ringing(phone.number)  # type: ignore[union-attr]
            digits = code if right else f"{(int(code) + 1) % 100:02d}"
            self.rig.bank.virtual_phone.answer(ringing[-1].call_id, digits)  # type: ignore[union-attr]
            self.ra.ars_confirm(self.sid, self.token)

        self.attempt("identity", {"identified"}, right, "identity", call, kind="ars")

    @rule()
    def abroad(self, _: bool = True) -> None:
        eligible = self.user == "seoyeon91"
        self.attempt(
            "identity", {"identified"}, eligible, "identity", lambda: self.ra.abroad_check(self.sid, self.token)
        )

    @rule(right=st.booleans())
    def account(self, right: bool) -> None:
        spec = demo_customer(self.user).spec.accounts[0]
        pin = spec.pin if right else "0000"
        call = lambda: self.ra.verify_account(self.sid, self.token, spec.number, pin)  # noqa: E731
        self.attempt("account", {"identity"}, right, "account", call)

    @rule(right=st.booleans())
    def app_pin(self, right: bool) -> None:
        app = demo_customer(self.user).spec.app_cert
        pin = app.pin if (right and app) else "000000"
        ok = right and app is not None
        self.attempt("app_pin", {"account"}, ok, "app_pin", lambda: self.ra.app_pin(self.sid, self.token, pin))

    @rule(right=st.booleans())
    def app_pattern(self, right: bool) -> None:
        app = demo_customer(self.user).spec.app_cert
        cells = list(app.pattern) if (right and app) else [9, 8, 7, 6]
        ok = right and app is not None
        call = lambda: self.ra.app_pattern(self.sid, self.token, cells)  # noqa: E731
        self.attempt("factor", {"app_pin"}, ok, "factor", call, kind="app_pattern")

    @rule(right=st.booleans())
    def security_card(self, right: bool) -> None:
        card = demo_customer(self.user).spec.security_card

        def call() -> None:
            prompt = self.ra.card_challenge(self.sid, self.token).value
            assert card is not None
            a, b = card.cells[prompt.cell_a - 1], card.cells[prompt.cell_b - 1]
            answer = (a[:2] if prompt.part_a == "first_two" else a[2:]) + (
                b[:2] if prompt.part_b == "first_two" else b[2:]
            )
            wrong = f"{(int(answer) + 1) % 10000:04d}"
            self.ra.answer_security_card(self.sid, self.token, answer if right else wrong)

        self.attempt("factor", {"account"}, right and card is not None, "factor", call, kind="card")

    @rule(right=st.booleans())
    def otp(self, right: bool) -> None:
        assert self.rig is not None
        device = demo_customer(self.user).spec.otp

        self.rig.clock.advance(timedelta(seconds=30))  # a fresh step, so a right code is never a replay

        def call() -> None:
            from jointcert.bank.sandbox.otp import totp_code

            assert self.rig is not None
            code = totp_code(device.secret, self.rig.clock.now()) if device else "000000"
            self.ra.verify_otp(self.sid, self.token, code if right else f"{(int(code) + 1) % 1_000_000:06d}")

        self.attempt("factor", {"account"}, right and device is not None, "factor", call, kind="otp")

    @rule()
    def contact(self) -> None:
        self.attempt("contact", {"factor"}, True, "contact", lambda: self.ra.confirm_contact(self.sid, self.token))

    @rule(general=st.booleans())
    def choose_type(self, general: bool) -> None:
        value = "general" if general else "limited"
        self.attempt("type", {"contact"}, True, "type", lambda: self.ra.choose_type(self.sid, self.token, value))

    @rule()
    def challenge(self) -> None:
        call = lambda: self.ra.enrollment_challenge(self.sid, self.token)  # noqa: E731
        self.attempt("challenge", {"type", "challenge"}, True, "challenge", call)

    @rule(right=st.booleans())
    def enroll(self, right: bool) -> None:
        def call() -> None:
            text = self.ra.status(self.sid, self.token)
            challenge = f"not-the-challenge:{text.session_id}"
            if text.state == "ready":
                challenge = self.ra.enrollment_challenge(self.sid, self.token).value.challenge
            signer = KEY if right else OTHER
            signature = signer.sign(challenge.encode(), padding.PKCS1v15(), hashes.SHA256())
            done = self.ra.enroll(self.sid, self.token, public_key_der=SPKI, random_num=bytes(20), signature=signature)
            self.issued += 1
            assert done.value is not None and done.session.state == "delivered"
            confirm = f"jointcert-confirm:{challenge}:{done.value.serial:x}".encode()
            proof = KEY.sign(confirm, padding.PKCS1v15(), hashes.SHA256())
            assert self.ra.confirm_enrollment(self.sid, self.token, proof).session.state == "issued"

        self.attempt("enroll", {"challenge"}, right, "issued", call)

    @rule()
    def skip_ahead(self) -> None:
        """A step out of its place: enroll straight away with a valid-looking request."""
        if self.state in ("challenge", "issued", "failed", "cancelled", "expired"):
            return
        signature = KEY.sign(b"x", padding.PKCS1v15(), hashes.SHA256())

        def call() -> None:
            self.ra.enroll(self.sid, self.token, public_key_der=SPKI, random_num=bytes(20), signature=signature)

        self.attempt("enroll", set(), True, "issued", call)

    @rule(data=st.data())
    def other_token(self, data: st.DataObject) -> None:
        other = self.ra.start(app_logged_in=False)
        try:
            self.ra.agree_terms(self.sid, other.token, REQUIRED)
        except JointcertError as exc:
            assert exc.code in ("ra_session_token_invalid",)
        else:
            raise AssertionError("another session's token was accepted")

    @rule(steps=st.integers(1, 4))
    def progress(self, steps: int) -> None:
        """The next right step(s) for the model's state, so random runs also reach the end of the flow."""
        for _ in range(steps):
            self._next_right_step()

    def _next_right_step(self) -> None:
        spec = demo_customer(self.user).spec
        factor = self.app_pin if spec.app_cert else (self.security_card if spec.security_card else self.otp)
        after_ars = self.abroad if self.user == "seoyeon91" else self.ars
        steps = {
            "started": self.terms,
            "terms": self.identify,
            "identified": after_ars,
            "identity": self.account,
            "account": factor,
            "app_pin": self.app_pattern,
        }
        if self.state in steps:
            steps[self.state](True)  # type: ignore[operator]
        elif self.state == "factor":
            self.contact()
        elif self.state == "contact":
            self.choose_type(self.user != "seoyeon91")
        elif self.state in ("type", "challenge"):
            self.enroll(True) if self.state == "challenge" else self.challenge()

    @rule(roll=st.integers(0, 7))
    def expire(self, roll: int) -> None:
        if roll:
            return
        assert self.rig is not None
        self.rig.clock.advance(timedelta(hours=1))
        if self.state not in ("failed", "cancelled", "issued"):
            self.state = "expired"

    @rule(roll=st.integers(0, 7))
    def cancel(self, roll: int) -> None:
        if roll:
            return
        open_state = self.state not in ("failed", "cancelled", "issued", "expired")
        self.attempt(
            "cancel",
            {self.state} if open_state else set(),
            True,
            "cancelled",
            lambda: self.ra.cancel(self.sid, self.token),
        )

    # --- invariants -----------------------------------------------------------------------------------------
    @invariant()
    def issued_only_after_every_check_in_order(self) -> None:
        if self.rig is None:
            return
        issued = len(self.rig.authority.issued)
        assert issued == self.issued <= 1
        if issued:
            assert self.state == "issued"
            assert [m for m in self.done if m in MILESTONES] == MILESTONES, self.done

    def teardown(self) -> None:
        if self.rig is not None:
            self.rig.database.dispose()


IssuanceMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("JOINTCERT_SM_EXAMPLES", "400" if os.environ.get("JOINTCERT_SLOW") else "60")),
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestIssuanceStateMachine = IssuanceMachine.TestCase
