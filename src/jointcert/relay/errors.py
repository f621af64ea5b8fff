"""Errors of the copy relay, each with a stable code and Korean + English messages.

The RFC 9457 problem the web layer makes from each has ``code``, ``message_ko`` and ``message_en`` side by side.
"""

from __future__ import annotations

from jointcert.errors import (
    AuthenticationFailed,
    Conflict,
    Denied,
    Expired,
    InvalidInput,
    JointcertError,
    Locked,
    NotFound,
)

__all__ = [
    "AlreadyDownloaded",
    "AlreadyUploaded",
    "CopyPasswordFailed",
    "InvalidCode",
    "InvalidRelayRequest",
    "NotUploaded",
    "PayloadTampered",
    "RateLimited",
    "RelayError",
    "TransferBurned",
    "TransferExpired",
    "TransferIdTaken",
    "TransferNotFound",
    "WrongCode",
]


class RelayError(JointcertError):
    """Mixin root of the relay's errors."""


class InvalidRelayRequest(RelayError, InvalidInput):
    """A relay request is malformed (bad base64, sizes, parameters out of range)."""

    code = "relay_invalid_request"
    message_ko = "인증서 복사 요청이 올바르지 않습니다."
    message_en = "The certificate copy request is not valid."


class InvalidCode(RelayError, InvalidInput):
    """The copy code typed is not a code of the expected length."""

    code = "relay_invalid_code"
    message_ko = "인증번호 형식이 올바르지 않습니다. 화면에 표시된 숫자를 모두 입력하십시오."
    message_en = "The copy code is malformed: enter all the digits shown on the other device."


class TransferNotFound(RelayError, NotFound):
    """No live transfer with that id (never made, finished long ago, or the receiver token is wrong)."""

    code = "relay_transfer_not_found"
    message_ko = "해당 인증번호의 인증서 복사 요청이 없습니다. 번호를 확인하거나 새 번호를 받으십시오."
    message_en = "There is no certificate copy for this code; check the code or get a new one."


class TransferIdTaken(RelayError, Conflict):
    """The id (the code's first digits) is in use by another live transfer: make a new code."""

    code = "relay_transfer_id_taken"
    message_ko = "이미 사용 중인 번호입니다. 새 인증번호를 만드십시오."
    message_en = "This transfer id is in use; make a new code."


class TransferExpired(RelayError, Expired):
    """The transfer passed its time limit; anything uploaded was deleted."""

    code = "relay_transfer_expired"
    message_ko = "인증번호의 유효 시간이 지났습니다. 새 인증번호를 받아 다시 시도하십시오."
    message_en = "The copy code has expired; get a new code and try again."


class AlreadyUploaded(RelayError, Conflict):
    """A certificate was already sent for this code."""

    code = "relay_already_uploaded"
    message_ko = "이 인증번호로 이미 인증서를 보냈습니다."
    message_en = "A certificate has already been sent with this code."


class NotUploaded(RelayError, Conflict):
    """Nothing has been sent yet for this transfer."""

    code = "relay_not_uploaded"
    message_ko = "아직 인증서가 전송되지 않았습니다."
    message_en = "No certificate has been sent yet."


class AlreadyDownloaded(RelayError, Conflict):
    """The certificate was already received once; the relay deleted it then."""

    code = "relay_already_downloaded"
    message_ko = "이미 받은 인증서입니다. 인증서는 한 번만 받을 수 있으며 서버에서 삭제되었습니다."
    message_en = "This certificate was already received; it can be received once and was deleted from the server."


class WrongCode(RelayError, AuthenticationFailed):
    """The copy code does not match (``attempts_left`` more before the code is burned)."""

    code = "relay_wrong_code"
    message_ko = "인증번호가 일치하지 않습니다."
    message_en = "The copy code does not match."


class TransferBurned(RelayError, Locked):
    """Too many wrong codes: the transfer can no longer be used."""

    code = "relay_transfer_burned"
    message_ko = "인증번호를 여러 번 잘못 입력하여 더 이상 사용할 수 없습니다. 새 인증번호를 받으십시오."
    message_en = "Too many wrong codes: this code can no longer be used; get a new code."


class RateLimited(RelayError, Denied):
    """Too many requests from this address (``retry_after`` seconds)."""

    code = "relay_rate_limited"
    message_ko = "요청이 너무 많습니다. 잠시 후 다시 시도하십시오."
    message_en = "Too many requests; please try again shortly."


class PayloadTampered(RelayError, AuthenticationFailed):
    """The received ciphertext fails its AES-GCM check: altered on the way (or by the relay)."""

    code = "relay_payload_tampered"
    message_ko = "받은 인증서 데이터가 변조되었거나 손상되었습니다. 저장하지 않았습니다. 다시 시도하십시오."
    message_en = "The received certificate data was altered or damaged and was not saved; please try again."


class CopyPasswordFailed(RelayError, AuthenticationFailed):
    """The certificate password did not open the copied key (after the allowed tries)."""

    code = "relay_wrong_certificate_password"
    message_ko = "인증서 비밀번호가 올바르지 않습니다."
    message_en = "The certificate password is incorrect."
