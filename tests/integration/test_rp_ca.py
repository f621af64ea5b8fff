"""The relying party against the real CA, served by uvicorn on 127.0.0.1: openssl and rp agree on the chain, the
revocation check asks our OCSP responder (and the CRL) over real HTTP, and ``jointcert verify`` says the same."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from jointcert.app import Services, build_services, init_instance
from jointcert.ca.lint import PkixLinter
from jointcert.clock import FakeClock
from jointcert.config import load_settings
from jointcert.npki.keyfile import new_random_num
from jointcert.rp import (
    ChallengeService,
    CheckName,
    Reason,
    RevocationChecker,
    SignedLogin,
    TrustAnchors,
    Verifier,
    demo_institutions,
    verifiers_for,
)
from jointcert.rp.http import HttpCrlFetcher, HttpOcspTransport
from jointcert.rp.policy import DEMO_BANK, DEMO_GOV, DEMO_SECURITIES
from jointcert.storage.db import Database
from jointcert.storage.rp import SqlChallengeStore, SqlRegistrationStore
from jointcert.types import CertType
from jointcert.web.app import create_app
from tests.unit.ca.factories import fresh_rrn, make_request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A CA instance and its HTTP service on a real 127.0.0.1 port (the URL its certificates point at)."""

    services: Services
    url: str
    data_dir: Path


