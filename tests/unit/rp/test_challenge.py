"""Challenges: signed and bound to institution + session, stored only when consumed, consumed exactly once,
expiring."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from jointcert.clock import FakeClock
from jointcert.rp import ChallengeService, InMemoryChallengeStore, Reason, Status


def test_issue_then_consume_once(clock: FakeClock) -> None:
    service = ChallengeService(InMemoryChallengeStore(), clock, ttl_seconds=60)
    challenge = service.issue("bank", "s1")
    assert challenge.expires_at - challenge.issued_at == timedelta(seconds=60)
    assert len(challenge.value) >= 43 and challenge.data == challenge.value.encode()
    assert service.consume(challenge.value, "bank", "s1").status is Status.PASSED
    assert service.consume(challenge.value, "bank", "s1").code is Reason.CHALLENGE_REPLAYED


def test_each_refusal_has_its_reason(clock: FakeClock) -> None:
    service = ChallengeService(InMemoryChallengeStore(), clock, ttl_seconds=60)
    challenge = service.issue("bank", "s1")
    assert service.consume(challenge.value, "bank", "s2").code is Reason.CHALLENGE_MISMATCH
    assert service.consume(challenge.value, "card", "s1").code is Reason.CHALLENGE_MISMATCH
    assert service.consume("nope", "bank", "s1").code is Reason.CHALLENGE_UNKNOWN
    assert service.consume("", "bank", "s1").code is Reason.CHALLENGE_UNKNOWN
    assert service.consume("챌린지", "bank", "s1").code is Reason.CHALLENGE_UNKNOWN
    clock.advance(timedelta(seconds=60))
    assert service.consume(challenge.value, "bank", "s1").code is Reason.CHALLENGE_EXPIRED
    assert service.purge() == 0  # never used: nothing was stored for it


def test_forged_and_foreign_challenges_are_unknown(clock: FakeClock) -> None:
    service = ChallengeService(InMemoryChallengeStore(), clock, key=b"k" * 32)
    value = service.issue("bank", "s1").value
    for position in (0, len(value) // 2, len(value) - 1):  # any changed character breaks the tag
        changed = "A" if value[position] != "A" else "B"
        forged = value[:position] + changed + value[position + 1 :]
        assert service.consume(forged, "bank", "s1").code is Reason.CHALLENGE_UNKNOWN
    other = ChallengeService(InMemoryChallengeStore(), clock, key=b"x" * 32)  # another deployment's key
    assert other.consume(value, "bank", "s1").code is Reason.CHALLENGE_UNKNOWN
    same_key = ChallengeService(InMemoryChallengeStore(), clock, key=b"k" * 32)  # another process, same key
    assert same_key.consume(value, "bank", "s1").status is Status.PASSED


def test_a_purged_record_cannot_be_replayed(clock: FakeClock) -> None:
    service = ChallengeService(InMemoryChallengeStore(), clock, ttl_seconds=60)
    challenge = service.issue("bank", "s1")
    assert service.consume(challenge.value, "bank", "s1").status is Status.PASSED
    clock.advance(timedelta(seconds=61))
    assert service.purge() == 1
    assert service.consume(challenge.value, "bank", "s1").code is Reason.CHALLENGE_EXPIRED


def test_challenges_are_unique(clock: FakeClock) -> None:
    service = ChallengeService(InMemoryChallengeStore(), clock)
    assert len({service.issue("bank", "s").value for _ in range(200)}) == 200


def test_bad_configuration_raises(clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        ChallengeService(InMemoryChallengeStore(), clock, ttl_seconds=0)
    with pytest.raises(ValueError):
        ChallengeService(InMemoryChallengeStore(), clock).issue("", "s")


def test_concurrent_consumers_in_memory(clock: FakeClock) -> None:
    service = ChallengeService(InMemoryChallengeStore(), clock)
    challenge = service.issue("bank", "s")
    barrier = threading.Barrier(20)
    results: list[Status] = []

    def consume() -> None:
        barrier.wait()
        results.append(service.consume(challenge.value, "bank", "s").status)

    threads = [threading.Thread(target=consume) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(Status.PASSED) == 1 and results.count(Status.FAILED) == 19
