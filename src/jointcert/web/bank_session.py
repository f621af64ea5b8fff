"""The bank app's login session: a signed ``bank_session`` cookie made after a certificate login.

The cookie value is ``v1.<payload>.<tag>``: the payload is base64url JSON (certificate serial, real name, type,
issue and expiry times) and the tag is HMAC-SHA256 over ``v1.<payload>`` under a key derived (HKDF) from the
instance's secret key. The tag is compared in constant time before the payload is read; the expiry comes from the
injected clock. Nothing secret is inside: the cookie only says who logged in with which certificate, until when.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jointcert.clock import Clock
from jointcert.errors import AuthenticationFailed

__all__ = ["COOKIE", "AppSession", "SessionCodec", "SessionExpired", "SessionInvalid"]

COOKIE = "bank_session"
_VERSION = "v1"
_MAX_LENGTH = 2048


class SessionInvalid(AuthenticationFailed):
    """The session cookie is missing, malformed or was not made by this instance (tampered)."""

    code = "bank_session_invalid"
    message_ko = "로그인 정보가 올바르지 않습니다. 다시 로그인해 주세요."
    message_en = "The login session is not valid. Please log in again."


class SessionExpired(AuthenticationFailed):
    """The session cookie is genuine but its time is over."""

    code = "bank_session_expired"
    message_ko = "로그인 시간이 만료되었습니다. 다시 로그인해 주세요."
    message_en = "The login session has expired. Please log in again."


@dataclass(frozen=True)
class AppSession:
    """Who is logged in to the bank app, with which certificate, until when."""

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Makes and reads ``bank_session`` cookie values under a key derived from the instance secret."""

    def __init__(self, secret_key: bytes, clock: Clock, *, ttl_seconds: int = 600) -> None:
        if len(secret_key) < 32:
            raise ValueError("the instance secret key must be at least 32 bytes")
        if ttl_seconds <= 0:
            raise ValueError("the session lifetime must be positive")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jointcert/bank-session")
        self._key = hkdf.derive(secret_key)
        self._clock = clock
        self.ttl = timedelta(seconds=ttl_seconds)

    def _tag(self, signed: str) -> bytes:
        return hmac.new(self._key, signed.encode("ascii"), sha256).digest()

    def issue(self, *, serial: str, name: str, cert_type: str | None) -> tuple[str, AppSession]:
        """A new session from now: the cookie value and what it says."""
        now = self._clock.now().astimezone(UTC).replace(microsecond=0)
        session = AppSession(serial, name, cert_type, now, now + self.ttl)
        body = {"sub": serial, "name": name, "type": cert_type, "iat": int(now.timestamp())}
        body["exp"] = int(session.expires_at.timestamp())
        payload = _b64(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
        signed = f"{_VERSION}.{payload}"
        return f"{signed}.{_b64(self._tag(signed))}", session

    def read(self, value: str | None) -> AppSession:
        """The session a cookie value carries; :class:`SessionInvalid` or :class:`SessionExpired` otherwise."""
        if not value or len(value) > _MAX_LENGTH or not value.isascii() or value.count(".") != 2:
            raise SessionInvalid()
        version, payload, tag = value.split(".")
        try:
            given = _unb64(tag)
        except (binascii.Error, ValueError) as exc:
            raise SessionInvalid() from exc
        if version != _VERSION or not hmac.compare_digest(given, self._tag(f"{version}.{payload}")):
            raise SessionInvalid()
        session = _parse(payload)
        if self._clock.now() >= session.expires_at:
            raise SessionExpired()
        return session


def _parse(payload: str) -> AppSession:
    """The payload of a cookie whose tag was already verified (so malformed here means a bug or an old format)."""
    try:
        body = json.loads(_unb64(payload))
        return AppSession(
            serial=str(body["sub"]),
            name=str(body["name"]),
            cert_type=None if body["type"] is None else str(body["type"]),
            issued_at=datetime.fromtimestamp(int(body["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(body["exp"]), UTC),
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise SessionInvalid() from exc
