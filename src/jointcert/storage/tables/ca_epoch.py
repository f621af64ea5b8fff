"""CA table shared by every node: the revocation epoch and CRL freshness per issuer."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jointcert.storage.tables import Base

__all__ = ["CaRevocationEpoch"]


class CaRevocationEpoch(Base):
    """Bumped in every transaction that revokes or voids a record of ``issuer``; ``crl_epoch`` is the epoch the
    newest CRL covers (the CRL is dirty while ``crl_epoch < epoch``)."""

    __tablename__ = "ca_revocation_epochs"

    issuer: Mapped[str] = mapped_column(String(32), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    crl_epoch: Mapped[int] = mapped_column(Integer)
