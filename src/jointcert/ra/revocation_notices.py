"""Revocation notices (폐지 안내) after a bulk revocation: every revoked certificate the bank issued through the
RA gets the customer's usual REVOKED notification (SMS to the notification mobile and an e-mail), through the same
:class:`~jointcert.bank.ports.Notifier` the expiry reminders and the holder's own revocation use — in the sandbox
the outbox (``bank_outbox_messages``), in production the bank's message gateway queue.

Certificates the RA does not know (issued by ``jointcert issue`` or another channel) have no customer to tell and
are counted as such. A failing gateway is logged and counted; it never undoes a revocation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jointcert.bank.model import NotificationEvent
from jointcert.ra.policies import Notifications
from jointcert.ra.ports import CertificateRegistry

__all__ = ["NoticeCount", "RevocationNotices"]


@dataclass(frozen=True)
class NoticeCount:
    """What one pass queued."""

    notified: int  # notifications queued (one per certificate: an SMS and an e-mail)
    no_customer: int  # revoked certificates the RA did not issue
    failed: int  # the gateway refused

    def as_dict(self) -> dict[str, int]:
        """For the proposal's result and the audit entry."""
        return {"notified": self.notified, "no_customer": self.no_customer, "notify_failed": self.failed}


class RevocationNotices:
    """Queues the REVOKED notification of each revoked certificate for its customer."""

    def __init__(self, registry: CertificateRegistry, notifications: Notifications) -> None:
        self._registry, self._notifications = registry, notifications

    def revoked(self, serials: Iterable[int]) -> NoticeCount:
        """Notify the customer of every serial the RA registered."""
        notified = no_customer = failed = 0
        for serial in serials:
            owner = self._registry.get(serial)
            if owner is None:
                no_customer += 1
                continue
            params = {"cert_type": owner.cert_type.label_ko}
            if self._notifications.send(owner.customer_id, NotificationEvent.REVOKED, params):
                notified += 1
            else:
                failed += 1
        return NoticeCount(notified, no_customer, failed)
