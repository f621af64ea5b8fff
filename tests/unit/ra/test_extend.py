"""연장: a fresh lifetime from now, never past the absolute cap; closed sessions cannot be extended."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jointcert.config import RaSettings
from jointcert.ra.errors import SessionClosed, SessionExtendLimit
from jointcert.ra.session import new_session
from jointcert.ra.steps.extend import extended
from jointcert.ra.workflow import State

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
SETTINGS = RaSettings(session_ttl_seconds=900, session_max_seconds=1800)


def test_extend_gives_a_fresh_lifetime_then_stops_at_the_cap() -> None:
    session = new_session(START, 900).session
    later = START + timedelta(minutes=10)
    once = extended(session, later, SETTINGS)
    assert once.expires_at == later + timedelta(minutes=15)
    again = extended(once, START + timedelta(minutes=20), SETTINGS)
    assert again.expires_at == START + timedelta(minutes=30)  # capped: 20 + 15 would pass the 30-minute cap
    with pytest.raises(SessionExtendLimit):
        extended(again, START + timedelta(minutes=25), SETTINGS)


@pytest.mark.parametrize("state", [State.CANCELLED, State.ISSUED, State.ISSUING, State.EXPIRED])
def test_a_closed_or_issuing_session_is_not_extended(state: State) -> None:
    session = replace(new_session(START, 900).session, state=state)
    with pytest.raises(SessionClosed):
        extended(session, START + timedelta(minutes=1), SETTINGS)
