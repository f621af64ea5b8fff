"""The issuance flow of the Hanbit Bank app in headless Chromium, as a customer walks it: menus, notice, logged-out
check, terms, user ID + resident number, ARS (answered on the virtual phone in a second tab) or the overseas check,
account PIN, app certificate (PIN + drawn pattern) / OTP / security card, contact, type, password with the live
checklist, completion. The key pair and R are made in the page; the certificate ends up in the browser wallet, chains
to our CA and carries the VID of the customer's resident number. Neither the certificate password nor the private key
is ever sent; each PIN and R go only to the one call that takes them. Error screens: wrong PIN, wrong OTP, weak and
mismatched passwords, an expired session. Screenshots of every step at 390×844 go to ``tests/e2e/artifacts/``."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_private_key
from playwright.sync_api import Page, ViewportSize, expect

from jointcert.app import Services
from jointcert.bank.seed import demo_customer
from jointcert.ca.hierarchy import ISSUING, ROOT
from jointcert.clock import SystemClock
from jointcert.npki.password_policy import check_password, policy_rules
from jointcert.npki.vid import compute_vid, identify_data_of
from jointcert.types import CertType
from jointcert.web.app import create_app
from jointcert.web.bank_session import BankSessions
from tests.e2e.harness.bank import fresh_instance
from tests.e2e.harness.support import RequestRecorder, js, secret_encodings, text_encodings

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
PASSWORD = "Hanbit#2026-cert"
Shot = Callable[[str], Path]


class ShiftedClock:
    """The real time plus an offset the test can move (to expire a session)."""

    def __init__(self) -> None:
        self._real = SystemClock()
        self.offset = timedelta()

    def now(self) -> datetime:
        return self._real.now() + self.offset

    def monotonic(self) -> float:
        return self._real.monotonic() + self.offset.total_seconds()


@dataclass(frozen=True)
class Bank:
    """The instance under test: services with a seeded sandbox bank, and its clock."""

    services: Services
    clock: ShiftedClock


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    """One instance for the module (SQLite, cheap Argon2 for the sandbox secrets); each test uses other customers."""
    data_dir = tmp_path_factory.mktemp("bank-issuance") / "data"
    clock = ShiftedClock()
    with fresh_instance(data_dir, clock, cheap_bank_secrets=True) as services:
        services.bank.seed()
        yield Bank(services, clock)


@pytest.fixture
def base(bank: Bank, live_server: Callable[[object], str]) -> str:
    """The real app, served on 127.0.0.1 for this test."""
    return live_server(create_app(bank.services, sandbox=True))


@pytest.fixture
def shot(page: Page, screenshot: Callable[..., Path]) -> Shot:
    """``shot("03-terms")``: a full-page screenshot of the phone-sized page."""
    page.set_viewport_size(PHONE)
    return lambda name: screenshot(page, name)


# --- walking the flow -----------------------------------------------------------------------------------------


def at(page: Page, step: str) -> None:
    """Wait for a screen to be ready; the focus starts on its heading."""
    page.wait_for_url(f"**/bank/issuance/{step}")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("document.activeElement?.id") == "page-title"


def through_menus(page: Page, base: str, shot: Shot) -> None:
    page.goto(base + "/")
    shot("01-home")
    page.click("#menu-security")
    shot("02-security-menu")
    page.click("#menu-joint")
    shot("03-certificate-menu")
    page.click("#menu-issue")
    expect(page.locator("#page-title")).to_have_text("인증서 발급/재발급", use_inner_text=True)
    shot("04-notice")
    page.click("#continue")


def agree_and_identify(page: Page, user_id: str, shot: Shot, *, arrived: bool = False) -> str:
    if not arrived:
        at(page, "terms")
    page.check("#terms-all")
    expect(page.locator("input[name=term]:not(:checked)")).to_have_count(0)
    shot("06-terms")
    page.click("#terms-submit")
    at(page, "identity")
    rrn = demo_customer(user_id).spec.rrn
    page.fill("#user-id", user_id)
    page.fill("#rrn-front", rrn[:6])
    page.locator("#rrn-back").press_sequentially(rrn[7:])
    expect(page.locator("#rrn-back")).to_have_value(rrn[7] + "●" * 6)  # the secure keypad's field: first digit only
    shot("07-identity")
    page.click("#identity-submit")
    at(page, "verify")
    return rrn


def answer_ars_on_the_virtual_phone(page: Page, shot: Shot) -> None:
    shot("08-ars-choose")
    page.click("#ars-call")
    code = page.locator("#ars-code")
    expect(code).to_have_text(re.compile(r"^\d{2}$"))
    shot("09-ars-code")
    with page.context.expect_page() as opened:
        page.click("#virtual-phone")
    phone = opened.value
    phone.set_viewport_size(PHONE)
    phone.wait_for_selector("input[name=digits]")
    phone.fill("input[name=digits]", code.inner_text())
    phone.click("form button")
    expect(phone.locator(".msg")).to_contain_text("confirmed")
    phone.screenshot(path=str(shot("10-virtual-phone")))
    phone.close()
    at(page, "account")


def verify_account(page: Page, user_id: str, shot: Shot) -> None:
    account = demo_customer(user_id).spec.accounts[0]
    page.fill("#account-number", account.number)
    page.locator("#account-pin").press_sequentially(account.pin)
    shot("11-account")
    page.click("#account-submit")
    at(page, "second-factor")


def draw_pattern(page: Page, cells: tuple[int, ...]) -> None:
    """Draw through the dots with the mouse (pointer events), as a finger would."""
    centres = []
    for cell in cells:
        box = page.locator(f"#dot-{cell}").bounding_box()
        assert box is not None
        centres.append((box["x"] + box["width"] / 2, box["y"] + box["height"] / 2))
    page.mouse.move(*centres[0])
    page.mouse.down()
    for x, y in centres[1:]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()


def pattern_with_the_keyboard(page: Page, cells: tuple[int, ...]) -> None:
    """Tab through the dots in order (1..9), Enter on each one of the pattern, then Tab to the confirm button."""
    page.focus("#dot-1")
    current = 1
    for cell in cells:
        for _ in range(abs(cell - current)):
            page.keyboard.press("Tab" if cell > current else "Shift+Tab")
        current = cell
        assert page.evaluate("document.activeElement.id") == f"dot-{cell}"
        page.keyboard.press("Enter")
    expect(page.locator(".pattern__dot[aria-pressed=true]")).to_have_count(len(cells))
    for _ in range(10 - current):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "pattern-submit"


def confirm_contact_and_type(page: Page, cert_type: str, shot: Shot) -> None:
    at(page, "contact")
    expect(page.locator("#contact-email")).not_to_have_value("")
    shot("14-contact")
    page.click("#contact-submit")
    at(page, "type")
    page.check(f"#type-{cert_type}")
    shot("15-type")
    page.click("#type-submit")
    at(page, "password")


def set_password(page: Page, shot: Shot) -> None:
    page.fill("#cert-password", PASSWORD)
    page.fill("#cert-password-confirm", PASSWORD)
    expect(page.locator(".check-item--bad")).to_have_count(0)
    expect(page.locator(".check-item--ok").first).to_be_visible()
    shot("16-password")
    page.click("#password-submit")
    at(page, "done")
    expect(page.locator("#done-panel")).to_be_visible()
    shot("17-done")


# --- what the browser holds, and what it sent --------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """The wallet's one credential, opened with the password (in the test only)."""

    certificate: x509.Certificate
    meta: dict[str, Any]
    pkcs8: bytes
    random_num: bytes
    km_certificate: x509.Certificate | None = None  # the encryption certificate of the sign + km pair
    km_pkcs8: bytes | None = None

    def key_secrets(self) -> tuple[bytes, ...]:
        """The PKCS#8s (signing and km) and their private numbers: none may ever be sent."""
        found: list[bytes] = []
        for pkcs8 in (self.pkcs8, self.km_pkcs8):
            if pkcs8 is None:
                continue
            key = load_der_private_key(pkcs8, None)
            assert isinstance(key, rsa.RSAPrivateKey)
            numbers = key.private_numbers()
            found += [pkcs8, *(n.to_bytes((n.bit_length() + 7) // 8, "big") for n in (numbers.d, numbers.p, numbers.q))]
        return tuple(found)


def wallet(page: Page) -> Stored:
    listed = page.evaluate(
        """async (password) => {
            const { openVault } = await import("/static/js/vault.js");
            const { toBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            const all = await vault.listCredentials();
            const opened = await vault.exportPkcs8(all[0].id, password);
            vault.close();
            return { count: all.length, meta: all[0].meta, cert: toBase64(all[0].certificateDer),
                     pkcs8: toBase64(opened.pkcs8), r: toBase64(opened.randomNum),
                     km: all[0].kmCertificateDer && toBase64(all[0].kmCertificateDer),
                     kmPkcs8: opened.km && toBase64(opened.km.pkcs8) };
        }""",
        PASSWORD,
    )
    assert listed["count"] == 1
    cert = x509.load_der_x509_certificate(base64.b64decode(listed["cert"]))
    km = None if not listed["km"] else x509.load_der_x509_certificate(base64.b64decode(listed["km"]))
    km_pkcs8 = None if not listed["kmPkcs8"] else base64.b64decode(listed["kmPkcs8"])
    pkcs8, r = base64.b64decode(listed["pkcs8"]), base64.b64decode(listed["r"])
    return Stored(cert, listed["meta"], pkcs8, r, km, km_pkcs8)


def wallet_size(page: Page) -> int:
    count: int = page.evaluate(
        """async () => {
            const { openVault } = await import("/static/js/vault.js");
            const vault = await openVault();
            const all = await vault.listCredentials();
            vault.close();
            return all.length;
        }"""
    )
    return count


def check_certificate(bank: Bank, stored: Stored, user_id: str) -> None:
    """Issued by our issuing CA (which chains to the root), for the customer's name and VID."""
    spec = demo_customer(user_id).spec
    issuing, root = bank.services.signers[ISSUING].certificate, bank.services.signers[ROOT].certificate
    stored.certificate.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)
    identify = identify_data_of(stored.certificate)
    assert identify is not None
    assert identify.real_name == spec.name
    assert identify.vid == compute_vid(spec.rrn.replace("-", ""), stored.random_num)
    # the page confirmed after saving (enrollment/confirm): only a confirmed certificate is in the bank's registry
    assert bank.services.ra.ctx.registry.get(stored.certificate.serial_number) is not None


def only_in(recorder: RequestRecorder, needles: dict[str, bytes], path: str) -> None:
    """The needles travel in exactly one request: the POST to ``…{path}``."""
    hits = recorder.find(needles)
    assert [(r.method, r.url.rsplit("/issuance/sessions/", 1)[-1].split("/", 1)[-1]) for r, _ in hits] == [
        ("POST", path.lstrip("/"))
    ]


def check_traffic(recorder: RequestRecorder, stored: Stored, pins: dict[str, str]) -> None:
    assert not recorder.blocked
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=stored.key_secrets())
    only_in(recorder, secret_encodings(stored.random_num), "/enrollment")
    for path, pin in pins.items():
        only_in(recorder, text_encodings(pin), path)


# --- the three paths ----------------------------------------------------------------------------------------------


@pytest.mark.console_errors_expected  # Chromium logs the 403 of the refused start (logged in)
def test_ars_app_certificate_limited_use(
    bank: Bank, base: str, page: Page, recorder: RequestRecorder, shot: Shot
) -> None:
    """minjun88: logged in first (log out), ARS on the virtual phone, app certificate PIN + pattern, limited-use."""
    user = "minjun88"
    spec = demo_customer(user).spec
    assert spec.app_cert is not None
    sessions = BankSessions(bank.services.bank_app_sessions, bank.services.clock, bank.services.settings.bank_session)
    session, _ = sessions.issue(serial="1", name=spec.name, cert_type="limited")
    page.context.add_cookies([{"name": "bank_session", "value": session, "url": base}])  # logged in (genuine)
    through_menus(page, base, shot)
    page.wait_for_url("**/bank/issuance/start")
    expect(page.locator("#start-error")).to_have_text("로그아웃 후 이용해 주십시오.", use_inner_text=True)
    expect(page.locator("#logout-button")).to_be_focused()
    shot("05-logged-in")
    page.click("#logout-button")
    agree_and_identify(page, user, shot)
    expect(page.locator("#verify-greeting")).to_contain_text("본인확인 방법을 선택해 주십시오")
    expect(page.locator("#verify-greeting")).not_to_contain_text(spec.name)  # no name before the check
    answer_ars_on_the_virtual_phone(page, shot)
    verify_account(page, user, shot)
    page.locator("#app-pin").press_sequentially(spec.app_cert.pin)  # the sixth digit submits
    expect(page.locator("#pattern-panel")).to_be_visible()
    expect(page.locator("#pattern-title")).to_be_focused()
    draw_pattern(page, spec.app_cert.pattern[:2])  # too short: not submitted, the dots stay lit
    expect(page.locator(".pattern__dot[aria-pressed=true]")).to_have_count(2)
    page.click("#pattern-clear")
    draw_pattern(page, (1, 2, 3, 6))  # a drawn stroke of 4 dots submits itself: the wrong pattern
    assert error_text(page, "#pattern-error") == "패턴이 일치하지 않습니다 (오류 1/5회)"
    expect(page.locator(".pattern__dot[aria-pressed=true]")).to_have_count(0)
    shot("13-pattern-wrong")
    pattern_with_the_keyboard(page, spec.app_cert.pattern)
    shot("13-pattern")
    page.keyboard.press("Enter")
    confirm_contact_and_type(page, "limited", shot)
    expect(page.locator("#type-summary")).to_contain_text("수수료는 없습니다")
    set_password(page, shot)
    facts = page.locator("#done-facts").inner_text()
    assert CertType.LIMITED.label_ko in facts
    assert spec.name in facts and " ~ " in facts
    expect(page.locator("#login-with-cert")).to_have_attribute(
        "href", re.compile(r"/bank/login\?credential=[0-9a-f]{64}")
    )
    expect(page.locator("#to-wallet")).to_have_attribute("href", "/bank/wallet")

    stored = wallet(page)
    assert stored.meta["type"] == "limited"
    check_certificate(bank, stored, user)
    km = stored.km_certificate  # the wallet keeps the encryption pair issued with it
    assert km is not None and stored.km_pkcs8 is not None and km.subject == stored.certificate.subject
    assert km.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    km_key = load_der_private_key(stored.km_pkcs8, None)
    assert isinstance(km_key, rsa.RSAPrivateKey) and km_key.public_key() == km.public_key()
    assert stored.meta["kmSerial"] == format(km.serial_number, "x")
    pins = {"/account": spec.accounts[0].pin, "/app-cert/pin": spec.app_cert.pin}
    check_traffic(recorder, stored, pins)
    assert page.evaluate("Object.keys(localStorage).every((k) => !k.includes('issuance'))")

    # then log in to the bank with the new certificate, and revoke it from the wallet
    serial = format(stored.certificate.serial_number, "x")
    page.click("#login-with-cert")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#cert-password", PASSWORD)
    page.click("#login-button")
    expect(page.locator("#home-panel")).to_be_visible()
    expect(page.locator("#session-facts")).to_contain_text(serial)
    shot("18-logged-in")
    page.goto(base + "/bank/wallet")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#detail-facts")).to_contain_text(serial)
    page.click("#action-revoke")
    page.check("#reason-keyCompromise")
    page.check("#revoke-confirm")
    page.fill("#revoke-password", PASSWORD)
    page.click("#revoke-submit")
    expect(page.locator("#wallet-message")).to_contain_text("인증서를 폐지했습니다", timeout=20_000)
    shot("19-revoked")
    record = bank.services.authority.certificate(stored.certificate.serial_number)
    assert record is not None and record.status.value == "revoked"
    km_record = bank.services.authority.certificate(km.serial_number)  # the pair is revoked together
    assert km_record is not None and km_record.status.value == "revoked"
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=stored.key_secrets())


