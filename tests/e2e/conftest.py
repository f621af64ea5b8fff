"""Browser fixtures: Debian's Chromium driven by Playwright, ASGI servers on 127.0.0.1, a recorder of every request
a page makes, screenshots under ``tests/e2e/artifacts/`` and measurements printed after the run.

A later test of the real app::

    @pytest.mark.browser
    def test_issuance(live_server, page, recorder, screenshot):
        base = live_server(create_app(settings))      # any ASGI app; stopped after the test
        page.goto(base + "/")
        screenshot(page, "start")
        recorder.assert_never_sent(passwords=("…",), secrets=(pkcs8_der,))
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.harness.server import build_harness_app
from tests.e2e.harness.support import RequestRecorder, serve_asgi

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
_MEASUREMENTS = pytest.StashKey[list[str]]()


@pytest.fixture
def live_server() -> Iterator[Callable[[object], str]]:
    """A factory: ``base_url = live_server(app)`` serves any ASGI app on 127.0.0.1 until the test ends."""
    with contextlib.ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_asgi(app))


@pytest.fixture(scope="session")
def harness_url() -> Iterator[str]:
    """Base URL of the harness server (real static files + test page + fake API), shared by the session."""
    with serve_asgi(build_harness_app()) as url:
        yield url


# ---------------------------------------------------------------------------------------------------------------
# Browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (sync API)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs it (scripts/ensure-chromium.sh)")
        pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make test does)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium, one for the session."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def recorder() -> RequestRecorder:
    """The request recorder of this test's browser context."""
    return RequestRecorder()


@pytest.fixture
def context(browser: Browser, recorder: RequestRecorder) -> Iterator[BrowserContext]:
    """A fresh browser context (empty IndexedDB, cookies, cache), Korean locale, recorded from the start."""
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1100, "height": 900})
    recorder.attach(context)
    yield context
    context.close()


def pytest_configure(config: pytest.Config) -> None:
    """Register this directory's marker."""
    config.addinivalue_line(
        "markers", "console_errors_expected: the page may log console errors (e.g. 4xx responses it provokes)"
    )


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in the test's context. The test fails if the page throws an uncaught error, or logs a console error
    (a failed load, a CSP violation) unless marked ``@pytest.mark.console_errors_expected``."""
    page = context.new_page()
    uncaught: list[str] = []
    console: list[str] = []
    page.on("pageerror", lambda exc: uncaught.append(str(exc)))
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    yield page
    assert not uncaught, "uncaught errors in the page:\n" + "\n".join(uncaught)
    if request.node.get_closest_marker("console_errors_expected") is None:
        assert not console, "console errors in the page:\n" + "\n".join(console)


@pytest.fixture
def harness(page: Page, harness_url: str) -> Page:
    """The page, opened on the harness and ready (``window.harness`` set up, vault open)."""
    page.goto(f"{harness_url}/harness/index.html")
    page.wait_for_function("() => window.harness?.ready === true", timeout=10_000)
    return page


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page, "name")`` saves ``tests/e2e/artifacts/<test>-<name>.png`` and returns the path."""

    def take(page: Page, name: str, *, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{request.node.name}-{name}")
        path = ARTIFACTS / f"{stem}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


# ---------------------------------------------------------------------------------------------------------------
# Measurements (reported, never asserted)


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``report("PBKDF2 …: 512 ms")`` prints the line in a "browser measurements" section after the run."""
    lines = request.config.stash.setdefault(_MEASUREMENTS, [])
    return lines.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the measurements the browser tests reported."""
    lines = config.stash.get(_MEASUREMENTS, [])
    if lines:
        terminalreporter.section("browser measurements")
        for line in lines:
            terminalreporter.write_line(line)
