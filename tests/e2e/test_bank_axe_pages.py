"""axe-core on the remaining pages issue 16 touched, at 390 px: the menus, the notice, the wallet, the certificate
login, the copy page and a relying party's login page. 0 violations each; Korean text breaks only between words."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page

from jointcert.app import Services
from jointcert.clock import SystemClock
from jointcert.rp.policy import DEMO_SECURITIES
from jointcert.web.app import create_app
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import fresh_instance

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES = (
    "/",
    "/bank/security",
    "/bank/certificates",
    "/bank/issuance",
    "/bank/wallet",
    "/bank/login",
    "/bank/copy/to-pc",
    "/bank/pc/certs/export",
    f"/rp/{DEMO_SECURITIES}",
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One instance for the module."""
    with fresh_instance(tmp_path_factory.mktemp("axe") / "data", SystemClock(), cheap_bank_secrets=True) as built:
        yield built


@pytest.mark.console_errors_expected  # the empty wallet's pages may log a refused session check
def test_pages_have_no_axe_violations(services: Services, live_server: Callable[[object], str], page: Page) -> None:
    base = live_server(create_app(services))
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    for path in PAGES:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert page.evaluate("getComputedStyle(document.body).wordBreak") == "keep-all", path
        assert_no_violations(page, path)
