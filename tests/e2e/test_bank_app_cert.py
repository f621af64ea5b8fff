"""The bank's own app certificate (issue 16, point 11) at 390 px in headless Chromium: the notice's "한빛 앱인증서
등록" walks terms, identity, ARS, the account PIN and the customer's security card, then a new 6-digit PIN on the
secure keypad (twice; a weak one is refused first) and a pattern drawn twice (with the mouse, then with the
keyboard; a different second drawing is refused). The bank notifies her; a later issuance's second-factor step
offers the app certificate and accepts the PIN and the pattern. axe-core finds no violation on the new screens;
the click-to-ready time of each screen is reported."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from jointcert.app import Services
from jointcert.bank.model import SecondFactorKind
from jointcert.bank.seed import demo_customer
from jointcert.clock import SystemClock
from jointcert.web.app import create_app
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import PHONE, fresh_instance, shot
from tests.e2e.test_bank_issuance import draw_pattern, pattern_with_the_keyboard
from tests.e2e.test_bank_keypad import api_to_second_factor, tap
from tests.integration.issuance_flow import card_answer

pytestmark = pytest.mark.browser

USER = "seoa99"  # security card only
NEW_PIN = "470285"
NEW_PATTERN = (2, 5, 8, 9, 6)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One instance for the module (SQLite, seeded sandbox bank, cheap Argon2)."""
    with fresh_instance(tmp_path_factory.mktemp("appcert") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.fixture
def base(services: Services, live_server: Callable[[object], str]) -> str:
    """The real app on 127.0.0.1."""
    return live_server(create_app(services, sandbox=True))


class Timer:
    """Click-to-ready time of each screen (reported, never asserted)."""

    def __init__(self, page: Page, report: Callable[[str], None]) -> None:
        self.page, self.report = page, report

    def step(self, action: Callable[[], object], step: str) -> None:
        started = time.monotonic()
        action()
        self.page.wait_for_url(f"**/bank/issuance/{step}", timeout=60_000)
        self.page.wait_for_selector("body[data-ready=true]")
        self.report(f"app certificate registration, {step}: {1000 * (time.monotonic() - started):.0f} ms")


def test_register_then_a_later_issuance_accepts_it(
    services: Services, base: str, page: Page, screenshot: Callable[..., Path], report: Callable[[str], None]
) -> None:
    page.set_viewport_size(PHONE)
    spec = demo_customer(USER).spec
    customer = services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    timer = Timer(page, report)

    page.goto(base + "/bank/issuance")
    expect(page.locator("#register-app-cert")).to_be_visible()
    shot(screenshot, page, "1-notice")
    timer.step(lambda: page.click("#register-app-cert"), "terms")
    expect(page.locator("#progress-label")).to_have_text("앱인증서 등록 1/6 · 약관 동의", use_inner_text=True)
    page.check("#terms-all")
    timer.step(lambda: page.click("#terms-submit"), "identity")
    page.fill("#user-id", USER)
    page.fill("#rrn-front", spec.rrn[:6])
    page.locator("#rrn-back").press_sequentially(spec.rrn[7:])
    timer.step(lambda: page.click("#identity-submit"), "verify")
    page.click("#ars-call")
    expect(page.locator("#ars-code")).to_have_text(re.compile(r"^\d{2}$"))
    number = spec.phones[0].number
    calls = httpx.get(f"{base}/api/v1/sandbox/phone/{number}/calls", timeout=60).json()
    digits = page.locator("#ars-code").inner_text()
    timer.step(
        lambda: httpx.post(
            f"{base}/api/v1/sandbox/phone/{number}/calls/{calls[-1]['call_id']}/answer",
            json={"digits": digits},
            timeout=60,
        ),
        "account",
    )
    page.fill("#account-number", spec.accounts[0].number)
    page.locator("#account-pin").press_sequentially(spec.accounts[0].pin)
    timer.step(lambda: page.click("#account-submit"), "second-factor")
    expect(page.locator("#progress-label")).to_have_text("앱인증서 등록 5/6 · 보안매체 확인", use_inner_text=True)
    expect(page.locator("#card-panel")).to_be_visible()  # her card first: ARS and the account PIN are not enough
    cell_a, part_a, cell_b, part_b = str(page.get_attribute("#card-form", "data-cells")).split(",")
    answer = card_answer(USER, {"cell_a": int(cell_a), "part_a": part_a, "cell_b": int(cell_b), "part_b": part_b})
    page.locator("#card-a").press_sequentially(answer[:2])
    page.locator("#card-b").press_sequentially(answer[2:])
    timer.step(lambda: page.click("#card-submit"), "app-cert")

    expect(page.locator("#progress-label")).to_have_text("앱인증서 등록 6/6 · 앱인증서 등록", use_inner_text=True)
    page.click("#reg-pin")
    tap(page, "reg-pin", "123456")  # the 6th digit moves on to the confirmation
    expect(page.locator("#reg-pin-confirm-keypad")).to_be_visible()
    tap(page, "reg-pin-confirm", "123456")  # submits on the 6th
    expect(page.locator("#reg-pin-error")).to_contain_text("연속된 숫자 3개 이상")
    page.click("#reg-pin")
    tap(page, "reg-pin", NEW_PIN)
    tap(page, "reg-pin-confirm", NEW_PIN[:5])
    expect(page.locator("#reg-pin-confirm")).to_have_value("●●●●●○")
    shot(screenshot, page, "2-pin-keypad")
    assert_no_violations(page, "app certificate: PIN with the keypad open")
    tap(page, "reg-pin-confirm", NEW_PIN[5])
    expect(page.locator("#reg-pattern-panel")).to_be_visible()
    expect(page.locator("#reg-pattern-step")).to_contain_text("새 패턴을 그려")
    draw_pattern(page, NEW_PATTERN)
    expect(page.locator("#reg-pattern-step")).to_contain_text("한 번 더")
    draw_pattern(page, (1, 2, 3, 6))  # a different second drawing: start over
    expect(page.locator("#pattern-error")).to_contain_text("두 패턴이 다릅니다")
    draw_pattern(page, NEW_PATTERN)
    expect(page.locator("#reg-pattern-step")).to_contain_text("한 번 더")
    pattern_with_the_keyboard(page, NEW_PATTERN)  # the second drawing from the keyboard
    shot(screenshot, page, "3-pattern-again")
    assert_no_violations(page, "app certificate: pattern")
    page.keyboard.press("Enter")
    expect(page.locator("#reg-done")).to_be_visible()
    expect(page.locator("#reg-facts")).to_contain_text("윤서아")
    expect(page.locator("#cancel-flow")).to_be_hidden()
    shot(screenshot, page, "4-registered")
    assert_no_violations(page, "app certificate: registered")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    methods = services.bank.second_factors.methods(customer.id)
    assert methods == {SecondFactorKind.SECURITY_CARD, SecondFactorKind.APP_CERT}
    page.reload()  # the finished registration stays shown
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#reg-done")).to_be_visible()

    page.goto(f"{base}/sandbox/inbox/{USER}")  # the bank told her
    expect(page.locator(".inbox__item[data-event=app_cert_registered]").first).to_contain_text("앱인증서")

    flow = api_to_second_factor(base, USER)  # a later issuance: the second factor offers the app certificate
    page.goto(base + "/bank/certificates")
    page.evaluate("(flow) => sessionStorage.setItem('jointcert-issuance', JSON.stringify(flow))", flow)
    page.goto(base + "/bank/issuance/second-factor")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#factor-app_cert")).to_be_visible()
    page.check("#factor-app_cert")
    page.click("#app-pin")
    tap(page, "app-pin", NEW_PIN)  # submitted on the sixth digit
    expect(page.locator("#pattern-panel")).to_be_visible()
    draw_pattern(page, NEW_PATTERN)
    page.wait_for_url("**/bank/issuance/contact", timeout=60_000)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#contact-email")).not_to_have_value("")


def test_a_holder_is_told_at_once(base: str, page: Page) -> None:
    """minjun88 already has one: right after the account the registration ends with the way to use it."""
    page.set_viewport_size(PHONE)
    flow = api_to_second_factor(base, "minjun88")  # the API walked to the account; the page resumes there
    assert "app_cert" in flow["secondFactors"]  # type: ignore[operator]
    page.goto(base + "/bank/issuance/start?purpose=app_cert")
    page.wait_for_url("**/bank/issuance/terms")
    page.wait_for_selector("body[data-ready=true]")
    spec = demo_customer("minjun88").spec
    page.check("#terms-all")
    page.click("#terms-submit")
    page.wait_for_url("**/bank/issuance/identity")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#user-id", "minjun88")
    page.fill("#rrn-front", spec.rrn[:6])
    page.locator("#rrn-back").press_sequentially(spec.rrn[7:])
    page.click("#identity-submit")
    page.wait_for_url("**/bank/issuance/verify")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#ars-call")
    expect(page.locator("#ars-code")).to_have_text(re.compile(r"^\d{2}$"))
    number = spec.phones[0].number
    calls = httpx.get(f"{base}/api/v1/sandbox/phone/{number}/calls", timeout=60).json()
    httpx.post(
        f"{base}/api/v1/sandbox/phone/{number}/calls/{calls[-1]['call_id']}/answer",
        json={"digits": page.locator("#ars-code").inner_text()},
        timeout=60,
    )
    page.wait_for_url("**/bank/issuance/account", timeout=60_000)
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#account-number", spec.accounts[0].number)
    page.locator("#account-pin").press_sequentially(spec.accounts[0].pin)
    page.click("#account-submit")
    expect(page.locator("#session-ended")).to_be_visible()
    expect(page.locator("#ended-error")).to_contain_text("이미 등록된 한빛 앱인증서가 있습니다")
