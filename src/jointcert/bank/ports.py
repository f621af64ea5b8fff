"""What the registration authority needs from the bank's systems, as small Protocols.

A real bank implements these on its core-banking (CIF, deposits, ledger), authentication (app certificate,
security card, OTP integration centre), ARS telephony, the Ministry of Justice immigration-record inquiry and
its messaging gateway; the sandbox implements them on the database (:mod:`jointcert.storage.bank_repository`).

Rules every implementation keeps:

* ``verify_*`` methods only answer yes/no, in constant time with respect to the secret, and never raise for a
  wrong or malformed secret. Attempt counting and lockouts are the RA's job; :meth:`Accounts.lock` records a
  lock the RA decided.
* Errors are the typed errors of :mod:`jointcert.bank.errors` (all in the :mod:`jointcert.errors` tree).
* Times are timezone-aware UTC and come from the injected clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jointcert.bank.model import (
    Account,
    CallStatus,
    Customer,
    Departure,
    IncomingCall,
    LedgerEntry,
    Notice,
    NotificationChannel,
    NotificationEvent,
    OutboxMessage,
    Phone,
    SecondFactorKind,
    SecurityCardChallenge,
)

__all__ = [
    "Accounts",
    "BankPorts",
    "CustomerDirectory",
    "ImmigrationRecords",
    "NotificationOutbox",
    "Notifier",
    "SecondFactors",
    "Telephony",
    "VirtualPhone",
]


class CustomerDirectory(Protocol):
    """The bank's customer records (CIF): identification (step 4) and contact details (step 8)."""

    def find_by_user_id(self, user_id: str) -> Customer | None:
        """The customer with this online-banking ID, or ``None``."""
        ...

    def identify(self, user_id: str, rrn: str) -> Customer:
        """The customer whose ID and resident number (``YYMMDD-NNNNNNN`` or 13 digits) both match.

        Raises :class:`~jointcert.bank.errors.IdentityMismatch` for an unknown ID and for a wrong number alike
        (same error, same work), :class:`~jointcert.npki.resident_number.InvalidResidentNumber` for a malformed number.
        """
        ...

    def find_user_ids(self, name: str, rrn: str) -> list[str]:
        """아이디 찾기: the masked IDs (``ho******ng``) of the customer with this name and resident number."""
        ...

    def get(self, customer_id: str) -> Customer:
        """The customer with this id, or :class:`~jointcert.bank.errors.CustomerNotFound`."""
        ...

    def update_contact(self, customer_id: str, *, email: str, address: str, phone_id: str) -> Customer:
        """Set e-mail, postal address and the notification phone (one of the customer's registered mobiles).

        Raises :class:`~jointcert.bank.errors.InvalidContact` for a bad e-mail/address or a phone that is not
        one of the customer's mobiles; returns the updated customer.
        """
        ...


class Accounts(Protocol):
    """Deposit accounts: ownership and PIN (step 6), locks, and the fee of a general-purpose certificate."""

    def get(self, account_number: str) -> Account | None:
        """The account (number with or without dashes), or ``None``.

        :meth:`get`, :meth:`lock` and :meth:`debit_fee` raise :class:`InvalidAccountNumber` for a number that
        is not 10–16 digits; :meth:`verify_pin` just answers ``False``.
        """
        ...

    def verify_pin(self, account_number: str, pin: str) -> bool:
        """Whether ``pin`` is the account's 4-digit PIN; ``False`` for an unknown account. No counting."""
        ...

    def lock(self, account_number: str, reason: str) -> None:
        """Mark the account locked (idempotent; the first reason stays). :class:`AccountNotFound` if unknown."""
        ...

    def debit_fee(self, account_number: str, amount_krw: int, memo: str, idempotency_key: str) -> LedgerEntry:
        """Debit a fee and return its ledger entry.

        The same ``idempotency_key`` returns the first entry without charging again (a different account,
        amount or memo under that key raises :class:`IdempotencyKeyReused`). Raises :class:`InsufficientFunds`
        or :class:`AccountNotActive` with nothing written, :class:`InvalidFeeAmount` unless ``amount_krw > 0``.
        """
        ...

    def refund_fee(self, account_number: str, amount_krw: int, memo: str, idempotency_key: str) -> LedgerEntry:
        """Credit a fee back (a reversal is its own ledger entry); once per ``idempotency_key`` like
        :meth:`debit_fee`. A locked account is credited too (money owed to the customer)."""
        ...


