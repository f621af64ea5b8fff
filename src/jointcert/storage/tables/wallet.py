"""Tables of the cross-origin wallet (prefix ``wallet_``): the relying parties registered at the bank's wallet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base, UtcDateTime

__all__ = ["WalletClientRow"]


class WalletClientRow(Base):
    """A relying party that may open the wallet: its origins and return URLs (one per line)."""

    __tablename__ = "wallet_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    origins: Mapped[str] = mapped_column(Text)
    return_urls: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
