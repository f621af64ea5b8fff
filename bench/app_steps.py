"""The customer's screens of the issuance flow in the bank app, timed in Chromium at 390 px: per screen, the time
from the customer's action (the click or the last key that moves on) to the next screen being ready
(``<body data-ready="true">``), median of N walks.

``python -m bench --app-steps [--walks N]``: a throwaway SQLite instance served by ``python -m bench.server``
(the ``jointcert serve`` stack and factory, sandbox devices mounted) on a free 127.0.0.1 port; Debian's
``/usr/bin/chromium`` driven by Playwright walks it as a customer with a phone and a security card would: notice,
terms, user ID + resident number, the ARS call answered on the virtual phone in a second tab, account PIN, security
card, contact, type (limited-use), the certificate password typed at ~60 ms a key, done. Each walk is a new
customer in a fresh browser context (empty cache, as on a first visit).

The page stamps the times itself (``performance.timeOrigin + performance.now()``, one clock for every tab of the
browser): a capturing listener notes each click and keydown, an observer notes when a screen turns ready, so the
driver's own round trips are not counted. The baseline of the same run: a click on a link to a plain server page
(the 공동인증서 menu, no module of the flow) until that page's ``load`` — the floor a navigation costs here.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from argon2 import PasswordHasher, profiles
from playwright.sync_api import Browser, Page, sync_playwright

from bench.instance import Instance, prepared_instance, serving
from bench.report import Row, render
from jointcert.bank.sandbox.hashing import SecretHasher
from jointcert.bank.sandbox.spec import AccountSpec, CustomerSpec, PhoneSpec, SecurityCardSpec
from jointcert.npki.resident_number import check_digit
from jointcert.storage.bank_repository.seeding import SqlBankSeeder

__all__ = ["SCREENS", "app_customer", "main", "measure", "seed", "stamping", "walk"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
PASSWORD = "Hanbit#2026-walk"
KEY_DELAY_MS = 60  # a person typing the certificate password
TARGET_MS = 300
FLOOR = "floor: click → plain page"
SCREENS = (
    "notice → terms",
    "terms → identity",
    "identity → verify",
    "ARS answered → account",
    "account → second factor",
    "security card → contact",
    "contact → type",
    "type → password",
    "password → done",
)

# Stamps in the page's sessionStorage (one tab's, kept across its navigations): the last click or keydown, and per
# path the moment the screen turned ready (data-ready) or, for a plain page, loaded.
STAMPING = """(() => {
  const now = () => String(performance.timeOrigin + performance.now());
  const act = () => sessionStorage.setItem("bench:action", now());
  addEventListener("click", act, true);
  addEventListener("keydown", act, true);
  const mark = () => {
    const key = "bench:ready:" + location.pathname;
    if (document.body?.dataset.ready === "true" && !sessionStorage.getItem(key)) sessionStorage.setItem(key, now());
  };
  new MutationObserver(mark).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
  addEventListener("load", () => sessionStorage.setItem("bench:load:" + location.pathname, now()));
})();"""


def stamping() -> str:
    """The init script that stamps actions and ready screens (add it to the browser context)."""
    return STAMPING


def app_customer(index: int) -> CustomerSpec:
    """A customer who confirms by ARS on her mobile and holds a security card (no overseas departure)."""
    first = f"9205152{index:05d}"
    cells = tuple(f"{(index * 17 + cell * 13) % 10_000:04d}" for cell in range(30))
    return CustomerSpec(
        id=f"W{index:05d}",
        user_id=f"walk{index:05d}",
        name="김하나",
        rrn=f"{first[:6]}-{first[6:]}{check_digit(first)}",
        email=f"walk{index:05d}@example.com",
        address="서울특별시 중구 세종대로 110",
        phones=(PhoneSpec(f"PW{index:05d}", f"010-8{index // 1000:03d}-{index % 1000:04d}"),),
        accounts=(AccountSpec(f"110-800-{index:06d}", "입출금 통장", pin="4826", balance_krw=100_000),),
        security_card=SecurityCardSpec(serial=f"0088-{index:04d}-0000", cells=cells),
    )


def seed(seeder: SqlBankSeeder, count: int, *, first: int = 0) -> list[CustomerSpec]:
    """``count`` new app customers in the sandbox bank."""
    specs = [app_customer(first + n) for n in range(count)]
    for spec in specs:
        seeder.add_customer(spec)
    return specs


def _stamp(page: Page, key: str) -> float:
    value = page.evaluate("(key) => sessionStorage.getItem(key)", key)
    if value is None:
        raise RuntimeError(f"{key} was never stamped on {page.url}")
    return float(value)


def _ready(page: Page, step: str) -> float:
    """Wait for the flow's screen ``step``; its ready stamp."""
    page.wait_for_url(f"**/bank/issuance/{step}")
    page.wait_for_selector("body[data-ready=true]")
    return _stamp(page, f"bench:ready:/bank/issuance/{step}")


def _floor(page: Page, base: str) -> float:
    page.goto(base + "/bank/security")
    page.click("#menu-joint")
    page.wait_for_url("**/bank/certificates")
    page.wait_for_load_state("load")
    return _stamp(page, "bench:load:/bank/certificates") - _stamp(page, "bench:action")


