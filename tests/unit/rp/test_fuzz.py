"""Hostile inputs: mutated SignedData, certificates and OCSP responses give refusals, never exceptions."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointcert.clock import FakeClock
from jointcert.rp import (
    ChallengeService,
    InMemoryChallengeStore,
    Reason,
    RevocationChecker,
    SignedLogin,
    TrustAnchors,
    Verifier,
)
from jointcert.rp.ocsp import OcspProblem, build_request, read_response
from jointcert.rp.policy import DEMO_GOV, demo_institutions
from jointcert.rp.signature import MalformedSignature, SignatureInvalid, verify_signed_data
from tests.unit.rp.pki import NOW, TestPki

_PKI = TestPki()
_EE = _PKI.issue()
_SIGNED = {attrs: _EE.signed_data(b"fuzz-challenge", attributes=attrs) for attrs in (True, False)}
_PINK = _EE.pinksign_signed_data(b"fuzz-challenge")
_OCSP = _PKI.ocsp_response(build_request(_EE.cert, _PKI.ca, nonce=False)[0], ocsp.OCSPCertStatus.GOOD)
_CRL = _PKI.crl({_EE.cert.serial_number + 1: NOW}).public_bytes(serialization.Encoding.DER)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    base = bytearray(draw(st.sampled_from([_SIGNED[True], _SIGNED[False], _PINK])))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "length"]))
        at = draw(st.integers(0, len(base) - 1))
        if kind == "flip":
            base[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del base[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            base[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            base[at] = draw(st.sampled_from([0x80, 0x84, 0xFF, 0x00]))
        if not base:
            break
    return bytes(base)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_signed_data_is_refused_cleanly(der: bytes) -> None:
    with contextlib.suppress(MalformedSignature, SignatureInvalid):  # and nothing else
        verify_signed_data(der)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_login_gives_a_verdict(der: bytes) -> None:
    clock = FakeClock(NOW)
    challenges = ChallengeService(InMemoryChallengeStore(), clock)
    verifier = Verifier(
        demo_institutions(TrustAnchors((_PKI.root,), (_PKI.ca,)))[DEMO_GOV], clock=clock, challenges=challenges
    )
    challenge = challenges.issue(DEMO_GOV, "s")
    verdict = verifier.verify_login(SignedLogin(challenge.value, "s", signed_data=der))
    assert not verdict.accepted  # the challenge differs, so nothing mutated (or not) can pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_as_certificate_or_ocsp(data: bytes) -> None:
    clock = FakeClock(datetime(2026, 11, 25, tzinfo=UTC))
    verdict = Verifier(demo_institutions(TrustAnchors())[DEMO_GOV], clock=clock).verify_certificate(data)
    assert not verdict.accepted
    with contextlib.suppress(OcspProblem):  # and nothing else
        read_response(data, _EE.cert, _PKI.ca, now=NOW, nonce=None)


def _flip(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 3))):
        data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data)


class _Fixed:
    """OCSP transport and CRL fetcher that always return the same bytes."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer

    def post(self, url: str, request: bytes) -> bytes:
        return self.answer

    def fetch(self, url: str) -> bytes:
        return self.answer


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_certificate_ocsp_and_crl_never_raise(data: st.DataObject) -> None:
    clock = FakeClock(NOW)
    cert = _flip(data.draw, _EE.der)
    gov = demo_institutions(TrustAnchors((_PKI.root,), (_PKI.ca,)))[DEMO_GOV]
    verdict = Verifier(gov, clock=clock).verify_certificate(cert, check_revocation=False)
    assert verdict.accepted is (cert == _EE.der)  # flips may cancel out
    checker = RevocationChecker(clock, _Fixed(_flip(data.draw, _OCSP)), _Fixed(_flip(data.draw, _CRL)))
    check = checker.check(_EE.cert, _PKI.ca, fail_closed=True)
    assert check.code in {Reason.OK, Reason.REVOKED, Reason.REVOCATION_UNAVAILABLE}
