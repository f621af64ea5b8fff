"""Certificate login to the bank app from headless Chromium at phone size: the wallet lists the certificate, a wrong
password is caught in the page, the right one logs in (the bank verifies chain, policy and OCSP and sets the
HttpOnly bank_session cookie), the home shows the name from the certificate, log-out works, and a revoked
certificate is refused in the bank's words. Neither the password nor the key ever leaves the page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from playwright.sync_api import Browser, Page, expect

from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.types import CertType
from jointcert.web.app import create_app
from tests.e2e.harness.bank import PHONE, START, fresh_instance, issue, phone_page, save_in_wallet, shot
from tests.e2e.harness.support import RequestRecorder

pytestmark = pytest.mark.browser

PASSWORD = "Hanbit#2026-login"
WRONG = "Hanbit#2026-logim"


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with fresh_instance(tmp_path / "data", FakeClock(START)) as built:
        yield built


def open_login(page: Page, base: str) -> None:
    page.goto(f"{base}/bank/login")
    page.wait_for_selector("body[data-ready=true]")


def test_login_wrong_password_logout_and_revoked(
    services: Services,
    live_server: Callable[[object], str],
    browser: Browser,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
) -> None:
    issued = issue(services, CertType.LIMITED, name="김한빛")
    base = live_server(create_app(services))
    with phone_page(browser, recorder, console_errors_expected=True) as page:  # the refusal is a 403
        open_login(page, base)
        expect(page.locator("#wallet-status")).to_contain_text("저장된 인증서가 없습니다")
        expect(page.locator("#no-cert-help")).to_be_visible()
        shot(screenshot, page, "1-no-certificate")
        save_in_wallet(page, issued, PASSWORD)
        open_login(page, base)
        expect(page.locator(".cert")).to_have_count(1)
        expect(page.locator(".cert")).to_contain_text("김한빛")
        expect(page.locator(".cert")).to_contain_text("jointsign")
        expect(page.locator(".cert")).to_contain_text("365일 남음")  # days left by the bank's clock
        shot(screenshot, page, "2-choose")

        page.fill("#cert-password", WRONG)
        page.click("#login-button")
        expect(page.locator("#login-error")).to_have_text("인증서 비밀번호가 올바르지 않습니다.", use_inner_text=True)
        assert page.evaluate("document.activeElement?.id") == "cert-password"
        shot(screenshot, page, "3-wrong-password")
        assert not [r for r in recorder.requests if r.url.endswith("/bank/api/login")]  # nothing was sent

        page.fill("#cert-password", PASSWORD)
        page.click("#login-button")
        expect(page.locator("#home-panel")).to_be_visible()
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#page-title")).to_have_text("김한빛 님, 환영합니다", use_inner_text=True)
        expect(page.locator("#session-facts")).to_contain_text(format(issued.serial, "x"))
        shot(screenshot, page, "4-logged-in")
        cookie = next(c for c in page.context.cookies() if c["name"] == "bank_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie").find("bank_session") == -1

        page.goto(f"{base}/")
        expect(page.locator("#login-state")).to_be_visible()  # the shell asks app_logged_in()
        open_login(page, base)
        page.click("#logout-button")
        expect(page.locator("#login-panel")).to_be_visible()
        page.wait_for_selector("body[data-ready=true]")
        assert not [c for c in page.context.cookies() if c["name"] == "bank_session"]

        services.authority.revoke(issued.serial, x509.ReasonFlags.key_compromise, actor="test")
        page.fill("#cert-password", PASSWORD)
        page.click("#login-button")
        expect(page.locator("#login-error")).to_contain_text("폐지된 인증서입니다")
        assert page.locator("#login-error").get_attribute("data-reason") == "revoked"
        assert page.locator("#login-error").get_attribute("data-code") == "bank_login_refused"
        shot(screenshot, page, "5-revoked")
        page.click("#lang-switch")
        expect(page.locator("#login-error")).to_contain_text("Revoked on", use_inner_text=True)
        shot(screenshot, page, "6-revoked-english")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    assert not recorder.blocked
    recorder.assert_never_sent(passwords=(PASSWORD, WRONG), secrets=issued.secrets())


def test_keyboard_only_login_and_desktop_width(
    services: Services,
    live_server: Callable[[object], str],
    browser: Browser,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
) -> None:
    issued = issue(services, CertType.GENERAL)
    other = issue(services, CertType.LIMITED, name="김다른")
    base = live_server(create_app(services))
    with phone_page(browser, recorder) as page:
        open_login(page, base)
        save_in_wallet(page, other, PASSWORD)
        credential = save_in_wallet(page, issued, PASSWORD)
        page.goto(f"{base}/bank/login?credential={credential}")  # the issuance's "log in with it" link
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator(f"input[value='{credential}']")).to_be_checked()
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement?.name") == "credential":
                break
        assert page.evaluate("document.activeElement?.name") == "credential"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement?.id") == "cert-password"
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.locator("#home-panel")).to_be_visible()
        expect(page.locator("#session-facts")).to_contain_text("범용")
        page.set_viewport_size({"width": 1280, "height": 900})  # the same pages on a desktop
        page.wait_for_selector("body[data-ready=true]")
        shot(screenshot, page, "desktop-logged-in")
        page.goto(f"{base}/bank/wallet")
        page.wait_for_selector("body[data-ready=true]")
        shot(screenshot, page, "desktop-wallet")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        open_login(page, base)
        page.set_viewport_size(PHONE)
        page.keyboard.press("Tab")
        for _ in range(12):
            if page.evaluate("document.activeElement?.id") == "logout-button":
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#login-panel")).to_be_visible()
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=issued.secrets() + other.secrets())
