"""The OCSP fast path: a repeated nonce-less request is answered without parsing it again, yet every answer
still reflects the certificate's current status (one indexed read per request)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jointcert.ca import ocsp as responder_module
from jointcert.ca.ports import AuditEvent, RecordStatus
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import make_request
from tests.unit.ca.test_ocsp import ocsp_request


def _status(der: bytes) -> ocsp.OCSPCertStatus:
    return ocsp.load_der_ocsp_response(der).certificate_status


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_: bytes) -> ocsp.OCSPRequest:
        raise AssertionError("the request was parsed again")

    monkeypatch.setattr(responder_module.ocsp, "load_der_ocsp_request", refuse)


def test_repeated_request_is_not_parsed_again(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    first = env.ocsp.respond(request)
    _no_parsing(monkeypatch)
    assert all(env.ocsp.respond(request) == first for _ in range(5))
    assert env.counters.snapshot()["ocsp_cache_hits"] >= 5


def test_fast_path_flips_to_revoked_at_once(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    assert _status(env.ocsp.respond(request)) is ocsp.OCSPCertStatus.GOOD
    assert _status(env.ocsp.respond(request)) is ocsp.OCSPCertStatus.GOOD  # now on the fast path
    env.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    revoked = ocsp.load_der_ocsp_response(env.ocsp.respond(request))
    assert revoked.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason is x509.ReasonFlags.key_compromise


def test_fast_path_sees_a_revocation_made_by_another_process(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    env.ocsp.respond(request)
    assert _status(env.ocsp.respond(request)) is ocsp.OCSPCertStatus.GOOD
    event = AuditEvent("t", "t", env.clock.now())  # straight into the database: no listener in this process
    env.store.revoke("class1", issued.serial, x509.ReasonFlags.superseded, env.clock.now(), event)
    assert _status(env.ocsp.respond(request)) is ocsp.OCSPCertStatus.REVOKED


def test_nonce_requests_are_never_answered_from_the_byte_cache(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial, nonce=True)
    before = env.counters.snapshot().get("ocsp_signatures", 0)
    env.ocsp.respond(request)
    env.ocsp.respond(request)
    assert env.counters.snapshot()["ocsp_signatures"] == before + 2


def test_state_reads_only_the_status(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    state = env.store.state("class1", issued.serial)
    assert state is not None and state.status is RecordStatus.ISSUED and state.revoked_at is None
    env.authority.revoke(issued.serial, x509.ReasonFlags.affiliation_changed, actor="test")
    state = env.store.state("class1", issued.serial)
    assert state is not None and state.status is RecordStatus.REVOKED
    assert state.revocation_reason is x509.ReasonFlags.affiliation_changed
    assert state.revoked_at is not None and state.revoked_at.tzinfo is not None
    assert env.store.state("class1", 12345) is None


def test_answer_from_memory_serves_only_requests_memory_holds(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request, with_nonce = ocsp_request(env, issued.serial), ocsp_request(env, issued.serial, nonce=True)
    assert env.ocsp.answer_from_memory(request) is None  # never seen: the threaded path parses it
    first = env.ocsp.answer(request)
    requests = env.counters.snapshot()["ocsp_requests"]
    hit = env.ocsp.answer_from_memory(request)
    assert hit is not None and hit.der == first.der and hit.etag == first.etag
    assert env.counters.snapshot()["ocsp_requests"] == requests + 1
    env.ocsp.answer(with_nonce)
    assert env.ocsp.answer_from_memory(with_nonce) is None  # nonces are signed live, always
    assert env.ocsp.answer_from_memory(ocsp_request(env, 2**90 + 1)) is None  # unknown serial


def test_answer_from_memory_never_says_good_after_a_revocation_elsewhere(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    env.ocsp.answer(request)
    good = env.ocsp.answer_from_memory(request)
    assert good is not None and _status(good.der) is ocsp.OCSPCertStatus.GOOD
    event = AuditEvent("t", "t", env.clock.now())  # straight into the database: no listener in this process
    env.store.revoke("class1", issued.serial, x509.ReasonFlags.key_compromise, env.clock.now(), event)
    assert env.ocsp.answer_from_memory(request) is None  # the epoch moved: memory is not trusted
    assert _status(env.ocsp.answer(request).der) is ocsp.OCSPCertStatus.REVOKED
    again = env.ocsp.answer_from_memory(request)
    assert again is not None and _status(again.der) is ocsp.OCSPCertStatus.REVOKED


def test_answer_from_memory_steps_aside_while_the_epoch_cannot_be_read(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    env.ocsp.answer(request)
    assert env.ocsp.presigned is not None
    calls: list[int] = []

    def unreadable(slug: str, serial: int, *, also_count: object = ()) -> None:
        calls.append(serial)
        raise OSError("database away")

    monkeypatch.setattr(env.ocsp.presigned, "in_memory", unreadable)
    assert env.ocsp.answer_from_memory(request) is None
    assert env.ocsp.answer_from_memory(request) is None
    assert calls == [issued.serial]  # the second did not touch the database from the event loop
    monkeypatch.undo()
    env.clock.advance(timedelta(seconds=6))
    assert env.ocsp.answer_from_memory(request) is not None


class _FrozenEpoch:
    """An epoch reader that has not heard of the revocation yet (a notification still on its way)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def current(self) -> int:
        return self.value

    def close(self) -> None:
        pass


def test_the_revoking_process_answers_revoked_before_its_epoch_moves(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The revocation listener drops the revoked serials' memory entries (a bulk chunk: none re-signed at once), so
    the revoking process does not depend on the epoch reaching it."""
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    for _ in range(2):
        assert _status(env.ocsp.respond(request)) is ocsp.OCSPCertStatus.GOOD
    assert env.ocsp.presigned is not None
    frozen = _FrozenEpoch(env.ocsp.presigned._epochs.current())
    monkeypatch.setattr(env.ocsp.presigned, "_epochs", frozen)
    monkeypatch.setattr(responder_module, "_RESIGN_AT_ONCE", 0)  # handled as a bulk revocation's chunk
    env.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    assert env.ocsp.answer_from_memory(request) is None
    assert _status(env.ocsp.respond(request)) is ocsp.OCSPCertStatus.REVOKED
