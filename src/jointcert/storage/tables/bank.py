"""Tables of the sandbox bank (prefix ``bank_``); the RA keeps its own tables.

No secret is stored in plaintext: resident numbers as a keyed hash plus AES-GCM ciphertext, PINs and the app
pattern as Argon2id hashes of a keyed pre-hash, security-card cells and OTP secrets as AES-GCM ciphertext, ARS
codes as a keyed hash bound to the call. Binary (random-looking) columns come last in each table, so that in
SQLite's record format no digits of one field run straight into random bytes (keeps the leak test exact).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = [
    "BankAccount",
    "BankAppCredential",
    "BankArsCall",
    "BankCustomer",
    "BankDeparture",
    "BankLedgerEntry",
    "BankOtpToken",
    "BankOutboxMessage",
    "BankPhone",
    "BankSecurityCard",
]


class BankCustomer(Base):
    """A customer record (CIF)."""

    __tablename__ = "bank_customers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    is_korean_national: Mapped[bool] = mapped_column(Boolean)
    birth_date: Mapped[date] = mapped_column(Date)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(300))
    contact_phone_id: Mapped[str | None] = mapped_column(String(32))  # one of this customer's mobiles
    rrn_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)  # PiiProtector.lookup_hash(rrn)
    rrn_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)  # PiiProtector.encrypt(rrn)


class BankPhone(Base):
    """A phone number registered for a customer."""

    __tablename__ = "bank_phones"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("bank_customers.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # display order
    number: Mapped[str] = mapped_column(String(20))  # display form
    kind: Mapped[str] = mapped_column(String(10))  # PhoneKind


class BankAccount(Base):
    """A deposit account; the balance can never go below zero."""

    __tablename__ = "bank_accounts"
    __table_args__ = (CheckConstraint("balance_krw >= 0", name="balance_not_negative"),)

    number: Mapped[str] = mapped_column(String(16), primary_key=True)  # digits only
    display_number: Mapped[str] = mapped_column(String(24))
    customer_id: Mapped[str] = mapped_column(ForeignKey("bank_customers.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))  # AccountStatus
    balance_krw: Mapped[int] = mapped_column(BigInteger)
    pin_hash: Mapped[str] = mapped_column(String(200))  # Argon2id
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lock_reason: Mapped[str | None] = mapped_column(String(200))


class BankLedgerEntry(Base):
    """A booking on an account (negative amount = debit); the idempotency key is unique."""

    __tablename__ = "bank_ledger"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_number: Mapped[str] = mapped_column(ForeignKey("bank_accounts.number"), index=True)
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    balance_after_krw: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BankAppCredential(Base):
    """The bank's own app certificate: PIN and pattern as Argon2id hashes."""

    __tablename__ = "bank_app_credentials"

    customer_id: Mapped[str] = mapped_column(ForeignKey("bank_customers.id"), primary_key=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    pattern_hash: Mapped[str] = mapped_column(String(200))


class BankSecurityCard(Base):
    """A security card; its cells only as AES-GCM ciphertext (purpose bound to the customer)."""

    __tablename__ = "bank_security_cards"

    customer_id: Mapped[str] = mapped_column(ForeignKey("bank_customers.id"), primary_key=True)
    serial: Mapped[str] = mapped_column(String(32))
    cell_count: Mapped[int] = mapped_column(Integer)
    cells_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class BankOtpToken(Base):
    """An OTP device: encrypted secret and the replay state (TOTP last step, HOTP next counter)."""

    __tablename__ = "bank_otp_tokens"

    customer_id: Mapped[str] = mapped_column(ForeignKey("bank_customers.id"), primary_key=True)
    serial: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10))  # OtpKind
    next_counter: Mapped[int] = mapped_column(BigInteger)  # HOTP: first counter not yet used
    last_step: Mapped[int | None] = mapped_column(BigInteger)  # TOTP: last accepted time step
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class BankArsCall(Base):
    """An ARS callback; the code only as a keyed hash bound to the call id."""

    __tablename__ = "bank_ars_calls"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone_id: Mapped[str] = mapped_column(String(32))
    phone_digits: Mapped[str] = mapped_column(String(20), index=True)
    phone_number: Mapped[str] = mapped_column(String(20))  # display form
    status: Mapped[str] = mapped_column(String(12))  # CallStatus as stored (RINGING until answered)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class BankDeparture(Base):
    """An immigration record: a departure from Korea and, once back, the re-entry."""

    __tablename__ = "bank_departures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("bank_customers.id"), index=True)
    departed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    destination: Mapped[str] = mapped_column(String(60))
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BankOutboxMessage(Base):
    """A notification the sandbox 'sent' (SMS or e-mail)."""

    __tablename__ = "bank_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("bank_customers.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
