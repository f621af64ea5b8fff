"""ARS callback rules: the code format, what the handset shows, and how expiry turns a call into a time-out."""

from __future__ import annotations

import re
from datetime import datetime

from jointcert.bank.model import CallStatus

__all__ = ["CALLER", "PROMPT_KO", "code_is_valid", "effective_status"]

CALLER = "한빛은행 1588-0081"
PROMPT_KO = "한빛은행입니다. 공동인증서 발급을 위해 화면에 표시된 인증번호를 누르신 후 # 버튼을 눌러 주십시오."
_CODE = re.compile(r"\d{2,6}")


def code_is_valid(code: str) -> bool:
    """The code shown in the app: 2 to 6 ASCII digits."""
    return code.isascii() and _CODE.fullmatch(code) is not None


def effective_status(stored: CallStatus, expires_at: datetime, now: datetime) -> CallStatus:
    """The stored state, except that a call still ringing at or after its expiry has timed out."""
    if stored is CallStatus.RINGING and now >= expires_at:
        return CallStatus.TIMED_OUT
    return stored
