"""Typed errors of the registration authority, each with a stable code and Korean + English messages.

The web layer turns them into RFC 9457 problems by kind (``Denied`` → 403, ``Conflict`` → 409, …). Errors about
a secret carry only counts (``remaining_attempts``), never the secret.
"""

from __future__ import annotations

from jointcert.errors import AuthenticationFailed, Conflict, Denied, Expired, InvalidInput, Locked, NotFound

__all__ = [
    "AbroadNotAllowed",
    "AccountNotOwned",
    "AccountNotUsable",
    "AppPatternInvalid",
    "AppPinWeak",
    "ArsDeclined",
    "ArsLocked",
    "ArsUnanswered",
    "ArsWrongCode",
    "CertificateExpired",
    "CertificateNotActive",
    "CertificateNotOurs",
    "ChallengeInvalid",
    "CmpUnavailable",
    "ConfirmationLate",
    "CredentialLocked",
    "EnrollmentKeyMismatch",
    "HolderSignatureInvalid",
    "IdentityAttemptsExceeded",
    "IssuanceInProgress",
    "LoggedInRefused",
    "MalformedInput",
    "NotAbroad",
    "RenewalNotDue",
    "SameKey",
    "SecondFactorRequired",
    "SecondFactorUnavailable",
    "SessionBusy",
    "SessionClosed",
    "SessionExpired",
    "SessionExtendLimit",
    "SessionNotFound",
    "SessionTokenInvalid",
    "StepOutOfOrder",
    "TermsNotAccepted",
    "UnknownCustomer",
    "UnknownPhone",
    "WrongCredential",
]


class LoggedInRefused(Denied):
    """Issuance runs only in an unauthenticated app session (DESIGN step 2)."""

    code = "ra_logged_in"
    message_ko = "로그아웃 후 이용해 주십시오."
    message_en = "Please log out of the banking app first: certificates are issued only while logged out."


class SessionNotFound(NotFound):
    """No issuance session has this id."""

    code = "ra_session_not_found"
    message_ko = "발급 세션을 찾을 수 없습니다. 처음부터 다시 진행해 주십시오."
    message_en = "No such issuance session; please start again."


class SessionTokenInvalid(Denied):
    """The token is missing or belongs to another session."""

    code = "ra_session_token_invalid"
    message_ko = "발급 세션 정보가 올바르지 않습니다. 처음부터 다시 진행해 주십시오."
    message_en = "The session token is missing or does not belong to this session."


class SessionExpired(Expired):
    """The session ran past its lifetime; everything it held has been wiped."""

    code = "ra_session_expired"
    message_ko = "유효 시간이 지났습니다. 처음부터 다시 진행해 주십시오."
    message_en = "The issuance session has expired; please start again."


class SessionExtendLimit(Conflict):
    """The session cannot be extended further: it reached its absolute lifetime (``session_max_seconds``)."""

    code = "ra_session_extend_limit"
    message_ko = "더 이상 연장할 수 없습니다. 남은 시간 안에 발급을 마치거나 처음부터 다시 진행해 주십시오."
    message_en = "The session cannot be extended any further; finish within the time left or start again."


class SessionClosed(Conflict):
    """The session has ended (issued, registered, failed or cancelled)."""

    code = "ra_session_closed"
    message_ko = "이미 종료된 발급 절차입니다. 처음부터 다시 진행해 주십시오."
    message_en = "This issuance session has ended; please start again."


class SessionBusy(Conflict):
    """Another request changed the session at the same time; this one was not applied."""

    code = "ra_session_busy"
    message_ko = "다른 요청이 처리 중입니다. 잠시 후 다시 시도해 주십시오."
    message_en = "Another request for this session is being processed; try again."


class IssuanceInProgress(Conflict):
    """Another session of the same customer is issuing right now."""

    code = "ra_issuance_in_progress"
    message_ko = "다른 발급이 진행 중입니다. 잠시 후 다시 시도해 주십시오."
    message_en = "Another issuance for this customer is in progress; try again shortly."


class StepOutOfOrder(Conflict):
    """The step is not allowed in the session's current state (skipped, repeated or out of order)."""

    code = "ra_step_out_of_order"
    message_ko = "진행 순서가 올바르지 않습니다."
    message_en = "This step is not allowed now: steps must be done in order, each once."


class MalformedInput(InvalidInput):
    """A field is not in the expected format (base64, digits, …)."""

    code = "ra_malformed_input"
    message_ko = "입력 형식이 올바르지 않습니다."
    message_en = "A field is not in the expected format."


