"""CMP status codes (PKIStatus, PKIFailureInfo) and the errors the codec raises.

Every failure of the codec is a :class:`CmpError` carrying the RFC 4210 ``failInfo`` bit to answer with, so the
server can turn any exception into an ``error`` PKIMessage (:func:`jointcert.cmp.server.error_response_for`).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from jointcert.errors import ErrorKind, InvalidInput

if TYPE_CHECKING:
    from jointcert.cmp.model import PkiHeader

__all__ = [
    "CmpError",
    "CmpPopFailed",
    "CmpProtectionFailed",
    "CmpRejected",
    "FailInfo",
    "PkiStatus",
]


class PkiStatus(enum.IntEnum):
    """PKIStatus (RFC 4210 §5.2.3)."""

    ACCEPTED = 0
    GRANTED_WITH_MODS = 1
    REJECTION = 2
    WAITING = 3
    REVOCATION_WARNING = 4
    REVOCATION_NOTIFICATION = 5
    KEY_UPDATE_WARNING = 6


class FailInfo(enum.IntEnum):
    """PKIFailureInfo bit numbers (RFC 4210 §5.2.3); :attr:`rfc_name` is the name used in the RFC."""

    BAD_ALG = 0
    BAD_MESSAGE_CHECK = 1
    BAD_REQUEST = 2
    BAD_TIME = 3
    BAD_CERT_ID = 4
    BAD_DATA_FORMAT = 5
    WRONG_AUTHORITY = 6
    INCORRECT_DATA = 7
    MISSING_TIME_STAMP = 8
    BAD_POP = 9
    CERT_REVOKED = 10
    CERT_CONFIRMED = 11
    WRONG_INTEGRITY = 12
    BAD_RECIPIENT_NONCE = 13
    TIME_NOT_AVAILABLE = 14
    UNACCEPTED_POLICY = 15
    UNACCEPTED_EXTENSION = 16
    ADD_INFO_NOT_AVAILABLE = 17
    BAD_SENDER_NONCE = 18
    BAD_CERT_TEMPLATE = 19
    SIGNER_NOT_TRUSTED = 20
    TRANSACTION_ID_IN_USE = 21
    UNSUPPORTED_VERSION = 22
    NOT_AUTHORIZED = 23
    SYSTEM_UNAVAIL = 24
    SYSTEM_FAILURE = 25
    DUPLICATE_CERT_REQ = 26

    @property
    def rfc_name(self) -> str:
        """The RFC's camelCase name, e.g. ``badMessageCheck``."""
        head, *rest = self.name.lower().split("_")
        special = {"pop": "POP", "id": "Id"}
        return head + "".join(special.get(part, part.capitalize()) for part in rest)

    @classmethod
    def from_rfc_name(cls, name: str) -> FailInfo:
        """The member whose RFC name is ``name`` (``KeyError`` if none)."""
        for member in cls:
            if member.rfc_name == name:
                return member
        raise KeyError(name)


class CmpError(InvalidInput):
    """A CMP message cannot be parsed, verified or accepted; ``fail_info`` is the failInfo bit to answer with.

    ``header`` is the header of the offending message when it could be read (parsing sets it), so that
    :func:`jointcert.cmp.server.error_response_for` can echo its transactionID and nonces.
    """

    code = "cmp_invalid"
    message_ko = "CMP 메시지를 처리할 수 없습니다."
    message_en = "The CMP message cannot be processed."
    default_fail_info: FailInfo = FailInfo.BAD_REQUEST

    def __init__(
        self,
        message_en: str | None = None,
        *,
        fail_info: FailInfo | None = None,
        message_ko: str | None = None,
        **details: Any,
    ) -> None:
        self.fail_info = fail_info if fail_info is not None else self.default_fail_info
        self.header: PkiHeader | None = None
        super().__init__(message_en, message_ko=message_ko, fail_info=self.fail_info.rfc_name, **details)


class CmpProtectionFailed(CmpError):
    """The message protection (PBM MAC or signature) does not verify. Count it against the sender."""

    kind = ErrorKind.AUTHENTICATION
    code = "cmp_protection_failed"
    message_ko = "CMP 메시지 보호값(MAC/서명) 검증에 실패했습니다."
    message_en = "The CMP message protection (MAC or signature) does not verify."
    default_fail_info = FailInfo.BAD_MESSAGE_CHECK


class CmpPopFailed(CmpError):
    """The proof of possession of the private key does not verify."""

    code = "cmp_bad_pop"
    message_ko = "개인키 소유 증명(POP) 검증에 실패했습니다."
    message_en = "The proof of possession of the private key does not verify."
    default_fail_info = FailInfo.BAD_POP


class CmpRejected(CmpError):
    """The peer answered with an ``error`` message or a rejection status (seen by the client side)."""

    kind = ErrorKind.DENIED
    code = "cmp_rejected"
    message_ko = "CMP 서버가 요청을 거절했습니다."
    message_en = "The CMP server rejected the request."
