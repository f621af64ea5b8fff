"""A profile change in Chromium: one CA administrator proposes it on /admin/ca, her own approval is refused, a
second approves on the home page seeing the difference, and the next certificate carries the new values; the
figures panel shows the numbers /metrics exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, expect
from prometheus_client.parser import text_string_to_metric_families

from jointcert.admin.model import Role
from jointcert.clock import FakeClock
from jointcert.web.app import create_app
from tests.e2e.harness.bank import START, fresh_instance
from tests.e2e.test_admin_console import _login, _logout, _operator
from tests.integration.profile_node import describe
from tests.unit.ca.factories import make_request

pytestmark = pytest.mark.browser
NOTICE = "이 인증서는 운영자가 바꾼 고지를 담습니다"


def _issued_figure(metrics_text: str) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == "jointcert_ca_certificates" and sample.labels == {"status": "issued"}:
                return sample.value
    raise AssertionError("jointcert_ca_certificates{status=issued} not exported")


def test_a_profile_change_needs_two_operators_in_the_console(
    tmp_path: Path, page: Page, live_server: Callable[[object], str], screenshot: Callable[..., Path]
) -> None:
    clock = FakeClock(START)
    with fresh_instance(tmp_path / "data", clock) as services:
        key = rsa.generate_private_key(65537, 2048)
        services.authority.issue(make_request(key))
        secrets = {n: _operator(services, n, {Role.CA_ADMIN}) for n in ("alice", "bob")}
        base = live_server(create_app(services))
        page.on("dialog", lambda dialog: dialog.accept())

        _login(page, base, clock, "alice", secrets["alice"])
        page.goto(f"{base}/admin/ca")
        form = page.get_by_test_id("profile-change")
        expect(page.get_by_test_id("profile-version")).to_have_text("0")
        form.locator("select[name='ca.preset']").select_option("yessign-like")
        form.locator("input[name='types.limited.validity_days']").fill("120")
        form.locator("input[name='types.limited.notice_ko']").fill(NOTICE)
        form.get_by_role("button", name="제안 Propose").click()
        expect(page.get_by_test_id("notice")).to_contain_text("waits for a second operator")
        expect(page.get_by_test_id("profile-diff")).to_contain_text("limited validity_days: — → 120")
        page.click("[data-testid=proposals] button")  # her own proposal
        expect(page.get_by_test_id("error")).to_contain_text("a second operator, not the proposer")
        assert services.profiles is not None and services.profiles.current().version == 0
        page.goto(f"{base}/admin")
        _logout(page)

        _login(page, base, clock, "bob", secrets["bob"])
        expect(page.get_by_test_id("profile-diff")).to_contain_text("[ca] preset: jointsign → yessign-like")
        screenshot(page, "bob-sees-the-profile-change")
        page.click("[data-testid=proposals] button")
        expect(page.get_by_test_id("notice")).to_contain_text("'version': 1")
        page.goto(f"{base}/admin/ca")
        expect(page.get_by_test_id("profile-version")).to_have_text("1")
        expect(page.get_by_test_id("profiles")).to_contain_text(NOTICE)
        expect(page.get_by_test_id("profiles")).to_contain_text("120 days")
        assert describe(services.authority.issue(make_request(key)).certificate) == {
            "days": 120,
            "notice": NOTICE,
            "midnight_start": True,
        }

        page.goto(f"{base}/admin")  # the figures panel and /metrics agree
        exported = _issued_figure(page.request.get(f"{base}/metrics").text())
        shown = page.locator(
            "[data-metric=jointcert_ca_certificates][data-labels='status=issued'] [data-testid=figure-value]"
        )
        expect(shown).to_have_text(str(int(exported)))
        assert exported >= 2
        changed = [e for e in services.audit.entries() if e.type == "ca.profile_changed"]
        assert [e.actor for e in changed] == ["operator:alice+operator:bob"]
