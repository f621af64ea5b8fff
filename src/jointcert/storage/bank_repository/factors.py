"""The sandbox bank's second factors (app certificate, security card, OTP) on the database."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jointcert.bank.errors import AppCertAlreadyRegistered, SecondFactorNotRegistered
from jointcert.bank.model import SecondFactorKind, SecurityCardChallenge
from jointcert.bank.sandbox import otp, security_card
from jointcert.bank.sandbox.hashing import SecretHasher, encode_pattern
from jointcert.clock import Clock
from jointcert.pii import PiiProtector
from jointcert.storage.bank_repository._rows import customer_record, rowcount
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankAppCredential, BankOtpToken, BankSecurityCard

__all__ = ["SqlSecondFactors", "app_pattern_context", "app_pin_context", "card_purpose", "otp_purpose"]

_APP, _CARD, _OTP = (cast(Table, t.__table__) for t in (BankAppCredential, BankSecurityCard, BankOtpToken))
_METHODS = select(
    select(_APP.c.customer_id).where(_APP.c.customer_id == bindparam("cid")).exists().label("app"),
    select(_CARD.c.customer_id).where(_CARD.c.customer_id == bindparam("cid")).exists().label("card"),
    select(_OTP.c.customer_id).where(_OTP.c.customer_id == bindparam("cid")).exists().label("otp"),
)
_APP_EXISTS = select(_APP.c.customer_id).where(_APP.c.customer_id == bindparam("cid"))
_CARD_ROW = select(_CARD.c.serial, _CARD.c.cell_count, _CARD.c.cells_ciphertext).where(
    _CARD.c.customer_id == bindparam("cid")
)


def app_pin_context(customer_id: str) -> str:
    """Hashing context of the app-certificate PIN."""
    return f"app-pin:{customer_id}"


def app_pattern_context(customer_id: str) -> str:
    """Hashing context of the app-certificate pattern."""
    return f"app-pattern:{customer_id}"


def card_purpose(customer_id: str) -> str:
    """Encryption purpose (AES-GCM associated data) of a customer's security-card cells."""
    return f"card:{customer_id}"


def otp_purpose(customer_id: str) -> str:
    """Encryption purpose of a customer's OTP secret."""
    return f"otp:{customer_id}"


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


