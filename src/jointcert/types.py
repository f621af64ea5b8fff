"""Small shared value types: NewTypes for identifiers and enums used across packages."""

from __future__ import annotations

import enum
from typing import NewType

__all__ = [
    "AuthorizationCode",
    "CertType",
    "ReferenceNumber",
    "Serial",
    "SessionId",
]

Serial = NewType("Serial", int)
ReferenceNumber = NewType("ReferenceNumber", str)  # 참조번호
AuthorizationCode = NewType("AuthorizationCode", str)  # 인가코드
SessionId = NewType("SessionId", str)


class CertType(enum.StrEnum):
    """Certificate types a customer can be issued (by policy, not by CA)."""

    LIMITED = "limited"  # 용도제한용: 은행/신용카드/보험/전자정부, free
    GENERAL = "general"  # 범용: every online financial transaction incl. stock trading, 4,400 KRW/year

    @property
    def label_ko(self) -> str:
        """Korean name shown to customers."""
        return {CertType.LIMITED: "은행·신용카드·보험·전자정부용", CertType.GENERAL: "범용"}[self]

    @property
    def label_en(self) -> str:
        """English name shown to customers."""
        return {
            CertType.LIMITED: "Limited-use (bank/card/insurance/e-gov)",
            CertType.GENERAL: "General-purpose",
        }[self]
