"""One error tree for the whole system.

Every error carries a stable machine ``code``, a Korean and an English message and a ``kind`` that says what
sort of failure it is. Nothing here knows about HTTP or exit codes: ``web/`` maps kinds to RFC 9457 problem
responses and ``cli/`` maps them to messages and exit codes.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

__all__ = [
    "AuthenticationFailed",
    "Conflict",
    "Denied",
    "ErrorKind",
    "Expired",
    "InvalidInput",
    "JointcertError",
    "Locked",
    "NotFound",
    "Unavailable",
]


class ErrorKind(enum.Enum):
    """What sort of failure an error is; the edges turn this into a status."""

    INVALID = "invalid"  # the input is malformed or breaks a rule
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the state does not allow it (out of order, already exists)
    AUTHENTICATION = "authentication"  # a secret did not match
    DENIED = "denied"  # the caller may not do this
    LOCKED = "locked"  # too many failed attempts
    EXPIRED = "expired"
    UNAVAILABLE = "unavailable"  # a dependency is down
    INTERNAL = "internal"


class JointcertError(Exception):
    """Base of every error the system raises on purpose.

    Subclasses set ``code``, ``message_ko`` and ``message_en`` as class attributes; an instance may override the
    messages (for example to name the offending field) and may carry ``details`` that are safe to show a user.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL
    code: ClassVar[str] = "internal_error"
    message_ko: ClassVar[str] = "처리 중 오류가 발생했습니다."
    message_en: ClassVar[str] = "An internal error occurred."
    rolls_back: ClassVar[bool] = False
    """A unit of work this error leaves is rolled back (the refusal keeps nothing); by default a refusal keeps what
    it recorded, such as a counted failure and its log entry (``storage.db.Database.unit_of_work``)."""

    def __init__(
        self,
        message_en: str | None = None,
        *,
        message_ko: str | None = None,
        **details: Any,
    ) -> None:
        self.text_en = message_en or type(self).message_en
        self.text_ko = message_ko or type(self).message_ko
        self.details = details
        super().__init__(self.text_en)

    def __str__(self) -> str:
        return f"[{self.code}] {self.text_en}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe view: code, both messages and the details."""
        return {"code": self.code, "message_ko": self.text_ko, "message_en": self.text_en, **self.details}


class InvalidInput(JointcertError):
    """The input is malformed or breaks a rule."""

    kind = ErrorKind.INVALID
    code = "invalid_input"
    message_ko = "입력값이 올바르지 않습니다."
    message_en = "The input is not valid."


class NotFound(JointcertError):
    """The thing asked for does not exist."""

    kind = ErrorKind.NOT_FOUND
    code = "not_found"
    message_ko = "요청한 항목을 찾을 수 없습니다."
    message_en = "Not found."


class Conflict(JointcertError):
    """The current state does not allow the request."""

    kind = ErrorKind.CONFLICT
    code = "conflict"
    message_ko = "현재 상태에서는 요청을 처리할 수 없습니다."
    message_en = "The request conflicts with the current state."


class AuthenticationFailed(JointcertError):
    """A secret (password, PIN, code, MAC) did not match."""

    kind = ErrorKind.AUTHENTICATION
    code = "authentication_failed"
    message_ko = "인증에 실패했습니다."
    message_en = "Authentication failed."


class Denied(JointcertError):
    """The caller is not allowed to do this."""

    kind = ErrorKind.DENIED
    code = "denied"
    message_ko = "허용되지 않은 요청입니다."
    message_en = "The request is not allowed."


class Locked(JointcertError):
    """Too many failed attempts: the credential is locked."""

    kind = ErrorKind.LOCKED
    code = "locked"
    message_ko = "오류 횟수를 초과하여 잠겼습니다."
    message_en = "Locked after too many failed attempts."


class Expired(JointcertError):
    """Something time-limited is past its time."""

    kind = ErrorKind.EXPIRED
    code = "expired"
    message_ko = "유효 시간이 지났습니다."
    message_en = "This has expired."


class Unavailable(JointcertError):
    """A dependency (database, OCSP responder, telephony) cannot be reached."""

    kind = ErrorKind.UNAVAILABLE
    code = "unavailable"
    message_ko = "일시적으로 서비스를 이용할 수 없습니다."
    message_en = "The service is temporarily unavailable."
    rolls_back = True  # the connection may be gone: the outage is what to report
