"""axe-core (the npm package, vendored in ``tests/e2e/vendor/axe.min.js``, MPL-2.0) run in a Playwright page.

The source is evaluated through the DevTools protocol, so the pages' strict CSP (no inline script) does not block
it and the page under test is unchanged. ``assert_no_violations(page)`` fails with each violation's rule, impact and
the first nodes' selectors.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

__all__ = ["AXE_JS", "assert_no_violations", "axe_violations"]

AXE_JS = Path(__file__).parent.parent / "vendor" / "axe.min.js"


@cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe on the whole page (WCAG 2.x A/AA and best practices); its violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await axe.run(document, { resultTypes: ["violations"] });
            return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
        }"""
    )
    return result


def assert_no_violations(page: Page, where: str = "") -> None:
    """Fail when axe finds any violation on the page as it is now."""
    found = axe_violations(page)
    lines = [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found]
    assert not found, f"axe violations on {where or page.url}:\n" + "\n".join(lines)