def test_abroad_otp_general_purpose_with_fee(
    bank: Bank, base: str, page: Page, recorder: RequestRecorder, shot: Shot
) -> None:
    """seoyeon91: the overseas-departure check, an OTP code from her device, general-purpose (4,400원)."""
    user = "seoyeon91"
    spec = demo_customer(user).spec
    page.goto(base + "/bank/issuance")
    page.click("#lang-switch")  # English, kept for the next screens
    expect(page.locator("#page-title")).to_have_text("Issue / reissue a certificate", use_inner_text=True)
    page.click("#continue")
    at(page, "terms")
    expect(page.locator("#page-title")).to_have_text("Agree to the terms", use_inner_text=True)
    shot("05-terms-english")
    page.click("#lang-switch")
    expect(page.locator("#page-title")).to_have_text("약관 동의", use_inner_text=True)
    agree_and_identify(page, user, shot, arrived=True)
    expect(page.locator("#abroad-panel")).to_be_visible()
    page.click("#abroad-check")
    expect(page.locator("#abroad-result")).to_contain_text("미국")
    expect(page.locator("#abroad-next")).to_be_focused()
    shot("08-abroad")
    page.click("#abroad-next")
    at(page, "account")
    verify_account(page, user, shot)
    expect(page.locator("#otp-panel")).to_be_visible()
    code = httpx.get(f"{base}/api/v1/sandbox/otp/{user}").json()["code"]
    page.locator("#otp-code").press_sequentially(code)
    shot("12-otp")
    page.click("#otp-submit")
    at(page, "contact")
    page.click("#contact-submit")
    at(page, "type")
    expect(page.locator("#fee-general")).to_contain_text("수수료 4,400원")
    expect(page.locator("#fee-limited")).to_contain_text("무료")
    page.check("#type-general")
    shot("15-type-general")
    page.click("#type-submit")
    debit = page.locator("#confirm-dialog")  # the debit is confirmed first: account, amount, balance after
    expect(debit).to_contain_text(f"출금 계좌 {spec.accounts[0].number}")
    expect(debit).to_contain_text("수수료 4,400원")
    expect(debit).to_contain_text(f"출금 후 잔액 {spec.accounts[0].balance_krw - 4400:,}원")
    shot("15b-debit-confirm")
    page.click("#confirm-yes")
    at(page, "password")
    expect(page.locator("#type-summary")).to_contain_text("수수료 4,400원")
    set_password(page, shot)
    expect(page.locator("#done-facts")).to_contain_text("4,400원 출금")
    expect(page.locator("#done-facts")).to_contain_text(CertType.GENERAL.label_ko)

    stored = wallet(page)
    assert stored.meta["type"] == "general"
    check_certificate(bank, stored, user)
    check_traffic(recorder, stored, {"/account": spec.accounts[0].pin, "/otp": code})


