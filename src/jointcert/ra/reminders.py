"""Expiry reminders (만료 안내): an SMS and an e-mail 30 and 7 days before a certificate the bank issued expires,
with the link to renew it.

The scheduler leader runs :meth:`ExpiryReminders.run` (``web/app.py``, hourly). Each reminder is claimed in the
database before it is sent — (serial, 30) and (serial, 7) are unique there — so it goes out once even when two
nodes both believe they lead, or a pass is repeated; a certificate whose 30-day reminder was missed (the service
was down) gets only the 7-day one. Revoked, superseded and expired certificates get none: the port lists only
certificates the CA still has as issued and unexpired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from jointcert.bank.model import NotificationEvent
from jointcert.bank.ports import Notifier
from jointcert.clock import Clock
from jointcert.types import CertType

__all__ = ["REMINDER_DAYS", "ExpiringCertificate", "ExpiryReminders", "ReminderStore", "SentReminder"]

log = logging.getLogger(__name__)

REMINDER_DAYS = (30, 7)  # days before expiry
RENEW_PATH = "/bank/wallet"  # 인증서 관리: the wallet offers 갱신 in the last 30 days


@dataclass(frozen=True)
class ExpiringCertificate:
    """An issued, unrevoked certificate of the bank's customer, expiring soon."""

    serial_hex: str
    customer_id: str
    cert_type: CertType
    not_after: datetime


@dataclass(frozen=True)
class SentReminder:
    """One reminder sent by a pass."""

    serial_hex: str
    customer_id: str
    days_before: int
    days_left: int


class ReminderStore(Protocol):
    """The certificates to remind about and the record of what was sent (storage/repositories/reminders.py)."""

    def expiring(self, now: datetime, until: datetime) -> list[ExpiringCertificate]:
        """Certificates the RA registered that the CA has as issued with ``now < not_after <= until``."""
        ...

    def claim(self, serial_hex: str, days_before: int, customer_id: str, at: datetime) -> bool:
        """Record the reminder; ``False`` if it was recorded before (by this node or another)."""
        ...


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days until expiry, rounded up (a certificate ending in 6 days 3 hours has 7 days left)."""
    seconds = (not_after - now).total_seconds()
    return max(0, -int(-seconds // 86_400))


class ExpiryReminders:
    """Sends each due reminder once."""

    def __init__(self, store: ReminderStore, notifier: Notifier, clock: Clock, *, base_url: str) -> None:
        self._store = store
        self._notifier = notifier
        self._clock = clock
        self._renew_url = base_url.rstrip("/") + RENEW_PATH

    def run(self) -> list[SentReminder]:
        """One pass: for every certificate within the largest window, the smallest reminder that is due."""
        now = self._clock.now()
        sent: list[SentReminder] = []
        for cert in self._store.expiring(now, now + timedelta(days=max(REMINDER_DAYS))):
            left = days_left(cert.not_after, now)
            due = min(d for d in REMINDER_DAYS if left <= d)
            if not self._store.claim(cert.serial_hex, due, cert.customer_id, now):
                continue
            params = {
                "cert_type": cert.cert_type.label_ko,
                "valid_until": f"{cert.not_after + timedelta(hours=9):%Y-%m-%d}",  # KST
                "days_left": str(left),
                "renew_url": self._renew_url,
            }
            try:
                self._notifier.notify(cert.customer_id, NotificationEvent.EXPIRING, params)
            except Exception:  # a failing gateway: logged; the claim stays (sent at most once)
                log.exception("expiry reminder for serial %s could not be sent", cert.serial_hex)
                continue
            sent.append(SentReminder(cert.serial_hex, cert.customer_id, due, left))
        if sent:
            log.info("sent %d expiry reminders", len(sent))
        return sent
