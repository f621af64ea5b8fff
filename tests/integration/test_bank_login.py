"""Certificate login to the bank app over HTTP (in-process): the session cookie, and every refusal as a problem
with Korean and English words — bad signature, replayed or foreign challenge, revoked or expired certificate,
forged or expired cookie. Never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography import x509
from fastapi.testclient import TestClient

from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.types import CertType
from jointcert.web.bank_session import COOKIE
from tests.integration.test_rp_web import Holder, b64, issue


def challenge(client: TestClient) -> str:
    response = client.post("/bank/api/login/challenge")
    assert response.status_code == 200, response.text
    assert "bank_login" in response.cookies
    value: str = response.json()["challenge"]
    return value


def signed(holder: Holder, value: str, *, signature: bytes | None = None) -> dict[str, str]:
    sig = signature if signature is not None else holder.sign(value.encode())
    return {"challenge": value, "certificate": b64(holder.der), "signature": b64(sig)}


def log_in(client: TestClient, holder: Holder) -> dict[str, Any]:
    response = client.post("/bank/api/login", json=signed(holder, challenge(client)))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["message_ko"] and body["message_en"]
    return body


def test_login_sets_a_session_and_logout_clears_it(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED, name="김한빛")
    problem(client.get("/bank/api/session"), 401, "bank_session_invalid")
    body = log_in(client, holder)
    assert body["logged_in"] is True and body["name"] == "김한빛" and body["cert_type"] == "limited"
    assert body["serial"] == format(holder.cert.serial_number, "x")
    cookie = client.cookies[COOKIE]
    assert "김한빛" not in cookie and len(cookie) == 43  # only a random id (32 bytes, base64url)
    assert client.get("/bank/api/session").json()["name"] == "김한빛"
    response = client.post("/bank/api/logout")
    assert response.status_code == 204
    assert COOKIE not in client.cookies
    problem(client.get("/bank/api/session"), 401, "bank_session_invalid")


def test_general_purpose_certificate_logs_in_too(services: Services, client: TestClient) -> None:
    assert log_in(client, issue(services, CertType.GENERAL))["cert_type"] == "general"


def test_bad_signature_is_refused(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    value = challenge(client)
    bad = bytearray(holder.sign(value.encode()))
    bad[10] ^= 1
    body = problem(
        client.post("/bank/api/login", json=signed(holder, value, signature=bytes(bad))), 401, "bank_login_failed"
    )
    assert body["reason"] == "signature_invalid" and body["message_ko"] == "전자서명 검증에 실패했습니다."
    assert COOKIE not in client.cookies


def test_signature_by_another_key_is_refused(services: Services, client: TestClient) -> None:
    holder, other = issue(services, CertType.LIMITED), issue(services, CertType.LIMITED)
    value = challenge(client)
    body = problem(
        client.post("/bank/api/login", json=signed(holder, value, signature=other.sign(value.encode()))),
        401,
        "bank_login_failed",
    )
    assert body["reason"] == "signature_invalid"


def test_replayed_challenge_is_refused(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    body = signed(holder, challenge(client))
    assert client.post("/bank/api/login", json=body).status_code == 200
    refused = problem(client.post("/bank/api/login", json=body), 401, "bank_login_failed")
    assert refused["reason"] == "challenge_replayed"


def test_challenge_of_another_browser_is_refused(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    value = challenge(client)
    client.cookies.delete("bank_login")
    challenge(client)  # a new pre-login cookie: another browser
    refused = problem(client.post("/bank/api/login", json=signed(holder, value)), 401, "bank_login_failed")
    assert refused["reason"] == "challenge_mismatch"


def test_expired_challenge_is_refused(services: Services, client: TestClient, clock: FakeClock) -> None:
    holder = issue(services, CertType.LIMITED)
    value = challenge(client)
    clock.advance(timedelta(seconds=services.settings.rp.challenge_ttl_seconds + 1))
    refused = problem(client.post("/bank/api/login", json=signed(holder, value)), 401, "bank_login_failed")
    assert refused["reason"] == "challenge_expired"


def test_revoked_certificate_is_refused(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    log_in(client, holder)  # a good OCSP answer is cached now
    services.authority.revoke(holder.cert.serial_number, x509.ReasonFlags.key_compromise, actor="test")
    refused = problem(client.post("/bank/api/login", json=signed(holder, challenge(client))), 403, "bank_login_refused")
    assert refused["reason"] == "revoked" and refused["message_ko"].startswith("폐지된 인증서입니다")


def test_expired_certificate_is_refused(services: Services, client: TestClient, clock: FakeClock) -> None:
    holder = issue(services, CertType.LIMITED)
    clock.advance(timedelta(days=services.settings.ca.validity_days + 1))
    refused = problem(client.post("/bank/api/login", json=signed(holder, challenge(client))), 403, "bank_login_refused")
    assert refused["reason"] == "expired" and "만료" in refused["message_ko"]


def test_forged_cookie_values_are_refused(services: Services, client: TestClient) -> None:
    log_in(client, issue(services, CertType.LIMITED, name="김한빛"))
    genuine = client.cookies[COOKIE]
    for value in (
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        "v1.x.y",
        "garbage",
        "%ED%95%9C",
        "a" * 500,
    ):
        client.cookies.set(COOKIE, value)
        problem(client.get("/bank/api/session"), 401, "bank_session_invalid")
    client.cookies.set(COOKIE, genuine)
    assert client.get("/bank/api/session").json()["name"] == "김한빛"


def test_idle_cookie_expires(services: Services, client: TestClient, clock: FakeClock) -> None:
    log_in(client, issue(services, CertType.LIMITED))
    clock.advance(timedelta(seconds=services.settings.bank_session.idle_timeout_seconds))
    body = problem(client.get("/bank/api/session"), 401, "bank_session_expired")
    assert "만료" in body["message_ko"]
    problem(client.get("/bank/api/session"), 401, "bank_session_invalid")  # deleted once found over


def test_bad_input_is_a_problem(services: Services, client: TestClient) -> None:
    holder = issue(services, CertType.LIMITED)
    value = challenge(client)
    bad_b64 = signed(holder, value) | {"certificate": "!!!not base64"}
    problem(client.post("/bank/api/login", json=bad_b64), 400, "invalid_rp_request")
    junk = signed(holder, value) | {"certificate": b64(b"\x30\x03\x02\x01\x01")}
    assert client.post("/bank/api/login", json=junk).status_code in {400, 401}
    problem(client.post("/bank/api/login", json={"challenge": value}), 422, "invalid_request")
    problem(
        client.post("/bank/api/login", content=b"{", headers={"content-type": "application/json"}),
        422,
        "invalid_request",
    )


def test_pages_render_with_the_page_headers(services: Services, client: TestClient) -> None:
    for path in ("/bank/login", "/bank/wallet", "/bank/copy/to-pc", "/bank/copy/from-pc"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert 'id="bank-config"' in response.text
    assert 'id="login-form"' in client.get("/bank/login").text
    log_in(client, issue(services, CertType.GENERAL, name="김한빛"))
    home = client.get("/bank/login").text
    assert "김한빛 님, 환영합니다" in home and 'id="logout-button"' in home and 'id="login-form"' not in home
    assert 'id="login-state"' in client.get("/").text  # the shell's app_logged_in() sees the session
    client.cookies.set(COOKIE, client.cookies[COOKIE][:-3] + "AAA")
    assert 'id="login-form"' in client.get("/bank/login").text  # a tampered cookie is no login
    assert 'id="login-state"' not in client.get("/").text