def test_ars_security_card_with_the_keyboard(
    bank: Bank, base: str, page: Page, recorder: RequestRecorder, shot: Shot
) -> None:
    """jihopark: ARS, then the account screen with the keyboard only, then the asked security-card cells."""
    user = "jihopark"
    spec = demo_customer(user).spec
    card = spec.security_card
    assert card is not None
    page.goto(base + "/bank/issuance/start")
    agree_and_identify(page, user, shot)
    answer_ars_on_the_virtual_phone(page, shot)

    account = spec.accounts[0]  # keyboard only: heading → account number → PIN → Enter
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "account-number"
    page.keyboard.type(account.number)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "account-pin"
    page.keyboard.type(account.pin)
    shot("11-account-keyboard")
    page.keyboard.press("Enter")
    at(page, "second-factor")

    expect(page.locator("#card-panel")).to_be_visible()
    cell_a, part_a, cell_b, part_b = str(page.get_attribute("#card-form", "data-cells")).split(",")
    expect(page.locator("#card-a-label")).to_have_text(
        f"[{int(cell_a):02d}]번 앞 2자리" if part_a == "first_two" else f"[{int(cell_a):02d}]번 뒤 2자리",
        use_inner_text=True,
    )

    def digits(cell: str, part: str) -> str:
        value = card.cells[int(cell) - 1]
        return value[:2] if part == "first_two" else value[2:]

    page.locator("#card-a").press_sequentially(digits(cell_a, part_a))
    page.locator("#card-b").press_sequentially(digits(cell_b, part_b))
    shot("12-security-card")
    page.click("#card-submit")
    confirm_contact_and_type(page, "limited", shot)
    set_password(page, shot)

    stored = wallet(page)
    check_certificate(bank, stored, user)
    answer = digits(cell_a, part_a) + digits(cell_b, part_b)
    check_traffic(recorder, stored, {"/account": account.pin, "/security-card": answer})


