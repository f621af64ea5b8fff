"""Tables of CMP enrollment: registrations (reference number + authorization code) and CMP transactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["CmpRegistration", "CmpTransaction"]


class CmpRegistration(Base):
    """A registered applicant; the resident number and the authorization code only as ciphertext, wiped at the end."""

    __tablename__ = "cmp_registrations"
    __table_args__ = (
        Index("ix_cmp_registrations_holder", "holder_hash", "cert_type", "status"),
        Index("ix_cmp_registrations_status", "status", "expires_at"),
    )

    reference_number: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    cert_type: Mapped[str] = mapped_column(String(16))
    real_name: Mapped[str] = mapped_column(String(64))
    holder_hash: Mapped[bytes] = mapped_column(LargeBinary(32))  # keyed hash of the RRN ("holder" purpose)
    rrn_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    code_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    bank_unit: Mapped[str | None] = mapped_column(String(32), nullable=True)
    bank_code: Mapped[str | None] = mapped_column(String(3), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    mac_failures: Mapped[int] = mapped_column(Integer)
    mac_pending: Mapped[int] = mapped_column(Integer)  # MAC checks reserved and not yet settled
    mac_reserved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    serial_hex: Mapped[str | None] = mapped_column(String(42), nullable=True)


class CmpTransaction(Base):
    """One CMP transaction (by transactionID): what was issued, how it is protected, and its confirmation state."""

    __tablename__ = "cmp_transactions"
    __table_args__ = (Index("ix_cmp_transactions_state", "state", "deadline"),)

    transaction_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # lowercase hex
    kind: Mapped[str] = mapped_column(String(8))
    protection: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reference_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    signer_sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    serial_hex: Mapped[str | None] = mapped_column(String(42), nullable=True)
    cert_req_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_nonce: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
