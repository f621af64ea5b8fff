"""Notifications into the sandbox outbox (instead of an SMS gateway and a mail server)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import insert, select

from jointcert.bank.model import (
    Customer,
    Notice,
    NotificationChannel,
    NotificationEvent,
    OutboxMessage,
    Phone,
    PhoneKind,
)
from jointcert.bank.sandbox.messages import render
from jointcert.clock import Clock
from jointcert.storage.bank_repository._rows import customer_row, customer_value
from jointcert.storage.db import Database
from jointcert.storage.tables.bank import BankOutboxMessage

__all__ = ["SqlNotifier"]


def _sms_phone(customer: Customer) -> Phone | None:
    """The notification mobile, else the first registered mobile."""
    chosen = customer.contact_phone
    if chosen is not None and chosen.kind is PhoneKind.MOBILE:
        return chosen
    return next((p for p in customer.phones if p.kind is PhoneKind.MOBILE), None)


def _letters(customer: Customer, notice: Notice, now: datetime) -> list[dict[str, object]]:
    """The outbox rows of one notice: an SMS to the notification mobile (if any) and an e-mail."""
    text = render(notice.event, customer.name, notice.params)
    letters: list[tuple[NotificationChannel, str, str | None, str]] = [
        (NotificationChannel.EMAIL, customer.email, text.email_subject, text.email_body)
    ]
    if (phone := _sms_phone(customer)) is not None:
        letters.insert(0, (NotificationChannel.SMS, phone.number, None, text.sms))
    return [
        {
            "customer_id": customer.id,
            "event": notice.event.value,
            "channel": channel.value,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "created_at": now,
        }
        for channel, recipient, subject, body in letters
    ]


class SqlNotifier:
    """:class:`~jointcert.bank.ports.Notifier` and :class:`~jointcert.bank.ports.NotificationOutbox` in one."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def notify(self, customer_id: str, event: NotificationEvent, params: Mapping[str, str]) -> None:
        """Write an SMS (to the notification mobile) and an e-mail for ``event`` into the outbox."""
        self.notify_many([Notice(customer_id, event, params)])

    def notify_many(self, notices: Sequence[Notice]) -> None:
        """Write every notice's SMS and e-mail into the outbox in one transaction (each customer read once)."""
        now = self._clock.now()
        with self._db.session() as session:
            customers: dict[str, Customer] = {}
            rows: list[dict[str, object]] = []
            for notice in notices:
                customer = customers.get(notice.customer_id)
                if customer is None:
                    customer = customer_value(session, customer_row(session, notice.customer_id))
                    customers[notice.customer_id] = customer
                rows += _letters(customer, notice, now)
            if rows:
                session.execute(insert(BankOutboxMessage), rows)

    def messages(
        self, customer_id: str | None = None, *, channel: NotificationChannel | None = None
    ) -> list[OutboxMessage]:
        """What was sent, oldest first, optionally filtered by customer and channel."""
        query = select(BankOutboxMessage).order_by(BankOutboxMessage.id)
        if customer_id is not None:
            query = query.where(BankOutboxMessage.customer_id == customer_id)
        if channel is not None:
            query = query.where(BankOutboxMessage.channel == channel.value)
        with self._db.session() as session:
            rows = session.scalars(query).all()
        return [
            OutboxMessage(
                id=r.id,
                customer_id=r.customer_id,
                event=NotificationEvent(r.event),
                channel=NotificationChannel(r.channel),
                recipient=r.recipient,
                subject=r.subject,
                body=r.body,
                created_at=r.created_at,
            )
            for r in rows
        ]
