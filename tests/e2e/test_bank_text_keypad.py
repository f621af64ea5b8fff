"""The certificate password's optional secure QWERTY keypad (issue 16, point 2) at 390 px in headless Chromium: off by
default (the ordinary field), switched on under the field; then the field is read-only with ``inputmode=none`` (no
OS keyboard), the digit and symbol rows are shuffled and each letter row has a blank at a random place on every
display, ⇧ gives a capital and "!#1" the symbols the password rules allow; 표시/숨기기 shows the password; a physical
keyboard still types. The live checklist follows the keypad's input; the password typed on it issues a certificate
whose key it unlocks, and is never sent. In the wallet the choice is remembered and the password change works on the
keypad; the login page starts with it. axe-core finds no violation with the keypad open."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.clock import SystemClock
from jointcert.npki.password_policy import ALLOWED_SYMBOLS
from jointcert.types import CertType
from jointcert.web.app import create_app
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import PHONE, fresh_instance, issue, save_in_wallet, shot, unlock_in_page
from tests.e2e.harness.support import RequestRecorder
from tests.integration.issuance_flow import REQUIRED_TERMS, card_answer

pytestmark = pytest.mark.browser

PASSWORD = "Keypad#2026-Ok"
NEW_PASSWORD = "Wallet$Key-2027"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One instance for the module (SQLite, seeded sandbox bank, cheap Argon2)."""
    with fresh_instance(tmp_path_factory.mktemp("textpad") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.fixture
def base(services: Services, live_server: Callable[[object], str]) -> str:
    """The real app on 127.0.0.1."""
    return live_server(create_app(services, sandbox=True))


def api_to_password(base: str, user: str) -> dict[str, object]:
    """The flow over the JSON API up to the password screen (ARS answered on the sandbox phone, the card, the
    contact, the limited-use type); the state the pages keep in sessionStorage."""
    spec = demo_customer(user).spec
    with httpx.Client(base_url=f"{base}/api/v1/issuance", timeout=60) as client:
        started = client.post("/sessions", json={"app_logged_in": False}).raise_for_status().json()
        sid, headers = started["session"]["session_id"], {"X-Issuance-Token": started["token"]}

        def post(path: str, body: dict[str, object]) -> dict[str, object]:
            answer: dict[str, object] = (
                client.post(f"/sessions/{sid}{path}", json=body, headers=headers).raise_for_status().json()
            )
            return answer

        post("/terms", {"accepted": REQUIRED_TERMS})
        found = post("/identity", {"user_id": user, "rrn": spec.rrn})
        placed = post("/ars/call", {"phone_id": found["phones"][0]["id"]})  # type: ignore[index]
        number = spec.phones[0].number
        calls = httpx.get(f"{base}/api/v1/sandbox/phone/{number}/calls", timeout=60).raise_for_status().json()
        httpx.post(
            f"{base}/api/v1/sandbox/phone/{number}/calls/{calls[-1]['call_id']}/answer",
            json={"digits": placed["code"]},
            timeout=60,
        ).raise_for_status()
        post("/ars/confirm", {})
        post("/account", {"account_number": spec.accounts[0].number, "pin": spec.accounts[0].pin})
        challenge = post("/security-card/challenge", {})
        post("/security-card", {"answer": card_answer(user, challenge)})
        client.get(f"/sessions/{sid}/contact", headers=headers).raise_for_status()
        post("/contact", {})
        chosen = post("/certificate-type", {"cert_type": "limited"})
    birth = spec.rrn[:6]
    return {
        "sessionId": sid,
        "token": started["token"],
        "userId": user,
        "birthDate": f"19{birth[:2]}-{birth[2:4]}-{birth[4:]}",
        "typeChosen": {**chosen["type"], "reissue": chosen["reissue"]},  # type: ignore[dict-item]
    }


def layout(page: Page, field: str) -> str:
    """Where the keys sit: the characters row by row, ``_`` for a blank."""
    order: str = page.evaluate(
        """(id) => [...document.querySelectorAll(`#${id}-keypad .keypad__row:not(.keypad__row--fn)`)]
             .map((row) => [...row.children].map((k) => k.dataset.char ?? "_").join("")).join("\\n")""",
        field,
    )
    return order


def type_on_keypad(page: Page, field: str, text: str) -> None:
    """Tap each character on the field's keypad: ⇧ for a capital, "!#1" for a symbol."""
    panel = page.locator(f"#{field}-keypad")
    for char in text:
        wanted = "symbols" if char in ALLOWED_SYMBOLS else "letters"
        if not char.isdigit() and panel.get_attribute("data-layer") != wanted:
            panel.locator("[data-key=layer]").click()
        if char.isupper():
            panel.locator("[data-key=shift]").click()
        panel.locator(f'[data-char="{char}"]').click()


def test_issuance_password_on_the_keypad(
    base: str,
    page: Page,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
    report: Callable[[str], None],
) -> None:
    page.set_viewport_size(PHONE)
    flow = api_to_password(base, "jihopark")
    page.goto(base + "/bank/certificates")
    page.evaluate("(flow) => sessionStorage.setItem('jointcert-issuance', JSON.stringify(flow))", flow)
    started = time.monotonic()
    page.goto(base + "/bank/issuance/password")
    page.wait_for_selector("body[data-ready=true]")
    report(f"password screen with the keypad module, load to ready: {1000 * (time.monotonic() - started):.0f} ms")
    field = page.locator("#cert-password")
    toggle = page.locator("#cert-password-keypad-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")  # optional: the ordinary field until switched on
    expect(field).to_be_editable()
    toggle.click()
    assert field.get_attribute("readonly") is not None and field.get_attribute("inputmode") == "none"
    expect(page.locator("#cert-password-keypad")).to_be_visible()
    expect(page.locator("#cert-password-confirm-keypad-toggle")).to_have_attribute("aria-pressed", "true")
    seen = {layout(page, "cert-password")}
    for _ in range(4):  # every display places the keys afresh
        page.keyboard.press("Escape")
        page.locator("#cert-password-confirm").focus()
        page.keyboard.press("Escape")
        field.click()
        seen.add(layout(page, "cert-password"))
    assert len(seen) > 1
    rows = layout(page, "cert-password").split("\n")
    assert sorted(rows[0]) == list("0123456789") and all(row.count("_") == 1 for row in rows[1:])
    page.locator("#cert-password-keypad [data-key=layer]").click()
    symbols = "".join(layout(page, "cert-password").split("\n")[1:])
    assert sorted(symbols) == sorted(ALLOWED_SYMBOLS)  # exactly what the rules allow: no ' " \ |
    page.locator("#cert-password-keypad [data-key=layer]").click()

    type_on_keypad(page, "cert-password", PASSWORD[:7])
    expect(page.locator(".check-item--bad[data-code=too_short]")).to_be_visible()  # the checklist follows
    expect(page.locator(".check-item--ok[data-code=no_symbol]")).to_be_visible()
    type_on_keypad(page, "cert-password", PASSWORD[7:])
    assert field.input_value() == PASSWORD
    expect(field).to_have_attribute("type", "password")
    page.click("#cert-password-reveal")  # 표시
    expect(field).to_have_attribute("type", "text")
    expect(page.locator("#cert-password-reveal")).to_have_attribute("aria-pressed", "true")
    page.click("#cert-password-reveal")  # 숨기기
    expect(field).to_have_attribute("type", "password")
    confirm = page.locator("#cert-password-confirm")
    confirm.press_sequentially(PASSWORD[:-1])  # the keyboard fallback types on the read-only field
    expect(page.locator(".check-item--bad[data-code=matches_confirmation]")).to_be_visible()
    confirm.press_sequentially(PASSWORD[-1])
    expect(page.locator(".check-item--bad")).to_have_count(0)
    expect(page.locator(".check-item--ok[data-code=matches_confirmation]")).to_be_visible()
    field.click()
    page.locator("#cert-password-keypad [data-key=shift]").click()
    shot(screenshot, page, "1-keypad-shift")
    assert_no_violations(page, "password with the QWERTY keypad open")
    page.locator("#cert-password-keypad [data-key=shift]").click()
    page.locator("#cert-password-keypad [data-key=done]").click()
    expect(page.locator("#cert-password-keypad")).to_be_hidden()
    page.click("#password-submit")
    page.wait_for_url("**/bank/issuance/done", timeout=90_000)
    page.wait_for_selector("body[data-ready=true]")
    unlocked = unlock_in_page(page, PASSWORD)  # the key is saved under exactly what was tapped
    assert "certificate" in unlocked, unlocked
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    recorder.assert_never_sent(passwords=(PASSWORD,))


def test_wallet_and_login_remember_the_keypad(
    services: Services, base: str, page: Page, recorder: RequestRecorder, screenshot: Callable[..., Path]
) -> None:
    page.set_viewport_size(PHONE)
    issued = issue(services, CertType.LIMITED, name="최키패")
    page.goto(base + "/bank/wallet")
    page.wait_for_selector("body[data-ready=true]")
    save_in_wallet(page, issued, PASSWORD)
    page.goto(base + "/bank/wallet")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#action-password")
    page.click("#pw-old-keypad-toggle")  # on for every password field of the page, and remembered
    expect(page.locator("#pw-old-keypad")).to_be_visible()
    type_on_keypad(page, "pw-old", PASSWORD)
    page.locator("#pw-old-keypad [data-key=done]").click()
    page.locator("#pw-new").press_sequentially(NEW_PASSWORD)
    page.locator("#pw-confirm").click()
    type_on_keypad(page, "pw-confirm", NEW_PASSWORD)
    expect(page.locator("#pw-checklist .check-item--bad, .check-item--bad")).to_have_count(0)
    shot(screenshot, page, "1-wallet-password-change")
    assert_no_violations(page, "wallet: password change with the keypad open")
    page.locator("#pw-confirm-keypad [data-key=done]").click()
    page.click("#password-submit")
    expect(page.locator("#wallet-message")).to_contain_text("비밀번호를 변경했습니다")
    unlocked = unlock_in_page(page, NEW_PASSWORD)
    assert base64.b64decode(unlocked["certificate"]) == issued.cert_der

    page.goto(base + "/bank/wallet")  # remembered on this device
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#renew-password-keypad-toggle", state="attached")
    expect(page.locator("#renew-password-keypad-toggle")).to_have_attribute("aria-pressed", "true")
    page.goto(base + "/bank/login")
    page.wait_for_selector("body[data-ready=true]")
    login = page.locator("#cert-password")
    page.wait_for_selector("#cert-password-keypad-toggle[aria-pressed=true]")
    assert login.get_attribute("readonly") is not None
    login.click()
    type_on_keypad(page, "cert-password", NEW_PASSWORD)
    shot(screenshot, page, "2-login-keypad")
    assert_no_violations(page, "login with the keypad open")
    page.click("#cert-password-keypad-toggle")  # off: the ordinary field and keyboard again
    expect(login).to_be_editable()
    page.click("#login-button")
    expect(page.locator("#home-panel")).to_be_visible()
    recorder.assert_never_sent(passwords=(PASSWORD, NEW_PASSWORD))
