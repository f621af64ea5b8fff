"""Typed errors of the bank ports; each subclasses the shared tree in :mod:`jointcert.errors`."""

from __future__ import annotations

from jointcert.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound

__all__ = [
    "AccountNotActive",
    "AccountNotFound",
    "AppCertAlreadyRegistered",
    "CallNotFound",
    "CustomerNotFound",
    "IdempotencyKeyReused",
    "IdentityMismatch",
    "InsufficientFunds",
    "InvalidAccountNumber",
    "InvalidCallRequest",
    "InvalidContact",
    "InvalidFeeAmount",
    "MissingNotificationParams",
    "SecondFactorNotRegistered",
]


class IdentityMismatch(AuthenticationFailed):
    """User ID and resident number do not belong together (also for an unknown ID: callers can't tell)."""

    code = "bank_identity_mismatch"
    message_ko = "아이디 또는 주민등록번호가 일치하지 않습니다."
    message_en = "The user ID or the resident registration number does not match."


class CustomerNotFound(NotFound):
    """No customer has this id."""

    code = "bank_customer_not_found"
    message_ko = "고객 정보를 찾을 수 없습니다."
    message_en = "No such customer."


class InvalidContact(InvalidInput):
    """An e-mail address, postal address or notification phone is not acceptable."""

    code = "bank_invalid_contact"
    message_ko = "연락처 정보가 올바르지 않습니다."
    message_en = "The contact details are not valid."


class InvalidAccountNumber(InvalidInput):
    """An account number is not 10 to 16 digits (dashes and spaces allowed)."""

    code = "bank_invalid_account_number"
    message_ko = "계좌번호 형식이 올바르지 않습니다."
    message_en = "The account number is not in a valid format."


class AccountNotFound(NotFound):
    """No account has this number."""

    code = "bank_account_not_found"
    message_ko = "계좌를 찾을 수 없습니다."
    message_en = "No such account."


class AccountNotActive(Conflict):
    """The account is locked or dormant, so it cannot be debited."""

    code = "bank_account_not_active"
    message_ko = "거래할 수 없는 계좌입니다(잠김 또는 휴면)."
    message_en = "The account is locked or dormant."


class InvalidFeeAmount(InvalidInput):
    """A fee must be a positive number of won."""

    code = "bank_invalid_fee_amount"
    message_ko = "수수료 금액이 올바르지 않습니다."
    message_en = "The fee amount must be a positive number of won."


class InsufficientFunds(Conflict):
    """The balance does not cover the debit; nothing was written."""

    code = "bank_insufficient_funds"
    message_ko = "잔액이 부족합니다."
    message_en = "The account balance is insufficient."


class IdempotencyKeyReused(Conflict):
    """An idempotency key was sent again with a different account, amount or memo."""

    code = "bank_idempotency_key_reused"
    message_ko = "이미 다른 거래에 사용된 요청 번호입니다."
    message_en = "The idempotency key was already used for a different debit."


class SecondFactorNotRegistered(Conflict):
    """The customer has no second factor of the requested kind."""

    code = "bank_second_factor_not_registered"
    message_ko = "등록된 보안매체가 없습니다."
    message_en = "The customer has no second factor of this kind."


class InvalidCallRequest(InvalidInput):
    """An ARS call needs a 2 to 6 digit code and an expiry in the future."""

    code = "bank_invalid_call_request"
    message_ko = "ARS 인증 요청이 올바르지 않습니다."
    message_en = "The ARS call request is not valid."


class CallNotFound(NotFound):
    """No ARS call has this id."""

    code = "bank_call_not_found"
    message_ko = "ARS 통화 정보를 찾을 수 없습니다."
    message_en = "No such ARS call."


class MissingNotificationParams(InvalidInput):
    """A notification event was sent without the parameters its message needs."""

    code = "bank_missing_notification_params"
    message_ko = "알림에 필요한 항목이 빠졌습니다."
    message_en = "The notification is missing parameters its message needs."


class AppCertAlreadyRegistered(Conflict):
    """The customer already has the bank's app certificate (a new PIN or pattern is set at a branch)."""

    code = "bank_app_cert_registered"
    message_ko = "이미 등록된 앱인증서가 있습니다. PIN이나 패턴을 바꾸려면 영업점을 방문하십시오."
    message_en = "You already have an app certificate. To change its PIN or pattern, please visit a branch."
