"""Batched issuance (ca/batcher.py): concurrent callers share one record and one store transaction.

The batches are made deterministic, not timed: the first (lone) caller is held inside its record step until the
other callers have queued behind it; they then form one batch.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from sqlalchemy import select, update

from jointcert.ca.audit import verify_store
from jointcert.ca.authority import IssuanceRequest, IssuedCertificate
from jointcert.ca.batcher import IssuanceBatcher
from jointcert.ca.errors import AlreadyRevoked, RecordCollision
from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.lint import PkixLinter
from jointcert.ca.ports import RecordStatus
from jointcert.ca.stats import Counters
from jointcert.ca.unit import UnitJob
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from jointcert.storage.tables.ca import CaCertificate
from tests.unit.ca.conftest import CaEnv, build_env
from tests.unit.ca.factories import make_request
from tests.unit.ca.test_ocsp import ocsp_request


class _SignerFailed(Exception):
    """The HSM went away."""


@pytest.fixture
def benv(database: Database, clock: FakeClock, hierarchy: Hierarchy, linter: PkixLinter, tmp_path: Path) -> CaEnv:
    """A CA wired with the batcher (as app.build_services does)."""
    return build_env(database, clock, hierarchy, linter, tmp_path / "keys", batch=True)


def _batcher(env: CaEnv) -> IssuanceBatcher[IssuedCertificate]:
    batcher = env.authority.batcher
    assert batcher is not None
    return batcher


@dataclass
class _Calls:
    """Counts the batch store's transactions."""

    records: list[int] = field(default_factory=list)  # units per record_units call
    stores: list[int] = field(default_factory=list)  # units per mark_units_issued call


def _count_batch_calls(env: CaEnv, monkeypatch: pytest.MonkeyPatch) -> _Calls:
    calls = _Calls()
    store = _batcher(env)._store
    record, mark = store.record_units, store.mark_units_issued

    def record_units(units: Any) -> None:
        calls.records.append(len(units))
        record(units)

    def mark_units_issued(*args: Any, **kwargs: Any) -> Any:
        calls.stores.append(len(args[1]))
        return mark(*args, **kwargs)

    monkeypatch.setattr(store, "record_units", record_units)
    monkeypatch.setattr(store, "mark_units_issued", mark_units_issued)
    return calls


