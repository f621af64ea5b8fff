"""The bank app's login session: a random id in the ``bank_session`` cookie, the state in the database.

The cookie carries only ``secrets.token_urlsafe(32)``; the database keeps its SHA-256 with who logged in (the
certificate's serial, real name and type) and two expiries: idle (``[bank_session] idle_timeout_seconds``, default
10 minutes, moved on every use) and absolute (``absolute_lifetime_seconds``, default 12 hours, never moved). A login
always makes a new id (the old one of that browser is ended: rotation); logout, a password change of the login
certificate and its revocation end sessions in the database, so a saved cookie value stops working at once on
every node. Sessions are read on each request (one UPDATE): no process keeps a copy.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from jointcert.clock import Clock
from jointcert.config import BankSessionSettings
from jointcert.errors import AuthenticationFailed
from jointcert.storage.bank_app_sessions import AppSessionRecord

__all__ = ["COOKIE", "AppSession", "AppSessionStore", "BankSessions", "SessionExpired", "SessionInvalid"]

COOKIE = "bank_session"
_ID_BYTES = 32
_MAX_LENGTH = 128


class SessionInvalid(AuthenticationFailed):
    """The session cookie is missing, malformed, unknown or ended (logged out, revoked, password changed)."""

    code = "bank_session_invalid"
    message_ko = "로그인 정보가 올바르지 않습니다. 다시 로그인해 주세요."
    message_en = "The login session is not valid. Please log in again."


class SessionExpired(AuthenticationFailed):
    """The session's idle timeout or absolute lifetime is over."""

    code = "bank_session_expired"
    message_ko = "로그인 시간이 만료되었습니다. 다시 로그인해 주세요."
    message_en = "The login session has expired. Please log in again."


@dataclass(frozen=True)
class AppSession:
    """Who is logged in to the bank app, with which certificate, until when (the earlier of idle and absolute)."""

    serial: str  # hex
    name: str  # real name from the certificate (or its cn)
    cert_type: str | None  # "limited" | "general"
    issued_at: datetime
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the API's session answer)."""
        return {
            "serial": self.serial,
            "name": self.name,
            "cert_type": self.cert_type,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }


class AppSessionStore(Protocol):
    """Where sessions live (``storage.bank_app_sessions.SqlBankAppSessions``)."""

    def create(self, id_hash: bytes, record: AppSessionRecord, now: datetime) -> None: ...
    def get(self, id_hash: bytes) -> AppSessionRecord | None: ...
    def touch(self, id_hash: bytes, now: datetime, idle: timedelta) -> AppSessionRecord | None: ...
    def delete(self, id_hash: bytes) -> bool: ...
    def delete_for_serial(self, serial: str) -> int: ...


def _hash(value: str) -> bytes:
    return hashlib.sha256(value.encode("ascii")).digest()


def _valid(value: str | None) -> str | None:
    if not value or len(value) > _MAX_LENGTH or not value.isascii():
        return None
    return value


def _session(record: AppSessionRecord) -> AppSession:
    return AppSession(record.serial, record.name, record.cert_type, record.issued_at, record.ends_at)


class BankSessions:
    """Makes, reads and ends bank-app sessions in the database."""

    def __init__(self, store: AppSessionStore, clock: Clock, settings: BankSessionSettings) -> None:
        if settings.idle_timeout_seconds <= 0 or settings.absolute_lifetime_seconds <= 0:
            raise ValueError("session timeouts must be positive")
        self._store, self._clock = store, clock
        self.idle = timedelta(seconds=settings.idle_timeout_seconds)
        self.lifetime = timedelta(seconds=settings.absolute_lifetime_seconds)

    def issue(
        self, *, serial: str, name: str, cert_type: str | None, replacing: str | None = None
    ) -> tuple[str, AppSession]:
        """A new session from now (ending ``replacing``, the browser's previous one): the cookie value and what
        it says."""
        if (old := _valid(replacing)) is not None:
            self._store.delete(_hash(old))
        now = self._clock.now().astimezone(UTC)
        value = secrets.token_urlsafe(_ID_BYTES)
        record = AppSessionRecord(serial.lower(), name, cert_type, now, min(now + self.idle, now + self.lifetime),
                                  now + self.lifetime)  # fmt: skip
        self._store.create(_hash(value), record, now)
        return value, _session(record)

    def read(self, value: str | None) -> AppSession:
        """The live session of a cookie value (its idle expiry moves); :class:`SessionInvalid` or
        :class:`SessionExpired` otherwise."""
        valid = _valid(value)
        if valid is None:
            raise SessionInvalid()
        now = self._clock.now()
        touched = self._store.touch(_hash(valid), now, self.idle)
        if touched is not None:
            return _session(touched)
        if self._store.get(_hash(valid)) is None:
            raise SessionInvalid()
        self._store.delete(_hash(valid))  # over by time: gone for good
        raise SessionExpired()

    def end(self, value: str | None) -> None:
        """Log out: the session is deleted (a saved copy of the cookie stops working on every node)."""
        if (valid := _valid(value)) is not None:
            self._store.delete(_hash(valid))

    def end_for_certificate(self, serial: str) -> int:
        """End every session logged in with this certificate (password changed, certificate revoked)."""
        return self._store.delete_for_serial(serial)
