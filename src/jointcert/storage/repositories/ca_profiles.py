"""SQLAlchemy adapter of :class:`jointcert.ca.profile_settings.ProfileSettingsStore` (``ca_profile_settings``):
a version is a row; the newest is ``max(version)``, one primary-key index lookup, read before every issuance."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jointcert.ca.profile_settings import ProfileVersionMoved
from jointcert.storage.db import Database
from jointcert.storage.tables.ca_profiles import CaProfileSettings

__all__ = ["SqlProfileSettings"]

_LATEST = select(func.coalesce(func.max(CaProfileSettings.version), 0))


class SqlProfileSettings:
    """The versions of the profile overrides in the instance's database (shared by every node)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def latest_version(self) -> int:
        """The newest version, 0 when none was stored (read inside the caller's unit of work when one is open: an
        issuance step asks for it while holding its own connection)."""
        with self._db.connection() as connection:
            return int(connection.execute(_LATEST).scalar_one())

    def latest(self) -> tuple[int, dict[str, Any]]:
        """The newest version and its overrides."""
        query = select(CaProfileSettings).order_by(CaProfileSettings.version.desc()).limit(1)
        with self._db.session() as session:
            row = session.scalars(query).first()
            return (0, {}) if row is None else (row.version, json.loads(row.overrides))

    def save(self, overrides: dict[str, Any], *, expected: int, by: str, at: datetime) -> int:
        """Insert version ``expected + 1`` (the primary key refuses a second writer of the same version)."""
        try:
            with self._db.session() as session:
                if int(session.execute(_LATEST).scalar_one()) != expected:
                    raise ProfileVersionMoved(expected=expected)
                text = json.dumps(overrides, sort_keys=True, ensure_ascii=False)
                session.add(CaProfileSettings(version=expected + 1, overrides=text, changed_by=by, changed_at=at))
        except IntegrityError:
            raise ProfileVersionMoved(expected=expected) from None
        return expected + 1
