"""Helpers for the issuance-flow tests: an instance with a seeded sandbox bank, and a client that walks the
flow over HTTP the way the app and a second device (the virtual phone, the OTP device) would."""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient

from jointcert.app import Services, build_services, init_instance
from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.bank.seed import demo_customer
from jointcert.ca.lint import PkixLinter
from jointcert.client.issuance import confirmation_body, enrollment_body
from jointcert.clock import FakeClock
from jointcert.config import load_settings
from jointcert.npki.vid import identify_data_of, verify_vid
from jointcert.pii import PiiProtector
from jointcert.storage.db import Database
from jointcert.web.app import create_app

UNTHROTTLED = {  # for servers under crash and many-node tests, which are not about anti-automation
    f"JOINTCERT_THROTTLE__{name}": "100000000"
    for name in (
        "IDENTITY_PER_ADDRESS",  # every simulated customer comes from 127.0.0.1
        "SECRET_PER_ADDRESS",
        "ARS_CALLS_PER_ADDRESS",
        "LOGIN_PER_ADDRESS",
        "IDENTITY_FAILURES_PER_CUSTOMER",  # and one customer walks the flow again after every crash
        "SECRET_FAILURES_PER_CUSTOMER",
        "ARS_CALLS_PER_CUSTOMER",
        "LOGIN_FAILURES_PER_CERTIFICATE",
    )
}
TOKEN = "X-Issuance-Token"
REQUIRED_TERMS = [
    "electronic-finance",
    "certificate-service",
    "personal-information",
    "unique-identifier",
    "third-party-ca",
]


def cheap_hasher(settings_secret: bytes) -> SecretHasher:
    """Argon2id with the cheapest parameters, keyed like the instance."""
    return SecretHasher(PiiProtector(settings_secret), PasswordHasher.from_parameters(profiles.CHEAPEST))


def make_services(
    database: Database, clock: FakeClock, data_dir: Path, monkeypatch: pytest.MonkeyPatch, linter: PkixLinter
) -> Services:
    """``jointcert init`` on the database, services with a cheap bank hasher, the demo customers seeded."""
    monkeypatch.setenv("JOINTCERT_DATABASE_URL", database.url)
    for name in ("JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    if not (data_dir / "jointcert.toml").exists():
        init_instance(data_dir, clock)
    return reopen(database, clock, data_dir, linter, seed=True)


def reopen(database: Database, clock: FakeClock, data_dir: Path, linter: PkixLinter, *, seed: bool = False) -> Services:
    """Services of an existing instance (as after a restart)."""
    settings = load_settings(data_dir)
    services = build_services(
        settings, clock, database=database, linter=linter, bank_hasher=cheap_hasher(settings.secret_key_bytes())
    )
    if seed:
        services.bank.seed()
    return services


def identity_confirmed(services: Services, user_id: str) -> tuple[str, str]:
    """A session of ``user_id`` at IDENTITY_CONFIRMED through the RA itself (no client address: unthrottled), the
    ARS call answered on the virtual phone; (session id, token)."""
    ra, spec = services.ra, demo_customer(user_id).spec
    created = ra.start(app_logged_in=False)
    sid, token = created.session.id, created.token
    ra.agree_terms(sid, token, REQUIRED_TERMS)
    ra.identify(sid, token, user_id, spec.rrn)
    code = ra.ars_call(sid, token, spec.phones[0].id).value.code
    call = services.bank.virtual_phone.ringing(spec.phones[0].number)[-1]
    services.bank.virtual_phone.answer(call.call_id, code)
    assert ra.ars_confirm(sid, token).value.status == "confirmed"
    return sid, token


@functools.lru_cache(maxsize=8)
def rsa_key(index: int) -> rsa.RSAPrivateKey:
    """RSA-2048 keys, made once per test run."""
    return rsa.generate_private_key(65537, 2048)


def spki(key: rsa.RSAPrivateKey) -> bytes:
    """The public key as SubjectPublicKeyInfo DER."""
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key: rsa.RSAPrivateKey, text: str) -> bytes:
    """RSASSA-PKCS1-v1_5 / SHA-256 over the UTF-8 bytes of ``text``."""
    return key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())


def b64(data: bytes) -> str:
    """Standard base64."""
    return base64.b64encode(data).decode()


def card_answer(user_id: str, challenge: dict[str, Any]) -> str:
    """The 4 digits a customer reads off the demo security card."""
    card = demo_customer(user_id).spec.security_card
    assert card is not None

    def part(cell: int, which: str) -> str:
        digits = card.cells[cell - 1]
        return digits[:2] if which == "first_two" else digits[2:]

    return part(challenge["cell_a"], challenge["part_a"]) + part(challenge["cell_b"], challenge["part_b"])


