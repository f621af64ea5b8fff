"""The secure keypad (issue 16, point 2) at 390 px in headless Chromium: the account PIN, the app PIN (six dots,
submitted on the sixth), the OTP code and the resident number's back are entered on an in-page keypad whose digits
are shuffled on every display; the fields are read-only with ``inputmode=none`` (no OS keyboard) and never show a
digit (the resident number shows its first: ``1●●●●●●``); focus moves from the front 6 to the back 7; a physical
keyboard still works. axe-core finds no violation with the keypad open."""

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
    with fresh_instance(tmp_path_factory.mktemp("keypad") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.fixture
def base(services: Services, live_server: Callable[[object], str]) -> str:
    """The real app on 127.0.0.1."""
    return live_server(create_app(services, sandbox=True))


def ready(page: Page, step: str) -> None:
    page.wait_for_url(f"**/bank/issuance/{step}", timeout=60_000)
    page.wait_for_selector("body[data-ready=true]")


def keypad_order(page: Page, field: str) -> str:
    """The digits of the field's keypad in screen order."""
    order: str = page.evaluate(
        f"() => [...document.querySelectorAll('#{field}-keypad [data-digit]')].map((b) => b.dataset.digit).join('')"
    )
    return order


def tap(page: Page, field: str, digits: str) -> None:
    """Press each digit on the field's keypad (wherever the shuffle put it)."""
    for digit in digits:
        page.locator(f"#{field}-keypad [data-digit='{digit}']").click()


def test_keypad_through_identity_account_and_otp(base: str, page: Page, screenshot: Callable[..., Path]) -> None:
    """seoyeon91: resident number back on the keypad, account PIN on the keypad, OTP by the keyboard fallback."""
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    user = "seoyeon91"
    spec = demo_customer(user).spec
    page.goto(base + "/bank/issuance/start")
    ready(page, "terms")
    page.check("#terms-all")
    page.click("#terms-submit")
    ready(page, "identity")
    page.fill("#user-id", user)
    back = page.locator("#rrn-back")
    assert back.get_attribute("readonly") is not None and back.get_attribute("inputmode") == "none"
    page.locator("#rrn-front").press_sequentially(spec.rrn[:6])
    expect(back).to_be_focused()  # the front 6 filled: focus moves to the back 7, whose keypad opens
    expect(page.locator("#rrn-back-keypad")).to_be_visible()
    first = keypad_order(page, "rrn-back")
    assert sorted(first) == list("0123456789")
    tap(page, "rrn-back", spec.rrn[7:10])
    expect(back).to_have_value(spec.rrn[7] + "●●")  # the first digit, then dots
    screenshot(page, "identity-keypad")
    assert_no_violations(page, "identity with the keypad open")
    page.keyboard.press("Escape")
    page.click("#rrn-back")  # shown again: shuffled again
    orders = {first}
    for _ in range(4):  # 5 displays: the chance of the same order every time is (1/10!)^4
        page.keyboard.press("Escape")
        page.locator("#user-id").focus()
        page.click("#rrn-back")
        orders.add(keypad_order(page, "rrn-back"))
    assert len(orders) > 1
    back.press_sequentially(spec.rrn[10:])  # the keyboard fallback
    expect(back).to_have_value(spec.rrn[7] + "●" * 6)
    page.click("#identity-submit")
    ready(page, "verify")

    page.click("#abroad-check")
    page.click("#abroad-next")
    ready(page, "account")
    page.fill("#account-number", spec.accounts[0].number)
    page.click("#account-pin")
    tap(page, "account-pin", spec.accounts[0].pin[:2])
    expect(page.locator("#account-pin")).to_have_value("●●○○")
    screenshot(page, "account-keypad")
    assert_no_violations(page, "account with the keypad open")
    page.locator("#account-pin-keypad [data-key=back]").click()
    expect(page.locator("#account-pin")).to_have_value("●○○○")
    tap(page, "account-pin", spec.accounts[0].pin[1:])
    page.click("#account-submit")
    ready(page, "second-factor")

    code = httpx.get(f"{base}/api/v1/sandbox/otp/{user}", timeout=60).raise_for_status().json()["code"]
    otp = page.locator("#otp-code")
    assert otp.get_attribute("inputmode") == "none"
    otp.press_sequentially(code)
    assert "●" in str(otp.input_value()) and not re.search(r"\d", str(otp.input_value()))
    page.keyboard.press("Enter")
    ready(page, "contact")


def api_to_second_factor(base: str, user: str) -> dict[str, object]:
    """Terms, identity, ARS (answered through the sandbox phone's API) and the account over the JSON API; the flow
    state the pages keep in sessionStorage."""
    spec = demo_customer(user).spec
    with httpx.Client(base_url=f"{base}/api/v1/issuance", timeout=60) as client:
        started = client.post("/sessions", json={"app_logged_in": False}).raise_for_status().json()
        sid, headers = started["session"]["session_id"], {"X-Issuance-Token": started["token"]}
        terms = client.get("/terms").raise_for_status().json()
        required = [t["id"] for t in (terms["terms"] if isinstance(terms, dict) else terms) if t["required"]]

        def post(path: str, body: dict[str, object]) -> dict[str, object]:
            answer: dict[str, object] = (
                client.post(f"/sessions/{sid}{path}", json=body, headers=headers).raise_for_status().json()
            )
            return answer

        post("/terms", {"accepted": required})
        found = post("/identity", {"user_id": user, "rrn": spec.rrn})
        phone = found["phones"][0]  # type: ignore[index]
        placed = post("/ars/call", {"phone_id": phone["id"]})
        number = spec.phones[0].number
        calls = httpx.get(f"{base}/api/v1/sandbox/phone/{number}/calls", timeout=60).raise_for_status().json()
        httpx.post(
            f"{base}/api/v1/sandbox/phone/{number}/calls/{calls[-1]['call_id']}/answer",
            json={"digits": placed["code"]},
            timeout=60,
        ).raise_for_status()
        post("/ars/confirm", {})
        verified = post("/account", {"account_number": spec.accounts[0].number, "pin": spec.accounts[0].pin})
    return {"sessionId": sid, "token": started["token"], "userId": user, "secondFactors": verified["second_factors"]}


def test_app_pin_six_dots_submits_on_the_sixth(base: str, page: Page, screenshot: Callable[..., Path]) -> None:
    """minjun88's app certificate PIN: six dots that fill; the sixth digit submits without a 확인 button."""
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    user = "minjun88"
    flow = api_to_second_factor(base, user)
    page.goto(base + "/bank/certificates")
    page.evaluate("(flow) => sessionStorage.setItem('jointcert-issuance', JSON.stringify(flow))", flow)
    page.goto(base + "/bank/issuance/second-factor")
    page.wait_for_selector("body[data-ready=true]")
    pin_field = page.locator("#app-pin")
    page.click("#app-pin")
    pin = demo_customer(user).spec.app_cert.pin  # type: ignore[union-attr]
    tap(page, "app-pin", pin[:5])
    expect(pin_field).to_have_value("●●●●●○")
    screenshot(page, "app-pin-keypad")
    assert_no_violations(page, "app PIN with the keypad open")
    tap(page, "app-pin", pin[5])
    expect(page.locator("#pattern-panel")).to_be_visible()  # accepted: on to the pattern
