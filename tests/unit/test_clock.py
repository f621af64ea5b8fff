from datetime import UTC, datetime, timedelta

import pytest

from jointcert.clock import FakeClock, SystemClock


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_fake_clock_moves_only_when_told() -> None:
    start = datetime(2030, 5, 1, tzinfo=UTC)
    clock = FakeClock(start)
    assert clock.now() == start
    clock.advance(timedelta(days=3))
    assert clock.now() == start + timedelta(days=3)
    assert clock.monotonic() == timedelta(days=3).total_seconds()
    clock.set(start)
    assert clock.now() == start


def test_fake_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError):
        FakeClock(datetime(2030, 1, 1))  # noqa: DTZ001
