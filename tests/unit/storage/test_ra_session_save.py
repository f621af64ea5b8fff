"""``SqlSessionStore.save`` returns the stored session without reading it back: it must equal a fresh read."""

from __future__ import annotations

from datetime import timedelta

from jointcert.clock import FakeClock
from jointcert.ra.session import new_session
from jointcert.ra.workflow import State
from jointcert.storage.db import Database
from jointcert.storage.repositories.ra import SqlSessionStore


def test_save_returns_what_a_fresh_read_returns(database: Database, clock: FakeClock) -> None:
    store = SqlSessionStore(database)
    session = new_session(clock.now(), 900).session
    store.create(session)
    identified = session.with_customer("C1001", b"ciphertext").moved(
        State.IDENTIFIED, clock.now() + timedelta(seconds=3), terms=("a", "b"), user_id="minjun88"
    )
    saved = store.save(identified, expected_version=session.version)
    assert saved == store.get(session.id)
    assert saved.version == session.version + 1 and saved.rrn_ciphertext == b"ciphertext"
    ended = store.save(saved.moved(State.CANCELLED, clock.now() + timedelta(seconds=5)), expected_version=saved.version)
    assert ended == store.get(session.id)
    assert ended.rrn_ciphertext is None and ended.state is State.CANCELLED
