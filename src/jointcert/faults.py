"""Named crash points for tests: ``JOINTCERT_FAULT_POINT=after_sign`` makes the process SIGKILL itself there.

Every step of the issuance saga (RA) and of the CA pipeline calls :func:`point` with its name (the table is
:data:`POINTS`, documented in ``docs/crash-safety.md``). Unless the environment names a point when the module is
first imported, :func:`point` is one comparison against ``None``: production pays nothing. With
``JOINTCERT_FAULT_COUNT=n`` the n-th time the point is reached kills the process (default: the first).

The trigger is read once per process from the environment (a test hook, not configuration: it is deliberately not
a setting, so no config file can switch it on).
"""

from __future__ import annotations

import os
import signal

__all__ = ["ENV_COUNT", "ENV_POINT", "POINTS", "point"]

ENV_POINT = "JOINTCERT_FAULT_POINT"
ENV_COUNT = "JOINTCERT_FAULT_COUNT"

POINTS = (
    # CA pipeline (every channel: JSON enrollment, CMP ir/kur, CLI)
    "after_record",  # the intended certificate is committed pending; nothing signed
    "after_sign",  # signed, not stored
    "after_store",  # stored issued; the caller has not seen it
    "batch_after_record",  # a batch of units (ca/batcher.py) committed pending in one transaction; nothing signed
    "batch_after_sign",  # the batch signed, not stored
    # RA saga, JSON enrollment
    "after_claim",  # session ISSUING, CA not asked yet
    "after_charge",  # fee debited and in the fee ledger; session still ISSUING
    "before_response",  # session DELIVERED; the response was not sent
    "after_confirm_claim",  # session CONFIRMING; older certificate not superseded yet
    "after_supersede",  # older certificate superseded; fee not final yet
    "after_fee_final",  # fee final; session still CONFIRMING
    # CMP
    "cmp_before_ip",  # ir answered by the CA, transaction waiting; the ip was not sent
    "cmp_after_conf",  # certConf accepted (transaction confirmed); older certificate not superseded yet
)


def _trigger() -> tuple[str, int] | None:
    name = os.environ.get(ENV_POINT) or None
    if name is None:
        return None
    if name not in POINTS:
        raise ValueError(f"{ENV_POINT}={name!r} names no fault point; known: {', '.join(POINTS)}")
    return name, max(1, int(os.environ.get(ENV_COUNT) or "1"))


_ARMED = _trigger()  # read once: (point, nth hit) or None
_hits: list[int] = [0]


def point(name: str) -> None:
    """Kill this process with SIGKILL if ``name`` is the armed fault point (and this is its n-th hit)."""
    if _ARMED is None or _ARMED[0] != name:
        return
    _hits[0] += 1
    if _hits[0] >= _ARMED[1]:
        os.kill(os.getpid(), signal.SIGKILL)
