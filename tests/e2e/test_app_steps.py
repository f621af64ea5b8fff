"""The walk ``python -m bench --app-steps`` times (bench/app_steps.py), once, against the real app served here: it
reaches the done screen with a certificate in the wallet, and every screen got a time (the numbers are the bench's
business, never asserted)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from bench.app_steps import SCREENS, seed, stamping, walk
from playwright.sync_api import Page

from jointcert.app import Services
from jointcert.clock import SystemClock
from jointcert.storage.bank_repository.seeding import SqlBankSeeder
from jointcert.web.app import create_app
from tests.e2e.harness.bank import fresh_instance
from tests.e2e.test_bank_issuance import wallet_size
from tests.integration.issuance_flow import cheap_hasher

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """An instance with the bench's app customers (cheap Argon2 for the sandbox secrets)."""
    with fresh_instance(tmp_path_factory.mktemp("app-steps") / "data", SystemClock()) as services:
        yield services


def test_one_walk_measures_every_screen(
    services: Services, live_server: Callable[[object], str], page: Page, report: Callable[[str], None]
) -> None:
    hasher = cheap_hasher(services.settings.secret_key_bytes())
    (spec,) = seed(SqlBankSeeder(services.database, services.pii, hasher, services.clock), 1)
    base = live_server(create_app(services, sandbox=True))
    page.context.add_init_script(stamping())

    times = walk(page, base, spec)

    assert list(times) == list(SCREENS)
    assert all(ms > 0 for ms in times.values()), times  # each screen was ready after the action that led to it
    assert wallet_size(page) == 1
    report("app steps (one walk, not asserted): " + ", ".join(f"{k} {v:.0f} ms" for k, v in times.items()))