class SecondFactors(Protocol):
    """Step 7: the bank's app certificate (PIN, then pattern), or a security card / OTP device."""

    def methods(self, customer_id: str) -> frozenset[SecondFactorKind]:
        """The second factors this customer has registered. :class:`CustomerNotFound` if unknown."""
        ...

    def verify_app_pin(self, customer_id: str, pin: str) -> bool:
        """Whether ``pin`` is the 6-digit PIN of the customer's app certificate."""
        ...

    def verify_app_pattern(self, customer_id: str, pattern: Sequence[int]) -> bool:
        """Whether ``pattern`` (cells 1..9 of a 3x3 pad in drawing order, ≥4 distinct, none twice) matches."""
        ...

    def register_app_cert(self, customer_id: str, pin: str, pattern: Sequence[int]) -> None:
        """Register the customer's app certificate: ``pin`` (6 digits) and ``pattern`` kept only as hashes.

        The RA checks the customer (ARS, account PIN, her other factor) and the values' rules first. Raises
        :class:`AppCertAlreadyRegistered` if she has one (also for a concurrent second registration),
        :class:`CustomerNotFound` if unknown.
        """
        ...

    def security_card_challenge(self, customer_id: str) -> SecurityCardChallenge:
        """A fresh random challenge for the customer's card; :class:`SecondFactorNotRegistered` if none.

        The RA keeps the challenge in its session and passes the same value to :meth:`verify_security_card`.
        """
        ...

    def verify_security_card(self, customer_id: str, challenge: SecurityCardChallenge, answer: str) -> bool:
        """Whether ``answer`` (4 digits: the asked part of cell A, then of cell B) fits the customer's card."""
        ...

    def verify_otp(self, customer_id: str, code: str) -> bool:
        """Whether ``code`` is a valid, unused code of the customer's OTP device.

        TOTP accepts the current step ±1 and only steps after the last accepted one; HOTP accepts a counter in
        a look-ahead window and moves the stored counter past it. Either way a used code is refused.
        """
        ...


class Telephony(Protocol):
    """ARS callback (step 5): the bank calls a registered number and the customer keys in the on-screen code."""

    def place_call(self, phone: Phone, code: str, *, expires_at: datetime) -> str:
        """Call ``phone``; the customer must key in ``code`` (2–6 digits) before ``expires_at``. Returns a call id.

        Raises :class:`InvalidCallRequest` for a malformed code or an expiry not in the future.
        """
        ...

    def call_status(self, call_id: str) -> CallStatus:
        """The call's state; :attr:`CallStatus.TIMED_OUT` once the clock passes the expiry unanswered."""
        ...


class VirtualPhone(Protocol):
    """Sandbox only: the handset side of :class:`Telephony`, driven by the ``/sandbox/phone/…`` page and tests."""

    def ringing(self, phone_number: str) -> list[IncomingCall]:
        """Calls ringing now on this number (with or without dashes), oldest first."""
        ...

    def answer(self, call_id: str, digits: str) -> CallStatus:
        """Key in ``digits``: CONFIRMED or WRONG_CODE. A call no longer ringing keeps (and returns) its state."""
        ...

    def decline(self, call_id: str) -> CallStatus:
        """Reject the call (or hang up without keying in): DECLINED. A call no longer ringing keeps its state."""
        ...


class ImmigrationRecords(Protocol):
    """Overseas-departure check (해외출국 확인, step 5) against the immigration records."""

    def departure(self, customer_id: str) -> Departure | None:
        """The customer's latest departure from Korea, or ``None`` if there is none on record."""
        ...


class Notifier(Protocol):
    """Tells the customer about certificate events: SMS to the notification mobile and an e-mail."""

    def notify(self, customer_id: str, event: NotificationEvent, params: Mapping[str, str]) -> None:
        """Send ``event``; :class:`MissingNotificationParams` if ``params`` lacks what its message needs.

        Parameters by event (:data:`~jointcert.bank.model.NOTIFICATION_PARAMS`): ISSUED, REISSUED, RENEWED:
        ``cert_type``, ``valid_until``; REVOKED: ``cert_type``; CONTACT_CHANGED: none; LOCKED: ``what``.
        """
        ...

    def notify_many(self, notices: Sequence[Notice]) -> None:
        """Send many notifications at once (a bulk revocation's notices): all of them or, on an error, none."""
        ...


class NotificationOutbox(Protocol):
    """Sandbox only: read what :class:`Notifier` sent."""

    def messages(
        self, customer_id: str | None = None, *, channel: NotificationChannel | None = None
    ) -> list[OutboxMessage]:
        """Sent messages, oldest first, optionally for one customer and/or one channel."""
        ...


@dataclass(frozen=True)
class BankPorts:
    """Everything the RA needs from the bank, handed over in one piece by the composition root."""

    customers: CustomerDirectory
    accounts: Accounts
    second_factors: SecondFactors
    telephony: Telephony
    immigration: ImmigrationRecords
    notifier: Notifier
