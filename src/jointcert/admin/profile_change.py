"""Profile changes (a dual-control action, ``profile_change``): a CA administrator proposes new values for the
profile settings (``ca/profile_settings.py``: ``[ca] preset``, validity days, a type's validity or user notice); a
second administrator approves; the new version is stored in the database and every process issues with it from
its next issuance on.

The proposal records the version it was made against and the values before and after, so the approver sees the
difference; if another change was approved in between, approval is refused (:class:`ProfileVersionMoved`) rather
than overwriting what the approver did not see.
"""

from __future__ import annotations

from typing import Any

from jointcert.admin.dual import Action
from jointcert.admin.model import Role
from jointcert.ca.ports import AuditEvent, AuditStore
from jointcert.ca.profile_settings import (
    CA_FIELDS,
    TYPE_FIELDS,
    LiveProfiles,
    ProfileSettingsStore,
    check_changes,
    merge,
)
from jointcert.clock import Clock
from jointcert.errors import InvalidInput

__all__ = ["profile_change", "profile_rows"]


def profile_rows(live: LiveProfiles) -> dict[str, Any]:
    """What the console's profile view shows and edits: the version, ``[ca]`` fields and each type's fields."""
    now = live.current()
    ca = {name: getattr(now.settings, name) for name in CA_FIELDS}
    types = {t.value: {name: getattr(p, name) for name in TYPE_FIELDS} for t, p in now.profiles.items()}
    return {"version": now.version, "ca": ca, "types": types}


def _before(live: LiveProfiles, changes: dict[str, Any]) -> dict[str, Any]:
    rows = profile_rows(live)
    return {
        "ca": {name: rows["ca"][name] for name in changes["ca"]},
        "types": {t: {f: rows["types"][t][f] for f in fields} for t, fields in changes["types"].items()},
    }


def profile_change(live: LiveProfiles, store: ProfileSettingsStore, audit: AuditStore, clock: Clock) -> Action:
    """The action ``profile_change``: ``{"changes": {"ca": {...}, "types": {type: {...}}}}``."""

    def check(payload: dict[str, Any]) -> dict[str, Any]:
        changes = check_changes(payload.get("changes", {}))
        version = live.current().version
        before = _before(live, changes)
        if before == changes:
            raise InvalidInput("The values are already in force.", message_ko="이미 적용 중인 값입니다.")
        return {"changes": changes, "base_version": version, "before": before}

    def run(payload: dict[str, Any], actor: str) -> dict[str, Any]:
        base = payload["base_version"]
        current_version, current = store.latest()
        overrides = merge(current if current_version == base else {}, payload["changes"])
        version = store.save(overrides, expected=base, by=actor, at=clock.now())  # ProfileVersionMoved if moved
        data = {"version": version, "changes": payload["changes"], "before": payload["before"]}
        audit.append(AuditEvent("ca.profile_changed", actor, clock.now(), data))
        return {"version": version}

    return Action(Role.CA_ADMIN, check, run)
