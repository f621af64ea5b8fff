"""Every page of the app under the self-only CSP in Chromium: no violation (the ``page`` fixture fails on any console
error), the header is there, and the sandbox device pages' styles still apply from /static/css/bank.css."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from jointcert.clock import FakeClock
from jointcert.web.app import create_app
from tests.e2e.harness.bank import START, fresh_instance

PAGES = (
    "/",
    "/bank/security",
    "/bank/certificates",
    "/bank/issuance/start",
    "/bank/login",
    "/bank/wallet",
    "/bank/copy/to-pc",
    "/bank/copy/from-pc",
    "/bank/pc/certs/import",
    "/bank/pc/certs/export",
    "/rp/",
    "/sandbox/phone/010-2718-4406",
)


@pytest.mark.browser
def test_pages_work_under_the_csp(
    page: Page, live_server: Callable[[object], str], tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    with fresh_instance(tmp_path / "data", FakeClock(START), cheap_bank_secrets=True) as services:
        services.bank.seed()
        base = live_server(create_app(services, sandbox=True))
        sites = [f"/rp/{s['id']}" for s in httpx.get(f"{base}/rp/api/sites", timeout=30).json()]
        for path in (*PAGES, *sites):
            response = page.goto(base + path)
            assert response is not None and response.status == 200, path
            headers = response.headers
            assert "script-src 'self'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
            page.wait_for_load_state("networkidle")
        page.goto(f"{base}/sandbox/otp/seoyeon91")
        size = page.eval_on_selector("#otp-code", "e => getComputedStyle(e).fontSize")
        assert size == "44px"  # .otp__code's 2.75rem from the stylesheet: styles apply under the self-only CSP
        screenshot(page, "sandbox-otp")
