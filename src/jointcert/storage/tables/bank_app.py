"""The bank app's login sessions (``bank_app_sessions``): the cookie holds only a random id, kept here as SHA-256.

A row lives from the certificate login until logout, the idle timeout, the absolute lifetime, a password change
or the revocation of the certificate used to log in; any of these deletes it (or it expires by time).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["BankAppSession"]


class BankAppSession(Base):
    """One logged-in browser: who (certificate serial, name, type) and its idle / absolute expiry."""

    __tablename__ = "bank_app_sessions"

    serial: Mapped[str] = mapped_column(String(64), index=True)  # hex serial of the login certificate
    name: Mapped[str] = mapped_column(String(128))
    cert_type: Mapped[str | None] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    idle_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # absolute end
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)  # SHA-256 of the cookie's id
