"""Profile presets (``[ca] preset``): how closely subscriber certificates and key files imitate one real CA's habits.

A preset chooses the certificate policy OIDs, the case of ``c=`` in the names, the order of the policy qualifiers,
the start of validity, the format of the cn's unique digits and the PBKDF iteration count of the signPri.key files
our clients write (docs/npki.md, "Profile presets"):

- ``jointsign`` (default): yessign's personal policy OIDs (so that relying parties' whitelists accept our
  certificates), ``c=kr``, the CPS URI before the user notice, validity from the moment of issuance, 21 unique
  digits, 2,048 iterations. Chosen as the default because its start of validity says exactly when a certificate was
  made (tests and audits can compare it with the issuance record) and its qualifier order is RFC 5280's example.
- ``yessign-like``: what yessign's certificates look like (the PyPinkSign test pair, the vectors' notes): the same
  OIDs and ``c=kr``, the user notice before the CPS URI, validity from 00:00:00 KST of the issue day, 24 unique
  digits with the issue date at the same place, 2,048 iterations (the test pair's signPri.key).
- ``neutral``: a sandbox that must not pose as another CA: policy OIDs of no CA (RFC 7229's test policies
  ``1.3.6.1.5.5.7.13.1`` 범용 / ``.2`` 용도제한, "for use in test certificates"; a deployment with an arc of its own
  puts its OIDs here), ``C=KR`` as KISA and the other four CAs write it, and 1,024 iterations as older NPKI client
  software wrote them.

pkilint must stay clean for each (the issuance pipeline lints every certificate, ``tests/unit/ca/test_presets.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import Literal

from jointcert.ca.profiles import Profile
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL, POLICY_LIMITED_PERSONAL
from jointcert.npki.policies import TEST_GENERAL_PERSONAL, TEST_LIMITED_PERSONAL
from jointcert.types import CertType

__all__ = ["PRESETS", "Preset", "preset_for"]

_KST = timezone(timedelta(hours=9))
_YESSIGN_OIDS = MappingProxyType({CertType.LIMITED: POLICY_LIMITED_PERSONAL, CertType.GENERAL: POLICY_GENERAL_PERSONAL})
_NEUTRAL_OIDS = MappingProxyType({CertType.LIMITED: TEST_LIMITED_PERSONAL, CertType.GENERAL: TEST_GENERAL_PERSONAL})


@dataclass(frozen=True)
class Preset:
    """The habits a preset imitates."""

    name: str
    notice_first: bool  # user notice before the CPS URI in certificatePolicies
    midnight_kst_start: bool  # notBefore = 00:00:00 KST of the issue day
    policy_oids: Mapping[CertType, str] = dataclasses.field(default_factory=lambda: _YESSIGN_OIDS, hash=False)
    country: Literal["kr", "KR"] = "kr"  # the value of c= in the CA and subscriber names
    unique_digits: Literal[21, 24] = 21  # length of the cn's digits after "()" (ca/names.py: new_unique_id)
    key_iterations: Literal[1024, 2048] = 2048  # PBKDF iterations of the signPri.key files our clients write

    def not_before(self, now: datetime) -> datetime:
        """The start of validity of a certificate issued at ``now``."""
        if not self.midnight_kst_start:
            return now
        return datetime.combine(now.astimezone(_KST).date(), time(0, 0, 0), _KST).astimezone(now.tzinfo)

    def profile(self, profile: Profile) -> Profile:
        """``profile`` with this preset's policy OID for its type."""
        return dataclasses.replace(profile, policy_oid=self.policy_oids[profile.cert_type])


PRESETS: dict[str, Preset] = {
    "jointsign": Preset("jointsign", notice_first=False, midnight_kst_start=False),
    "yessign-like": Preset("yessign-like", notice_first=True, midnight_kst_start=True, unique_digits=24),
    "neutral": Preset(
        "neutral",
        notice_first=False,
        midnight_kst_start=False,
        policy_oids=_NEUTRAL_OIDS,
        country="KR",
        key_iterations=1024,
    ),
}


def preset_for(name: str) -> Preset:
    """The named preset; :class:`ValueError` names the choices."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; one of: {', '.join(PRESETS)}") from None