def _hold_first_record(env: CaEnv, monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The first single-unit record step waits for ``release``; ``entered`` is set when it got there."""
    entered, release = threading.Event(), threading.Event()
    inner = env.store.record_unit
    first = [True]

    def record_unit(records: Any, events: Any) -> None:
        if first[0]:
            first[0] = False
            entered.set()
            assert release.wait(60)
        inner(records, events)

    monkeypatch.setattr(env.store, "record_unit", record_unit)
    return entered, release


def _concurrent(
    env: CaEnv, monkeypatch: pytest.MonkeyPatch, requests: list[IssuanceRequest]
) -> list[IssuedCertificate | BaseException]:
    """Issue ``requests[0]`` first and hold it in its record step until every other request has queued (one batch
    behind it); the outcome of each, in order."""
    entered, release = _hold_first_record(env, monkeypatch)
    outcomes: list[IssuedCertificate | BaseException | None] = [None] * len(requests)

    def run(i: int) -> None:
        try:
            outcomes[i] = env.authority.issue(requests[i])
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    threads[0].start()
    assert entered.wait(60)
    for thread in threads[1:]:
        thread.start()
    batcher = _batcher(env)
    while batcher.queued < len(requests) - 1:  # all but the held lone unit, which its leader took
        threading.Event().wait(0.01)
    release.set()
    for thread in threads:
        thread.join(120)
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def _requests(keys: list[rsa.RSAPrivateKey], n: int) -> list[IssuanceRequest]:
    return [make_request(keys[i % len(keys)]) for i in range(n)]


def _status(env: CaEnv, serial: int) -> RecordStatus:
    record = env.authority.certificate(serial)
    assert record is not None
    return record.status


def test_a_lone_caller_takes_the_single_unit_path(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_batch_calls(benv, monkeypatch)
    issued = [benv.authority.issue(make_request(subscriber_keys[0])) for _ in range(3)]
    assert calls.records == [] and calls.stores == []
    counters = benv.counters.snapshot()
    assert counters.get("issuance_batches", 0) == 0 and counters.get("batch_waits", 0) == 0
    assert all(_status(benv, i.serial) is RecordStatus.ISSUED for i in issued)


def test_concurrent_callers_share_one_record_and_one_store_transaction(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_batch_calls(benv, monkeypatch)
    before = [e.type for e in benv.audit.entries(limit=10_000)]
    outcomes = _concurrent(benv, monkeypatch, _requests(subscriber_keys, 5))
    issued = [o for o in outcomes if isinstance(o, IssuedCertificate)]
    assert len(issued) == 5, outcomes
    assert calls.records == [4] and calls.stores == [4]  # the lone first one, then the four behind it together
    assert len({i.serial for i in issued}) == 5
    for one in issued:
        record = benv.authority.certificate(one.serial)
        assert record is not None and record.status is RecordStatus.ISSUED and record.der == one.der
        assert record.tbs_sha256 == hashlib.sha256(one.certificate.tbs_certificate_bytes).digest()
        one.certificate.verify_directly_issued_by(benv.hierarchy.issuing.certificate)
    counters = benv.counters.snapshot()
    assert counters["issuance_batches"] == 1 and counters["batched_units"] == 4
    assert counters["certificates_issued"] == 5
    report = verify_store(benv.audit, key=benv.database.audit_key)
    assert report.ok, report
    kinds = [e.type for e in benv.audit.entries(limit=10_000)][len(before) :]
    assert sorted(kinds) == ["certificate.issued"] * 5 + ["certificate.recorded"] * 5


def test_every_batched_signature_follows_its_committed_record(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = benv.hierarchy.issuing
    seen: list[str | None] = []

    class Checking:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def sign_tbs(self, tbs: bytes) -> bytes:
            with benv.database.session() as db:  # a fresh transaction sees only committed rows
                seen.append(
                    db.scalar(
                        select(CaCertificate.status).where(CaCertificate.tbs_sha256 == hashlib.sha256(tbs).digest())
                    )
                )
            return inner.sign_tbs(tbs)

    object.__setattr__(benv.authority, "issuing", Checking())
    outcomes = _concurrent(benv, monkeypatch, _requests(subscriber_keys, 4))
    assert all(isinstance(o, IssuedCertificate) for o in outcomes), outcomes
    assert seen == ["pending"] * 4
    assert benv.counters.snapshot()["issuance_batches"] == 1


def test_a_sign_and_km_pair_is_one_unit_of_a_batch(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = [make_request(subscriber_keys[0]), make_request(subscriber_keys[1], km_key=subscriber_keys[2])]
    requests.append(make_request(subscriber_keys[3]))
    outcomes = _concurrent(benv, monkeypatch, requests)
    pair = outcomes[1]
    assert isinstance(pair, IssuedCertificate) and pair.km is not None
    record = benv.authority.certificate(pair.km.serial)
    assert record is not None and record.status is RecordStatus.ISSUED and record.pair_serial == pair.serial
    assert benv.counters.snapshot()["batched_units"] == 2


def test_a_collision_in_the_batch_falls_back_to_one_unit_at_a_time(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = _requests(subscriber_keys, 4)
    requests[2] = replace(requests[2], request_key="same-key")  # two callers with one idempotency key, one batch
    requests[3] = replace(requests[3], request_key="same-key")
    outcomes = _concurrent(benv, monkeypatch, requests)
    assert isinstance(outcomes[0], IssuedCertificate) and isinstance(outcomes[1], IssuedCertificate)
    same = outcomes[2:]
    assert sum(isinstance(o, IssuedCertificate) for o in same) == 1, same
    assert sum(isinstance(o, RecordCollision) for o in same) == 1, same
    assert benv.counters.snapshot()["batch_fallbacks"] >= 1
    assert all(_status(benv, o.serial) is RecordStatus.ISSUED for o in outcomes if isinstance(o, IssuedCertificate))
    assert benv.store.counts().get("pending", 0) == 0  # the batch's record transaction recorded nothing


def test_a_unit_voided_before_its_store_fails_alone(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = benv.hierarchy.issuing
    signed: list[bytes] = []

    class Voiding:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def sign_tbs(self, tbs: bytes) -> bytes:
            signed.append(tbs)
            if len(signed) == 2:  # the first unit of the batch: recovery voids it while it is being signed
                with benv.database.session() as db:
                    db.execute(
                        update(CaCertificate)
                        .where(CaCertificate.tbs_sha256 == hashlib.sha256(tbs).digest())
                        .values(status=RecordStatus.VOID.value)
                    )
            return inner.sign_tbs(tbs)

    object.__setattr__(benv.authority, "issuing", Voiding())
    outcomes = _concurrent(benv, monkeypatch, _requests(subscriber_keys, 4))
    assert isinstance(outcomes[0], IssuedCertificate)
    failed = [o for o in outcomes if isinstance(o, AlreadyRevoked)]
    issued = [o for o in outcomes if isinstance(o, IssuedCertificate)]
    assert len(failed) == 1 and len(issued) == 3, outcomes
    assert all(_status(benv, o.serial) is RecordStatus.ISSUED for o in issued)
    assert benv.counters.snapshot()["batch_fallbacks"] == 1


def test_a_signer_failure_fails_only_that_batch(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = benv.hierarchy.issuing
    failing = [False]

    class Flaky:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def sign_tbs(self, tbs: bytes) -> bytes:
            if failing[0]:
                raise _SignerFailed()
            return inner.sign_tbs(tbs)

    object.__setattr__(benv.authority, "issuing", Flaky())
    hold_entered, release = _hold_first_record(benv, monkeypatch)
    requests = _requests(subscriber_keys, 4)
    outcomes: list[object] = [None] * 4

    def run(i: int) -> None:
        try:
            outcomes[i] = benv.authority.issue(requests[i])
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    threads[0].start()
    assert hold_entered.wait(60)
    for thread in threads[1:]:
        thread.start()
    while _batcher(benv).queued < 3:
        threading.Event().wait(0.01)

    inner_sign = Flaky.sign_tbs

    def first_ok_then_fail(self: Flaky, tbs: bytes) -> bytes:  # the lone unit signs; the batch behind it fails
        der = inner_sign(self, tbs)
        failing[0] = True
        return der

    monkeypatch.setattr(Flaky, "sign_tbs", first_ok_then_fail)
    release.set()
    for thread in threads:
        thread.join(120)
    assert isinstance(outcomes[0], IssuedCertificate)
    assert all(isinstance(o, _SignerFailed) for o in outcomes[1:]), outcomes
    assert benv.store.counts().get("pending", 0) == 3  # recorded, never signed: recovery voids them
    monkeypatch.setattr(Flaky, "sign_tbs", lambda self, tbs: inner.sign_tbs(tbs))
    later = benv.authority.issue(make_request(subscriber_keys[0]))  # the next caller is not affected
    assert _status(benv, later.serial) is RecordStatus.ISSUED
    benv.clock.advance(timedelta(minutes=6))
    voided = benv.authority.recover_stale()
    assert len(voided) == 3


def test_batched_certificates_get_their_presigned_ocsp_response(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = _concurrent(benv, monkeypatch, _requests(subscriber_keys, 3))
    before = benv.counters.snapshot().get("ocsp_signatures", 0)
    for one in outcomes:
        assert isinstance(one, IssuedCertificate)
        answer = ocsp.load_der_ocsp_response(benv.ocsp.respond(ocsp_request(benv, one.serial)))
        assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert benv.counters.snapshot().get("ocsp_signatures", 0) == before  # served pre-signed, none signed live


def test_a_batched_unit_supersedes_the_holders_older_certificate(
    benv: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    older = benv.authority.issue(make_request(subscriber_keys[0], rrn="9001011000777"))
    requests = _requests(subscriber_keys, 4)
    requests[2] = make_request(subscriber_keys[1], rrn="9001011000777")
    outcomes = _concurrent(benv, monkeypatch, requests)
    newer = outcomes[2]
    assert isinstance(newer, IssuedCertificate) and newer.superseded_serial == older.serial
    record = benv.authority.certificate(older.serial)
    assert record is not None and record.status is RecordStatus.REVOKED
    assert record.revocation_reason is x509.ReasonFlags.superseded
    others = [o for i, o in enumerate(outcomes) if i != 2]
    assert all(isinstance(o, IssuedCertificate) and o.superseded_serial is None for o in others)
    assert benv.counters.snapshot()["issuance_batches"] == 1


class _FakePipeline:
    """The authority's steps, doing nothing: the batcher's own logic alone."""

    slug = "class1"

    def issue_unit(self, job: UnitJob) -> str:
        return f"alone:{job.channel}"

    def unit_records(self, job: UnitJob) -> tuple[list[Any], list[Any]]:
        return [], []

    def sign_unit(self, job: UnitJob) -> list[bytes]:
        return []

    def stored_events(self, job: UnitJob, ders: Any) -> list[Any]:
        return []

    def superseded_event(self, serial: int) -> Any:
        raise AssertionError("nothing is superseded here")

    def store_unit(self, job: UnitJob, ders: Any) -> list[int]:
        return []

    def finish_units(self, done: Any) -> list[str]:
        return [f"batched:{job.channel}" for job, _, _ in done]

    def now(self) -> Any:
        return None


class _FakeStore:
    def record_units(self, units: Any) -> None:
        pass

    def mark_units_issued(self, issuer: str, units: Any, **_: Any) -> list[list[int]]:
        return [[] for _ in units]


def test_after_a_batch_the_leader_waits_for_a_caller_still_preparing() -> None:
    counters = Counters()
    batcher: IssuanceBatcher[str] = IssuanceBatcher(_FakePipeline(), _FakeStore(), counters, window_seconds=60)
    batcher._last_multi = True  # the previous batch had two units: callers are concurrent
    prepared = threading.Event()
    answers: dict[str, str] = {}

    def late_caller() -> None:
        with batcher.preparing():
            assert prepared.wait(60)
            answers["late"] = batcher.submit(UnitJob([], None, "late", None, False))

    thread = threading.Thread(target=late_caller)
    thread.start()
    while batcher._preparing == 0:  # the late caller is preparing
        threading.Event().wait(0.01)
    leader = threading.Thread(
        target=lambda: answers.update(first=batcher.submit(UnitJob([], None, "first", None, False)))
    )
    leader.start()
    while counters.snapshot().get("batch_waits", 0) == 0:  # the leader is in its window
        threading.Event().wait(0.01)
    prepared.set()
    thread.join(60)
    leader.join(60)
    assert answers == {"first": "batched:first", "late": "batched:late"}  # one batch of both, not two lone units
    assert counters.snapshot() == {"batch_waits": 1, "issuance_batches": 1, "batched_units": 2}


def test_a_quiet_batcher_never_waits() -> None:
    counters = Counters()
    batcher: IssuanceBatcher[str] = IssuanceBatcher(_FakePipeline(), _FakeStore(), counters, window_seconds=60)
    with batcher.preparing():
        assert batcher.submit(UnitJob([], None, "only", None, False)) == "alone:only"
    batcher._last_multi = True  # even after a batch: nobody else is preparing
    assert batcher.submit(UnitJob([], None, "next", None, False)) == "alone:next"
    assert counters.snapshot() == {}
