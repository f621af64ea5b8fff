"""A whole relying party over real I/O: OCSP and CRL over HTTP on 127.0.0.1 (httpx adapters), SQL stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from jointcert.clock import FakeClock
from jointcert.config import RpSettings
from jointcert.npki.oids import POLICY_GENERAL_PERSONAL
from jointcert.rp import (
    ChallengeService,
    CheckName,
    Reason,
    RevocationChecker,
    SignedLogin,
    Status,
    TrustAnchors,
    demo_institutions,
    verifiers_for,
)
from jointcert.rp.http import HttpCrlFetcher, HttpOcspTransport
from jointcert.rp.policy import DEMO_BANK, DEMO_GOV, DEMO_SECURITIES
from jointcert.storage.db import Database
from jointcert.storage.rp import SqlChallengeStore, SqlRegistrationStore
from tests.unit.rp.pki import NOW, RRN, EndEntity, R, TestPki


@dataclass
class Responder:
    """OCSP (POST /ocsp) and CRL (GET /crl) for the test PKI, on an ephemeral 127.0.0.1 port."""

    pki: TestPki
    revoked: set[int] = field(default_factory=set)
    ocsp_up: bool = True
    ocsp_requests: int = 0
    crl_requests: int = 0
    port: int = 0

    @property
    def ocsp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ocsp"

    @property
    def crl_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/crl/jointsignCA.crl"

    def issue(self, **kw: object) -> EndEntity:
        return self.pki.issue(ocsp_url=self.ocsp_url, crl_url=self.crl_url, **kw)  # type: ignore[arg-type]


def _handler(responder: Responder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            request = self.rfile.read(int(self.headers["Content-Length"]))
            responder.ocsp_requests += 1
            if not responder.ocsp_up:
                self._send(503, b"down", "text/plain")
                return
            serial = ocsp.load_der_ocsp_request(request).serial_number
            status = ocsp.OCSPCertStatus.REVOKED if serial in responder.revoked else ocsp.OCSPCertStatus.GOOD
            self._send(200, responder.pki.ocsp_response(request, status), "application/ocsp-response")

        def do_GET(self) -> None:
            responder.crl_requests += 1
            revoked = dict.fromkeys(responder.revoked, NOW - timedelta(days=1))
            crl = responder.pki.crl(revoked).public_bytes(serialization.Encoding.DER)
            self._send(200, crl, "application/pkix-crl")

    return Handler


@pytest.fixture
def responder() -> Iterator[Responder]:
    state = Responder(TestPki())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_register_and_log_in_over_http_with_sql_stores(
    database: Database, clock: FakeClock, responder: Responder
) -> None:
    pki = responder.pki
    ocsp_transport, crl_fetcher = HttpOcspTransport(timeout=5), HttpCrlFetcher(timeout=5)
    challenges = ChallengeService(SqlChallengeStore(database), clock, ttl_seconds=120)
    verifiers = verifiers_for(
        demo_institutions(TrustAnchors((pki.root,), (pki.ca,))),
        clock=clock,
        settings=RpSettings(),
        revocation=RevocationChecker(clock, ocsp_transport, crl_fetcher),
        challenges=challenges,
        registry=SqlRegistrationStore(database),
    )

    def signed(ee: EndEntity, institution: str) -> SignedLogin:
        challenge = challenges.issue(institution, "web-session")
        return SignedLogin(challenge.value, "web-session", signed_data=ee.signed_data(challenge.data), random_num=R)

    try:
        limited = responder.issue()
        general = responder.issue(policy=POLICY_GENERAL_PERSONAL, key_index=4)
        bank = verifiers[DEMO_BANK]
        registered = bank.register(
            signed(limited, DEMO_BANK), customer_id="c-1", rrn=RRN, identity_check=lambda c, s: True
        )
        assert registered.accepted, registered.reason
        assert responder.ocsp_requests == 1
        first = bank.verify_login(signed(limited, DEMO_BANK))
        assert first.accepted and first.customer_id == "c-1"
        assert responder.ocsp_requests == 1  # the good answer is cached until nextUpdate

        firm = verifiers[DEMO_SECURITIES]
        refused = firm.register(
            signed(limited, DEMO_SECURITIES), customer_id="c-1", rrn=RRN, identity_check=lambda c, s: True
        )
        assert refused.reason_code is Reason.POLICY_NOT_ACCEPTED
        assert firm.register(
            signed(general, DEMO_SECURITIES), customer_id="c-1", rrn=RRN, identity_check=lambda c, s: True
        ).accepted

        responder.revoked.add(general.cert.serial_number)
        gov = verifiers[DEMO_GOV]
        other = gov.verify_login(signed(responder.issue(policy=POLICY_GENERAL_PERSONAL, key_index=5), DEMO_GOV))
        assert other.accepted  # another certificate of the same CA is fine
        responder.ocsp_up = False
        clock.advance(timedelta(hours=1))  # past the cached answers' nextUpdate
        fallback = gov.verify_login(signed(limited, DEMO_GOV))
        assert fallback.accepted and "CRL" in fallback.check(CheckName.REVOCATION).message_en  # type: ignore[union-attr]
        on_crl = gov.verify_login(signed(general, DEMO_GOV))
        assert on_crl.reason_code is Reason.REVOKED
        assert responder.crl_requests == 1  # the verified CRL is reused until its nextUpdate
    finally:
        ocsp_transport.close()
        crl_fetcher.close()


def test_nothing_listening_is_unavailable(clock: FakeClock, responder: Responder) -> None:
    pki = responder.pki
    ee = pki.issue(ocsp_url="http://127.0.0.1:9/ocsp", crl_url="http://127.0.0.1:9/crl")
    checker = RevocationChecker(clock, HttpOcspTransport(timeout=2), HttpCrlFetcher(timeout=2))
    closed = checker.check(ee.cert, pki.ca, fail_closed=True)
    assert closed.code is Reason.REVOCATION_UNAVAILABLE and closed.status is Status.FAILED
    assert "ConnectError" in closed.message_en
    assert checker.check(ee.cert, pki.ca, fail_closed=False).status is Status.WARNING
