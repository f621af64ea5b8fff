"""Profile presets (``[ca] preset``): how closely subscriber certificates imitate one real CA's habits.

- ``jointsign`` (default): the KISA profile as the specifications describe it — validity from the moment of
  issuance, the CPS URI before the user notice. Chosen as the default because it says exactly when a certificate
  was made (tests and audits can compare it with the issuance record) and follows RFC 5280's example order.
- ``yessign-like``: what yessign certificates look like (the PyPinkSign test certificate, the vectors' notes):
  validity from 00:00:00 KST of the issue day, the user notice before the CPS URI.

Both use the same policy OIDs and ``c=kr``; pkilint must stay clean for each (the issuance pipeline lints every
certificate, see ``tests/unit/ca/test_presets.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

__all__ = ["PRESETS", "Preset", "preset_for"]

_KST = timezone(timedelta(hours=9))


@dataclass(frozen=True)
class Preset:
    """The habits a preset imitates."""

    name: str
    notice_first: bool  # user notice before the CPS URI in certificatePolicies
    midnight_kst_start: bool  # notBefore = 00:00:00 KST of the issue day

    def not_before(self, now: datetime) -> datetime:
        """The start of validity of a certificate issued at ``now``."""
        if not self.midnight_kst_start:
            return now
        return datetime.combine(now.astimezone(_KST).date(), time(0, 0, 0), _KST).astimezone(now.tzinfo)


PRESETS: dict[str, Preset] = {
    "jointsign": Preset("jointsign", notice_first=False, midnight_kst_start=False),
    "yessign-like": Preset("yessign-like", notice_first=True, midnight_kst_start=True),
}


def preset_for(name: str) -> Preset:
    """The named preset; :class:`ValueError` names the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; one of: {', '.join(PRESETS)}") from None
