import pytest

from jointcert.bank.errors import MissingNotificationParams
from jointcert.bank.model import NOTIFICATION_PARAMS, NotificationEvent
from jointcert.bank.sandbox.messages import render


def test_every_event_renders_with_its_required_params() -> None:
    for event in NotificationEvent:
        params = dict.fromkeys(NOTIFICATION_PARAMS[event], "X")
        text = render(event, "김민준", params)
        assert text.sms.startswith("[한빛은행] 김민준님")
        assert "김민준님" in text.email_body and text.email_subject.startswith("[한빛은행]")


def test_issued_names_the_type_and_validity() -> None:
    text = render(NotificationEvent.ISSUED, "김민준", {"cert_type": "범용", "valid_until": "2027-11-25"})
    assert text.sms == "[한빛은행] 김민준님, 공동인증서(범용)가 발급되었습니다. 유효기간: 2027-11-25"


def test_missing_params_are_refused() -> None:
    with pytest.raises(MissingNotificationParams) as info:
        render(NotificationEvent.RENEWED, "김민준", {"cert_type": "범용"})
    assert info.value.details["missing"] == ["valid_until"]


def test_braces_in_params_are_not_interpreted() -> None:
    text = render(NotificationEvent.LOCKED, "김민준", {"what": "{name}"})
    assert "{name}이(가)" in text.sms
