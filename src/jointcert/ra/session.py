"""An issuance session: its state, its token (only as a hash), the encrypted resident number and step data.

Nothing secret is kept in :class:`SessionData` (it is stored as JSON): no PIN, code, card answer or resident
number. The resident number entered at the identity step is needed again at enrollment (for the VID), so it is
kept only as ``PiiProtector.encrypt(rrn, "ra-session")`` and wiped as soon as the session ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from jointcert.ra.errors import SessionTokenInvalid
from jointcert.ra.workflow import State

__all__ = ["RRN_PURPOSE", "CardChallenge", "IssuanceSession", "NewSession", "SessionData", "new_session"]

RRN_PURPOSE = "ra-session"
_TOKEN_BYTES = 32


@dataclass(frozen=True)
class CardChallenge:
    """The security-card cells asked in this session (not secret: the screen shows them)."""

    serial_tail: str
    cell_a: int
    part_a: str
    cell_b: int
    part_b: str


@dataclass(frozen=True)
class SessionData:
    """Non-secret facts the steps leave for later steps."""

    terms: tuple[str, ...] = ()
    user_id: str | None = None
    identify_failures: int = 0
    find_id_lookups: int = 0
    identity_method: str | None = None  # "ars" | "abroad"
    phone_id: str | None = None
    call_id: str | None = None
    ars_attempt: int = 0  # the attempt number reserved for the current call
    call_expires_at: str | None = None  # ISO time the current call stops ringing (the page counts down to it)
    account_number: str | None = None  # digits
    second_factor: str | None = None  # SecondFactorKind value
    card_challenge: CardChallenge | None = None
    contact_changed: bool = False
    cert_type: str | None = None
    enroll_challenge: str | None = None
    serial: str | None = None  # hex, once issued
    reissue: bool = False
    fee_ledger_id: str | None = None
    issue_attempt: int = 0  # JSON enrollment: bumped at every claim; the CA request key is id:attempt
    confirm_by: str | None = None  # ISO time: unconfirmed after this, the certificate is revoked
    supersedes: str | None = None  # hex: the holder's certificate the new one replaces once confirmed

    def to_json(self) -> str:
        """Compact JSON for the ``data`` column (what ``json.dumps(dataclasses.asdict(self))`` gives, without its
        deep copy: every field is a str, number, bool, None, tuple of str or the card challenge)."""
        values = {name: getattr(self, name) for name in _DATA_FIELDS}
        if self.card_challenge is not None:
            values["card_challenge"] = dict(vars(self.card_challenge))
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SessionData:
        """The inverse of :meth:`to_json`; unknown keys (from a newer version) are ignored."""
        raw: dict[str, Any] = json.loads(text or "{}")
        values = {k: v for k, v in raw.items() if k in _DATA_FIELDS}
        if values.get("card_challenge") is not None:
            values["card_challenge"] = CardChallenge(**values["card_challenge"])
        if "terms" in values:
            values["terms"] = tuple(values["terms"])
        return cls(**values)


_DATA_FIELDS = frozenset(f.name for f in fields(SessionData))


@dataclass(frozen=True)
class IssuanceSession:
    """One customer's way through the flow; ``version`` guards every change (compare-and-set)."""

    id: str
    token_hash: bytes
    state: State
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    customer_id: str | None = None
    rrn_ciphertext: bytes | None = None
    data: SessionData = field(default_factory=SessionData)

    def check_token(self, token: str | None) -> None:
        """Constant-time comparison of the presented token; :class:`SessionTokenInvalid` if it is not ours."""
        given = hashlib.sha256((token or "").encode()).digest()
        if not hmac.compare_digest(given, self.token_hash) or not token:
            raise SessionTokenInvalid()

    def is_expired(self, now: datetime) -> bool:
        """True once the session's lifetime is over."""
        return now >= self.expires_at

    def moved(self, state: State, at: datetime, **changes: Any) -> IssuanceSession:
        """This session in ``state`` with ``changes`` to its data; a terminal state wipes the resident number."""
        rrn = None if state.is_terminal else self.rrn_ciphertext
        return replace(self, state=state, updated_at=at, rrn_ciphertext=rrn, data=replace(self.data, **changes))

    def with_customer(self, customer_id: str, rrn_ciphertext: bytes) -> IssuanceSession:
        """This session bound to an identified customer."""
        return replace(self, customer_id=customer_id, rrn_ciphertext=rrn_ciphertext)


@dataclass(frozen=True)
class NewSession:
    """A created session and the token handed to the client (shown once, stored only as a hash)."""

    session: IssuanceSession
    token: str


def new_session(now: datetime, ttl_seconds: int) -> NewSession:
    """A fresh session with an unguessable id and token."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    session = IssuanceSession(
        id=uuid.uuid4().hex,
        token_hash=hashlib.sha256(token.encode()).digest(),
        state=State.STARTED,
        version=0,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    return NewSession(session, token)
