"""OCSP responder: statuses, nonce, caching and its invalidation, unknown issuers, malformed requests."""

from __future__ import annotations

import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp

from jointcert.ca.lint import PkixLinter
from tests.unit.ca.conftest import CaEnv
from tests.unit.ca.factories import make_request


def ocsp_request(
    env: CaEnv, serial: int, *, nonce: bool = False, algorithm: hashes.HashAlgorithm | None = None
) -> bytes:
    """A DER OCSP request about ``serial`` of the issuing CA."""
    issuing = env.hierarchy.issuing
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        issuing.name_hashes[(algorithm or hashes.SHA1()).name],
        issuing.key_hashes[(algorithm or hashes.SHA1()).name],
        serial,
        algorithm or hashes.SHA1(),
    )
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _respond(env: CaEnv, request: bytes) -> ocsp.OCSPResponse:
    response = ocsp.load_der_ocsp_response(env.ocsp.respond(request))
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    signer = env.hierarchy.ocsp.certificate
    assert response.certificates == [signer]
    key = signer.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
    return response


def test_good_revoked_unknown(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey], linter: PkixLinter) -> None:
    good = env.authority.issue(make_request(subscriber_keys[0]))
    bad = env.authority.issue(make_request(subscriber_keys[1]))
    env.authority.revoke(bad.serial, x509.ReasonFlags.key_compromise, actor="test")
    statuses = {}
    for label, serial in (("good", good.serial), ("revoked", bad.serial), ("unknown", 12345678901234567890)):
        der = env.ocsp.respond(ocsp_request(env, serial, algorithm=hashes.SHA256()))
        assert [f for f in linter.ocsp_response(der) if f.is_error] == []
        response = _respond(env, ocsp_request(env, serial))
        assert response.serial_number == serial
        statuses[label] = response.certificate_status
        if label == "revoked":
            assert response.revocation_reason is x509.ReasonFlags.key_compromise
            assert response.revocation_time_utc is not None
        assert response.next_update_utc is not None and response.next_update_utc > response.this_update_utc
    assert statuses == {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }


def test_nonce_is_echoed_in_a_fresh_signature(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial, nonce=True)
    nonce = ocsp.load_der_ocsp_request(request).extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    response = _respond(env, request)
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    before = env.counters.snapshot().get("ocsp_signatures", 0)
    _respond(env, ocsp_request(env, issued.serial, nonce=True))
    assert env.counters.snapshot()["ocsp_signatures"] == before + 1


def test_without_nonce_responses_are_cached_until_revocation(
    env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]
) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    first = env.ocsp.respond(request)
    signatures = env.counters.snapshot()["ocsp_signatures"]
    assert all(env.ocsp.respond(request) == first for _ in range(20))
    assert env.counters.snapshot()["ocsp_signatures"] == signatures  # served from the cache
    env.authority.revoke(issued.serial, x509.ReasonFlags.superseded, actor="test")
    assert _respond(env, request).certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_cache_notices_a_revocation_made_elsewhere(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial)
    assert _respond(env, request).certificate_status is ocsp.OCSPCertStatus.GOOD
    # another process revokes straight in the database: no listener fires here
    from jointcert.ca.ports import AuditEvent

    env.store.revoke(
        "class1", issued.serial, x509.ReasonFlags.key_compromise, env.clock.now(), AuditEvent("t", "t", env.clock.now())
    )
    assert _respond(env, request).certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_cache_is_refreshed_before_next_update(env: CaEnv, subscriber_keys: list[rsa.RSAPrivateKey]) -> None:
    """The live cache (a SHA-256 CertID: no pre-signed response; those are in test_ocsp_presign.py)."""
    from datetime import timedelta

    issued = env.authority.issue(make_request(subscriber_keys[0]))
    request = ocsp_request(env, issued.serial, algorithm=hashes.SHA256())
    first = _respond(env, request)
    env.clock.advance(timedelta(seconds=301))
    second = _respond(env, request)
    assert second.this_update_utc > first.this_update_utc
    assert second.this_update_utc < first.next_update_utc  # refreshed while the old one was still valid


def test_foreign_issuer_is_unauthorized_and_garbage_is_malformed(env: CaEnv) -> None:
    foreign = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(b"\x01" * 20, b"\x02" * 20, 5, hashes.SHA1())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    assert ocsp.load_der_ocsp_response(env.ocsp.respond(foreign)).response_status is (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )
    for garbage in (b"", b"\x30\x03\x02\x01\x01", os.urandom(64)):
        response = ocsp.load_der_ocsp_response(env.ocsp.respond(garbage))
        assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
