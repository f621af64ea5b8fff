"""Pre-signed OCSP responses: signed at issuance and right after revocation, stored for every process, refreshed
by the leader's batches before half their validity, re-signed after a new OCSP signer, never served for a status
the certificate no longer has."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from jointcert.ca.ports import AuditEvent, RecordStatus
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import make_request
from tests.unit.ca.test_ocsp import ocsp_request


def _response(env: CaEnv, serial: int) -> ocsp.OCSPResponse:
    return ocsp.load_der_ocsp_response(env.ocsp.respond(ocsp_request(env, serial)))


def _signatures(env: CaEnv) -> int:
    return env.counters.snapshot().get("ocsp_signatures", 0)


def test_issuance_stores_a_response_that_is_served_without_signing(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    row = env.ocsp_store.load("class1", issued.serial)
    assert row is not None and row.status is RecordStatus.ISSUED
    assert row.refresh_at - row.this_update == (row.next_update - row.this_update) / 2
    before = _signatures(env)
    answers = [env.ocsp.answer(ocsp_request(env, issued.serial)) for _ in range(5)]
    assert _signatures(env) == before  # nothing signed per request
    assert {a.der for a in answers} == {row.der}
    assert answers[0].etag and answers[0].next_update == row.next_update
    assert ocsp.load_der_ocsp_response(row.der).certificate_status is ocsp.OCSPCertStatus.GOOD


def test_revocation_replaces_the_stored_response_at_once(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    assert _response(env, issued.serial).certificate_status is ocsp.OCSPCertStatus.GOOD
    env.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    row = env.ocsp_store.load("class1", issued.serial)
    assert row is not None and row.status is RecordStatus.REVOKED  # re-signed by the revocation listener
    before = _signatures(env)
    response = _response(env, issued.serial)
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason is x509.ReasonFlags.key_compromise
    assert _signatures(env) == before


def test_a_response_signed_for_an_older_status_is_never_served(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    good = env.ocsp_store.load("class1", issued.serial)
    assert good is not None
    env.store.revoke(
        "class1", issued.serial, x509.ReasonFlags.superseded, env.clock.now(), AuditEvent("t", "t", env.clock.now())
    )
    env.ocsp_store.save([good])  # a batch that signed "good" before the revocation committed, saved after it
    assert env.ocsp_store.load("class1", issued.serial) is None
    assert _response(env, issued.serial).certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_leader_refreshes_due_responses_in_batches(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    serials = [env.authority.issue(make_request(key)).serial for key in subscriber_keys[:3]]
    first = _response(env, serials[0])
    assert first.next_update_utc is not None
    assert env.ocsp.presigned is not None
    assert env.ocsp.presigned.refresh(limit=10) == 1  # the OCSP signer's own certificate (installed, not issued)
    assert env.ocsp.presigned.refresh(limit=10) == 0  # nothing due
    env.clock.advance(timedelta(minutes=31))  # past half the 60-minute validity
    assert _response(env, serials[0]).this_update_utc == first.this_update_utc  # still valid: served meanwhile
    assert env.ocsp.presigned.refresh(limit=2) == 2
    assert env.ocsp.presigned.refresh(limit=2) == 2  # three subscribers and the OCSP signer
    assert env.ocsp.presigned.refresh(limit=2) == 0
    env.clock.advance(timedelta(seconds=61))  # a process re-reads a due entry within a minute
    before = _signatures(env)
    second = _response(env, serials[0])
    assert first.this_update_utc < second.this_update_utc < first.next_update_utc
    assert _signatures(env) == before  # the leader's response, not one signed here


def test_without_a_leader_a_process_signs_before_next_update(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    first = _response(env, issued.serial)
    env.clock.advance(timedelta(minutes=46))  # past three quarters of the validity, no refresh ran
    second = _response(env, issued.serial)
    assert first.next_update_utc is not None
    assert first.this_update_utc < second.this_update_utc < first.next_update_utc


def test_a_new_ocsp_signer_makes_every_response_due(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[1]))
    old = _response(env, issued.serial)
    assert old.certificates == [env.hierarchy.ocsp.certificate]
    renewed = env.hierarchy.issuing  # any other signer shows the switch
    env.clock.advance(timedelta(seconds=1))
    env.ocsp.use_signer(renewed)
    assert _response(env, issued.serial).certificates == [renewed.certificate]  # at once in this process
    assert env.ocsp.presigned is not None
    assert env.ocsp.presigned.refresh(limit=100) >= 1
    assert _response(env, issued.serial).certificates == [renewed.certificate]
