"""CA table shared by every node: the pre-signed OCSP response of each live certificate (RFC 5019 profile)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["CaOcspResponse"]


class CaOcspResponse(Base):
    """One signed nonce-less OCSP response (SHA-1 CertID) per certificate; ``status`` is the record status it was
    signed for (a row whose status differs from the certificate's is never served), ``refresh_at`` when the
    scheduler leader re-signs it (half its validity)."""

    __tablename__ = "ca_ocsp_responses"
    __table_args__ = (Index("ix_ca_ocsp_responses_refresh", "issuer", "refresh_at"),)

    issuer: Mapped[str] = mapped_column(String(32), primary_key=True)
    serial_hex: Mapped[str] = mapped_column(String(42), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    this_update: Mapped[datetime] = mapped_column(UtcDateTime)
    next_update: Mapped[datetime] = mapped_column(UtcDateTime)
    refresh_at: Mapped[datetime] = mapped_column(UtcDateTime)
