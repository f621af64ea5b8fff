"""CA table: the versions of the operators' profile changes (``ca/profile_settings.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["CaProfileSettings"]


class CaProfileSettings(Base):
    """One approved profile change: the complete overrides (JSON) in force from this version on."""

    __tablename__ = "ca_profile_settings"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    overrides: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
