"""The ARS screen in Chromium: the call's time left counts down, a declined call shows its own message (and is not
counted), and the overseas-departure check works while a call is still ringing, showing the name only then."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.clock import SystemClock
from jointcert.ra.ports import Credential
from jointcert.web.app import create_app
from tests.e2e.harness.bank import fresh_instance
from tests.e2e.test_bank_issuance import PHONE, agree_and_identify, at

USER = "seoyeon91"  # Korean national, abroad (미국), one mobile


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """An instance of its own (SQLite, cheap Argon2)."""
    with fresh_instance(tmp_path_factory.mktemp("bank-ars") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.mark.console_errors_expected  # Chromium logs the 409 of the declined call's poll
def test_countdown_decline_and_overseas_check_while_ringing(
    services: Services, live_server: Callable[[object], str], page: Page, screenshot: Callable[..., Path]
) -> None:
    base = live_server(create_app(services, sandbox=True))
    page.set_viewport_size(PHONE)
    spec = demo_customer(USER).spec
    page.goto(base + "/bank/issuance")
    page.click("#continue")
    at(page, "terms")
    agree_and_identify(page, USER, lambda name: screenshot(page, name), arrived=True)
    at(page, "verify")
    greeting = page.locator("#verify-greeting")
    expect(greeting).to_contain_text("성함은 확인이 끝난 뒤에 표시됩니다")
    expect(greeting).not_to_contain_text(spec.name)
    page.click("#ars-call")
    expect(page.locator("#ars-code")).to_have_text(re.compile(r"^\d{2}$"))
    countdown = page.locator("#ars-countdown")
    expect(countdown).to_contain_text(re.compile(r"남은 시간 [23]:\d\d"))
    first = int(countdown.get_attribute("data-seconds") or "0")
    page.wait_for_timeout(2500)
    later = int(countdown.get_attribute("data-seconds") or "0")
    assert 0 < later < first <= services.settings.ra.ars_timeout_seconds  # it counts down
    screenshot(page, "ars-countdown")
    phone = page.context.new_page()
    phone.goto(f"{base}/sandbox/phone/{spec.phones[0].number}")
    phone.click("[data-call] .call__decline button")
    expect(phone.locator(".msg")).to_contain_text("declined")
    expect(page.locator("#ars-error")).to_contain_text("전화를 거절하셨습니다")
    expect(page.locator("#ars-form")).to_be_visible()
    screenshot(page, "ars-declined")
    customer = services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    assert services.ra.ctx.lockouts._attempts.failures(Credential.ARS, customer.id) == (0, False)  # not counted
    page.click("#ars-call")  # again; while it rings, the overseas check
    expect(page.locator("#ars-calling")).to_be_visible()
    page.click("#abroad-check")
    expect(page.locator("#abroad-result")).to_contain_text(f"{spec.name} 님, 출국 기록이 확인되었습니다")
    expect(page.locator("#ars-panel")).to_be_hidden()
    screenshot(page, "abroad-while-ringing")
    assert services.ra.ctx.lockouts._attempts.failures(Credential.ARS, customer.id) == (0, False)  # given back
    page.click("#abroad-next")
    at(page, "account")
