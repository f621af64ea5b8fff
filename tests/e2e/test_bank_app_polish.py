"""The bank app's copy and polish at 390 px (issue 16, point 8), in headless Chromium with axe-core on every page:
Korean breaks between words only (``word-break: keep-all``); a progress bar counts the customer's own steps from
the terms (1/8), not "3/11단계"; one checklist (issuance and wallet) judges only what has been typed; errors name
the field and the attempts ("계좌 비밀번호가 일치하지 않습니다 (오류 1/5회)"); the done screen shows the holder's
name, the type and the validity with the same day count as the wallet, and offers "PC로 복사"; the wallet says 폐지.
The steps before the password screen are driven over the JSON API (the browser walk is in test_bank_issuance)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from jointcert.app import Services
from jointcert.bank.formats import mask_account
from jointcert.bank.seed import demo_customer
from jointcert.clock import SystemClock
from jointcert.web.app import create_app
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import fresh_instance

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "Hanbit#2026-cert"
DOCS_IMAGES = Path(__file__).parent.parent.parent / "docs" / "images"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One instance for the module (SQLite, seeded sandbox bank, cheap Argon2)."""
    with fresh_instance(tmp_path_factory.mktemp("polish") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.fixture
def base(services: Services, live_server: Callable[[object], str]) -> str:
    """The real app on 127.0.0.1."""
    return live_server(create_app(services, sandbox=True))


@pytest.fixture
def phone(page: Page) -> Page:
    """The page at 390×844."""
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    return page


def api_to_password_screen(base: str, user: str, cert_type: str) -> dict[str, Any]:
    """Start a session and walk it over the JSON API up to the password screen (abroad check + OTP: seoyeon91);
    returns the flow state the pages keep in sessionStorage."""
    spec = demo_customer(user).spec
    with httpx.Client(base_url=f"{base}/api/v1/issuance", timeout=60) as client:
        started = client.post("/sessions", json={"app_logged_in": False}).raise_for_status().json()
        sid, token = started["session"]["session_id"], started["token"]
        headers = {"X-Issuance-Token": token}
        terms = client.get("/terms").raise_for_status().json()
        ids = [t["id"] for t in (terms["terms"] if isinstance(terms, dict) else terms) if t["required"]]

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = (
                client.post(f"/sessions/{sid}{path}", json=body, headers=headers).raise_for_status().json()
            )
            return answer

        post("/terms", {"accepted": ids})
        post("/identity", {"user_id": user, "rrn": spec.rrn})
        post("/abroad", {})
        post("/account", {"account_number": spec.accounts[0].number, "pin": spec.accounts[0].pin})
        code = httpx.get(f"{base}/api/v1/sandbox/otp/{user}", timeout=60).raise_for_status().json()["code"]
        post("/otp", {"code": code})
        post("/contact", {})
        chosen = post("/certificate-type", {"cert_type": cert_type})
    return {
        "sessionId": sid,
        "token": token,
        "userId": user,
        "birthDate": "1991-07-22",
        "typeChosen": {**chosen["type"], "reissue": chosen["reissue"]},
    }


def open_flow(page: Page, base: str, flow: dict[str, Any], step: str) -> None:
    """Put the flow into this tab's sessionStorage (as the earlier screens would have) and open a screen."""
    page.goto(base + "/bank/certificates")
    page.evaluate("(flow) => sessionStorage.setItem('jointcert-issuance', JSON.stringify(flow))", flow)
    page.goto(f"{base}/bank/issuance/{step}")
    page.wait_for_selector("body[data-ready=true]")


def check_items(page: Page) -> dict[str, str]:
    """The checklist's lines: code → data-ok (true / false / null)."""
    found: dict[str, str] = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#checklist li, #pw-checklist li')]"
        ".map((li) => [li.dataset.code, li.dataset.ok]))"
    )
    return found


def test_terms_screen_progress_and_keep_all(base: str, phone: Page, screenshot: Callable[..., Path]) -> None:
    """The first screen of the customer's steps is 1/8 with a bar; Korean is not broken inside words."""
    phone.goto(base + "/bank/issuance/start")
    phone.wait_for_url("**/bank/issuance/terms")
    phone.wait_for_selector("body[data-ready=true]")
    expect(phone.locator("#progress-label")).to_have_text("공동인증서 발급 1/8 · 약관 동의", use_inner_text=True)
    bar = phone.locator("#step-indicator [role=progressbar]")
    assert (bar.get_attribute("aria-valuenow"), bar.get_attribute("aria-valuemax")) == ("1", "8")
    assert "단계" not in phone.locator("#step-indicator").inner_text()
    width = phone.evaluate("() => document.querySelector('.progress__bar').getBoundingClientRect().width")
    track = phone.evaluate("() => document.querySelector('.progress__track').getBoundingClientRect().width")
    assert abs(width / track - 1 / 8) < 0.02
    for selector in ("body", ".lead", "label.choice"):
        assert phone.evaluate(f"getComputedStyle(document.querySelector('{selector}')).wordBreak") == "keep-all"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_no_violations(phone, "terms")
    screenshot(phone, "terms")


