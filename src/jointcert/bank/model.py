"""Values the bank ports exchange: frozen dataclasses and string enums, no behaviour beyond small views."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from jointcert.bank.formats import mask_phone

__all__ = [
    "NOTIFICATION_PARAMS",
    "Account",
    "AccountStatus",
    "CallStatus",
    "CellPart",
    "Customer",
    "Departure",
    "IncomingCall",
    "LedgerEntry",
    "Notice",
    "NotificationChannel",
    "NotificationEvent",
    "OutboxMessage",
    "Phone",
    "PhoneKind",
    "SecondFactorKind",
    "SecurityCardChallenge",
]


class PhoneKind(enum.StrEnum):
    """What sort of line a registered number is; only mobiles receive SMS."""

    MOBILE = "mobile"
    HOME = "home"


@dataclass(frozen=True)
class Phone:
    """A phone number registered at the bank for a customer."""

    id: str
    number: str  # display form, e.g. "010-1234-5678"
    kind: PhoneKind

    @property
    def masked(self) -> str:
        """The number as the ARS screen lists it, e.g. ``010-****-5678``."""
        return mask_phone(self.number)


@dataclass(frozen=True)
class Customer:
    """A bank customer (CIF record) as the RA sees it; the resident number never leaves the bank."""

    id: str
    user_id: str  # online-banking ID
    name: str  # legal name, Korean
    email: str
    address: str
    phones: tuple[Phone, ...]
    is_korean_national: bool
    birth_date: date
    contact_phone_id: str | None  # the mobile that receives notifications (step 8)

    @property
    def contact_phone(self) -> Phone | None:
        """The phone chosen for notifications, if any."""
        return next((p for p in self.phones if p.id == self.contact_phone_id), None)

    def phone(self, phone_id: str) -> Phone | None:
        """One of the customer's registered phones by id, or ``None``."""
        return next((p for p in self.phones if p.id == phone_id), None)


class AccountStatus(enum.StrEnum):
    """Whether an account can be used."""

    ACTIVE = "active"
    LOCKED = "locked"  # e.g. too many wrong PINs; the RA decides and calls Accounts.lock
    DORMANT = "dormant"  # 휴면계좌


@dataclass(frozen=True)
class Account:
    """A deposit account at the bank."""

    number: str  # digits only, the canonical key
    display_number: str  # as printed in the passbook, e.g. "1002-345-678901"
    customer_id: str
    product_name: str
    status: AccountStatus
    balance_krw: int
    locked_at: datetime | None = None
    lock_reason: str | None = None

    @property
    def is_active(self) -> bool:
        """True when the account may be used and debited."""
        return self.status is AccountStatus.ACTIVE


@dataclass(frozen=True)
class LedgerEntry:
    """One booking on an account; ``amount_krw`` is negative for a debit."""

    id: str
    account_number: str
    amount_krw: int
    balance_after_krw: int
    memo: str
    idempotency_key: str | None
    created_at: datetime


class SecondFactorKind(enum.StrEnum):
    """Second factors of step 7: the bank's app certificate, or a security card / OTP device."""

    APP_CERT = "app_cert"  # 앱 인증서: 6-digit PIN, then pattern
    SECURITY_CARD = "security_card"  # 보안카드
    OTP = "otp"  # OTP 발생기 (TOTP or HOTP)


class CellPart(enum.StrEnum):
    """Which two digits of a 4-digit security-card cell are asked for."""

    FIRST_TWO = "first_two"  # 앞 2자리
    LAST_TWO = "last_two"  # 뒤 2자리

    @property
    def label_ko(self) -> str:
        """Korean wording on the screen."""
        return "앞 2자리" if self is CellPart.FIRST_TWO else "뒤 2자리"


