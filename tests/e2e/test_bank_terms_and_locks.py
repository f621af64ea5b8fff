"""Terms (issue 16, point 5) and lockout recovery (point 4) at 390 px in headless Chromium, axe-core on each page.

Terms: required and optional are separate groups, 전체 동의 says "(선택 포함)", each term opens in full in a bottom
sheet (a modal dialog: 동의 ticks it, the focus returns to 보기), current wording (공동인증서, 인증기관).
Locks: the last wrong OTP says what is locked, after how many attempts, and where to unlock it; a customer whose
every second factor is locked is told so right after the identity check, before the phone and the account."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
    with fresh_instance(tmp_path_factory.mktemp("terms") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.fixture
def base(services: Services, live_server: Callable[[object], str]) -> str:
    """The real app on 127.0.0.1."""
    return live_server(create_app(services))


def ready(page: Page, step: str) -> None:
    page.wait_for_url(f"**/bank/issuance/{step}", timeout=60_000)
    page.wait_for_selector("body[data-ready=true]")


def test_terms_open_in_a_bottom_sheet(base: str, page: Page, screenshot: Callable[..., Path]) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(base + "/bank/issuance/start")
    ready(page, "terms")
    expect(page.locator("label[for=terms-all]")).to_contain_text("전체 동의 (선택 포함)")
    groups = page.locator("#terms-form fieldset")
    expect(groups.nth(0).locator("legend")).to_have_text("필수 약관", use_inner_text=True)
    expect(groups.nth(1).locator("legend")).to_have_text("선택 약관", use_inner_text=True)
    expect(groups.nth(0).locator("input[data-required=true]")).to_have_count(5)
    expect(groups.nth(1).locator("input[name=term]")).to_have_count(1)
    expect(groups.nth(1).locator("input[data-required]")).to_have_count(0)
    assert "공인" not in page.locator("main").inner_text()
    assert_no_violations(page, "terms")
    screenshot(page, "terms")

    page.click("#open-certificate-service")
    sheet = page.locator("#sheet-certificate-service")
    expect(sheet).to_be_visible()
    text = sheet.inner_text()
    assert "공동인증서" in text and "인증기관" in text and "공인" not in text and "폐지" in text
    # axe measures colours as they are drawn: wait until the sheet's slide-in (opacity 0.4 → 1) has finished
    page.wait_for_function("() => document.getAnimations().every(a => a.playState === 'finished')")
    screenshot(page, "terms-sheet", full_page=False)
    assert_no_violations(page, "terms with a sheet open")
    sheet.locator("[data-sheet-agree]").click()
    expect(sheet).to_be_hidden()
    expect(page.locator("#term-certificate-service")).to_be_checked()
    expect(page.locator("#open-certificate-service")).to_be_focused()
    page.click("#open-marketing")
    page.keyboard.press("Escape")
    expect(page.locator("#sheet-marketing")).to_be_hidden()
    expect(page.locator("#term-marketing")).not_to_be_checked()  # closing is not agreeing
    page.check("#terms-all")
    expect(page.locator("#term-marketing")).to_be_checked()  # 전체 동의 includes the optional term, as it says
    page.uncheck("#term-marketing")
    expect(page.locator("#terms-all")).not_to_be_checked()
    page.click("#terms-submit")  # the optional one is not needed
    ready(page, "identity")


def api_session(base: str, user: str) -> tuple[httpx.Client, str, dict[str, str]]:
    client = httpx.Client(base_url=f"{base}/api/v1/issuance", timeout=60)
    started = client.post("/sessions", json={"app_logged_in": False}).raise_for_status().json()
    return client, started["session"]["session_id"], {"X-Issuance-Token": started["token"]}


def post(client: httpx.Client, sid: str, headers: dict[str, str], path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/sessions/{sid}{path}", json=body, headers=headers)


@pytest.mark.console_errors_expected  # the 4xx answers the page provokes are logged by Chromium
def test_otp_lock_says_what_and_where_then_stops_before_the_phone(
    base: str, page: Page, screenshot: Callable[..., Path]
) -> None:
    """seoyeon91 (OTP only): four wrong codes over the API, the fifth in the page; then a new start stops at once."""
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    user = "seoyeon91"
    spec = demo_customer(user).spec
    client, sid, headers = api_session(base, user)
    terms = client.get("/terms").raise_for_status().json()
    required = [t["id"] for t in terms if t["required"]]
    for path, body in (
        ("/terms", {"accepted": required}),
        ("/identity", {"user_id": user, "rrn": spec.rrn}),
        ("/abroad", {}),
        ("/account", {"account_number": spec.accounts[0].number, "pin": spec.accounts[0].pin}),
    ):
        post(client, sid, headers, path, body).raise_for_status()
    for used in range(1, 5):
        wrong = post(client, sid, headers, "/otp", {"code": "000000"}).json()
        assert (wrong["code"], wrong["attempts_used"], wrong["max_attempts"]) == ("ra_wrong_credential", used, 5)
    flow = {"sessionId": sid, "token": headers["X-Issuance-Token"], "userId": user, "secondFactors": ["otp"]}
    page.goto(base + "/bank/certificates")
    page.evaluate("(flow) => sessionStorage.setItem('jointcert-issuance', JSON.stringify(flow))", flow)
    page.goto(base + "/bank/issuance/second-factor")
    page.wait_for_selector("body[data-ready=true]")
    page.locator("#otp-code").press_sequentially("000000")
    page.click("#otp-submit")
    ended = page.locator("#ended-error")
    expect(ended).to_contain_text("OTP 인증번호가 5회 틀려 OTP가 잠겼습니다")
    expect(ended).to_contain_text("고객센터(1588-0081)")
    expect(page.locator("#session-ended")).to_have_attribute("data-credential", "otp")
    assert_no_violations(page, "OTP locked")
    screenshot(page, "otp-locked")
    client.close()

    page.click("#restart")  # a new start: the lock is checked right after the identity check
    ready(page, "terms")
    page.check("#terms-all")
    page.click("#terms-submit")
    ready(page, "identity")
    page.fill("#user-id", user)
    page.locator("#rrn-front").press_sequentially(spec.rrn[:6])
    page.locator("#rrn-back").press_sequentially(spec.rrn[7:])
    page.click("#identity-submit")
    expect(page.locator("#session-ended")).to_have_attribute("data-code", "second_factors_locked")
    expect(page.locator("#ended-error")).to_contain_text("보안매체(OTP)가 오류 횟수 초과로 잠겨 있어")
    expect(page.locator("#ended-error")).to_contain_text("영업점")
    assert page.url.endswith("/bank/issuance/identity")  # never sent on to the phone check
    expect(page.locator("#restart")).to_be_hidden()  # starting again would fail the same way
    expect(page.locator("#session-timer")).to_be_hidden()
    assert_no_violations(page, "second factors locked")
    screenshot(page, "blocked-before-the-phone")


def test_back_and_cancel_ask_first_and_a_reload_keeps_the_session(
    base: str, page: Page, screenshot: Callable[..., Path]
) -> None:
    """이전, the browser's Back and 발급 취소 ask before anything is lost; staying keeps the session; a reload too."""
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(base + "/bank/issuance/start")
    ready(page, "terms")
    page.check("#terms-all")
    page.click("#terms-submit")
    ready(page, "identity")
    session = page.evaluate("JSON.parse(sessionStorage.getItem('jointcert-issuance')).sessionId")
    token = page.evaluate("JSON.parse(sessionStorage.getItem('jointcert-issuance')).token")
    page.fill("#user-id", "minjun88")
    timer = page.locator("#timer-clock")
    expect(timer).to_have_text(re.compile(r"^1[0-5]:\d\d$"))  # about 15 minutes left
    page.click("#session-extend")
    expect(page.locator("#timer-status")).to_contain_text("연장되었습니다")
    expect(page.locator("#timer-error")).to_be_hidden()

    page.click("#back-link")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("이전 단계로 돌아가면 처음부터 다시 진행합니다")
    expect(page.locator("#confirm-no")).to_be_focused()  # the safe answer first
    assert_no_violations(page, "back confirmation")
    screenshot(page, "back-confirm", full_page=False)
    page.click("#confirm-no")
    expect(dialog).to_be_hidden()
    expect(page.locator("#user-id")).to_have_value("minjun88")  # nothing lost

    page.reload()
    ready(page, "identity")
    assert page.evaluate("JSON.parse(sessionStorage.getItem('jointcert-issuance')).sessionId") == session

    page.go_back()  # the browser's Back brings the terms screen: asked, not bounced silently
    expect(dialog).to_be_visible()
    page.click("#confirm-no")
    ready(page, "identity")
    assert page.evaluate("JSON.parse(sessionStorage.getItem('jointcert-issuance')).sessionId") == session

    page.click("#cancel-flow")
    expect(dialog).to_contain_text("발급을 취소하시겠습니까?")
    page.click("#confirm-no")
    assert page.url.endswith("/bank/issuance/identity")
    page.click("#cancel-flow")
    page.click("#confirm-yes")
    page.wait_for_url("**/bank/certificates")
    assert page.evaluate("sessionStorage.getItem('jointcert-issuance')") is None
    headers = {"X-Issuance-Token": token}
    gone = httpx.get(f"{base}/api/v1/issuance/sessions/{session}", headers=headers, timeout=60)
    assert gone.json()["state"] == "cancelled", gone.json()  # cancelled on the server, not just forgotten
