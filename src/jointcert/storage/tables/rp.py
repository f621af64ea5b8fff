"""Tables of the relying-party component: single-use login challenges and registered foreign certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["RpChallenge", "RpRegistration"]


class RpChallenge(Base):
    """A login/registration challenge: bound to an institution and a session, usable once, until it expires."""

    __tablename__ = "rp_challenges"

    value: Mapped[str] = mapped_column(String(128), primary_key=True)
    institution_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class RpRegistration(Base):
    """A certificate registered to a customer at an institution (타기관 인증서 등록)."""

    __tablename__ = "rp_registrations"
    __table_args__ = (
        UniqueConstraint("institution_id", "fingerprint"),
        Index("ix_rp_registrations_customer", "institution_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    serial_hex: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(1024))
    fingerprint: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
