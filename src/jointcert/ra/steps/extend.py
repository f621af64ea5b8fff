"""연장: the customer asks for more time on an open session; it gets a fresh ``session_ttl_seconds`` from now, but never
past ``session_max_seconds`` after the session was created (the absolute cap)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from jointcert.config import RaSettings
from jointcert.ra.errors import SessionClosed, SessionExtendLimit
from jointcert.ra.session import IssuanceSession
from jointcert.ra.workflow import State

__all__ = ["extended"]


def extended(session: IssuanceSession, now: datetime, settings: RaSettings) -> IssuanceSession:
    """The session with its new expiry; :class:`SessionExtendLimit` once the cap leaves nothing to add."""
    if session.state.is_terminal or session.state is State.ISSUING:
        raise SessionClosed()
    cap = session.created_at + timedelta(seconds=settings.session_max_seconds)
    until = min(now + timedelta(seconds=settings.session_ttl_seconds), cap)
    if until <= session.expires_at:
        raise SessionExtendLimit(max_seconds=settings.session_max_seconds, expires_at=session.expires_at.isoformat())
    return replace(session, expires_at=until, updated_at=now)
