"""The fee (issue 16, point 7) at 390 px: a general-purpose choice is confirmed as a debit first (account, amount,
balance after: tested in test_bank_issuance's seoyeon91 walk); with too little money the page says the balance and the
fee and offers the free limited-use certificate, which one tap issues instead. axe-core on the screens."""

from __future__ import annotations

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
    with fresh_instance(tmp_path_factory.mktemp("fee") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        built.bank.seed()
        yield built


@pytest.fixture
def base(services: Services, live_server: Callable[[object], str]) -> str:
    """The real app on 127.0.0.1."""
    return live_server(create_app(services, sandbox=True))


def api_to_type_screen(base: str, user: str) -> dict[str, Any]:
    """seoa99 (ARS, security card, 2,150원 in her account) over the JSON API up to the type screen."""
    spec = demo_customer(user).spec
    with httpx.Client(base_url=f"{base}/api/v1/issuance", timeout=60) as client:
        started = client.post("/sessions", json={"app_logged_in": False}).raise_for_status().json()
        sid, headers = started["session"]["session_id"], {"X-Issuance-Token": started["token"]}

        def post(path: str, body: dict[str, Any]) -> Any:
            return client.post(f"/sessions/{sid}{path}", json=body, headers=headers).raise_for_status().json()

        post("/terms", {"accepted": [t["id"] for t in client.get("/terms").json() if t["required"]]})
        found = post("/identity", {"user_id": user, "rrn": spec.rrn})
        placed = post("/ars/call", {"phone_id": found["phones"][0]["id"]})
        number = spec.phones[0].number
        call = httpx.get(f"{base}/api/v1/sandbox/phone/{number}/calls", timeout=60).raise_for_status().json()[-1]
        httpx.post(
            f"{base}/api/v1/sandbox/phone/{number}/calls/{call['call_id']}/answer",
            json={"digits": placed["code"]},
            timeout=60,
        ).raise_for_status()
        post("/ars/confirm", {})
        post("/account", {"account_number": spec.accounts[0].number, "pin": spec.accounts[0].pin})
        prompt = post("/security-card/challenge", {})
        card = spec.security_card
        assert card is not None

        def part(cell: int, which: str) -> str:
            value = card.cells[cell - 1]
            return value[:2] if which == "first_two" else value[2:]

        post(
            "/security-card",
            {"answer": part(prompt["cell_a"], prompt["part_a"]) + part(prompt["cell_b"], prompt["part_b"])},
        )
        post("/contact", {})
    return {"sessionId": sid, "token": started["token"], "userId": user}


def test_insufficient_funds_offers_the_free_certificate(base: str, page: Page, screenshot: Callable[..., Path]) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    flow = api_to_type_screen(base, "seoa99")
    page.goto(base + "/bank/certificates")
    page.evaluate("(flow) => sessionStorage.setItem('jointcert-issuance', JSON.stringify(flow))", flow)
    page.goto(base + "/bank/issuance/type")
    page.wait_for_selector("body[data-ready=true]")
    page.check("#type-general")
    page.click("#type-submit")
    funds = page.locator("#funds-panel")
    expect(funds).to_be_visible()
    expect(funds).to_contain_text("잔액은 2,150원")
    expect(funds).to_contain_text("수수료는 4,400원")
    expect(funds).to_contain_text("무료로 바로 발급")
    expect(page.locator("#funds-title")).to_be_focused()
    expect(page.locator("#confirm-dialog")).to_be_hidden()  # no debit to confirm: it could not be paid
    assert_no_violations(page, "insufficient funds")
    screenshot(page, "insufficient-funds")
    page.click("#choose-limited")
    page.wait_for_url("**/bank/issuance/password", timeout=60_000)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#type-summary")).to_contain_text("수수료는 없습니다")
