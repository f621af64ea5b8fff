"""The CA over HTTP (in-process) on SQLite and PostgreSQL: OCSP GET/POST, CRL, CA certificates, problems, metrics."""

from __future__ import annotations

import base64
import os
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient
from starlette.concurrency import run_in_threadpool

from jointcert.app import Services
from jointcert.ca.audit import verify_store
from jointcert.clock import FakeClock
from jointcert.web.app import run_ocsp_presign
from jointcert.web.routes import pki
from tests.unit.ca.factories import make_request

_KEY = rsa.generate_private_key(65537, 2048)


def _ocsp_request(services: Services, serial: int, nonce: bool = False) -> bytes:
    issuing = services.signers["class1"].certificate
    cert_like = services.authority.certificate(serial)
    builder = ocsp.OCSPRequestBuilder()
    if cert_like is not None and cert_like.certificate is not None:
        builder = builder.add_certificate(cert_like.certificate, issuing, hashes.SHA1())
    else:
        signer = services.signers["class1"]
        builder = builder.add_certificate_by_hash(
            signer.name_hashes["sha1"], signer.key_hashes["sha1"], serial, hashes.SHA1()
        )
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def test_ocsp_post_and_get(services: Services, client: TestClient) -> None:
    good = services.authority.issue(make_request(_KEY))
    revoked = services.authority.issue(make_request(_KEY))
    services.authority.revoke(revoked.serial, x509.ReasonFlags.cessation_of_operation, actor="test")
    expected = {
        good.serial: ocsp.OCSPCertStatus.GOOD,
        revoked.serial: ocsp.OCSPCertStatus.REVOKED,
        2**100 + 7: ocsp.OCSPCertStatus.UNKNOWN,
    }
    for serial, status in expected.items():
        body = _ocsp_request(services, serial, nonce=True)
        posted = client.post("/ocsp", content=body, headers={"Content-Type": "application/ocsp-request"})
        assert posted.status_code == 200 and posted.headers["content-type"] == "application/ocsp-response"
        assert ocsp.load_der_ocsp_response(posted.content).certificate_status is status
        encoded = urllib.parse.quote(base64.b64encode(_ocsp_request(services, serial)).decode(), safe="")
        fetched = client.get(f"/ocsp/{encoded}")
        assert ocsp.load_der_ocsp_response(fetched.content).certificate_status is status
    malformed = client.post("/ocsp", content=b"nonsense")
    assert ocsp.load_der_ocsp_response(malformed.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert ocsp.load_der_ocsp_response(client.get("/ocsp/%%%").content).response_status is (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_ocsp_get_is_cacheable_until_next_update_and_revalidates(services: Services, client: TestClient) -> None:
    issued = services.authority.issue(make_request(_KEY))
    path = "/ocsp/" + urllib.parse.quote(base64.b64encode(_ocsp_request(services, issued.serial)).decode(), safe="")
    fetched = client.get(path)
    response = ocsp.load_der_ocsp_response(fetched.content)
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD and response.next_update_utc is not None
    max_age = int((response.next_update_utc - services.clock.now()).total_seconds())
    assert fetched.headers["cache-control"] == f"max-age={max_age}, public, no-transform, must-revalidate"
    assert fetched.headers["last-modified"] == format_datetime(response.this_update_utc, usegmt=True)
    assert fetched.headers["expires"] == format_datetime(response.next_update_utc, usegmt=True)
    etag = fetched.headers["etag"]
    assert client.get(path).content == fetched.content  # the same pre-signed bytes
    unchanged = client.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    after = client.get(path, headers={"If-None-Match": etag})  # a new response: a new ETag, so no 304
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert ocsp.load_der_ocsp_response(after.content).certificate_status is ocsp.OCSPCertStatus.REVOKED
    nonce = client.get(
        "/ocsp/" + urllib.parse.quote(base64.b64encode(_ocsp_request(services, issued.serial, True)).decode(), safe="")
    )
    assert nonce.headers["cache-control"] == "no-store" and "etag" not in nonce.headers  # signed live, not cached
    posted = client.post("/ocsp", content=_ocsp_request(services, issued.serial))
    assert posted.content == after.content and posted.headers["cache-control"] == "no-store"


def test_crl_and_ca_certificates(services: Services, client: TestClient) -> None:
    issued = services.authority.issue(make_request(_KEY))
    services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    response = client.get("/crl/class1.crl")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.get_revoked_certificate_by_serial_number(issued.serial) is not None
    assert x509.load_der_x509_crl(client.get("/crl/root.crl").content).issuer == services.signers["root"].name
    for slug in ("root", "class1", "ocsp"):
        cert = client.get(f"/ca/{slug}.crt")
        assert cert.headers["content-type"] == "application/pkix-cert"
        assert x509.load_der_x509_certificate(cert.content) == services.signers[slug].certificate
    assert "인증업무준칙" in client.get("/cps").text


def test_errors_are_problem_documents(client: TestClient) -> None:
    for path in ("/crl/nope.crl", "/ca/nope.crt", "/no/such/route"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 404 and body["type"].startswith("urn:jointcert:problem:")
    assert client.get("/ca/nope.crt").json()["code"] == "unknown_authority"
    assert "message_ko" in client.get("/ca/nope.crt").json()


def test_health_metrics_openapi(services: Services, client: TestClient) -> None:
    services.authority.issue(make_request(_KEY))
    assert client.get("/healthz").json()["status"] == "ok"
    client.get("/ca/root.crt")
    text = client.get("/metrics").text
    assert 'jointcert_http_requests_total{method="GET",route="/ca/{ca}.crt",status="200"} 1.0' in text
    assert 'jointcert_ca_events_total{event="certificates_issued"} 1.0' in text
    assert 'jointcert_ca_certificates{status="issued"}' in text
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/ocsp", "/crl/{ca}.crl", "/ca/{ca}.crt", "/healthz", "/metrics"} <= set(paths)


def test_init_is_audited_and_the_chain_verifies(services: Services) -> None:
    types = [e.type for e in services.audit.entries()]
    assert types[-1] == "ca.keys_unlocked" and "ca.initialised" in types and "instance.initialised" in types
    assert verify_store(services.audit).ok


def test_ocsp_get_with_slashes_in_the_base64(services: Services, client: TestClient) -> None:
    issued = services.authority.issue(make_request(_KEY))
    request = _ocsp_request(services, issued.serial)
    text = base64.b64encode(request).decode()
    unknown = 2**90
    while "/" not in text:  # the CertID of an unknown serial changes the base64 until it holds a slash
        unknown += 1
        request = _ocsp_request(services, unknown)
        text = base64.b64encode(request).decode()
    expected = ocsp.load_der_ocsp_response(services.ocsp.respond(request))
    for path in (text, urllib.parse.quote(text, safe=""), text.rstrip("="), text + "/"):
        response = ocsp.load_der_ocsp_response(client.get(f"/ocsp/{path}").content)
        assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL, path
        assert response.serial_number == expected.serial_number
        assert response.certificate_status is expected.certificate_status


def test_partition_crls_are_served_at_the_certificates_distribution_point(
    services: Services, client: TestClient
) -> None:
    issued = services.authority.issue(make_request(_KEY))
    services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")  # leaves p0 dirty
    [point] = issued.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    [uri] = point.full_name
    path = urllib.parse.urlsplit(uri.value).path
    assert path.startswith("/crl/class1/p") and path.endswith(".crl")
    response = client.get(path)  # reissued on demand: the revocation is listed
    assert response.status_code == 200 and response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.get_revoked_certificate_by_serial_number(issued.serial) is not None
    idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    assert idp.critical and idp.value.full_name == [uri]
    for missing in ("/crl/class1/p999999.crl", "/crl/class1/p01.crl", "/crl/class1/x.crl", "/crl/nope/p0.crl"):
        problem = client.get(missing)
        assert problem.status_code == 404 and problem.json()["code"] in ("unknown_crl_partition", "unknown_authority")


def test_the_leader_re_signs_due_responses_in_batches(services: Services, client: TestClient, clock: FakeClock) -> None:
    serials = [services.authority.issue(make_request(_KEY)).serial for _ in range(3)]
    run_ocsp_presign(services)  # the installed hierarchy's own certificates (the OCSP signer's) get theirs
    assert run_ocsp_presign(services) == 0
    path = "/ocsp/" + urllib.parse.quote(base64.b64encode(_ocsp_request(services, serials[0])).decode(), safe="")
    first = client.get(path)
    clock.advance(timedelta(minutes=services.settings.ca.ocsp_next_update_minutes // 2 + 1))
    assert run_ocsp_presign(services, batch=2) >= 3  # in batches of two, until none is due
    assert run_ocsp_presign(services) == 0
    clock.advance(timedelta(minutes=2))
    second = client.get(path)
    assert second.headers["etag"] != first.headers["etag"]
    newer = ocsp.load_der_ocsp_response(second.content)
    assert newer.this_update_utc > ocsp.load_der_ocsp_response(first.content).this_update_utc


def test_ocsp_from_memory_is_answered_without_a_threadpool_hop(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[str] = []

    async def counted(function: Callable[..., object], *args: object) -> object:
        hops.append(getattr(function, "__name__", "?"))
        return await run_in_threadpool(function, *args)

    monkeypatch.setattr(pki, "run_in_threadpool", counted)
    issued = services.authority.issue(make_request(_KEY))
    request = _ocsp_request(services, issued.serial)
    path = "/ocsp/" + urllib.parse.quote(base64.b64encode(request).decode(), safe="")
    first = client.get(path)
    assert first.status_code == 200 and hops == ["answer"]  # parsed once, in a thread
    for _ in range(3):
        assert client.get(path).content == first.content
        assert client.post("/ocsp", content=request).content == first.content
    assert hops == ["answer"]  # every later one from memory, on the event loop
    for _ in range(2):
        nonce = client.post("/ocsp", content=_ocsp_request(services, issued.serial, nonce=True))
        assert ocsp.load_der_ocsp_response(nonce.content).certificate_status is ocsp.OCSPCertStatus.GOOD
    assert hops == ["answer"] * 3  # nonces signed live, in a thread
    services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
    after = client.get(path)
    assert ocsp.load_der_ocsp_response(after.content).certificate_status is ocsp.OCSPCertStatus.REVOKED