# --- the checklist and the server agree ------------------------------------------------------------------------

CHECKLIST_CASES = [
    PASSWORD,
    "Ab#1",
    "hanbit2026",
    "HANBIT#cert",
    "Hanbit2026cert",
    "Hanbit|2026#x",
    "Hanbit 2026#x",
    "Hanbit#2026한글",
    "MinJun88#Hanbit",
    "Hb#19880415x",
    "Hb#880415xyz",
    "Hb#" + "x" * 55 + "1",
]


def test_checklist_agrees_with_the_server_policy(harness: Page) -> None:
    """The page ticks the server's own rules (its codes, its messages) and fails exactly what the server would."""
    rules = policy_rules()
    context = {"userId": "minjun88", "birthDate": "1988-04-15"}
    results = js(
        harness,
        "(m, cases, ctx, rules) => cases.map((pw) => m.passwordPolicy.checkPassword(pw, ctx, rules))",
        CHECKLIST_CASES,
        context,
        rules,
    )
    for password, result in zip(CHECKLIST_CASES, results, strict=True):
        expected = [v.code for v in check_password(password, user_id="minjun88", birth_date=date(1988, 4, 15))]
        assert result["failed"] == expected, password
        assert [i["code"] for i in result["items"]] == [r["code"] for r in rules["rules"]]
        assert all(i["ok"] is not None for i in result["items"]), password
    assert results[0]["items"][0]["messageKo"] == rules["rules"][0]["message_ko"]


