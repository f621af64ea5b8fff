"""Immigration records and the notification outbox on the database (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest

from jointcert.bank.errors import CustomerNotFound, MissingNotificationParams
from jointcert.bank.model import Notice, NotificationChannel, NotificationEvent
from jointcert.clock import FakeClock
from jointcert.storage.bank_repository import SandboxBank


def test_departure_while_abroad(bank: SandboxBank, clock: FakeClock) -> None:
    departure = bank.immigration.departure("C1002")
    midnight = clock.now().replace(hour=0, minute=0)
    assert departure is not None and departure.is_abroad
    assert (departure.departed_at, departure.destination, departure.returned_at) == (
        midnight - timedelta(days=18),
        "미국",
        None,
    )


def test_departure_after_return(bank: SandboxBank, clock: FakeClock) -> None:
    departure = bank.immigration.departure("C1004")
    assert departure is not None and not departure.is_abroad
    assert departure.returned_at == clock.now().replace(hour=0, minute=0) - timedelta(days=185)


def test_no_departure_and_unknown_customer(bank: SandboxBank) -> None:
    assert bank.immigration.departure("C1001") is None
    with pytest.raises(CustomerNotFound):
        bank.immigration.departure("C9999")


def test_foreigner_has_a_departure_record(bank: SandboxBank) -> None:
    departure = bank.immigration.departure("C1008")
    assert departure is not None and departure.is_abroad and departure.destination == "베트남"


def test_notify_sends_sms_to_the_notification_mobile_and_an_email(bank: SandboxBank, clock: FakeClock) -> None:
    bank.notifier.notify("C1001", NotificationEvent.ISSUED, {"cert_type": "범용", "valid_until": "2027-11-25"})
    sms, email = bank.outbox.messages("C1001")
    assert (sms.channel, sms.recipient, sms.subject, sms.event) == (
        NotificationChannel.SMS,
        "010-2718-4406",
        None,
        NotificationEvent.ISSUED,
    )
    assert "김민준님" in sms.body and "범용" in sms.body and "2027-11-25" in sms.body
    assert (email.channel, email.recipient, email.subject) == (
        NotificationChannel.EMAIL,
        "minjun88@example.com",
        "[한빛은행] 공동인증서 발급 안내",
    )
    assert sms.created_at == email.created_at == clock.now()
    assert bank.outbox.messages("C1002") == []


def test_notification_follows_the_chosen_phone(bank: SandboxBank) -> None:
    bank.customers.update_contact("C1004", email="yujin@example.org", address="대전", phone_id="P4002")
    bank.notifier.notify("C1004", NotificationEvent.CONTACT_CHANGED, {})
    [sms] = bank.outbox.messages("C1004", channel=NotificationChannel.SMS)
    [email] = bank.outbox.messages("C1004", channel=NotificationChannel.EMAIL)
    assert (sms.recipient, email.recipient) == ("010-6149-2075", "yujin@example.org")


def test_outbox_is_in_order_across_customers(bank: SandboxBank) -> None:
    bank.notifier.notify("C1005", NotificationEvent.LOCKED, {"what": "계좌 비밀번호"})
    bank.notifier.notify("C1006", NotificationEvent.REVOKED, {"cert_type": "은행·신용카드·보험·전자정부용"})
    messages = bank.outbox.messages()
    assert [(m.customer_id, m.channel) for m in messages] == [
        ("C1005", NotificationChannel.SMS),
        ("C1005", NotificationChannel.EMAIL),
        ("C1006", NotificationChannel.SMS),
        ("C1006", NotificationChannel.EMAIL),
    ]
    assert [m.id for m in messages] == sorted(m.id for m in messages)
    assert "계좌 비밀번호이(가) 잠겼습니다" in messages[0].body


def test_notify_refuses_missing_params_and_unknown_customers(bank: SandboxBank) -> None:
    with pytest.raises(MissingNotificationParams):
        bank.notifier.notify("C1001", NotificationEvent.RENEWED, {"cert_type": "범용"})
    with pytest.raises(CustomerNotFound):
        bank.notifier.notify("C9999", NotificationEvent.CONTACT_CHANGED, {})
    assert bank.outbox.messages() == []


def test_notify_many_writes_every_notice_or_none(bank: SandboxBank) -> None:
    revoked = {"cert_type": "범용"}
    bank.notifier.notify_many([Notice(c, NotificationEvent.REVOKED, revoked) for c in ("C1005", "C1006", "C1005")])
    messages = bank.outbox.messages()
    assert [(m.customer_id, m.channel) for m in messages] == [
        (c, channel)
        for c in ("C1005", "C1006", "C1005")
        for channel in (NotificationChannel.SMS, NotificationChannel.EMAIL)
    ]
    assert all("폐지" in m.body for m in messages)
    with pytest.raises(CustomerNotFound):  # one unknown customer: the whole batch is refused, nothing written
        bank.notifier.notify_many(
            [Notice("C1001", NotificationEvent.REVOKED, revoked), Notice("C9999", NotificationEvent.REVOKED, revoked)]
        )
    assert len(bank.outbox.messages()) == len(messages)
