"""Nothing is signed without a committed record; a crash between record and store leaves a void (revoked) record."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jointcert.ca.errors import LintFailed, RecordCollision
from jointcert.ca.hierarchy import Hierarchy
from jointcert.ca.lint import Finding, PkixLinter
from jointcert.ca.ports import AuditEvent, PendingRecord, RecordStatus
from jointcert.clock import FakeClock
from jointcert.storage.db import Database
from tests.unit.ca.conftest import CA_SETTINGS, CaEnv, build_env
from tests.unit.ca.factories import make_request
from tests.unit.ca.test_ocsp import ocsp_request


class _Crash(Exception):
    """Stands for the process dying."""


class _CrashingSigner:
    def __init__(self, inner: object, seen: list[bytes]) -> None:
        self._inner, self._seen = inner, seen

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def sign_tbs(self, tbs: bytes) -> bytes:
        self._seen.append(tbs)
        raise _Crash()


def test_sign_happens_only_after_the_record_is_committed(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    seen_at_sign: list[int] = []
    inner = env.hierarchy.issuing

    class Checking(_CrashingSigner):
        def sign_tbs(self, tbs: bytes) -> bytes:
            # a fresh read through another session sees the committed pending record
            seen_at_sign.append(env.store.counts().get("pending", 0))
            return inner.sign_tbs(tbs)

    object.__setattr__(env.authority, "issuing", Checking(inner, []))
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    assert seen_at_sign == [1]
    record = env.authority.certificate(issued.serial)
    assert record is not None and record.status is RecordStatus.ISSUED


def test_a_failing_record_step_means_nothing_is_signed(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed: list[bytes] = []
    object.__setattr__(env.authority, "issuing", _CrashingSigner(env.hierarchy.issuing, signed))

    def refuse(records: list[PendingRecord], events: list[AuditEvent]) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(env.store, "record_unit", refuse)
    with pytest.raises(RuntimeError):
        env.authority.issue(make_request(subscriber_keys[0]))
    assert signed == []


def test_collisions_are_retried_with_a_new_serial(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = env.store.record_unit
    attempts: list[int] = []

    def collide_twice(records: list[PendingRecord], events: list[AuditEvent]) -> None:
        attempts.append(records[0].serial)
        if len(attempts) <= 2:
            raise RecordCollision()
        original(records, events)

    monkeypatch.setattr(env.store, "record_unit", collide_twice)
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    assert len(set(attempts)) == 3 and issued.serial == attempts[-1]


def test_the_database_rejects_a_duplicate_serial(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    record = env.authority.certificate(issued.serial)
    assert record is not None
    duplicate = PendingRecord(
        issuer="class1",
        serial=issued.serial,
        profile="limited",
        subject="CN=x",
        unique_id="0" * 21,
        holder_hash=None,
        not_before=record.not_before,
        not_after=record.not_after,
        tbs_sha256=b"\x00" * 32,
        created_at=record.created_at,
        channel="cli",
    )
    with pytest.raises(RecordCollision):
        env.store.record_pending(duplicate, AuditEvent("t", "t", record.created_at))
    assert env.store.counts()["issued"] == 3  # class1, ocsp signer, the one above


@pytest.mark.lint_findings_expected
@pytest.mark.parametrize("mode", ["full", "template"])
def test_lint_failure_signs_and_records_nothing(
    *,
    database: Database,
    clock: FakeClock,
    hierarchy: Hierarchy,
    tmp_path: Path,
    subscriber_keys: list[rsa.RSAPrivateKey],
    mode: str,
) -> None:
    linter = PkixLinter()  # a finding on everything: in the template mode, on the templates linted at start
    linter.certificate = lambda der: [Finding("ERROR", "pkix.made_up", "forced")]  # type: ignore[method-assign]
    settings = CA_SETTINGS.model_copy(update={"lint": mode})
    env = build_env(database, clock, hierarchy, linter, tmp_path / "keys", settings=settings)
    before = env.store.counts()
    with pytest.raises(LintFailed) as failure:
        env.authority.issue(make_request(subscriber_keys[0]))
    expected = "ERROR pkix.made_up: forced" if mode == "full" else "template: ERROR pkix.made_up: forced"
    assert expected in failure.value.details["findings"]
    assert env.store.counts() == before


def test_crash_between_sign_and_store_leaves_a_void_record_listed_as_revoked(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    tbs_seen: list[bytes] = []
    object.__setattr__(env.authority, "issuing", _CrashingSigner(env.hierarchy.issuing, tbs_seen))
    with pytest.raises(_Crash):
        env.authority.issue(make_request(subscriber_keys[0]))
    object.__setattr__(env.authority, "issuing", env.hierarchy.issuing)
    assert env.store.counts().get("pending") == 1
    tbs = x509.load_der_x509_certificate(_lintable(tbs_seen[0]))
    serial = tbs.serial_number
    # pending: OCSP must not say good
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(ocsp_request(env, serial, nonce=True)))
    assert response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    # fresh pending records are left alone; stale ones are voided
    assert env.authority.recover_stale() == []
    env.clock.advance(timedelta(minutes=6))
    assert env.authority.recover_stale() == [serial]
    record = env.authority.certificate(serial)
    assert record is not None and record.status is RecordStatus.VOID
    crl = x509.load_der_x509_crl(env.crl.current("class1").der)
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(ocsp_request(env, serial, nonce=True)))
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED


def _lintable(tbs: bytes) -> bytes:
    """Wrap a bare TBS in a certificate with a dummy signature so cryptography can parse its fields."""
    from jointcert.ca.tbs import assemble_certificate

    return assemble_certificate(tbs, b"\x00" * 256)