def _answer_call(page: Page) -> float:
    """Open the virtual phone from the app, key in the code, press 입력 #; the stamp of that press."""
    code = page.locator("#ars-code")
    code.filter(has_text=re.compile(r"^\d+$")).wait_for()
    digits = code.inner_text().strip()
    with page.context.expect_page() as opened:
        page.click("#virtual-phone")
    phone = opened.value
    phone.set_viewport_size(PHONE)  # type: ignore[arg-type]
    phone.locator("input[name=digits]").first.press_sequentially(digits, delay=KEY_DELAY_MS)
    phone.locator("form.call__form button").first.click()
    pressed = _stamp(phone, "bench:action")
    phone.close()
    return pressed


def _card_digits(page: Page, spec: CustomerSpec) -> tuple[str, str]:
    assert spec.security_card is not None
    cell_a, part_a, cell_b, part_b = str(page.get_attribute("#card-form", "data-cells")).split(",")

    def digits(cell: str, part: str) -> str:
        value = spec.security_card.cells[int(cell) - 1]  # type: ignore[union-attr]
        return value[:2] if part == "first_two" else value[2:]

    return digits(cell_a, part_a), digits(cell_b, part_b)


def walk(page: Page, base: str, spec: CustomerSpec) -> dict[str, float]:
    """One customer's issuance in ``page`` (its context stamping, see :func:`stamping`); ms per screen."""
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    times: dict[str, float] = {}

    def step(name: str, target: str, action: float | None = None) -> None:
        ready = _ready(page, target)
        times[name] = ready - (action if action is not None else _stamp(page, "bench:action"))

    page.goto(base + "/bank/issuance")
    page.click("#continue")
    step("notice → terms", "terms")
    page.check("#terms-all")
    page.click("#terms-submit")
    step("terms → identity", "identity")
    page.locator("#user-id").press_sequentially(spec.user_id)
    page.locator("#rrn-front").press_sequentially(spec.rrn[:6])
    page.locator("#rrn-back").press_sequentially(spec.rrn[7:])
    page.click("#identity-submit")
    step("identity → verify", "verify")
    page.click("#ars-call")
    step("ARS answered → account", "account", _answer_call(page))
    page.locator("#account-number").press_sequentially(spec.accounts[0].number)
    page.locator("#account-pin").press_sequentially(spec.accounts[0].pin)
    page.click("#account-submit")
    step("account → second factor", "second-factor")
    first, second = _card_digits(page, spec)
    page.locator("#card-a").press_sequentially(first)
    page.locator("#card-b").press_sequentially(second)
    page.click("#card-submit")
    step("security card → contact", "contact")
    page.click("#contact-submit")
    step("contact → type", "type")
    page.check("#type-limited")
    page.click("#type-submit")
    step("type → password", "password")
    page.locator("#cert-password").press_sequentially(PASSWORD, delay=KEY_DELAY_MS)
    page.locator("#cert-password-confirm").press_sequentially(PASSWORD, delay=KEY_DELAY_MS)
    page.click("#password-submit")
    step("password → done", "done")
    page.wait_for_selector("#done-panel:not([hidden])")
    return times


@contextmanager
def _served(workers: int, customers: int) -> Iterator[tuple[Instance, list[CustomerSpec]]]:
    with (
        tempfile.TemporaryDirectory(prefix="jointcert-app-steps-") as tmp,
        prepared_instance(Path(tmp), "sqlite", 0) as prepared,
    ):
        instance = replace(prepared, sandbox=True)
        with instance.services() as services:
            hasher = SecretHasher(services.pii, PasswordHasher.from_parameters(profiles.CHEAPEST))
            specs = seed(SqlBankSeeder(services.database, services.pii, hasher, services.clock), customers)
        bare = Path(tmp) / "bare.bin"
        bare.write_bytes(b"bench")
        with serving(instance, workers, bare):
            yield instance, specs


def _walks(browser: Browser, base: str, specs: list[CustomerSpec]) -> tuple[list[dict[str, float]], list[float]]:
    walks, floors = [], []
    for spec in specs:
        context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport=PHONE)  # type: ignore[arg-type]
        context.add_init_script(stamping())
        try:
            page = context.new_page()
            floors.append(_floor(page, base))
            walks.append(walk(page, base, spec))
        finally:
            context.close()
    return walks, floors


def measure(walks: int, workers: int) -> list[Row]:
    """``walks`` customers, one after the other; a row per screen (p50 = the median over the walks)."""
    with _served(workers, walks + 1) as (instance, specs), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            _walks(browser, instance.url, specs[:1])  # warm-up: the server's first requests, Chromium's start
            done, floors = _walks(browser, instance.url, specs[1 : 1 + walks])
        finally:
            browser.close()
    load = os.getloadavg()[0]
    floor = statistics.median(floors)
    rows = [Row("SQLite", FLOOR, None, [f / 1000 for f in floors], load=load)]
    for name in SCREENS:
        values = [w[name] for w in done]
        p50 = statistics.median(values)
        note = f"median {p50:.0f} ms = {p50 / floor:.1f}× the floor ({floor:.0f} ms)"
        rows.append(
            Row("SQLite", f"screen: {name}", None, [v / 1000 for v in values], baseline=FLOOR,
                target=f"p50 < {TARGET_MS} ms", met=p50 < TARGET_MS, note=note, load=load)
        )  # fmt: skip
    return rows


def header(walks: int, workers: int, load_before: str) -> str:
    """The table's title line."""
    return (
        f"the customer's screens in Chromium at 390 px: {walks} walk(s), {workers} worker(s), SQLite; password typed "
        f"at {KEY_DELAY_MS} ms a key; load average before {load_before}, after "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


def main() -> None:
    """``python -m bench.app_steps`` (also ``python -m bench --app-steps``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--walks", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(render(measure(args.walks, args.workers), header(args.walks, args.workers, before)))


if __name__ == "__main__":
    main()
