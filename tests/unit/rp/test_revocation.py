"""OCSP first, CRL as fallback, the fail-closed policy and the cache."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from jointcert.clock import FakeClock
from jointcert.rp.checks import Reason, Status
from jointcert.rp.ocsp import OcspProblem, VerifiedResponses, build_request, read_response
from jointcert.rp.revocation import RevocationCache, RevocationChecker
from tests.unit.rp.conftest import FakeCrl, FakeOcsp
from tests.unit.rp.pki import NOW, TestPki, key


def checker(clock: FakeClock, fake_ocsp: FakeOcsp | None, fake_crl: FakeCrl | None) -> RevocationChecker:
    return RevocationChecker(clock, fake_ocsp, fake_crl)


def test_good_by_ocsp_from_a_delegated_responder(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp) -> None:
    ee = pki.issue()
    check = checker(clock, fake_ocsp, None).check(ee.cert, pki.ca, fail_closed=True)
    assert check.status is Status.PASSED and "OCSP" in check.message_en


def test_good_by_ocsp_signed_by_the_issuer_itself(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp) -> None:
    fake_ocsp.respond = lambda req: pki.ocsp_response(req, ocsp.OCSPCertStatus.GOOD, delegated=False)
    check = checker(clock, fake_ocsp, None).check(pki.issue().cert, pki.ca, fail_closed=True)
    assert check.status is Status.PASSED


def test_revoked_by_ocsp(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp) -> None:
    ee = pki.issue()
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.REVOKED
    check = checker(clock, fake_ocsp, None).check(ee.cert, pki.ca, fail_closed=False)
    assert check.status is Status.FAILED and check.code is Reason.REVOKED
    assert "keyCompromise" in check.message_en


def test_ocsp_down_falls_back_to_the_crl(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl
) -> None:
    ee, other = pki.issue(), pki.issue()
    fake_ocsp.down = True
    fake_crl.revoked = {other.cert.serial_number: NOW - timedelta(days=2)}
    rc = checker(clock, fake_ocsp, fake_crl)
    assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    revoked = rc.check(other.cert, pki.ca, fail_closed=True)
    assert revoked.code is Reason.REVOKED and "CRL" in revoked.message_en
    assert fake_crl.calls == 1  # the verified CRL is cached until its nextUpdate


@pytest.mark.parametrize("fail_closed", [True, False])
def test_nothing_reachable_depends_on_the_policy(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl, fail_closed: bool
) -> None:
    fake_ocsp.down = fake_crl.down = True
    check = checker(clock, fake_ocsp, fake_crl).check(pki.issue().cert, pki.ca, fail_closed=fail_closed)
    assert check.code is Reason.REVOCATION_UNAVAILABLE
    assert check.status is (Status.FAILED if fail_closed else Status.WARNING)
    assert "ConnectError" in check.message_en


def test_certificate_without_revocation_pointers(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp) -> None:
    ee = pki.issue(ocsp_url=None, crl_url=None)
    check = checker(clock, fake_ocsp, None).check(ee.cert, pki.ca, fail_closed=True)
    assert check.code is Reason.REVOCATION_UNAVAILABLE and fake_ocsp.calls == 0


def test_good_answers_are_cached_until_next_update(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp) -> None:
    ee = pki.issue()
    rc = checker(clock, fake_ocsp, None)
    for _ in range(3):
        assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    assert fake_ocsp.calls == 1
    clock.advance(timedelta(minutes=56))  # past nextUpdate (NOW + 55 min): asks again
    fake_ocsp.down = True
    assert rc.check(ee.cert, pki.ca, fail_closed=True).code is Reason.REVOCATION_UNAVAILABLE
    assert fake_ocsp.calls == 2


def test_revoked_answers_are_not_cached(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp) -> None:
    ee = pki.issue()
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.REVOKED
    rc = checker(clock, fake_ocsp, None)
    rc.check(ee.cert, pki.ca, fail_closed=True)
    rc.check(ee.cert, pki.ca, fail_closed=True)
    assert fake_ocsp.calls == 2


def test_unknown_status_falls_back_to_the_crl(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl
) -> None:
    ee = pki.issue()
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.UNKNOWN
    check = checker(clock, fake_ocsp, fake_crl).check(ee.cert, pki.ca, fail_closed=True)
    assert check.status is Status.PASSED and fake_crl.calls == 1


# --- what makes an OCSP response unbelievable ----------------------------------------------------------------


def _read(pki: TestPki, response: bytes, ee_cert: object, nonce: bytes | None, now: object = NOW) -> object:
    return read_response(response, ee_cert, pki.ca, now=now, nonce=nonce)  # type: ignore[arg-type]


def test_response_with_a_bad_signature_is_refused(pki: TestPki) -> None:
    ee = pki.issue()
    request, nonce = build_request(ee.cert, pki.ca)
    forged = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD, tamper_signature=True)
    with pytest.raises(OcspProblem, match="signature"):
        _read(pki, forged, ee.cert, nonce)


def test_delegated_responder_needs_ocsp_signing(pki: TestPki) -> None:
    ee = pki.issue()
    request, nonce = build_request(ee.cert, pki.ca)
    no_eku = pki._ocsp_signer(eku=False)
    response = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD, signer_cert=no_eku, signer_key=pki.ocsp_key)
    with pytest.raises(OcspProblem, match="OCSPSigning"):
        _read(pki, response, ee.cert, nonce)


def test_delegated_responder_must_be_certified_by_the_issuer(pki: TestPki) -> None:
    ee = pki.issue()
    other = TestPki(root_key=key(10), ca_key=key(11))  # same names, other keys
    request, nonce = build_request(ee.cert, pki.ca)
    response = other.ocsp_response(request, ocsp.OCSPCertStatus.GOOD)
    with pytest.raises(OcspProblem, match="not issued by"):
        _read(pki, response, ee.cert, nonce)


def test_nonce_mismatch_is_refused_and_a_missing_echo_accepted(pki: TestPki) -> None:
    ee = pki.issue()
    request, nonce = build_request(ee.cert, pki.ca)
    wrong = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD, nonce=b"\x00" * 32)
    with pytest.raises(OcspProblem, match="nonce"):
        _read(pki, wrong, ee.cert, nonce)
    pre_produced = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD, echo_nonce=False)
    assert _read(pki, pre_produced, ee.cert, nonce).status == "good"  # type: ignore[attr-defined]


def test_stale_and_future_responses_are_refused(pki: TestPki) -> None:
    ee = pki.issue()
    request, nonce = build_request(ee.cert, pki.ca)
    stale = pki.ocsp_response(
        request, ocsp.OCSPCertStatus.GOOD, this_update=NOW - timedelta(days=2), next_update=NOW - timedelta(days=1)
    )
    with pytest.raises(OcspProblem, match="stale"):
        _read(pki, stale, ee.cert, nonce)
    future = pki.ocsp_response(
        request, ocsp.OCSPCertStatus.GOOD, this_update=NOW + timedelta(hours=1), next_update=NOW + timedelta(hours=2)
    )
    with pytest.raises(OcspProblem, match="future"):
        _read(pki, future, ee.cert, nonce)


def test_answer_for_another_certificate_is_refused(pki: TestPki) -> None:
    ee, other = pki.issue(), pki.issue()
    request, nonce = build_request(ee.cert, pki.ca)
    response = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD, cert=other.cert)
    with pytest.raises(OcspProblem, match="does not answer"):
        _read(pki, response, ee.cert, nonce)


@pytest.mark.parametrize(
    "status",
    [ocsp.OCSPResponseStatus.TRY_LATER, ocsp.OCSPResponseStatus.UNAUTHORIZED, ocsp.OCSPResponseStatus.INTERNAL_ERROR],
)
def test_error_statuses_and_garbage_are_refused(pki: TestPki, status: ocsp.OCSPResponseStatus) -> None:
    ee = pki.issue()
    error = ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)
    with pytest.raises(OcspProblem, match=status.name):
        _read(pki, error, ee.cert, None)
    with pytest.raises(OcspProblem, match="malformed"):
        _read(pki, b"<html>502</html>", ee.cert, None)


def test_bad_ocsp_signature_falls_back_to_the_crl(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl
) -> None:
    ee = pki.issue()
    fake_ocsp.respond = lambda req: pki.ocsp_response(req, ocsp.OCSPCertStatus.GOOD, tamper_signature=True)
    fake_crl.revoked = {ee.cert.serial_number: NOW - timedelta(hours=3)}
    check = checker(clock, fake_ocsp, fake_crl).check(ee.cert, pki.ca, fail_closed=True)
    assert check.code is Reason.REVOKED  # a forged "good" does not hide a revocation on the CRL


# --- what makes a CRL unusable -----------------------------------------------------------------------------------


def _crl_bytes(crl: object) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("problem", ["forged", "stale", "garbage"])
def test_unusable_crl_means_unavailable(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl, problem: str
) -> None:
    fake_ocsp.down = True
    fake_crl.body = {
        "forged": lambda: _crl_bytes(pki.crl(signer=key(12))),
        "stale": lambda: _crl_bytes(pki.crl(this_update=NOW - timedelta(days=3), next_update=NOW - timedelta(days=1))),
        "garbage": lambda: b"not a crl",
    }[problem]()
    check = checker(clock, fake_ocsp, fake_crl).check(pki.issue().cert, pki.ca, fail_closed=True)
    assert check.code is Reason.REVOCATION_UNAVAILABLE and check.status is Status.FAILED


def test_forgetting_a_serial_asks_again(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, fake_crl: FakeCrl) -> None:
    ee, other = pki.issue(), pki.issue()
    cache = RevocationCache()
    rc = RevocationChecker(clock, fake_ocsp, fake_crl, cache=cache)
    for cert in (ee.cert, other.cert):
        assert rc.check(cert, pki.ca, fail_closed=True).status is Status.PASSED
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.REVOKED
    assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED  # the cached good answer stands
    cache.forget(ee.cert.serial_number)
    assert rc.check(ee.cert, pki.ca, fail_closed=True).code is Reason.REVOKED
    calls = fake_ocsp.calls
    assert rc.check(other.cert, pki.ca, fail_closed=True).status is Status.PASSED
    assert fake_ocsp.calls == calls  # other serials keep their answers


# --- a responder in this process, and responses verified once --------------------------------------------------


def _asked_every_time() -> RevocationCache:
    return RevocationCache(max_age=timedelta(0))  # rp.ocsp_cache_seconds = 0, the default: asked every time


def _nonce_of(request: bytes) -> bytes | None:
    try:
        return ocsp.load_der_ocsp_request(request).extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


@pytest.mark.parametrize("local", [True, False])
def test_a_responder_in_this_process_is_asked_without_a_nonce(
    clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp, local: bool
) -> None:
    ee = pki.issue()
    sent: list[bytes] = []

    def respond(request: bytes) -> bytes:
        sent.append(request)
        return pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD)

    fake_ocsp.respond = respond
    rc = RevocationChecker(clock, fake_ocsp, None, cache=_asked_every_time(), in_process=lambda url: local)
    for _ in range(2):
        assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    if local:
        assert [_nonce_of(r) for r in sent] == [None, None] and sent[0] == sent[1]  # built once, the same bytes
    else:
        nonces = [_nonce_of(r) for r in sent]
        assert all(n is not None for n in nonces) and nonces[0] != nonces[1]


def test_a_response_in_this_process_still_says_revoked(clock: FakeClock, pki: TestPki, fake_ocsp: FakeOcsp) -> None:
    ee = pki.issue()
    rc = RevocationChecker(clock, fake_ocsp, None, cache=_asked_every_time(), in_process=lambda url: True)
    assert rc.check(ee.cert, pki.ca, fail_closed=True).status is Status.PASSED
    fake_ocsp.status[ee.cert.serial_number] = ocsp.OCSPCertStatus.REVOKED
    assert rc.check(ee.cert, pki.ca, fail_closed=True).code is Reason.REVOKED  # other bytes: read, not remembered


def test_a_remembered_response_is_refused_once_stale() -> None:
    pki = TestPki()
    ee = pki.issue()
    request, _ = build_request(ee.cert, pki.ca, nonce=False)
    good = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD)
    verified = VerifiedResponses()
    assert verified.read(good, ee.cert, pki.ca, now=NOW).status == "good"
    with pytest.raises(OcspProblem, match="stale"):
        verified.read(good, ee.cert, pki.ca, now=NOW + timedelta(hours=2))
    with pytest.raises(OcspProblem, match="future"):
        verified.read(good, ee.cert, pki.ca, now=NOW - timedelta(hours=1))


def test_a_remembered_response_is_refused_once_its_responder_certificate_expired() -> None:
    pki = TestPki()
    ee = pki.issue()
    request, _ = build_request(ee.cert, pki.ca, nonce=False)
    long = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD, next_update=NOW + timedelta(days=60))
    verified = VerifiedResponses()
    assert verified.read(long, ee.cert, pki.ca, now=NOW).status == "good"
    with pytest.raises(OcspProblem, match="not valid now"):
        verified.read(long, ee.cert, pki.ca, now=NOW + timedelta(days=45))
    with pytest.raises(OcspProblem, match="not valid now"):
        read_response(long, ee.cert, pki.ca, now=NOW + timedelta(days=45), nonce=None)


def test_responses_that_fail_are_refused_every_time_and_not_mistaken_for_another() -> None:
    pki = TestPki()
    ee, other = pki.issue(), pki.issue()
    request, _ = build_request(ee.cert, pki.ca, nonce=False)
    forged = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD, tamper_signature=True)
    verified = VerifiedResponses()
    for _ in range(2):
        with pytest.raises(OcspProblem, match="signature"):
            verified.read(forged, ee.cert, pki.ca, now=NOW)
    good = pki.ocsp_response(request, ocsp.OCSPCertStatus.GOOD)
    assert verified.read(good, ee.cert, pki.ca, now=NOW).status == "good"
    with pytest.raises(OcspProblem, match="does not answer"):  # the same bytes for another certificate
        verified.read(good, other.cert, pki.ca, now=NOW)
