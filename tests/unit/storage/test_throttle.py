"""The throttle buckets (database on SQLite and PostgreSQL, and Redis) and the anti-automation rules on them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from jointcert.clock import FakeClock
from jointcert.config import ThrottleSettings
from jointcert.pii import PiiProtector
from jointcert.ra.throttle import Action, AntiAutomation, Throttle, Throttled
from jointcert.storage.db import Database
from jointcert.storage.tables.throttle import ThrottleBucket
from jointcert.storage.throttle import RedisThrottle, SqlThrottle

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip() -> RedisThrottle:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return RedisThrottle(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")


@pytest.fixture(params=["database", "redis"])
def throttle(request: pytest.FixtureRequest, database: Database) -> Iterator[Throttle]:
    """Each backend: the database one on SQLite and PostgreSQL, Redis once (beside SQLite)."""
    if request.param == "redis":
        if not database.is_sqlite:
            pytest.skip("Redis runs once, beside the SQLite case")
        backend = _redis_or_skip()
        yield backend
        backend.close()
    else:
        yield SqlThrottle(database)


def test_take_stops_at_the_limit_and_a_refusal_changes_nothing(throttle: Throttle) -> None:
    taken = [throttle.take("k", 600, 600, 3) for _ in range(5)]
    assert taken == [True, True, True, False, False]
    assert throttle.count("k", 600) == 3  # the refused takes were not counted
    assert throttle.count("k", 1200) == 0  # another window
    assert throttle.take("k", 1200, 600, 3) is True  # a new window starts from one
    assert throttle.count("k", 1200) == 1


def test_add_counts_without_limit(throttle: Throttle) -> None:
    assert [throttle.add("f", 0, 600) for _ in range(4)] == [1, 2, 3, 4]
    assert throttle.count("f", 0) == 4
    assert throttle.count("other", 0) == 0


def test_concurrent_takes_never_pass_the_limit(database: Database) -> None:
    throttle = SqlThrottle(database)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: throttle.take("race", 0, 600, 7), range(40)))
    print(f"40 concurrent takes, limit 7: {sum(results)} passed")
    assert sum(results) == 7
    assert throttle.count("race", 0) == 7


def test_purge_drops_old_windows(database: Database) -> None:
    throttle = SqlThrottle(database)
    throttle.add("old", 0, 600)
    throttle.add("new", 1200, 600)
    assert throttle.purge(before=600) == 1
    with database.session() as session:
        assert [row.key for row in session.query(ThrottleBucket).all()] == ["new"]


def _anti(throttle: Throttle, clock: FakeClock, **limits: int) -> AntiAutomation:
    settings = ThrottleSettings(window_seconds=600, **limits)  # type: ignore[arg-type]
    return AntiAutomation(throttle, settings, clock, PiiProtector(b"k" * 32))


def test_address_cap_then_retry_after_then_a_new_window(throttle: Throttle, clock: FakeClock) -> None:
    anti = _anti(throttle, clock, identity_per_address=3)
    for _ in range(3):
        anti.admit(Action.IDENTITY, "198.51.100.7", "user:a")
    with pytest.raises(Throttled) as refused:
        anti.admit(Action.IDENTITY, "198.51.100.7", "user:b")
    assert refused.value.details["scope"] == "address"
    assert 1 <= refused.value.details["retry_after"] <= 600
    anti.admit(Action.IDENTITY, "198.51.100.8", "user:a")  # another address has its own bucket
    anti.admit(Action.ARS_CALL, "198.51.100.7", "cust")  # another action too
    clock.advance(timedelta(seconds=refused.value.details["retry_after"]))
    anti.admit(Action.IDENTITY, "198.51.100.7", "user:a")  # the next window


def test_customer_guard_refuses_attackers_but_not_the_customer(throttle: Throttle, clock: FakeClock) -> None:
    anti = _anti(throttle, clock, identity_per_address=100, identity_failures_per_customer=4)
    attackers = [f"203.0.113.{i}" for i in range(4)]
    for address in attackers:  # four failures from four addresses: the user ID is now guarded
        anti.admit(Action.IDENTITY, address, "user:victim")
        anti.failed(Action.IDENTITY, address, "user:victim")
    for address in attackers:
        with pytest.raises(Throttled) as refused:
            anti.admit(Action.IDENTITY, address, "user:victim")
        assert refused.value.details["scope"] == "customer"
    anti.admit(Action.IDENTITY, "192.0.2.55", "user:victim")  # her own phone: no failure here, let through
    anti.admit(Action.IDENTITY, attackers[0], "user:someone-else")  # the guard is per user ID