@dataclass
class Flow:
    """One issuance session driven over HTTP."""

    client: TestClient | httpx.Client
    session_id: str = ""
    token: str = ""
    secrets_seen: list[str] = field(default_factory=list)
    challenge: str = ""

    @property
    def base(self) -> str:
        return f"/api/v1/issuance/sessions/{self.session_id}"

    def start(self, *, app_logged_in: bool = False) -> httpx.Response:
        response = self.client.post("/api/v1/issuance/sessions", json={"app_logged_in": app_logged_in})
        if response.status_code == 201:
            body = response.json()
            self.session_id, self.token = body["session"]["session_id"], body["token"]
        return response

    def call(self, method: str, path: str, json: Any = None, *, token: str | None = None) -> httpx.Response:
        headers = {TOKEN: self.token if token is None else token}
        return self.client.request(method, f"{self.base}{path}", json=json, headers=headers)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, {} if json is None else json, **kwargs)

    def ok(self, path: str, json: Any = None, *, method: str = "POST") -> dict[str, Any]:
        response = self.call(method, path, json if json is not None or method != "POST" else {})
        assert response.status_code == 200, (path, response.status_code, response.text)
        body: dict[str, Any] = response.json()
        return body

    # --- step helpers ---------------------------------------------------------------------------------------
    def to_identified(self, user_id: str) -> dict[str, Any]:
        assert self.start().status_code == 201
        self.ok("/terms", {"accepted": REQUIRED_TERMS})
        return self.ok("/identity", {"user_id": user_id, "rrn": demo_customer(user_id).spec.rrn})

    def ars(self, phone_id: str, phone_number: str, *, right: bool = True) -> httpx.Response:
        """Place the call, answer on the virtual phone (like a second device), poll until it is over."""
        code = self.ok("/ars/call", {"phone_id": phone_id})["code"]
        listing = self.client.get(f"/api/v1/sandbox/phone/{phone_number}/calls")
        assert listing.status_code == 200, ("is the sandbox mounted? create_app(..., sandbox=True)", listing.text)
        calls = listing.json()
        assert calls, "the virtual phone should ring"
        digits = code if right else f"{(int(code) + 1) % 100:02d}"
        answer = self.client.post(
            f"/api/v1/sandbox/phone/{phone_number}/calls/{calls[-1]['call_id']}/answer", json={"digits": digits + "#"}
        )
        assert answer.status_code == 200, answer.text
        return self.post("/ars/confirm")

    def to_identity_confirmed(self, user_id: str) -> None:
        spec = demo_customer(user_id).spec
        if spec.departures and spec.departures[-1].returned_days_ago is None and spec.rrn[7] in "1234":
            self.to_identified(user_id)
            self.ok("/abroad")
            return
        self.to_identified(user_id)
        phone = spec.phones[0]
        response = self.ars(phone.id, phone.number)
        assert response.status_code == 200 and response.json()["status"] == "confirmed", response.text

    def to_account_verified(self, user_id: str) -> dict[str, Any]:
        self.to_identity_confirmed(user_id)
        account = demo_customer(user_id).spec.accounts[0]
        return self.ok("/account", {"account_number": account.number, "pin": account.pin})

    def second_factor(self, user_id: str, method: str, otp_code: str | None = None) -> None:
        spec = demo_customer(user_id).spec
        if method == "app_cert":
            assert spec.app_cert is not None
            self.ok("/app-cert/pin", {"pin": spec.app_cert.pin})
            self.ok("/app-cert/pattern", {"pattern": list(spec.app_cert.pattern)})
        elif method == "security_card":
            challenge = self.ok("/security-card/challenge")
            self.ok("/security-card", {"answer": card_answer(user_id, challenge)})
        else:
            code = otp_code or self.client.get(f"/api/v1/sandbox/otp/{user_id}").json()["code"]
            self.ok("/otp", {"code": code})

    def to_contact_confirmed(self, user_id: str, method: str) -> None:
        self.to_account_verified(user_id)
        self.second_factor(user_id, method)
        self.ok("/contact", method="GET")
        self.ok("/contact", {})

    def enroll(
        self, key: rsa.RSAPrivateKey, random_num: bytes, km_key: rsa.RSAPrivateKey | None = None
    ) -> httpx.Response:
        challenge = self.ok("/enrollment/challenge")["challenge"]
        self.challenge = challenge
        return self.post("/enrollment", enrollment_body(key, challenge, random_num, km_key))

    def confirm(self, key: rsa.RSAPrivateKey, serial: str) -> httpx.Response:
        """The app saved the certificate: confirm it (signed by the new key)."""
        return self.post("/enrollment/confirm", confirmation_body(key, self.challenge, serial))

    def issue(
        self, user_id: str, method: str, cert_type: str, key: rsa.RSAPrivateKey, *, confirm: bool = True
    ) -> tuple[dict[str, Any], bytes]:
        """The whole flow to an issued (and, unless told otherwise, confirmed) certificate; the response and R."""
        self.to_contact_confirmed(user_id, method)
        self.ok("/certificate-type", {"cert_type": cert_type})
        random_num = os.urandom(20)
        response = self.enroll(key, random_num)
        assert response.status_code == 200, response.text
        if confirm:
            confirmed = self.confirm(key, response.json()["serial"])
            assert confirmed.status_code == 200 and confirmed.json()["session"]["state"] == "issued", confirmed.text
        return response.json(), random_num


def verify_issued(services: Services, issued: dict[str, Any], rrn: str, random_num: bytes) -> x509.Certificate:
    """The certificate chains to our root and carries the VID of ``rrn`` and R."""
    cert = x509.load_der_x509_certificate(base64.b64decode(issued["certificate"]))
    issuing, root = (x509.load_der_x509_certificate(base64.b64decode(c)) for c in issued["chain"])
    cert.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)
    assert root.fingerprint(hashes.SHA256()) == services.signers["root"].certificate.fingerprint(hashes.SHA256())
    identify = identify_data_of(cert)
    assert identify is not None
    verify_vid(identify, rrn.replace("-", ""), random_num)
    return cert


@pytest.fixture
def ra_services(
    database: Database, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_linter: PkixLinter
) -> Iterator[Services]:
    """An initialised instance with the demo customers (import this fixture into a test module)."""
    yield make_services(database, clock, tmp_path / "data", monkeypatch, shared_linter)


@pytest.fixture
def http(ra_services: Services) -> TestClient:
    """In-process HTTP client of the instance."""
    return TestClient(create_app(ra_services, sandbox=True), raise_server_exceptions=False)
