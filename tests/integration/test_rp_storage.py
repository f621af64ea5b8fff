"""The relying party's SQL stores on SQLite and PostgreSQL: single-use challenges (also under a race), registrations."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from jointcert.clock import FakeClock
from jointcert.rp import ChallengeService, Reason, Registration, Status
from jointcert.rp.registry import AlreadyRegistered
from jointcert.storage.db import Database
from jointcert.storage.rp import SqlChallengeStore, SqlRegistrationStore
from jointcert.storage.tables.rp import RpChallenge


def test_challenge_lifecycle(database: Database, clock: FakeClock) -> None:
    service = ChallengeService(SqlChallengeStore(database), clock, ttl_seconds=120)
    challenge = service.issue("hanbit-bank", "session-a")
    assert service.consume(challenge.value, "hanbit-bank", "session-b").code is Reason.CHALLENGE_MISMATCH
    assert service.consume(challenge.value, "hanbit-bank", "session-a").status is Status.PASSED
    assert service.consume(challenge.value, "hanbit-bank", "session-a").code is Reason.CHALLENGE_REPLAYED
    assert service.consume("unknown", "hanbit-bank", "session-a").code is Reason.CHALLENGE_UNKNOWN
    late = service.issue("hanbit-bank", "session-a")
    clock.advance(timedelta(seconds=120))
    assert service.consume(late.value, "hanbit-bank", "session-a").code is Reason.CHALLENGE_EXPIRED
    clock.advance(timedelta(seconds=1))
    assert service.purge() == 1  # the used one; an unused challenge was never stored
    assert service.consume(challenge.value, "hanbit-bank", "session-a").code is Reason.CHALLENGE_EXPIRED


def test_only_a_consumed_challenge_is_stored_with_aware_utc_times(database: Database, clock: FakeClock) -> None:
    from jointcert.storage.tables.rp import RpChallenge

    service = ChallengeService(SqlChallengeStore(database), clock)
    challenge = service.issue("gov-portal", "s")
    with database.session() as session:
        assert session.get(RpChallenge, challenge.id) is None  # issuing wrote nothing
    assert service.consume(challenge.value, "gov-portal", "s").status is Status.PASSED
    with database.session() as session:
        row = session.get(RpChallenge, challenge.id)
        assert row is not None and row.consumed_at == clock.now() and row.expires_at == challenge.expires_at
        assert row.expires_at.tzinfo is not None and row.institution_id == "gov-portal"


def _race(service: ChallengeService, value: str, threads: int) -> list[Reason]:
    """``threads`` consumers released together on one challenge; their reasons."""
    barrier = threading.Barrier(threads)
    results: list[Reason] = []
    lock = threading.Lock()

    def consume() -> None:
        barrier.wait()
        code = service.consume(value, "hanbit-bank", "race").code
        with lock:
            results.append(code)

    workers = [threading.Thread(target=consume) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results


def test_exactly_one_of_twenty_concurrent_consumers_wins(database: Database, clock: FakeClock) -> None:
    service = ChallengeService(SqlChallengeStore(database), clock)
    for _round in range(3):
        results = _race(service, service.issue("hanbit-bank", "race").value, 20)
        assert len(results) == 20
        assert results.count(Reason.OK) == 1
        assert results.count(Reason.CHALLENGE_REPLAYED) == 19


def test_concurrent_logins_share_claim_transactions(database: Database, clock: FakeClock) -> None:
    """Forty consumers, each with its own challenge, plus every fifth presenting a challenge already used: the new
    ones all pass, the replays all fail, and the claims went to the database in fewer transactions than claims."""
    store = SqlChallengeStore(database)
    service = ChallengeService(store, clock)
    used = service.issue("hanbit-bank", "race")
    assert service.consume(used.value, "hanbit-bank", "race").code is Reason.OK
    fresh = [service.issue("hanbit-bank", "race").value for _ in range(40)]
    barrier = threading.Barrier(48)
    results: dict[int, Reason] = {}

    def consume(index: int) -> None:
        value = fresh[index] if index < 40 else used.value
        barrier.wait()
        results[index] = service.consume(value, "hanbit-bank", "race").code

    workers = [threading.Thread(target=consume, args=(i,)) for i in range(48)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [results[i] for i in range(40)] == [Reason.OK] * 40
    assert [results[i] for i in range(40, 48)] == [Reason.CHALLENGE_REPLAYED] * 8
    assert store.group.items == 49 and store.group.batches < 49
    with database.session() as session:
        assert session.query(RpChallenge).count() == 41


def _registration(customer: str, fingerprint: str = "ab" * 32, when: datetime | None = None) -> Registration:
    return Registration(
        institution_id="hanbit-bank",
        customer_id=customer,
        serial_hex="3e9",
        issuer="CN=jointsignCA Class 1,OU=AccreditedCA,O=jointsign,C=kr",
        fingerprint=fingerprint,
        registered_at=when or datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
    )


def test_registrations(database: Database) -> None:
    store = SqlRegistrationStore(database)
    first = store.add(_registration("alice"))
    assert store.find("hanbit-bank", "ab" * 32) == first
    assert store.find("hanbit-card", "ab" * 32) is None
    assert store.add(_registration("alice", when=datetime(2027, 1, 1, tzinfo=UTC))) == first  # idempotent
    with pytest.raises(AlreadyRegistered):
        store.add(_registration("mallory"))
    second = store.add(_registration("alice", "cd" * 32, datetime(2026, 12, 1, tzinfo=UTC)))
    assert store.for_customer("hanbit-bank", "alice") == [first, second]
    assert store.remove("hanbit-bank", "ab" * 32) is True
    assert store.remove("hanbit-bank", "ab" * 32) is False
    assert store.for_customer("hanbit-bank", "alice") == [second]