@pytest.fixture
def served(
    database: Database, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_linter: PkixLinter
) -> Iterator[Served]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("JOINTCERT_DATABASE_URL", database.url)
    monkeypatch.setenv("JOINTCERT_SERVER__PUBLIC_URL", url)
    for name in ("JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    init_instance(data_dir, clock)
    services = build_services(load_settings(data_dir), clock, database=database, linter=shared_linter)
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Served(services, url, data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        services.close()


@dataclass
class Holder:
    key: rsa.RSAPrivateKey
    rrn: str
    r: bytes
    cert: x509.Certificate

    def login(self, challenges: ChallengeService, institution: str) -> SignedLogin:
        challenge = challenges.issue(institution, "web")
        signature = self.key.sign(challenge.data, padding.PKCS1v15(), hashes.SHA256())
        der = self.cert.public_bytes(serialization.Encoding.DER)
        return SignedLogin(challenge.value, "web", certificate=der, signature=signature, random_num=self.r)


def _issue(services: Services, cert_type: CertType) -> Holder:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rrn, r = fresh_rrn(), new_random_num()
    issued = services.authority.issue(make_request(key, rrn=rrn, random_num=r, cert_type=cert_type))
    return Holder(key, rrn, r, issued.certificate)


def _pem(path: Path, cert: x509.Certificate) -> str:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def _anchors(url: str) -> TrustAnchors:
    """The CA certificates, fetched as a relying party would (``GET /ca/{slug}.crt``)."""
    with httpx.Client(timeout=5) as client:
        certs = [
            x509.load_der_x509_certificate(client.get(f"{url}/ca/{slug}.crt").content) for slug in ("root", "class1")
        ]
    return TrustAnchors.of(certs)


@pytest.mark.interop
def test_openssl_and_rp_agree_on_the_chain(served: Served, tmp_path: Path) -> None:
    holder = _issue(served.services, CertType.LIMITED)
    anchors = _anchors(served.url)
    root, ca = _pem(tmp_path / "root.pem", anchors.roots[0]), _pem(tmp_path / "ca.pem", anchors.intermediates[0])
    ee = _pem(tmp_path / "ee.pem", holder.cert)
    openssl = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            root,
            "-untrusted",
            ca,
            "-attime",
            str(int(served.services.clock.now().timestamp())),
            ee,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert openssl.returncode == 0 and "OK" in openssl.stdout, openssl.stdout + openssl.stderr
    verdict = Verifier(demo_institutions(anchors)[DEMO_GOV], clock=served.services.clock).verify_certificate(
        holder.cert, check_revocation=False
    )
    assert verdict.accepted, verdict.reason
    assert verdict.check(CheckName.CHAIN).code is Reason.OK  # type: ignore[union-attr]


def test_logins_with_real_ocsp_and_crl(served: Served, database: Database, clock: FakeClock) -> None:
    services = served.services
    limited, general = _issue(services, CertType.LIMITED), _issue(services, CertType.GENERAL)
    anchors = _anchors(served.url)
    challenges = ChallengeService(SqlChallengeStore(database), clock)
    transport, fetcher = HttpOcspTransport(timeout=5), HttpCrlFetcher(timeout=5)
    try:
        verifiers = verifiers_for(
            demo_institutions(anchors),
            clock=clock,
            revocation=RevocationChecker(clock, transport, fetcher),
            challenges=challenges,
            registry=SqlRegistrationStore(database),
        )
        bank = verifiers[DEMO_BANK]
        registered = bank.register(
            limited.login(challenges, DEMO_BANK), customer_id="c-1", rrn=limited.rrn, identity_check=lambda c, s: True
        )
        assert registered.accepted, registered.reason
        assert "OCSP" in registered.check(CheckName.REVOCATION).message_en  # type: ignore[union-attr]
        assert bank.verify_login(limited.login(challenges, DEMO_BANK)).customer_id == "c-1"
        wrong_rrn = bank.register(
            general.login(challenges, DEMO_BANK), customer_id="c-2", rrn=limited.rrn, identity_check=lambda c, s: True
        )
        assert wrong_rrn.reason_code is Reason.VID_MISMATCH

        firm = verifiers[DEMO_SECURITIES]
        refused = firm.verify_login(limited.login(challenges, DEMO_SECURITIES))
        assert refused.reason_code is Reason.POLICY_NOT_ACCEPTED
        general_at_firm = firm.register(
            general.login(challenges, DEMO_SECURITIES),
            customer_id="c-1",
            rrn=general.rrn,
            identity_check=lambda c, s: True,
        )
        assert general_at_firm.accepted, general_at_firm.reason

        services.authority.revoke(general.cert.serial_number, x509.ReasonFlags.key_compromise, actor="test")
        fresh = Verifier(  # a new cache: the good answer above would otherwise stand until its nextUpdate
            demo_institutions(anchors)[DEMO_GOV],
            clock=clock,
            revocation=RevocationChecker(clock, transport, fetcher),
            challenges=challenges,
        )
        by_ocsp = fresh.verify_login(general.login(challenges, DEMO_GOV))
        assert by_ocsp.reason_code is Reason.REVOKED and "OCSP" in by_ocsp.reason.message_en  # type: ignore[union-attr]
        crl_only = Verifier(
            demo_institutions(anchors)[DEMO_GOV],
            clock=clock,
            revocation=RevocationChecker(clock, None, fetcher),
            challenges=challenges,
        )
        by_crl = crl_only.verify_login(general.login(challenges, DEMO_GOV))
        assert by_crl.reason_code is Reason.REVOKED and "CRL" in by_crl.reason.message_en  # type: ignore[union-attr]
        assert crl_only.verify_login(limited.login(challenges, DEMO_GOV)).accepted
    finally:
        transport.close()
        fetcher.close()


def test_jointcert_verify_against_the_running_ca(served: Served, tmp_path: Path) -> None:
    holder = _issue(served.services, CertType.GENERAL)
    anchors = _anchors(served.url)
    cert = tmp_path / "signCert.der"
    cert.write_bytes(holder.cert.public_bytes(serialization.Encoding.DER))
    args = [
        "-t",
        _pem(tmp_path / "root.pem", anchors.roots[0]),
        "-t",
        _pem(tmp_path / "ca.pem", anchors.intermediates[0]),
    ]
    env = {**os.environ, "COLUMNS": "250"}
    done = subprocess.run(
        [sys.executable, "-m", "jointcert", "--data-dir", str(tmp_path / "cli"), "verify", str(cert), *args, "--json",
         "--rrn", holder.rrn, "--random-num", holder.r.hex(), "--institution", DEMO_SECURITIES,
         "--at", served.services.clock.now().isoformat()],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    verdict = json.loads(done.stdout)
    checks = {c["name"]: c for c in verdict["checks"]}
    assert done.returncode == 0 and verdict["accepted"], done.stdout + done.stderr
    assert checks["revocation"]["status"] == "passed" and "OCSP" in checks["revocation"]["message_en"]
    assert checks["vid"]["status"] == "passed"
    served.services.authority.revoke(holder.cert.serial_number, x509.ReasonFlags.superseded, actor="test")
    again = subprocess.run(done.args, capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 7 and json.loads(again.stdout)["reason"]["code"] == "revoked"