# --- errors: each on its own screen, in Korean, and the flow goes on or restarts cleanly ---------------------------


def error_text(page: Page, selector: str) -> str:
    box = page.locator(selector)
    expect(box).to_be_visible()
    assert box.get_attribute("role") == "alert"
    return box.inner_text()


@pytest.mark.console_errors_expected  # the 4xx answers the page provokes are logged by Chromium
def test_wrong_pin_wrong_otp_weak_and_mismatched_password_then_expiry(
    bank: Bank, base: str, page: Page, shot: Shot
) -> None:
    """yujin93 (ARS with two mobiles, HOTP): each refusal is shown next to its field; the flow goes on after it."""
    user = "yujin93"
    spec = demo_customer(user).spec
    page.goto(base + "/bank/issuance/start")
    at(page, "terms")
    page.click("#terms-submit")
    assert "필수 약관에 모두 동의해 주십시오." in error_text(page, "#terms-error")
    page.check("#terms-all")
    page.click("#terms-submit")
    at(page, "identity")
    page.click("#find-id-link")  # 아이디 찾기
    at(page, "find-id")
    page.fill("#find-name", spec.name)
    page.fill("#find-rrn-front", spec.rrn[:6])
    page.locator("#find-rrn-back").press_sequentially(spec.rrn[7:])
    page.click("#find-submit")
    expect(page.locator("#found-ids")).to_have_text("yu***93", use_inner_text=True)
    shot("e0-find-id")
    page.click("#back-to-identity")
    at(page, "identity")
    page.fill("#user-id", user)
    page.fill("#rrn-front", spec.rrn[:6])
    page.locator("#rrn-back").press_sequentially("1234567")
    page.click("#identity-submit")
    assert "아이디 또는 주민등록번호가 일치하지 않습니다." in error_text(page, "#rrn-error")
    page.locator("#rrn-back").press_sequentially(spec.rrn[7:])
    page.click("#identity-submit")
    at(page, "verify")
    expect(page.locator("input[name=phone]")).to_have_count(2)
    page.check("input[name=phone] >> nth=1")
    page.click("#ars-call")
    expect(page.locator("#ars-code")).to_have_text(re.compile(r"^\d{2}$"))
    code = page.locator("#ars-code").inner_text()
    number = spec.phones[1].number
    calls = httpx.get(f"{base}/api/v1/sandbox/phone/{number}/calls").json()
    httpx.post(f"{base}/api/v1/sandbox/phone/{number}/calls/{calls[-1]['call_id']}/answer", json={"digits": code})
    at(page, "account")

    account = spec.accounts[0]
    page.fill("#account-number", account.number)
    page.locator("#account-pin").press_sequentially("0000" if account.pin != "0000" else "1111")
    page.click("#account-submit")
    assert error_text(page, "#pin-error") == "계좌 비밀번호가 일치하지 않습니다 (오류 1/5회)"
    expect(page.locator("#account-pin")).to_be_focused()
    expect(page.locator("#account-pin")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#account-pin")).to_have_value("")
    shot("e1-wrong-pin")
    page.click("#lang-switch")
    assert error_text(page, "#pin-error") == "The account PIN does not match (1 of 5 wrong attempts)"
    shot("e2-wrong-pin-english")
    page.click("#lang-switch")
    page.locator("#account-pin").press_sequentially(account.pin)
    page.click("#account-submit")
    at(page, "second-factor")

    page.locator("#otp-code").press_sequentially("000000")
    page.click("#otp-submit")
    assert error_text(page, "#otp-error") == "OTP 인증번호가 일치하지 않습니다 (오류 1/5회)"
    shot("e3-wrong-otp")
    page.locator("#otp-code").press_sequentially(httpx.get(f"{base}/api/v1/sandbox/otp/{user}").json()["code"])
    page.click("#otp-submit")
    at(page, "contact")
    page.click("#contact-submit")
    at(page, "type")
    page.click("#type-submit")
    at(page, "password")

    page.fill("#cert-password", "hanbit2026")
    page.fill("#cert-password-confirm", "hanbit2026")
    expect(page.locator(".check-item--bad[data-code=no_symbol]")).to_be_visible()
    page.click("#password-submit")
    assert error_text(page, "#password-error").startswith(
        "비밀번호가 규칙에 맞지 않습니다: 특수문자를 포함해야 합니다."
    )
    expect(page.locator("#cert-password")).to_be_focused()
    shot("e4-weak-password")
    page.fill("#cert-password", PASSWORD)
    page.fill("#cert-password-confirm", PASSWORD + "x")
    expect(page.locator(".check-item--bad[data-code=matches_confirmation]")).to_be_visible()
    page.click("#password-submit")
    assert error_text(page, "#confirm-error").startswith("비밀번호가 일치하지 않습니다.")
    expect(page.locator("#cert-password-confirm")).to_be_focused()
    shot("e5-mismatch")

    bank.clock.offset += timedelta(seconds=bank.services.settings.ra.session_ttl_seconds + 1)
    try:
        page.fill("#cert-password", PASSWORD)
        page.fill("#cert-password-confirm", PASSWORD)
        page.click("#password-submit")
        assert error_text(page, "#ended-error") == "유효 시간이 지났습니다. 처음부터 다시 진행해 주십시오."
        expect(page.locator("#ended-title")).to_be_focused()
        expect(page.locator("#password-form")).to_be_hidden()
        shot("e6-expired")
        page.click("#restart")  # a clean restart: a new session at the terms
        at(page, "terms")
    finally:
        bank.clock.offset = timedelta()
    assert wallet_size(page) == 0  # the key made for the refused enrollment was never stored


def to_account_screen(page: Page, base: str, user: str) -> None:
    """Start, terms, identity, ARS answered through the sandbox API (the virtual phone's own JSON)."""
    spec = demo_customer(user).spec
    page.goto(base + "/bank/issuance/start")
    at(page, "terms")
    page.check("#terms-all")
    page.click("#terms-submit")
    at(page, "identity")
    page.fill("#user-id", user)
    page.fill("#rrn-front", spec.rrn[:6])
    page.locator("#rrn-back").press_sequentially(spec.rrn[7:])
    page.click("#identity-submit")
    at(page, "verify")
    page.click("#ars-call")
    expect(page.locator("#ars-code")).to_have_text(re.compile(r"^\d{2}$"))
    number = spec.phones[0].number
    calls = httpx.get(f"{base}/api/v1/sandbox/phone/{number}/calls").json()
    digits = page.locator("#ars-code").inner_text()
    httpx.post(f"{base}/api/v1/sandbox/phone/{number}/calls/{calls[-1]['call_id']}/answer", json={"digits": digits})
    at(page, "account")


@pytest.mark.console_errors_expected  # the 4xx answers the page provokes are logged by Chromium
def test_locked_accounts(base: str, page: Page, shot: Shot) -> None:
    """haneul84's account is locked at the bank: said at the account number. lannguyen's fifth wrong PIN locks
    the account and ends the session: the page says so and offers a fresh start."""
    locked = demo_customer("haneul84").spec.accounts[0]
    to_account_screen(page, base, "haneul84")
    page.fill("#account-number", locked.number)
    page.locator("#account-pin").press_sequentially(locked.pin)
    page.click("#account-submit")
    assert error_text(page, "#account-error") == "사용할 수 없는 계좌입니다(잠김 또는 휴면). 영업점에 문의해 주십시오."
    expect(page.locator("#account-number")).to_be_focused()
    shot("e7-account-locked-at-the-bank")

    account = demo_customer("lannguyen").spec.accounts[0]
    wrong = "0000" if account.pin != "0000" else "1111"
    to_account_screen(page, base, "lannguyen")
    page.fill("#account-number", account.number)
    for left in (4, 3, 2, 1):
        page.locator("#account-pin").press_sequentially(wrong)
        page.click("#account-submit")
        expect(page.locator("#pin-error")).to_have_text(
            f"계좌 비밀번호가 일치하지 않습니다 (오류 {5 - left}/5회)", use_inner_text=True
        )
    page.locator("#account-pin").press_sequentially(wrong)
    page.click("#account-submit")
    ended = error_text(page, "#ended-error")  # what is locked, after how many attempts, and the way out
    assert ended.startswith("계좌 비밀번호가 5회 틀려 이 계좌가 잠겼습니다.") and "영업점을 방문" in ended, ended
    expect(page.locator("#account-form")).to_be_hidden()
    expect(page.locator("#ended-title")).to_be_focused()
    shot("e8-pin-locked")