def test_checklist_done_screen_and_wallet(
    base: str, phone: Page, screenshot: Callable[..., Path], services: Services
) -> None:
    """seoyeon91 (general-purpose): the checklist judges only what was typed, the done screen speaks the customer's
    language, and the wallet counts the same days and says 폐지."""
    flow = api_to_password_screen(base, "seoyeon91", "general")
    open_flow(phone, base, flow, "password")
    expect(phone.locator("#progress-label")).to_contain_text("8/8")
    items = check_items(phone)
    assert items and set(items.values()) == {"null"}, items  # nothing typed: nothing ticked, nothing crossed
    assert_no_violations(phone, "password (empty)")
    phone.fill("#cert-password", 'ab"1')
    items = check_items(phone)
    assert items["disallowed_symbol"] == "false"  # a forbidden character present is never ticked
    assert items["too_short"] == "false" and items["no_letter"] == "true"
    assert items["matches_confirmation"] == "null"  # the confirmation is still empty: not judged
    phone.fill("#cert-password", PASSWORD)
    phone.fill("#cert-password-confirm", "H")
    assert check_items(phone)["matches_confirmation"] == "false"
    phone.fill("#cert-password-confirm", PASSWORD)
    assert set(check_items(phone).values()) <= {"true", "null"}
    screenshot(phone, "password-checklist")
    phone.click("#password-submit")
    phone.wait_for_url("**/bank/issuance/done", timeout=60_000)
    phone.wait_for_selector("body[data-ready=true]")
    expect(phone.locator("#done-panel")).to_be_visible()
    facts = phone.locator("#done-facts").inner_text()
    assert "이서연" in facts and "(" not in facts.split("\n")[1]  # the name, not the raw CN
    assert "범용" in facts and "4,400원 출금 완료" in facts
    days = int(re.search(r"\((\d+)일 남음\)", facts).group(1))  # type: ignore[union-attr]
    validity = flow["typeChosen"]["validity_days"]
    assert days == validity, (days, validity)  # the type screen's validity and the count agree on day one
    copy = phone.locator("#copy-to-pc")
    expect(copy).to_have_text("PC로 복사", use_inner_text=True)
    assert "credential=" in str(copy.get_attribute("href"))
    account = demo_customer("seoyeon91").spec.accounts[0]
    receipt = phone.locator("#receipt-facts").inner_text()  # the receipt: masked account, amount, balance, date, serial
    after = services.bank.accounts.get(account.number)
    assert after is not None and after.balance_krw == account.balance_krw - 4400
    assert mask_account(account.number) in receipt and account.number not in receipt
    assert "4,400원" in receipt and f"{after.balance_krw:,}원" in receipt
    assert datetime.now(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d") in receipt
    serial = phone.locator("#done-facts dd").nth(4).inner_text()
    assert re.fullmatch(r"[0-9a-f]+", serial) and serial in receipt, (serial, receipt)
    assert_no_violations(phone, "done")
    screenshot(phone, "done")

    phone.goto(base + "/bank/wallet")
    phone.wait_for_selector("body[data-ready=true]")
    expect(phone.locator("body")).to_contain_text(f"{days}일 남음")  # one day count everywhere
    expect(phone.locator("#action-revoke")).to_have_text("폐지", use_inner_text=True)
    expect(phone.locator("#detail-receipt")).to_be_visible()  # the same receipt, kept with the certificate
    assert phone.locator("#detail-receipt-facts").inner_text() == receipt
    assert "폐기" not in phone.locator("body").inner_text()
    phone.click("#action-password")
    items = check_items(phone)
    assert items and set(items.values()) == {"null"}, items
    assert_no_violations(phone, "wallet password change")
    screenshot(phone, "wallet-password")
    phone.goto(base + "/sandbox/inbox/seoyeon91")  # the notifications she received, in the sandbox inbox
    phone.wait_for_selector("body[data-ready=true]")
    expect(phone.locator(".inbox__item").first).to_be_visible()
    assert "이서연" in phone.locator("#inbox").inner_text()
    assert_no_violations(phone, "sandbox inbox")
    screenshot(phone, "inbox")
