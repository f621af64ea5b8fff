"""Texts of the notifications the bank sends (SMS and e-mail), in Korean as customers receive them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jointcert.bank.errors import MissingNotificationParams
from jointcert.bank.model import NOTIFICATION_PARAMS, NotificationEvent

__all__ = ["BANK_NAME", "RenderedNotification", "render"]

BANK_NAME = "한빛은행"
_HELP = "본인이 요청하지 않았다면 고객센터(1588-0081)로 연락해 주십시오."

_E = NotificationEvent

_SUBJECTS = {
    _E.ISSUED: "공동인증서 발급 안내",
    _E.REISSUED: "공동인증서 재발급 안내",
    _E.RENEWED: "공동인증서 갱신 안내",
    _E.REVOKED: "공동인증서 폐지 안내",
    _E.CONTACT_CHANGED: "고객정보 변경 안내",
    _E.LOCKED: "잠금 안내",
    _E.UNCONFIRMED: "공동인증서 발급 취소 안내",
    _E.EXPIRING: "공동인증서 만료 예정 안내",
    _E.APP_CERT_REGISTERED: "앱인증서 등록 안내",
}

_TEXTS = {
    _E.ISSUED: "{name}님, 공동인증서({cert_type})가 발급되었습니다. 유효기간: {valid_until}",
    _E.REISSUED: "{name}님, 공동인증서({cert_type})가 재발급되었습니다. 유효기간: {valid_until}",
    _E.RENEWED: "{name}님, 공동인증서({cert_type})가 갱신되었습니다. 새 유효기간: {valid_until}",
    _E.REVOKED: "{name}님, 공동인증서({cert_type})가 폐지되었습니다.",
    _E.CONTACT_CHANGED: "{name}님, 고객정보(이메일·주소·알림 휴대폰)가 변경되었습니다.",
    _E.LOCKED: "{name}님, 오류 횟수 초과로 {what}이(가) 잠겼습니다.",
    _E.UNCONFIRMED: (
        "{name}님, 앱의 저장 확인이 없어 새 공동인증서({cert_type})를 폐기하고 수수료를 환불했습니다. "
        "기존 인증서는 그대로 사용할 수 있습니다."
    ),
    _E.EXPIRING: (
        "{name}님, 공동인증서({cert_type})가 {days_left}일 뒤({valid_until}) 만료됩니다. "
        "만료 전에 갱신해 주십시오: {renew_url}"
    ),
    _E.APP_CERT_REGISTERED: "{name}님, 한빛 앱인증서(PIN·패턴)가 등록되었습니다.",
}


@dataclass(frozen=True)
class RenderedNotification:
    """One event as an SMS text and an e-mail."""

    sms: str
    email_subject: str
    email_body: str


def render(event: NotificationEvent, name: str, params: Mapping[str, str]) -> RenderedNotification:
    """The SMS and e-mail for ``event`` to customer ``name``; :class:`MissingNotificationParams` if needed."""
    missing = sorted(NOTIFICATION_PARAMS[event] - params.keys())
    if missing:
        raise MissingNotificationParams(missing=missing, event=event.value)
    text = _TEXTS[event].format_map({**params, "name": name})
    subject = f"[{BANK_NAME}] {_SUBJECTS[event]}"
    return RenderedNotification(
        sms=f"[{BANK_NAME}] {text}",
        email_subject=subject,
        email_body=f"{text}\n\n{_HELP}\n\n{BANK_NAME}",
    )