@dataclass(frozen=True)
class SecurityCardChallenge:
    """What the screen asks: the card's serial tail and two digits each of two cells.

    The answer is four digits: ``part_a`` of cell ``cell_a`` followed by ``part_b`` of cell ``cell_b``.
    """

    card_serial_tail: str  # last 4 digits of the card's serial number, so the customer picks the right card
    cell_a: int  # 1..cell_count
    cell_b: int
    part_a: CellPart = CellPart.FIRST_TWO
    part_b: CellPart = CellPart.LAST_TWO

    @property
    def prompt_ko(self) -> str:
        """E.g. ``[07]번 앞 2자리, [23]번 뒤 2자리``."""
        return f"[{self.cell_a:02d}]번 {self.part_a.label_ko}, [{self.cell_b:02d}]번 {self.part_b.label_ko}"


class CallStatus(enum.StrEnum):
    """State of an ARS callback."""

    RINGING = "ringing"  # placed, not answered, not expired
    CONFIRMED = "confirmed"  # the customer keyed in the right code
    WRONG_CODE = "wrong_code"  # the customer keyed in another code; the call is over
    TIMED_OUT = "timed_out"  # not answered before the expiry (by the injected clock)
    DECLINED = "declined"  # the customer rejected the call (or hung up without keying anything in)

    @property
    def is_final(self) -> bool:
        """True once the call can no longer change."""
        return self is not CallStatus.RINGING


@dataclass(frozen=True)
class IncomingCall:
    """A call ringing on a (virtual) phone."""

    call_id: str
    phone_number: str  # display form
    caller: str  # what the phone shows, e.g. "한빛은행 1588-0081"
    placed_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Departure:
    """The latest departure from Korea in the immigration records."""

    departed_at: datetime
    destination: str  # country, Korean, e.g. "미국"
    returned_at: datetime | None  # None while the person is abroad

    @property
    def is_abroad(self) -> bool:
        """True while there is no re-entry after this departure."""
        return self.returned_at is None


class NotificationEvent(enum.StrEnum):
    """Events the customer is told about by SMS and e-mail."""

    ISSUED = "issued"
    REISSUED = "reissued"
    RENEWED = "renewed"
    REVOKED = "revoked"
    CONTACT_CHANGED = "contact_changed"
    LOCKED = "locked"
    UNCONFIRMED = "unconfirmed"  # a new certificate the app never confirmed: revoked, fee refunded
    EXPIRING = "expiring"  # 30 and 7 days before expiry (ra/reminders.py), with the renew link
    APP_CERT_REGISTERED = "app_cert_registered"  # the bank's app certificate (PIN + pattern) was registered


@dataclass(frozen=True)
class Notice:
    """One notification to send: whom, which event, the message's parameters."""

    customer_id: str
    event: NotificationEvent
    params: Mapping[str, str]


NOTIFICATION_PARAMS: Mapping[NotificationEvent, frozenset[str]] = {
    NotificationEvent.ISSUED: frozenset({"cert_type", "valid_until"}),
    NotificationEvent.REISSUED: frozenset({"cert_type", "valid_until"}),
    NotificationEvent.RENEWED: frozenset({"cert_type", "valid_until"}),
    NotificationEvent.REVOKED: frozenset({"cert_type"}),
    NotificationEvent.CONTACT_CHANGED: frozenset(),
    NotificationEvent.LOCKED: frozenset({"what"}),  # e.g. "계좌 비밀번호", "앱 인증서 PIN"
    NotificationEvent.UNCONFIRMED: frozenset({"cert_type"}),
    NotificationEvent.EXPIRING: frozenset({"cert_type", "valid_until", "days_left", "renew_url"}),
    NotificationEvent.APP_CERT_REGISTERED: frozenset(),
}
"""The parameters each notification event needs (``Notifier.notify`` refuses an event without them)."""


class NotificationChannel(enum.StrEnum):
    """How a notification travels."""

    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True)
class OutboxMessage:
    """A notification as sent (in the sandbox: written to the outbox table)."""

    id: int
    customer_id: str
    event: NotificationEvent
    channel: NotificationChannel
    recipient: str  # phone number or e-mail address
    subject: str | None  # e-mail only
    body: str
    created_at: datetime
