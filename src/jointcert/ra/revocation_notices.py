"""Revocation notices (폐지 안내) after a bulk revocation: every revoked certificate the bank issued through the
RA gets the customer's usual REVOKED notification (SMS to the notification mobile and an e-mail), through the same
:class:`~jointcert.bank.ports.Notifier` the expiry reminders and the holder's own revocation use — in the sandbox
the outbox (``bank_outbox_messages``), in production the bank's message gateway queue.

Certificates the RA does not know (issued by ``jointcert issue`` or another channel) have no customer to tell and
are counted as such. A failing gateway is logged and counted; it never undoes a revocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointcert.bank.model import Notice, NotificationEvent
from jointcert.ra.policies import Notifications
from jointcert.ra.ports import CertificateRegistry

__all__ = ["NoticeCount", "RevocationNotices"]

_BATCH = 500


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

    def revoked(self, serials: Sequence[int]) -> NoticeCount:
        """Notify the customer of every serial the RA registered, ``_BATCH`` notices per outbox transaction."""
        notified = no_customer = failed = 0
        for start in range(0, len(serials), _BATCH):
            part = serials[start : start + _BATCH]
            owners = self._registry.get_many(part)
            no_customer += len(part) - len(owners)
            notices = [
                Notice(owner.customer_id, NotificationEvent.REVOKED, {"cert_type": owner.cert_type.label_ko})
                for owner in owners.values()
            ]
            if notices:
                batch_failed = self._notifications.send_many(notices)
                failed += batch_failed
                notified += len(notices) - batch_failed
        return NoticeCount(notified, no_customer, failed)
