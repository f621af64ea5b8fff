"""The sandbox devices' pages (issue 16, point 10) at 390 px: styled like the app, polling instead of reloading (a
half-typed code survives new polls), a friendly idle state; axe-core finds nothing on them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.clock import SystemClock
from jointcert.web.app import create_app
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import fresh_instance

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One instance for the module (SQLite, seeded sandbox bank, cheap Argon2)."""
    with fresh_instance(tmp_path_factory.mktemp("sandbox") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.fixture
def base(services: Services, live_server: Callable[[object], str]) -> str:
    """The real app on 127.0.0.1."""
    return live_server(create_app(services, sandbox=True))


def test_virtual_phone_polls_and_keeps_what_is_typed(base: str, page: Page, screenshot: Callable[..., Path]) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    user = "jihopark"
    spec = demo_customer(user).spec
    number = spec.phones[0].number
    page.goto(f"{base}/sandbox/phone/{number}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#idle")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).wordBreak") == "keep-all"  # the app's stylesheet
    assert_no_violations(page, "virtual phone, idle")
    screenshot(page, "phone-idle")

    with httpx.Client(base_url=f"{base}/api/v1/issuance", timeout=60) as client:
        started = client.post("/sessions", json={"app_logged_in": False}).raise_for_status().json()
        sid, headers = started["session"]["session_id"], {"X-Issuance-Token": started["token"]}
        required = [t["id"] for t in client.get("/terms").json() if t["required"]]
        client.post(f"/sessions/{sid}/terms", json={"accepted": required}, headers=headers).raise_for_status()
        found = client.post(f"/sessions/{sid}/identity", json={"user_id": user, "rrn": spec.rrn}, headers=headers)
        phone_id = found.raise_for_status().json()["phones"][0]["id"]
        placed = client.post(f"/sessions/{sid}/ars/call", json={"phone_id": phone_id}, headers=headers)
        code = placed.raise_for_status().json()["code"]

        digits = page.locator("[data-call] input[name=digits]")
        expect(digits).to_be_visible(timeout=15_000)  # the new call appears without a reload
        expect(page.locator("#idle")).to_be_hidden()
        digits.fill(code[0])
        page.wait_for_timeout(4_500)  # two polls later, the half-typed code is still there
        expect(digits).to_have_value(code[0])
        assert_no_violations(page, "virtual phone, ringing")
        screenshot(page, "phone-ringing")
        digits.fill(code)
        page.locator("[data-call] .call__form button").click()
        expect(page.locator("#phone-result")).to_contain_text("확인되었습니다 (confirmed)")
        expect(page.locator("#idle")).to_be_visible()
        confirmed = client.post(f"/sessions/{sid}/ars/confirm", json={}, headers=headers).json()
        assert confirmed["status"] == "confirmed"


def test_otp_pages(base: str, page: Page, screenshot: Callable[..., Path]) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(f"{base}/sandbox/otp/seoyeon91")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#otp-code")).to_have_text(re.compile(r"^\d{6}$"))
    assert_no_violations(page, "OTP device")
    screenshot(page, "otp")
    response = page.goto(f"{base}/sandbox/otp/jihopark")  # no device: a friendly page, not a 404
    assert response is not None and response.status == 200
    expect(page.locator("#idle-title")).to_contain_text("등록된 OTP 기기가 없습니다")
    assert_no_violations(page, "OTP, no device")
    response = page.goto(f"{base}/sandbox/inbox/nobody")  # the inbox of someone without messages: friendly
    assert response is not None and response.status == 200
    expect(page.locator("#idle-title")).to_contain_text("받은 알림이 없습니다")
    assert_no_violations(page, "empty inbox")