class TermsNotAccepted(InvalidInput):
    """Not every required term was agreed to (or an unknown term id was sent)."""

    code = "ra_terms_required"
    message_ko = "필수 약관에 모두 동의해 주십시오."
    message_en = "Please agree to every required term."


class IdentityAttemptsExceeded(Locked):
    """Too many wrong user ID / resident number pairs in one session: the session has ended."""

    code = "ra_identity_attempts_exceeded"
    message_ko = "본인확인 정보 입력 오류 횟수를 초과했습니다. 처음부터 다시 진행해 주십시오."
    message_en = "Too many wrong user ID / resident number attempts; please start again."


class UnknownCustomer(NotFound):
    """No customer with this user ID (operators' commands), or a lock that is lifted elsewhere (account PIN)."""

    code = "ra_unknown_customer"
    message_ko = "해당 아이디의 고객이 없습니다."
    message_en = "No customer has this user ID (account PIN locks are lifted at the bank's core system)."


class UnknownPhone(InvalidInput):
    """The phone id is not one of the customer's registered numbers (or not usable here)."""

    code = "ra_unknown_phone"
    message_ko = "등록된 전화번호 중에서 선택해 주십시오."
    message_en = "Choose one of the registered phone numbers."


class ArsWrongCode(AuthenticationFailed):
    """A wrong code was keyed in on the phone: it counts toward the ARS lock (``remaining_attempts``)."""

    code = "ra_ars_wrong_code"
    message_ko = "전화로 입력하신 인증번호가 화면의 번호와 다릅니다. 다시 시도해 주십시오."
    message_en = "The code keyed in on the phone was not the one on the screen. Please try again."


class ArsUnanswered(Expired):
    """The call was not answered in time; the attempt was given back (it does not count toward the lock)."""

    code = "ra_ars_unanswered"
    message_ko = "전화를 받지 않아 인증 시간이 지났습니다. 다시 시도해 주십시오. (오류 횟수에는 포함되지 않습니다)"
    message_en = "The call was not answered in time. Please try again (this does not count as a failed attempt)."


class ArsDeclined(Conflict):
    """The customer rejected the call; the attempt was given back (it does not count toward the lock)."""

    code = "ra_ars_declined"
    message_ko = (
        "전화를 거절하셨습니다. 다시 요청하시거나 해외출국 확인을 이용해 주십시오. (오류 횟수에는 포함되지 않습니다)"
    )
    message_en = (
        "You declined the call. Call again or use the overseas-departure check (this does not count as a failure)."
    )


class ArsLocked(Locked):
    """Too many wrong ARS codes: ARS is locked for this customer until an operator lifts it after a branch visit."""

    code = "ra_ars_locked"
    message_ko = (
        "ARS 인증번호 오류 횟수를 초과하여 ARS 인증이 잠겼습니다. 신분증을 지참하시고 영업점을 방문해 주십시오."
    )
    message_en = "ARS is locked after too many wrong codes. Please visit a branch with your ID to have it unlocked."


class AbroadNotAllowed(Denied):
    """The overseas-departure check is only for Korean nationals."""

    code = "ra_abroad_foreigner"
    message_ko = "해외출국 확인은 내국인만 이용할 수 있습니다. ARS 인증을 이용해 주십시오."
    message_en = "The overseas-departure check is for Korean nationals only; use the ARS callback."


class NotAbroad(Denied):
    """The immigration records do not show the customer abroad."""

    code = "ra_not_abroad"
    message_ko = "출국 기록이 확인되지 않습니다. ARS 인증을 이용해 주십시오."
    message_en = "The immigration records do not show you abroad; use the ARS callback."


class AccountNotOwned(Denied):
    """The account is not one of the identified customer's accounts."""

    code = "ra_account_not_owned"
    message_ko = "본인 명의의 계좌만 사용할 수 있습니다."
    message_en = "Use an account held in your own name at this bank."


class AccountNotUsable(Conflict):
    """The account is locked or dormant."""

    code = "ra_account_not_active"
    message_ko = "사용할 수 없는 계좌입니다(잠김 또는 휴면). 영업점에 문의해 주십시오."
    message_en = "The account is locked or dormant; please contact a branch."


class WrongCredential(AuthenticationFailed):
    """A PIN, pattern, card answer or OTP code did not match; ``remaining_attempts`` says how many are left."""

    code = "ra_wrong_credential"
    message_ko = "입력한 정보가 일치하지 않습니다."
    message_en = "The value entered does not match."


class CredentialLocked(Locked):
    """The credential reached its limit of wrong attempts and is locked."""

    code = "ra_credential_locked"
    message_ko = "오류 횟수를 초과하여 잠겼습니다. 영업점 또는 고객센터에 문의해 주십시오."
    message_en = "Locked after too many wrong attempts; please contact the bank."


