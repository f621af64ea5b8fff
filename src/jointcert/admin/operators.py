"""Operator accounts: password (Argon2) + TOTP (pyotp) login, server-side sessions with an idle timeout, roles.

The cookie token is 32 random bytes; only its SHA-256 is stored. The TOTP secret is stored encrypted under the
instance key (PiiProtector, purpose ``operator-totp``). Every login, failure, logout and role change is an audit
entry naming the operator (``operator:<username>``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from jointcert.admin.model import (
    LoginFailed,
    Operator,
    OperatorSession,
    Role,
    RoleRequired,
    SessionExpired,
    WeakPassword,
)
from jointcert.admin.ports import OperatorStore, SessionStore
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.clock import Clock
from jointcert.pii import PiiProtector

__all__ = ["MIN_PASSWORD", "OperatorService", "actor_of"]

MIN_PASSWORD = 12
_TOTP_PURPOSE = "operator-totp"
_DUMMY_HASH = PasswordHasher().hash("jointcert-dummy-password")  # equalises timing for unknown usernames


def actor_of(operator: Operator) -> str:
    """How an operator appears as the actor of audit entries."""
    return f"operator:{operator.username}"


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class OperatorService:
    """Creates operators, logs them in and keeps their sessions."""

    def __init__(
        self,
        *,
        operators: OperatorStore,
        sessions: SessionStore,
        audit: AuditStore,
        pii: PiiProtector,
        clock: Clock,
        idle_seconds: int = 900,
        hasher: PasswordHasher | None = None,
    ) -> None:
        if idle_seconds < 60:
            raise ValueError("the idle timeout must be at least a minute")
        self._operators, self._sessions, self._audit = operators, sessions, audit
        self._pii, self._clock, self._idle = pii, clock, timedelta(seconds=idle_seconds)
        self._hasher = hasher or PasswordHasher()

    def _audit_event(self, kind: str, actor: str, **data: object) -> None:
        self._audit.append(AuditEvent(kind, actor, self._clock.now(), data))

    def create(
        self, username: str, display_name: str, password: str, roles: frozenset[Role], *, actor: str
    ) -> tuple[Operator, str]:
        """A new operator and its TOTP secret (base32, shown once for the authenticator app)."""
        if len(password) < MIN_PASSWORD:
            raise WeakPassword()
        secret = pyotp.random_base32()
        operator = self._operators.add(
            username,
            display_name,
            self._hasher.hash(password),
            self._pii.encrypt(secret, _TOTP_PURPOSE),
            roles,
            at=self._clock.now(),
        )
        self._audit_event("operator.created", actor, username=username, roles=sorted(roles))
        return operator, secret

    def provisioning_uri(self, username: str, secret: str) -> str:
        """otpauth:// URI for authenticator apps (QR code)."""
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="jointcert admin")

    def login(self, username: str, password: str, code: str) -> tuple[str, Operator]:
        """A new session token for a correct password + TOTP code; :class:`LoginFailed` otherwise (audited)."""
        found = self._operators.credentials(username)
        try:
            self._hasher.verify(found[1] if found else _DUMMY_HASH, password)
        except VerificationError:
            self._audit_event("operator.login_failed", f"operator:{username[:64]}")
            raise LoginFailed() from None
        if found is None or found[0].disabled or not found[2]:
            self._audit_event("operator.login_failed", f"operator:{username[:64]}")
            raise LoginFailed()
        operator, _, sealed = found
        totp = pyotp.TOTP(self._pii.decrypt(sealed, _TOTP_PURPOSE))
        if not totp.verify(code.strip(), for_time=self._clock.now(), valid_window=1):
            self._audit_event("operator.login_failed", actor_of(operator), factor="totp")
            raise LoginFailed()
        token, now = secrets.token_urlsafe(32), self._clock.now()
        self._sessions.create(OperatorSession(_token_hash(token), operator.id, now, now))
        self._audit_event("operator.login", actor_of(operator))
        return token, operator

    def authenticate(self, token: str) -> Operator:
        """The operator of a live session (its idle clock restarts); :class:`SessionExpired` otherwise."""
        now = self._clock.now()
        session = self._sessions.touch(_token_hash(token), now, now - self._idle)
        operator = None if session is None else self._operators.get(session.operator_id)
        if operator is None or operator.disabled:
            raise SessionExpired()
        return operator

    def get(self, operator_id: int) -> Operator | None:
        """An operator by id."""
        return self._operators.get(operator_id)

    def by_username(self, username: str) -> Operator | None:
        """An enabled operator by login name (the server's shell names one for ``jointcert ra unlock``)."""
        found = self._operators.credentials(username)
        return None if found is None or found[0].disabled else found[0]

    def count(self) -> int:
        """How many operators exist."""
        return self._operators.count()

    def logout(self, token: str) -> None:
        """End the session."""
        self._sessions.delete(_token_hash(token))

    @staticmethod
    def require(operator: Operator, role: Role) -> None:
        """:class:`RoleRequired` unless ``operator`` holds ``role``."""
        if role not in operator.roles:
            raise RoleRequired(role=role.value)

    def set_roles(self, operator_id: int, roles: frozenset[Role], *, actor: str) -> dict[str, object]:
        """Replace an operator's roles (run through dual control)."""
        self._operators.set_roles(operator_id, roles)
        self._audit_event("operator.roles_changed", actor, operator_id=operator_id, roles=sorted(roles))
        return {"operator_id": operator_id, "roles": sorted(roles)}
