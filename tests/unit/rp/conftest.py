"""Fixtures for the relying-party tests: a test PKI, fake OCSP/CRL ports and verifiers per demo institution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from jointcert.clock import FakeClock
from jointcert.config import RpSettings
from jointcert.rp import (
    ChallengeService,
    InMemoryChallengeStore,
    InMemoryRegistrationStore,
    RevocationChecker,
    RevocationFetchError,
    TrustAnchors,
    Verifier,
    demo_institutions,
)
from tests.unit.rp.pki import TestPki


@dataclass
class FakeOcsp:
    """An OCSP responder behind the transport port: answers from ``status`` (serial → status), or is down."""

    pki: TestPki
    status: dict[int, ocsp.OCSPCertStatus] = field(default_factory=dict)
    revoked_at: dict[int, datetime] = field(default_factory=dict)
    down: bool = False
    calls: int = 0
    respond: Callable[[bytes], bytes] | None = None  # override the answer entirely

    def post(self, url: str, request: bytes) -> bytes:
        self.calls += 1
        if self.down:
            raise RevocationFetchError(f"{url}: ConnectError")
        if self.respond is not None:
            return self.respond(request)
        serial = ocsp.load_der_ocsp_request(request).serial_number
        status = self.status.get(serial, ocsp.OCSPCertStatus.GOOD)
        return self.pki.ocsp_response(request, status, revoked_at=self.revoked_at.get(serial))


@dataclass
class FakeCrl:
    """A CRL distribution point behind the fetcher port."""

    pki: TestPki
    revoked: dict[int, datetime] = field(default_factory=dict)
    down: bool = False
    calls: int = 0
    body: bytes | None = None

    def fetch(self, url: str) -> bytes:
        self.calls += 1
        if self.down:
            raise RevocationFetchError(f"{url}: ConnectError")
        if self.body is not None:
            return self.body
        return self.pki.crl(self.revoked).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """One test PKI for the session (keys are cached anyway)."""
    return TestPki()


@pytest.fixture
def anchors(pki: TestPki) -> TrustAnchors:
    return TrustAnchors(roots=(pki.root,), intermediates=(pki.ca,))


@pytest.fixture
def fake_ocsp(pki: TestPki) -> FakeOcsp:
    return FakeOcsp(pki)


@pytest.fixture
def fake_crl(pki: TestPki) -> FakeCrl:
    return FakeCrl(pki)


@pytest.fixture
def challenges(clock: FakeClock) -> ChallengeService:
    return ChallengeService(InMemoryChallengeStore(), clock, ttl_seconds=120)


@pytest.fixture
def registry() -> InMemoryRegistrationStore:
    return InMemoryRegistrationStore()


@pytest.fixture
def make_verifier(  # noqa: PLR0917 (pytest fixtures arrive as arguments)
    clock: FakeClock,
    anchors: TrustAnchors,
    fake_ocsp: FakeOcsp,
    fake_crl: FakeCrl,
    challenges: ChallengeService,
    registry: InMemoryRegistrationStore,
) -> Callable[..., Verifier]:
    """``make_verifier(institution_id, fail_closed=True)`` → a verifier wired to the fakes."""

    def make(institution: str, *, fail_closed: bool = True) -> Verifier:
        policy = demo_institutions(anchors)[institution]
        return Verifier(
            policy,
            clock=clock,
            settings=RpSettings(fail_closed=fail_closed),
            revocation=RevocationChecker(clock, fake_ocsp, fake_crl),
            challenges=challenges,
            registry=registry,
        )

    return make
