"""Tables of the operators' side (prefix ``admin_``): operators, their console sessions, dual-control proposals.

Binary columns come last (see ``tables/bank.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["AdminOperator", "AdminProposal", "AdminSession"]


class AdminOperator(Base):
    """An operator account: Argon2 password hash, TOTP secret encrypted under the instance key, roles."""

    __tablename__ = "admin_operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    roles: Mapped[str] = mapped_column(String(128))  # comma-separated Role values
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    totp_secret: Mapped[bytes] = mapped_column(LargeBinary)


class AdminSession(Base):
    """A console session (server-side), keyed by the SHA-256 of its cookie token."""

    __tablename__ = "admin_sessions"

    operator_id: Mapped[int] = mapped_column(ForeignKey("admin_operators.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)


class AdminProposal(Base):
    """A dual-control proposal and its outcome (payload and result as JSON text)."""

    __tablename__ = "admin_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), index=True)
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text, default="{}")
