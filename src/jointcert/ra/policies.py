"""The bank's rules: attempt limits and lockouts, the fee, notifications.

Lockouts: every attempt at a secret is *reserved* in the database before the secret is checked
(``UPDATE … SET failures = failures + 1 WHERE … AND failures < limit AND locked_at IS NULL``), so however many
requests arrive at once, at most ``limit`` of them ever reach the check. A right answer resets the counter; the
attempt that used the last slot and failed sets the lock (a conditional UPDATE, so exactly one request does),
locks the account at the bank for an account PIN, and sends the LOCKED notification. Counters live in the
database, so they survive a restart and are shared by every process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from jointcert.bank.model import Notice, NotificationEvent
from jointcert.bank.ports import Accounts, Notifier
from jointcert.clock import Clock
from jointcert.config import RaSettings
from jointcert.errors import JointcertError
from jointcert.ra.errors import CredentialLocked, WrongCredential
from jointcert.ra.ports import Attempts, Credential
from jointcert.types import CertType

__all__ = ["KST", "Lockouts", "Notifications", "fee_krw", "kst_date"]

log = logging.getLogger(__name__)
KST = timezone(timedelta(hours=9))


def fee_krw(cert_type: CertType, settings: RaSettings) -> int:
    """The fee of a certificate type: limited-use is free, general-purpose costs ``general_fee_krw`` a year."""
    return settings.general_fee_krw if cert_type is CertType.GENERAL else 0


def kst_date(when: datetime) -> str:
    """A date as Korean customers read it (KST), e.g. ``2027-11-25``."""
    return when.astimezone(KST).date().isoformat()


class Notifications:
    """Sends notifications after the fact: a failing gateway is logged, never undoes what was done."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    def send(self, customer_id: str, event: NotificationEvent, params: Mapping[str, str] | None = None) -> bool:
        """Notify; False (and a log line) if the gateway failed."""
        try:
            self._notifier.notify(customer_id, event, dict(params or {}))
        except (JointcertError, OSError):
            log.exception("notification %s to customer %s failed", event.value, customer_id)
            return False
        return True

    def send_many(self, notices: Sequence[Notice]) -> int:
        """Notify in one batch; if the batch fails, each notice on its own. How many failed."""
        try:
            self._notifier.notify_many(notices)
        except (JointcertError, OSError):
            log.warning("a batch of %d notifications failed; sending them one by one", len(notices))
            return sum(not self.send(n.customer_id, n.event, n.params) for n in notices)
        return 0


class Lockouts:
    """Attempt limits per credential, persisted through :class:`~jointcert.ra.ports.Attempts`."""

    def __init__(
        self,
        attempts: Attempts,
        *,
        accounts: Accounts,
        notifications: Notifications,
        clock: Clock,
        settings: RaSettings,
    ) -> None:
        self._attempts = attempts
        self._accounts = accounts
        self._notifications = notifications
        self._clock = clock
        self._limits = {
            Credential.ACCOUNT_PIN: settings.max_pin_failures,
            Credential.APP_PIN: settings.max_app_pin_failures,
            Credential.APP_PATTERN: settings.max_pattern_failures,
            Credential.SECURITY_CARD: settings.max_security_card_failures,
            Credential.OTP: settings.max_otp_failures,
            Credential.ARS: settings.max_ars_failures,
        }
        if min(self._limits.values()) < 1:
            raise ValueError("attempt limits must be at least 1")

    def limit(self, credential: Credential) -> int:
        """The configured number of wrong attempts before a lock."""
        return self._limits[credential]

    def reserve(self, credential: Credential, subject: str) -> int:
        """Reserve one attempt; :class:`CredentialLocked` when none is left."""
        number = self._attempts.reserve(credential, subject, self.limit(credential))
        if number is None:
            raise CredentialLocked(credential=credential.value, max_attempts=self.limit(credential))
        return number

    def check(self, credential: Credential, subject: str, customer_id: str, verify: Callable[[], bool]) -> None:
        """Reserve an attempt, run ``verify``; reset on success, else :meth:`failed`."""
        number = self.reserve(credential, subject)
        if verify():
            self._attempts.succeeded(credential, subject)
            return
        self.failed(credential, subject, customer_id, number)

    def succeeded(self, credential: Credential, subject: str) -> None:
        """Reset the counter after an attempt reserved with :meth:`reserve` succeeded."""
        self._attempts.succeeded(credential, subject)

    def failed(self, credential: Credential, subject: str, customer_id: str, number: int) -> None:
        """Raise for a failed attempt: :class:`CredentialLocked` at the limit, else :class:`WrongCredential`."""
        limit = self.limit(credential)
        if number >= limit and self._attempts.lock_if_exhausted(credential, subject, limit, self._clock.now()):
            self._on_lock(credential, subject, customer_id)
        failures, locked = self._attempts.failures(credential, subject)
        if locked:
            raise CredentialLocked(credential=credential.value, max_attempts=limit)
        raise WrongCredential(
            credential=credential.value,
            remaining_attempts=max(limit - failures, 0),
            attempts_used=failures,
            max_attempts=limit,
        )

    def release(self, credential: Credential, subject: str) -> None:
        """Give back an attempt reserved with :meth:`reserve` that was never answered (no secret was tried)."""
        self._attempts.release(credential, subject)

    def unlock(self, credential: Credential, subject: str, *, actor: str) -> bool:
        """Lift a lock (the documented stronger path: an operator, after the customer proved who she is at a
        branch); True if there was one. A right answer never lifts a lock."""
        lifted = self._attempts.unlock(credential, subject)
        log.warning("%s lock %s by %s", credential.value, "lifted" if lifted else "not found", actor)
        return lifted

    def is_locked(self, credential: Credential, subject: str) -> bool:
        """Whether the credential is locked."""
        return self._attempts.failures(credential, subject)[1]

    def _on_lock(self, credential: Credential, subject: str, customer_id: str) -> None:
        log.warning("%s locked after %d wrong attempts", credential.value, self.limit(credential))
        if credential is Credential.ACCOUNT_PIN:
            self._accounts.lock(subject, f"{credential.label_ko} {self.limit(credential)}회 오류")
        self._notifications.send(customer_id, NotificationEvent.LOCKED, {"what": credential.label_ko})
