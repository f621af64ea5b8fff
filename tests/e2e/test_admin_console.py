"""The operator console in Chromium: each role's section, and a bulk revocation that needs two operators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, expect

from jointcert.admin.model import Role
from jointcert.app import Services
from jointcert.ca.hierarchy import ISSUING
from jointcert.ca.ports import RecordStatus
from jointcert.clock import FakeClock
from jointcert.web.app import create_app
from tests.e2e.harness.bank import START, fresh_instance
from tests.unit.ca.factories import make_request

pytestmark = pytest.mark.browser
PASSWORD = "operator password 1"


def _operator(services: Services, name: str, roles: set[Role]) -> str:
    _, secret = services.operators.create(name, name.title(), PASSWORD, frozenset(roles), actor="cli")
    return secret


def _login(page: Page, base: str, clock: FakeClock, name: str, secret: str) -> None:
    page.goto(f"{base}/admin")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=code]", pyotp.TOTP(secret).at(clock.now()))
    page.click("form.login button")
    expect(page.get_by_test_id("who")).to_contain_text(name)


def _logout(page: Page) -> None:
    page.click("header form button")
    expect(page.locator("form.login")).to_be_visible()


def _status(services: Services, serial: int) -> RecordStatus:
    record = services.certificates.get(ISSUING, serial)
    assert record is not None
    return record.status


def test_console_roles_and_a_bulk_revocation_needing_two_operators(
    tmp_path: Path, page: Page, live_server: Callable[[object], str], screenshot: Callable[..., Path]
) -> None:
    clock = FakeClock(START)
    with fresh_instance(tmp_path / "data", clock) as services:
        key = rsa.generate_private_key(65537, 2048)
        serials = [services.authority.issue(make_request(key)).serial for _ in range(3)]
        secrets = {
            "alice": _operator(services, "alice", {Role.CA_ADMIN}),
            "bob": _operator(services, "bob", {Role.CA_ADMIN}),
            "carol": _operator(services, "carol", {Role.RA_OFFICER, Role.AUDITOR}),
        }
        base = live_server(create_app(services))
        page.on("dialog", lambda dialog: dialog.accept())

        page.goto(f"{base}/admin")  # a wrong code is refused in both languages
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=code]", "000000")
        page.click("form.login button")
        expect(page.get_by_test_id("error")).to_contain_text("one-time code is wrong")

        _login(page, base, clock, "alice", secrets["alice"])
        expect(page.get_by_test_id("ra")).to_have_count(0)  # a CA administrator sees no RA or audit section
        page.fill("textarea[name=serials]", "\n".join(format(s, "x") for s in serials[:2]))
        page.select_option("select[name=reason]", "keyCompromise")
        page.get_by_role("button", name="제안 Propose").click()
        expect(page.get_by_test_id("notice")).to_contain_text("waits for a second operator")
        page.click("[data-testid=proposals] button")  # alice tries to approve her own proposal
        expect(page.get_by_test_id("error")).to_contain_text("a second operator, not the proposer")
        screenshot(page, "alice-refused")
        assert _status(services, serials[0]) is RecordStatus.ISSUED
        page.goto(f"{base}/admin")
        _logout(page)

        _login(page, base, clock, "bob", secrets["bob"])
        page.click("[data-testid=proposals] button")
        expect(page.get_by_test_id("notice")).to_contain_text("'revoked': 2")
        screenshot(page, "bob-approved")
        assert [_status(services, s) for s in serials] == [RecordStatus.REVOKED] * 2 + [RecordStatus.ISSUED]
        _logout(page)

        _login(page, base, clock, "carol", secrets["carol"])
        expect(page.get_by_test_id("ca")).to_have_count(0)
        page.fill("input[name=serial]", format(serials[2], "x"))
        page.get_by_role("button", name="검색 Search").click()
        expect(page.get_by_test_id("status")).to_have_text("issued")
        page.select_option("select[name=reason]", "superseded")
        page.click("button.danger")
        expect(page.get_by_test_id("notice")).to_contain_text(f"revoked {serials[2]:x}")
        record = services.certificates.get(ISSUING, serials[2])
        assert record is not None and record.revocation_reason is x509.ReasonFlags.superseded
        page.fill("input[name=type]", "dual_control")
        page.get_by_role("button", name="적용 Apply").click()
        expect(page.get_by_test_id("audit-log")).to_contain_text("operator:alice+operator:bob")
        expect(page.get_by_test_id("chain")).to_contain_text("정상 intact")
        screenshot(page, "carol-audit")
        revoked = [e for e in services.audit.entries(limit=10_000) if e.type == "certificate.revoked"]
        assert {e.actor for e in revoked} == {"operator:alice+operator:bob", "operator:carol"}
