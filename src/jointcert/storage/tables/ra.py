"""Tables of the registration authority (prefix ``ra_``): sessions, step log, attempt counters, holder
challenges and the bank's list of the certificates it issued.

No secret is stored: the session token only as SHA-256, the resident number only as AES-GCM ciphertext (wiped
when the session ends), no PIN, code or answer at all. Binary columns come last in each table (see bank.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["RaAttempt", "RaCertificate", "RaChallenge", "RaExpiryReminder", "RaFeeEntry", "RaSession", "RaStepLog"]


class RaSession(Base):
    """An issuance session; ``version`` is bumped by every compare-and-set."""

    __tablename__ = "ra_sessions"
    __table_args__ = (Index("ix_ra_sessions_state_expires", "state", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # set only while the session is ISSUING: at most one issuance per customer at a time
    issuing_customer_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    data: Mapped[str] = mapped_column(Text)  # SessionData JSON: nothing secret
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    rrn_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)  # PiiProtector.encrypt(rrn, "ra-session")


class RaStepLog(Base):
    """What happened at each step: the outcome code, never an input."""

    __tablename__ = "ra_step_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    step: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(64))
    state_before: Mapped[str] = mapped_column(String(24))
    state_after: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class RaAttempt(Base):
    """Failure counter of one credential (account PIN per account; the others per customer)."""

    __tablename__ = "ra_attempts"

    credential: Mapped[str] = mapped_column(String(20), primary_key=True)
    subject: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RaChallenge(Base):
    """A single-use challenge for a holder's signature (renew, revoke)."""

    __tablename__ = "ra_challenges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RaCertificate(Base):
    """A certificate the bank issued through the RA, and its customer (for notifications)."""

    __tablename__ = "ra_certificates"

    serial_hex: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    cert_type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RaFeeEntry(Base):
    """The fee ledger: a ``charge``, then ``final`` (confirmed) or a ``reversal``; one of each per certificate."""

    __tablename__ = "ra_fee_ledger"
    __table_args__ = (UniqueConstraint("serial_hex", "kind"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    serial_hex: Mapped[str] = mapped_column(String(42))
    kind: Mapped[str] = mapped_column(String(16))  # charge | final | reversal
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    account_number: Mapped[str] = mapped_column(String(16))
    amount_krw: Mapped[int] = mapped_column(Integer)  # charge negative, reversal positive, final 0
    bank_entry_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RaExpiryReminder(Base):
    """An expiry reminder sent (ra/reminders.py): one row per certificate and reminder (30 or 7 days before)."""

    __tablename__ = "ra_expiry_reminders"

    serial_hex: Mapped[str] = mapped_column(String(42), primary_key=True)
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
