"""Profile settings changed at run time (a dual-controlled profile change, ``admin/profile_change.py``).

The instance's config gives the base (``[ca] preset``, ``[ca] validity_days`` …); an approved change stores a new,
complete set of overrides in the database (``ca_profile_settings``, one row per version). Every process reads the
newest version number before each issuance — one primary-key lookup — and rebuilds its effective settings and
profiles when it moved, so a change takes effect on every node and worker at their next issuance.

What may change is declared by two tuples, not by code per field: :data:`CA_FIELDS` (``CaSettings`` fields, each
value validated by pydantic against the field's own type, so a preset that grows into a table validates as one)
and :data:`TYPE_FIELDS` (fields of a certificate type's :class:`~jointcert.ca.profiles.Profile`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from jointcert.ca.profiles import PROFILES, Profile
from jointcert.config import CaSettings
from jointcert.errors import Conflict, InvalidInput
from jointcert.types import CertType

__all__ = [
    "CA_FIELDS",
    "TYPE_FIELDS",
    "EffectiveProfiles",
    "LiveProfiles",
    "LiveValidity",
    "ProfileSettingsStore",
    "ProfileVersionMoved",
    "apply_overrides",
    "check_changes",
    "merge",
]

CA_FIELDS: tuple[str, ...] = ("preset", "validity_days")  # CaSettings fields the profile view shows
TYPE_FIELDS: Mapping[str, type] = MappingProxyType({"validity_days": int, "notice_ko": str})
_MAX_DAYS = 3650
_MAX_NOTICE = 200  # RFC 5280: explicitText is at most 200 characters


class ProfileVersionMoved(Conflict):
    """The profile settings changed after the proposal was made: it must be proposed again."""

    code = "profile_version_moved"
    message_ko = "제안 이후 프로파일 설정이 바뀌었습니다. 다시 제안하세요."
    message_en = "The profile settings changed after this proposal was made: propose it again."


@dataclass(frozen=True)
class EffectiveProfiles:
    """The settings and profiles issuance uses at one version (0: the config file alone)."""

    version: int
    settings: CaSettings
    profiles: Mapping[CertType, Profile]
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def validity_days(self) -> dict[str, int]:
        """Days of validity per certificate type (the type's own, else ``[ca] validity_days``)."""
        return {t.value: p.validity_days or self.settings.validity_days for t, p in self.profiles.items()}


class ProfileSettingsStore(Protocol):
    """Versions of the overrides (adapter: ``storage/repositories/ca_profiles.py``)."""

    def latest_version(self) -> int:
        """The newest version number, 0 when there is none (called before every issuance: keep it cheap)."""
        ...

    def latest(self) -> tuple[int, dict[str, Any]]:
        """The newest version and its overrides (``(0, {})`` when there is none)."""
        ...

    def save(self, overrides: dict[str, Any], *, expected: int, by: str, at: datetime) -> int:
        """Store version ``expected + 1``; :class:`ProfileVersionMoved` if ``expected`` is not the newest."""
        ...


def _bad(message: str, message_ko: str) -> InvalidInput:
    return InvalidInput(message, message_ko=message_ko)


def _ca_value(name: str, value: Any) -> Any:
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(CaSettings.model_fields[name].annotation)  # type: ignore[arg-type]
        checked = adapter.validate_python(value)
    except ValidationError:
        raise _bad(f"[ca] {name}: {value!r} is not allowed.", f"[ca] {name} 값이 올바르지 않습니다.") from None
    if name == "validity_days" and not 1 <= checked <= _MAX_DAYS:
        raise _bad(f"validity_days must be 1–{_MAX_DAYS}.", f"유효기간은 1~{_MAX_DAYS}일입니다.")
    return checked


def _type_value(name: str, value: Any) -> Any:
    if name == "validity_days":
        try:
            days = int(value)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= _MAX_DAYS:
            raise _bad(f"validity_days must be 1–{_MAX_DAYS}.", f"유효기간은 1~{_MAX_DAYS}일입니다.")
        return days
    text = str(value).strip()
    if not 1 <= len(text) <= _MAX_NOTICE or any(ord(c) < 32 for c in text):
        raise _bad(f"{name} must be 1–{_MAX_NOTICE} printable characters.", f"{name} 은(는) 1~200자입니다.")
    return text


def check_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``{"ca": {field: value}, "types": {cert type: {field: value}}}`` validated and normalised;
    :class:`InvalidInput` (nothing changed) for an unknown field, type or bad value, or no change at all."""
    if not isinstance(changes, Mapping) or set(changes) - {"ca", "types"}:
        raise _bad("Changes are {'ca': {...}, 'types': {...}}.", "변경 내용 형식이 올바르지 않습니다.")
    ca, types = changes.get("ca") or {}, changes.get("types") or {}
    if not isinstance(ca, Mapping) or not isinstance(types, Mapping):
        raise _bad("Changes are {'ca': {...}, 'types': {...}}.", "변경 내용 형식이 올바르지 않습니다.")
    unknown = sorted(set(ca) - set(CA_FIELDS)) + sorted(set(types) - {t.value for t in CertType})
    unknown += sorted(
        f"{t}.{f}" for t, fs in types.items() if isinstance(fs, Mapping) for f in set(fs) - set(TYPE_FIELDS)
    )
    if unknown or not all(isinstance(fs, Mapping) for fs in types.values()):
        raise _bad(f"Not a profile setting: {unknown}.", "변경할 수 없는 프로파일 항목입니다.")
    checked_types = {t: {f: _type_value(f, v) for f, v in sorted(fs.items())} for t, fs in sorted(types.items())}
    result: dict[str, Any] = {"ca": {f: _ca_value(f, v) for f, v in sorted(ca.items())}}
    result["types"] = {t: fs for t, fs in checked_types.items() if fs}
    if not result["ca"] and not result["types"]:
        raise _bad("Nothing to change.", "변경할 내용이 없습니다.")
    return result


def merge(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides after applying ``changes`` (checked) to ``current``."""
    types = {t: dict(fs) for t, fs in current.get("types", {}).items()}
    for cert_type, fields in changes.get("types", {}).items():
        types.setdefault(cert_type, {}).update(fields)
    return {"ca": {**current.get("ca", {}), **changes.get("ca", {})}, "types": types}


def apply_overrides(base: CaSettings, overrides: Mapping[str, Any], version: int = 0) -> EffectiveProfiles:
    """The effective settings and profiles: ``base`` with ``overrides`` (a :func:`merge` result) applied."""
    checked = check_changes(overrides) if overrides.get("ca") or overrides.get("types") else {"ca": {}, "types": {}}
    settings = base.model_copy(update=checked["ca"])
    profiles = {
        cert_type: dataclasses.replace(profile, **checked["types"].get(cert_type.value, {}))
        for cert_type, profile in PROFILES.items()
    }
    return EffectiveProfiles(version, settings, MappingProxyType(profiles), checked)


class LiveProfiles:
    """The effective profiles, re-read when the stored version moves (checked on every call)."""

    def __init__(self, base: CaSettings, store: ProfileSettingsStore) -> None:
        self._base, self._store = base, store
        self._current = apply_overrides(base, {})

    @property
    def base(self) -> CaSettings:
        """The settings from the config file (version 0)."""
        return self._base

    def current(self) -> EffectiveProfiles:
        """The newest effective profiles (one cheap version lookup; a reload only after a change)."""
        if self._store.latest_version() != self._current.version:
            version, overrides = self._store.latest()
            self._current = apply_overrides(self._base, overrides, version)
        return self._current


class LiveValidity(Mapping[str, int]):
    """Validity days per certificate type as issuance will use them now (the RA's type choice screen)."""

    def __init__(self, profiles: LiveProfiles) -> None:
        self._profiles = profiles

    def __getitem__(self, cert_type: str) -> int:
        return self._profiles.current().validity_days()[cert_type]

    def __iter__(self) -> Iterator[str]:
        return iter(self._profiles.current().validity_days())

    def __len__(self) -> int:
        return len(self._profiles.current().validity_days())