class SecondFactorUnavailable(Conflict):
    """The customer has no second factor of this kind (or it is not offered on this path)."""

    code = "ra_second_factor_unavailable"
    message_ko = "사용할 수 없는 보안매체입니다."
    message_en = "This second factor is not available to you here."


class CmpUnavailable(Conflict):
    """Issuance over CMP (reference number + authorization code) is not available in this instance."""

    code = "ra_cmp_unavailable"
    message_ko = "참조번호 발급(CMP)을 이용할 수 없습니다."
    message_en = "CMP enrollment (reference number and authorization code) is not available here."


class ChallengeInvalid(Denied):
    """The challenge is unknown, expired, used, or for another purpose."""

    code = "ra_challenge_invalid"
    message_ko = "인증 요청값이 만료되었거나 올바르지 않습니다. 다시 시도해 주십시오."
    message_en = "The challenge is unknown, expired, already used or meant for something else."


class CertificateNotOurs(Denied):
    """The certificate was not issued by this CA (or does not match its record)."""

    code = "ra_certificate_not_ours"
    message_ko = "이 인증기관에서 발급한 인증서가 아닙니다."
    message_en = "The certificate was not issued by this certification authority."


class CertificateNotActive(Conflict):
    """The certificate is revoked (or otherwise not in use)."""

    code = "ra_certificate_not_active"
    message_ko = "폐지되었거나 사용할 수 없는 인증서입니다."
    message_en = "The certificate is revoked or not in use."


class HolderSignatureInvalid(AuthenticationFailed):
    """The signature does not verify under the certificate's public key."""

    code = "ra_holder_signature_invalid"
    message_ko = "인증서 서명을 확인할 수 없습니다."
    message_en = "The signature does not verify with the certificate's key."


class RenewalNotDue(Conflict):
    """Renewal opens ``renewal_window_days`` before expiry; ``renewable_from`` says when."""

    code = "ra_renewal_not_due"
    message_ko = "인증서 갱신은 만료 30일 전부터 가능합니다."
    message_en = "The certificate can be renewed only within 30 days before it expires."


class SameKey(InvalidInput):
    """A renewal needs a new key pair."""

    code = "ra_same_key"
    message_ko = "갱신에는 새 키를 사용해야 합니다."
    message_en = "A renewal needs a new key pair."


class CertificateExpired(Expired):
    """The certificate has expired: it cannot be renewed (issue a new one instead)."""

    code = "ra_certificate_expired"
    message_ko = "만료된 인증서입니다. 새로 발급받아 주십시오."
    message_en = "The certificate has expired; please get a new one."


class ConfirmationLate(Expired):
    """The confirmation came after ``ra.confirm_wait_seconds``: the new certificate is (being) revoked."""

    code = "ra_confirmation_late"
    message_ko = "확인 대기 시간이 지나 새 인증서를 폐기합니다. 수수료는 환불되며 기존 인증서는 그대로 유효합니다."
    message_en = "The confirmation came too late: the new certificate is revoked, the fee refunded; the old one stays."


class EnrollmentKeyMismatch(Conflict):
    """A retried enrollment names another key than the certificate already issued in this session."""

    code = "ra_enrollment_key_mismatch"
    message_ko = "이 세션에서 이미 다른 키로 인증서를 발급했습니다."
    message_en = "This session already issued a certificate for another key."


class SecondFactorRequired(Conflict):
    """Registering the app certificate needs the security card or OTP the customer already has, first."""

    code = "ra_second_factor_required"
    message_ko = "앱인증서를 등록하려면 먼저 보유하신 보안카드 또는 OTP로 확인해 주십시오."
    message_en = "To register the app certificate, first confirm with the security card or OTP you have."


class AppPinWeak(InvalidInput):
    """A new app-certificate PIN breaks a rule (``rule``: ``digits``, ``repeated``, ``sequence``, ``birth_date``)."""

    code = "ra_app_pin_weak"
    message_ko = "사용할 수 없는 PIN입니다. 숫자 6자리로, 같은 숫자나 연속된 숫자 3개 이상과 생년월일은 피해 주십시오."
    message_en = "This PIN cannot be used: 6 digits, no 3 equal or consecutive digits in a row, not your birth date."


class AppPatternInvalid(InvalidInput):
    """A new app-certificate pattern is not 4 to 9 different dots of the 3x3 pad."""

    code = "ra_app_pattern_invalid"
    message_ko = "패턴은 서로 다른 점 4개 이상을 이어 그려 주십시오."
    message_en = "Draw the pattern through at least 4 different dots."
