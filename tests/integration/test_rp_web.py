"""The demo relying-party sites over HTTP (in-process), with certificates issued by our CA: who accepts what, the
타기관 인증서 등록 step, and each refusal with its own reason. Revocation goes to our own OCSP responder in-process."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from fastapi.testclient import TestClient

from jointcert.app import Services, build_relying_parties
from jointcert.npki.keyfile import new_random_num
from jointcert.rp import TrustAnchors
from jointcert.rp.policy import DEMO_BANK, DEMO_CARD, DEMO_GOV, DEMO_INSURER, DEMO_SECURITIES
from jointcert.rp.revocation import RevocationFetchError
from jointcert.types import CertType
from jointcert.web.app import create_app
from tests.unit.ca.factories import fresh_rrn, make_request

REGISTERING = (DEMO_BANK, DEMO_CARD, DEMO_INSURER, DEMO_SECURITIES)
SECURITIES_REFUSAL = "증권 거래에는 범용 인증서가 필요합니다"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Holder:
    """A customer with a certificate our CA issued for a locally generated key."""

    key: rsa.RSAPrivateKey
    rrn: str
    r: bytes
    cert: x509.Certificate
    name: str = "홍길동"

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def issue(services: Services, cert_type: CertType, name: str = "홍길동") -> Holder:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rrn, r = fresh_rrn(), new_random_num()
    issued = services.authority.issue(make_request(key, rrn=rrn, random_num=r, cert_type=cert_type, name=name))
    return Holder(key, rrn, r, issued.certificate, name)


class Site:
    """A browser-like client of one demo site (keeps the site's session cookie)."""

    def __init__(self, client: TestClient, site: str) -> None:
        self.client, self.site = client, site

    def challenge(self) -> str:
        response = self.client.post(f"/rp/{self.site}/api/challenge")
        assert response.status_code == 200, response.text
        value: str = response.json()["challenge"]
        return value

    def post(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(f"/rp/{self.site}/api/{action}", json=body)
        assert response.status_code == 200, response.text
        verdict: dict[str, Any] = response.json()
        return verdict

    def signed(self, holder: Holder, challenge: str | None = None) -> dict[str, Any]:
        value = challenge or self.challenge()
        return {"challenge": value, "certificate": b64(holder.der), "signature": b64(holder.sign(value.encode()))}

    def login(self, holder: Holder) -> dict[str, Any]:
        return self.post("login", self.signed(holder))

    def register(self, holder: Holder, *, rrn: str | None = None, name: str | None = None) -> dict[str, Any]:
        body = self.signed(holder) | {
            "random_num": b64(holder.r),
            "rrn": rrn or holder.rrn,
            "name": name or holder.name,
        }
        return self.post("register", body)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client


def site(client: TestClient, name: str) -> Site:
    return Site(client, name)


def reason(verdict: dict[str, Any]) -> str:
    return str(verdict["reason"]["code"]) if verdict["reason"] else "ok"


def check(verdict: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in verdict["checks"] if c["name"] == name)
    return found


# --- who accepts what --------------------------------------------------------------------------------------------


def test_limited_use_certificate_is_refused_only_by_the_securities_firm(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    for name in (DEMO_BANK, DEMO_INSURER):
        first = site(client, name).login(holder)
        assert not first["accepted"] and reason(first) == "not_registered" and first["next"] == "register"
        registered = site(client, name).register(holder)
        assert registered["accepted"], registered["reason"]
        assert check(registered, "vid")["status"] == "passed"
        assert "OCSP" in check(registered, "revocation")["message_en"]
    portal = site(client, DEMO_GOV).login(holder)  # the portal needs no registration
    assert portal["accepted"] and portal["customer_name"] == "홍길동", portal["reason"]

    firm = site(client, DEMO_SECURITIES)
    refused = firm.login(holder)
    assert not refused["accepted"] and reason(refused) == "policy_not_accepted" and refused["next"] is None
    assert refused["reason"]["message_ko"] == SECURITIES_REFUSAL
    assert refused["reason"]["message_en"] == "Securities trading needs a general-purpose certificate."
    assert reason(firm.register(holder)) == "policy_not_accepted"  # registering does not get around it


def test_general_purpose_certificate_is_accepted_everywhere(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.GENERAL, name="김민준")
    for name in REGISTERING:
        registered = site(client, name).register(holder)
        assert registered["accepted"], (name, registered["reason"])
        assert registered["customer_name"] == "김민준"
        assert registered["certificate"]["cert_type"] == "general"
    assert site(client, DEMO_GOV).login(holder)["accepted"]


def test_after_registration_the_signature_alone_logs_in(services: Services, client: TestClient) -> None:
    holder, other = issue(services, CertType.LIMITED), issue(services, CertType.GENERAL)
    bank = site(client, DEMO_BANK)
    registered = bank.register(holder)
    customer = registered["customer_id"]
    assert customer and customer.startswith("c-") and holder.rrn not in customer
    again = bank.login(holder)
    assert again["accepted"] and again["customer_id"] == customer and again["customer_name"] == "홍길동"
    assert check(again, "registration")["status"] == "passed"
    assert check(again, "vid")["status"] == "skipped"  # no R, no resident number on a later login
    # the same person's second certificate becomes the same customer; registering twice is harmless
    same_person = dataclasses.replace(other, rrn=holder.rrn)
    assert reason(bank.register(same_person)) == "vid_mismatch"  # its VID was made from another number
    assert bank.register(holder)["customer_id"] == customer


def test_cms_signed_data_is_accepted_too(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.GENERAL)
    portal = site(client, DEMO_GOV)
    challenge = portal.challenge()
    signed = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(challenge.encode())
        .add_signer(holder.cert, holder.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])
    )
    verdict = portal.post("login", {"challenge": challenge, "signed_data": b64(signed)})
    assert verdict["accepted"], verdict["reason"]
    assert "CMS" in check(verdict, "signature")["message_en"]


# --- each refusal with its own reason ------------------------------------------------------------------------------


def test_revoked_certificate_is_refused(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.GENERAL)
    bank = site(client, DEMO_BANK)
    assert bank.register(holder)["accepted"]
    assert bank.login(holder)["accepted"]  # a good OCSP answer is now cached by the relying party
    services.authority.revoke(holder.cert.serial_number, x509.ReasonFlags.key_compromise, actor="test")
    refused = bank.login(holder)
    assert not refused["accepted"] and reason(refused) == "revoked", refused["reason"]
    assert "keyCompromise" in refused["reason"]["message_en"] and "OCSP" in refused["reason"]["message_en"]
    assert reason(site(client, DEMO_GOV).login(holder)) == "revoked"


def test_tampered_signature_is_refused(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    portal = site(client, DEMO_GOV)
    body = portal.signed(holder)
    signature = bytearray(base64.b64decode(body["signature"]))
    signature[-1] ^= 0x01
    verdict = portal.post("login", body | {"signature": b64(bytes(signature))})
    assert not verdict["accepted"] and reason(verdict) == "signature_invalid"
    other = portal.signed(holder)
    swapped = portal.post("login", other | {"challenge": portal.challenge()})  # a signature over another challenge
    assert reason(swapped) == "signature_invalid"


def test_replayed_challenge_is_refused(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    portal = site(client, DEMO_GOV)
    body = portal.signed(holder)
    assert portal.post("login", body)["accepted"]
    replayed = portal.post("login", body)
    assert not replayed["accepted"] and reason(replayed) == "challenge_replayed"


def test_challenge_is_bound_to_the_site_and_the_session(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    bank_body = site(client, DEMO_BANK).signed(holder)
    assert reason(site(client, DEMO_GOV).post("login", bank_body)) == "challenge_mismatch"
    portal_body = site(client, DEMO_GOV).signed(holder)
    with TestClient(client.app) as stranger:  # another browser: no session cookie
        assert reason(Site(stranger, DEMO_GOV).post("login", portal_body)) == "challenge_mismatch"


def test_wrong_resident_number_or_name_at_registration(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    card = site(client, DEMO_CARD)
    wrong_rrn = card.register(holder, rrn=fresh_rrn())
    assert not wrong_rrn["accepted"] and reason(wrong_rrn) == "vid_mismatch"
    assert check(wrong_rrn, "registration")["status"] == "skipped"
    wrong_name = card.register(holder, name="김철수")
    assert reason(wrong_name) == "identity_check_failed"
    body = card.signed(holder) | {"random_num": b64(holder.r), "rrn": "901301-1234567", "name": holder.name}
    no_date = client.post(f"/rp/{DEMO_CARD}/api/register", json=body)  # the one RRN parser: no 13th month
    assert no_date.status_code == 400 and no_date.json()["code"] == "invalid_resident_number", no_date.text
    assert "주민등록번호" in no_date.json()["message_ko"]
    assert reason(card.login(holder)) == "not_registered"  # nothing was stored
    hyphenated = f"{holder.rrn[:6]}-{holder.rrn[6:]}"
    assert card.register(holder, rrn=hyphenated, name="홍 길동")["accepted"]


class Unreachable:
    """Revocation ports whose servers are down."""

    def post(self, url: str, request: bytes) -> bytes:
        raise RevocationFetchError(f"{url}: connection refused")

    def fetch(self, url: str) -> bytes:
        raise RevocationFetchError(f"{url}: connection refused")


def test_ocsp_and_crl_unreachable_refuses_under_fail_closed(services: Services) -> None:
    holder = issue(services, CertType.GENERAL)
    down = Unreachable()
    anchors = TrustAnchors.of([s.certificate for key, s in services.signers.items() if key != "ocsp"])
    parties = build_relying_parties(
        services.settings, services.clock, services.database, anchors=anchors, ocsp=down, crl=down
    )
    assert services.settings.rp.fail_closed
    isolated = dataclasses.replace(services, relying_parties=parties)
    with TestClient(create_app(isolated), raise_server_exceptions=False) as client:
        verdict = site(client, DEMO_GOV).login(holder)
    assert not verdict["accepted"] and reason(verdict) == "revocation_unavailable"
    assert "fail-closed" in verdict["reason"]["message_en"] and "connection refused" in verdict["reason"]["message_en"]


# --- bad input is a problem, never a 500 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/rp/no-such-site/api/challenge", None, 404, "unknown_site"),
        ("/rp/no-such-site/api/login", {"challenge": "x", "signed_data": "AA=="}, 404, "unknown_site"),
        ("/rp/Bad_Site/api/challenge", None, 422, "invalid_request"),
        (f"/rp/{DEMO_GOV}/api/login", {"challenge": "x"}, 400, "invalid_rp_request"),
        (f"/rp/{DEMO_GOV}/api/login", {"challenge": "x", "certificate": "%%", "signature": "AA"}, 400,
         "invalid_rp_request"),
        (f"/rp/{DEMO_GOV}/api/login", {"challenge": "", "signed_data": "AA=="}, 422, "invalid_request"),
        (f"/rp/{DEMO_GOV}/api/login", {"challenge": "x", "signed_data": "AA==", "extra": 1}, 422, "invalid_request"),
        (f"/rp/{DEMO_GOV}/api/login", {"challenge": "x", "signature": "A" * 5000, "certificate": "AA"}, 422,
         "invalid_request"),
        (f"/rp/{DEMO_BANK}/api/register", {"challenge": "x", "signed_data": "AA==", "random_num": "AA",
         "name": "홍길동", "rrn": "12345"}, 422, "invalid_request"),
        (f"/rp/{DEMO_BANK}/api/register", {"challenge": "x", "signed_data": "AA==", "random_num": "*",
         "name": "홍길동", "rrn": "9001011234567"}, 400, "invalid_rp_request"),
    ],
)  # fmt: skip
def test_bad_requests_are_problems(
    client: TestClient, path: str, body: dict[str, Any] | None, status: int, code: str
) -> None:
    response = client.post(path, json=body) if body is not None else client.post(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_garbage_is_a_verdict_or_a_problem(client: TestClient) -> None:
    portal = Site(client, DEMO_GOV)
    not_json = client.post(f"/rp/{DEMO_GOV}/api/login", content=b"\xff\x00", headers={"content-type": "text/plain"})
    assert not_json.status_code == 422
    junk = portal.post("login", {"challenge": portal.challenge(), "certificate": "AAAA", "signature": "AAAA"})
    assert reason(junk) == "malformed_certificate"
    cms = portal.post("login", {"challenge": portal.challenge(), "signed_data": b64(b"\x30\x03\x02\x01\x01")})
    assert reason(cms) == "malformed_signature"
    unknown = portal.post("login", {"challenge": "z" * 100, "signed_data": b64(b"\x30\x00")})
    assert reason(unknown) == "challenge_unknown"


# --- pages and site list ---------------------------------------------------------------------------------------------


def test_pages_and_site_list(client: TestClient) -> None:
    sites = {s["id"]: s for s in client.get("/rp/api/sites").json()}
    assert set(sites) == {DEMO_BANK, DEMO_CARD, DEMO_INSURER, DEMO_SECURITIES, DEMO_GOV}
    assert sites[DEMO_SECURITIES]["accepted_types"] == ["general"]
    assert not sites[DEMO_GOV]["require_registration"]
    landing = client.get("/rp/")
    assert landing.status_code == 200 and "새빛은행" in landing.text and "가온증권" in landing.text
    page = client.get(f"/rp/{DEMO_SECURITIES}")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'for="cert-password"' in page.text and 'id="rp-config"' in page.text and "theme-securities" in page.text
    assert client.get("/static/js/rp-login.js").status_code == 200
    assert client.get("/static/css/rp.css").status_code == 200
    missing = client.get("/rp/nowhere")
    assert missing.status_code == 404 and "찾을 수 없는 기관" in missing.text
