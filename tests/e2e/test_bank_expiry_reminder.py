"""Expiry reminders as the customer sees them (issue 16, point 9), at 390 px in headless Chromium: a certificate the
RA registered to seoyeon91, with the bank's clock moved to 25 days before its end; the reminder pass sends the 30-day
notice, which the sandbox inbox shows with its renew link, and the wallet highlights the certificate. axe-core finds
no violation on either page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from playwright.sync_api import Browser, expect

from jointcert.app import Services
from jointcert.clock import FakeClock
from jointcert.ra.ports import RegisteredCertificate
from jointcert.storage.repositories.ra import SqlCertificateRegistry
from jointcert.types import CertType
from jointcert.web.app import create_app, run_expiry_reminders
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import START, fresh_instance, issue, phone_page, save_in_wallet, shot
from tests.e2e.harness.support import RequestRecorder

pytestmark = pytest.mark.browser

USER = "seoyeon91"
PASSWORD = "Remind#2026-cert"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[Services, FakeClock]]:
    clock = FakeClock(START)
    with fresh_instance(tmp_path / "data", clock, cheap_bank_secrets=True) as services:
        services.bank.seed()
        yield services, clock


def test_inbox_shows_the_reminder_and_the_wallet_highlights(
    instance: tuple[Services, FakeClock],
    live_server: Callable[[object], str],
    browser: Browser,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
) -> None:
    services, clock = instance
    customer = services.bank.customers.find_by_user_id(USER)
    assert customer is not None
    issued = issue(services, CertType.LIMITED, name="이서연")
    SqlCertificateRegistry(services.database).add(
        RegisteredCertificate(issued.serial, customer.id, CertType.LIMITED, "issued", None, clock.now())
    )
    not_after = x509.load_der_x509_certificate(issued.cert_der).not_valid_after_utc
    clock.set(not_after - timedelta(days=25))
    run_expiry_reminders(services)
    run_expiry_reminders(services)  # a second pass sends nothing again
    base = live_server(create_app(services, sandbox=True))
    with phone_page(browser, recorder) as page:
        page.goto(f"{base}/sandbox/inbox/{USER}")
        reminders = page.locator(".inbox__item[data-event=expiring]")
        expect(reminders).to_have_count(2)  # the SMS and the e-mail, once each
        expect(reminders.first).to_contain_text("만료됩니다")
        link = reminders.first.locator("a")
        expect(link).to_have_attribute("href", f"{services.settings.server.public_url.rstrip('/')}/bank/wallet")
        assert_no_violations(page, "sandbox inbox with the expiry reminder")
        shot(screenshot, page, "1-inbox")

        page.goto(f"{base}/bank/wallet")
        page.wait_for_selector("body[data-ready=true]")
        save_in_wallet(page, issued, PASSWORD)
        page.goto(f"{base}/bank/wallet")  # the renew link's page
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator(".cert--soon .cert__soon")).to_contain_text("만료 25일 전입니다")
        expect(page.locator("#action-renew")).to_be_enabled()
        assert_no_violations(page, "wallet with the expiring certificate")
        shot(screenshot, page, "2-wallet")
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=issued.secrets())
