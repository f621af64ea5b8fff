"""Anti-automation buckets (``throttle_buckets``): one row per bucket key, the count of its current window.

The key is ``<action>:<kind>:<keyed hash>``: no address, user ID or customer id is stored in the clear.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base

__all__ = ["ThrottleBucket"]


class ThrottleBucket(Base):
    """A fixed-window counter; a new window overwrites the old one (one upsert)."""

    __tablename__ = "throttle_buckets"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, index=True)  # epoch seconds
    count: Mapped[int] = mapped_column(Integer)