class SqlSecondFactors:
    """:class:`~jointcert.bank.ports.SecondFactors` backed by the app-credential, card and OTP tables."""

    def __init__(
        self,
        database: Database,
        pii: PiiProtector,
        hasher: SecretHasher,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        totp_window: int = otp.TOTP_WINDOW,
        hotp_window: int = otp.HOTP_WINDOW,
    ) -> None:
        self._db = database
        self._pii = pii
        self._hasher = hasher
        self._clock = clock
        self._rng = rng or secrets.SystemRandom()
        self._totp_window = totp_window
        self._hotp_window = hotp_window

    def methods(self, customer_id: str) -> frozenset[SecondFactorKind]:
        """The kinds this customer has registered."""
        with self._db.connection() as connection:
            customer_record(connection, customer_id)
            app, card, otp_token = connection.execute(_METHODS, {"cid": customer_id}).one()
        found = {SecondFactorKind.APP_CERT: app, SecondFactorKind.SECURITY_CARD: card, SecondFactorKind.OTP: otp_token}
        return frozenset(kind for kind, present in found.items() if present)

    def verify_app_pin(self, customer_id: str, pin: str) -> bool:
        """Whether ``pin`` is the app certificate's 6-digit PIN."""
        with self._db.session() as session:
            row = session.get(BankAppCredential, customer_id)
        ok = self._hasher.verify(row.pin_hash if row else None, pin, app_pin_context(customer_id))
        return ok and _digits(pin, 6)

    def verify_app_pattern(self, customer_id: str, pattern: Sequence[int]) -> bool:
        """Whether ``pattern`` is the app certificate's pattern."""
        encoded = encode_pattern(pattern)
        with self._db.session() as session:
            row = session.get(BankAppCredential, customer_id)
        ok = self._hasher.verify(row.pattern_hash if row else None, encoded or "", app_pattern_context(customer_id))
        return ok and encoded is not None

    def register_app_cert(self, customer_id: str, pin: str, pattern: Sequence[int]) -> None:
        """Store the app certificate's PIN and pattern as Argon2id hashes; one per customer (primary key)."""
        encoded = encode_pattern(pattern)
        if not _digits(pin, 6) or encoded is None:  # the RA checks first; never store a malformed secret
            raise ValueError("an app PIN is 6 digits and a pattern 4-9 distinct cells of 1..9")
        pin_hash = self._hasher.hash(pin, app_pin_context(customer_id))
        pattern_hash = self._hasher.hash(encoded, app_pattern_context(customer_id))
        try:
            with self._db.connection() as connection:  # joins the flow step's transaction (ra: one per step)
                customer_record(connection, customer_id)
                if connection.execute(_APP_EXISTS, {"cid": customer_id}).first() is not None:
                    raise AppCertAlreadyRegistered()
                connection.execute(
                    _APP.insert().values(customer_id=customer_id, pin_hash=pin_hash, pattern_hash=pattern_hash)
                )
        except IntegrityError as exc:  # a concurrent registration won
            raise AppCertAlreadyRegistered() from exc

    def security_card_challenge(self, customer_id: str) -> SecurityCardChallenge:
        """A random challenge for the customer's card."""
        with self._db.connection() as connection:
            customer_record(connection, customer_id)
            card = connection.execute(_CARD_ROW, {"cid": customer_id}).first()
        if card is None:
            raise SecondFactorNotRegistered(kind=SecondFactorKind.SECURITY_CARD.value)
        return security_card.make_challenge(card.serial, card.cell_count, self._rng)

    def verify_security_card(self, customer_id: str, challenge: SecurityCardChallenge, answer: str) -> bool:
        """Whether ``answer`` answers ``challenge`` with the customer's card."""
        with self._db.connection() as connection:
            card = connection.execute(_CARD_ROW, {"cid": customer_id}).first()
        if card is None:
            return False
        cells = security_card.decode_cells(self._pii.decrypt(card.cells_ciphertext, card_purpose(customer_id)))
        return security_card.answer_matches(card.serial, cells, challenge, answer)

    def verify_otp(self, customer_id: str, code: str) -> bool:
        """Whether ``code`` is a valid code not used before; an accepted code is recorded so it can't replay."""
        with self._db.session() as session:
            token = session.get(BankOtpToken, customer_id)
            if token is None:
                return False
            secret = self._pii.decrypt(token.secret_ciphertext, otp_purpose(customer_id))
            if token.kind == otp.OtpKind.TOTP.value:
                return self._use_totp(session, token, secret, code)
            return self._use_hotp(session, token, secret, code)

    def _use_totp(self, session: Session, token: BankOtpToken, secret: str, code: str) -> bool:
        now = self._clock.now()
        step = otp.match_totp(secret, code, now=now, last_step=token.last_step, window=self._totp_window)
        if step is None:
            return False
        table = BankOtpToken
        used = session.execute(
            update(table)
            .where(table.customer_id == token.customer_id, or_(table.last_step.is_(None), table.last_step < step))
            .values(last_step=step)
            .execution_options(synchronize_session=False)
        )
        return rowcount(used) == 1

    def _use_hotp(self, session: Session, token: BankOtpToken, secret: str, code: str) -> bool:
        counter = otp.match_hotp(secret, code, counter=token.next_counter, window=self._hotp_window)
        if counter is None:
            return False
        table = BankOtpToken
        used = session.execute(
            update(table)
            .where(table.customer_id == token.customer_id, table.next_counter == token.next_counter)
            .values(next_counter=counter + 1)
            .execution_options(synchronize_session=False)
        )
        return rowcount(used) == 1
