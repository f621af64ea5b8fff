"""Logging in at the demo relying parties from headless Chromium with certificates our CA issued: the browser wallet
holds them, the page signs a challenge, registers the certificate the first time (타기관 인증서 등록), and shows the
verdict. Neither the password nor the private key ever leaves the page."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from playwright.sync_api import Browser, Page, expect

from jointcert.app import Services, build_services, init_instance
from jointcert.config import load_settings
from jointcert.npki.keyfile import new_random_num
from jointcert.rp.policy import DEMO_BANK, DEMO_GOV, DEMO_SECURITIES
from jointcert.types import CertType
from jointcert.web.app import create_app
from tests.e2e.harness.support import RequestRecorder, b64
from tests.unit.ca.factories import fresh_rrn, make_request

pytestmark = pytest.mark.browser

PASSWORD = "Saebit#2026-login"
WRONG = "Saebit#2026-logim"
NAME = "홍길동"
LIMITED_LABEL = CertType.LIMITED.label_ko
GENERAL_LABEL = CertType.GENERAL.label_ko
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Issued:
    """A CA-issued certificate and what only the device may know."""

    key: rsa.RSAPrivateKey
    r: bytes
    rrn: str
    cert_der: bytes

    @property
    def pkcs8(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def secrets(self) -> tuple[bytes, ...]:
        """The PKCS#8 and the private numbers, each of which must never be sent."""
        numbers = self.key.private_numbers()
        as_bytes = [n.to_bytes((n.bit_length() + 7) // 8, "big") for n in (numbers.d, numbers.p, numbers.q)]
        return (self.pkcs8, *as_bytes)


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    """A fresh instance (SQLite, real clock) whose relying parties trust its CA."""
    for name in ("JOINTCERT_DATABASE_URL", "JOINTCERT_SECRET_KEY", "JOINTCERT_CA__PASSPHRASE", "JOINTCERT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    init_instance(tmp_path / "data")
    built = build_services(load_settings(tmp_path / "data"), actor="test")
    yield built
    built.close()


def issue(services: Services, cert_type: CertType, rrn: str | None = None) -> Issued:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rrn, r = rrn or fresh_rrn(), new_random_num()
    issued = services.authority.issue(make_request(key, rrn=rrn, random_num=r, cert_type=cert_type, name=NAME))
    return Issued(key, r, rrn, issued.der)


def save_in_wallet(page: Page, issued: Issued, cert_type: CertType) -> None:
    """What the issuance or copy page does: the page's own vault module stores PKCS#8 + R under the password."""
    page.evaluate(
        """async ([pkcs8, r, cert, password, type]) => {
            const { openVault } = await import("/static/js/vault.js");
            const { fromBase64 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            await vault.saveCredential({ pkcs8: fromBase64(pkcs8), randomNum: fromBase64(r),
                                         certificateDer: fromBase64(cert), meta: { type } }, password);
            vault.close();
        }""",
        [b64(issued.pkcs8), b64(issued.r), b64(issued.cert_der), PASSWORD, cert_type.value],
    )


def open_site(page: Page, base: str, site: str) -> None:
    page.goto(f"{base}/rp/{site}")
    page.wait_for_selector("body[data-ready=true]")


def choose(page: Page, label: str) -> None:
    page.locator(".cert:not(.cert--refused)", has_text=label).click()


def log_in(page: Page, label: str, password: str = PASSWORD) -> None:
    choose(page, label)
    page.fill("#cert-password", password)
    page.click("#login-button")


def register(page: Page, rrn: str, name: str = NAME) -> None:
    expect(page.locator("#register-panel")).to_be_visible()
    page.fill("#reg-name", name)
    page.fill("#reg-rrn-front", rrn[:6])
    page.fill("#reg-rrn-back", rrn[6:])
    page.click("#register-button")


def result(page: Page) -> tuple[str, str]:
    box = page.locator("#result")
    expect(box).to_be_visible()
    return str(box.get_attribute("data-accepted")), str(box.get_attribute("data-reason"))


@pytest.fixture
def two_certificates(services: Services) -> tuple[Issued, Issued]:
    rrn = fresh_rrn()
    return issue(services, CertType.LIMITED, rrn), issue(services, CertType.GENERAL, rrn)


def test_bank_and_securities_firm_login(  # noqa: PLR0917 (pytest fixtures arrive as arguments)
    services: Services,
    two_certificates: tuple[Issued, Issued],
    live_server: Callable[[object], str],
    page: Page,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
) -> None:
    limited, general = two_certificates
    base = live_server(create_app(services))
    open_site(page, base, DEMO_BANK)
    expect(page.locator("#wallet-status")).to_contain_text("저장된 인증서가 없습니다")
    screenshot(page, "1-bank-empty-wallet")
    save_in_wallet(page, limited, CertType.LIMITED)
    save_in_wallet(page, general, CertType.GENERAL)
    open_site(page, base, DEMO_BANK)
    expect(page.locator(".cert")).to_have_count(2)
    expect(page.locator(".cert", has_text=LIMITED_LABEL)).to_contain_text("jointsign")
    expect(page.locator(".cert", has_text=LIMITED_LABEL)).to_contain_text("일 남음")
    screenshot(page, "2-bank-wallet")

    log_in(page, LIMITED_LABEL, WRONG)  # a wrong password never reaches the site
    expect(page.locator("#login-error")).to_have_text("인증서 비밀번호가 올바르지 않습니다.", use_inner_text=True)
    assert page.evaluate("document.activeElement?.id") == "cert-password"
    expect(page.locator("#result")).to_be_hidden()
    screenshot(page, "3-bank-wrong-password")
    page.fill("#cert-password", PASSWORD)
    page.click("#login-button")
    expect(page.locator("#register-panel")).to_be_visible()
    screenshot(page, "4-bank-register")
    register(page, limited.rrn)
    assert result(page) == ("true", "ok")
    expect(page.locator("#result-message")).to_have_text(f"환영합니다, {NAME} 님.", use_inner_text=True)
    screenshot(page, "5-bank-welcome")

    open_site(page, base, DEMO_BANK)  # later logins: the signature alone
    log_in(page, LIMITED_LABEL)
    assert result(page) == ("true", "ok")
    expect(page.locator("#register-panel")).to_be_hidden()

    open_site(page, base, DEMO_SECURITIES)  # the site's policy filters the list before any password is typed
    refused = page.locator(".cert--refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(LIMITED_LABEL)
    expect(refused).to_contain_text("이 기관에서는 은행·신용카드·보험·전자정부용 인증서를 사용할 수 없습니다")
    expect(page.locator("input[name=credential]:disabled")).to_have_count(1)
    expect(page.locator("#wallet-status")).to_contain_text("사용 가능 1개")
    screenshot(page, "6-securities-limited-filtered")
    page.click("#lang-switch")
    expect(refused).to_contain_text("This institution does not accept Limited-use")
    screenshot(page, "7-securities-filtered-english")
    page.click("#lang-switch")
    log_in(page, GENERAL_LABEL)
    register(page, general.rrn)
    assert result(page) == ("true", "ok")
    expect(page.locator("#result-message")).to_have_text(f"환영합니다, {NAME} 님.", use_inner_text=True)
    page.locator("#result-details summary").click()
    revocation = page.locator(".check--passed[data-check=revocation]")
    expect(revocation).to_contain_text("폐지 여부")  # the check's name in words, never its code key
    expect(revocation).to_contain_text("OCSP")
    expect(page.locator("#result-checks")).not_to_contain_text("key_usage")
    policy = page.locator(".check--passed[data-check=policy]")  # our CA, not yessign, whose OID it reuses
    expect(policy).to_contain_text("jointsign (yessign OID)")
    expect(page.locator("#result-checks")).not_to_contain_text("(yessign)")
    screenshot(page, "8-securities-general-welcome")

    assert not recorder.blocked
    posted = [r.url for r in recorder.requests if r.method == "POST"]
    assert f"{base}/rp/{DEMO_SECURITIES}/api/register" in posted
    recorder.assert_never_sent(passwords=(PASSWORD, WRONG), secrets=limited.secrets() + general.secrets())


def test_keyboard_only_login_at_the_portal(
    services: Services, live_server: Callable[[object], str], page: Page, recorder: RequestRecorder
) -> None:
    issued = issue(services, CertType.LIMITED)
    base = live_server(create_app(services))
    open_site(page, base, DEMO_GOV)
    save_in_wallet(page, issued, CertType.LIMITED)
    open_site(page, base, DEMO_GOV)
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.name") == "credential":
            break
    assert page.evaluate("document.activeElement?.name") == "credential"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement?.id") == "cert-password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    assert result(page) == ("true", "ok")
    assert page.evaluate("document.activeElement?.id") == "result"  # focus follows the outcome
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=issued.secrets())


def test_pages_on_a_phone(
    services: Services,
    two_certificates: tuple[Issued, Issued],
    live_server: Callable[[object], str],
    browser: Browser,
    screenshot: Callable[..., Path],
) -> None:
    limited, _ = two_certificates
    base = live_server(create_app(services))
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport=PHONE, device_scale_factor=2)
    with contextlib.closing(context):
        page = context.new_page()
        page.goto(f"{base}/rp/")
        page.wait_for_selector("body[data-ready=true]")
        screenshot(page, "phone-1-sites")
        open_site(page, base, DEMO_SECURITIES)
        save_in_wallet(page, limited, CertType.LIMITED)
        open_site(page, base, DEMO_SECURITIES)
        screenshot(page, "phone-2-securities-login")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing runs off-screen
        expect(page.locator("#get-general")).to_be_visible()  # no usable certificate: where to get the right type
        expect(page.locator("#password-field")).to_be_hidden()
        screenshot(page, "phone-3-securities-filtered")
        open_site(page, base, DEMO_BANK)
        log_in(page, LIMITED_LABEL)
        expect(page.locator("#register-panel")).to_be_visible()
        screenshot(page, "phone-4-bank-register")
        register(page, limited.rrn)
        assert result(page) == ("true", "ok")
        screenshot(page, "phone-5-bank-welcome")


def test_signature_from_the_page_verifies_with_the_certificate(
    services: Services, live_server: Callable[[object], str], page: Page
) -> None:
    """The wallet's key signs exactly the challenge bytes, as RSASSA-PKCS1-v1_5 SHA-256 (what the site checks)."""
    issued = issue(services, CertType.GENERAL)
    base = live_server(create_app(services))
    open_site(page, base, DEMO_GOV)
    save_in_wallet(page, issued, CertType.GENERAL)
    signature = page.evaluate(
        """async ([password]) => {
            const { openVault } = await import("/static/js/vault.js");
            const { sign } = await import("/static/js/keys.js");
            const { toBase64, utf8 } = await import("/static/js/bytes.js");
            const vault = await openVault();
            const [credential] = await vault.listCredentials();
            const unlocked = await vault.unlock(credential.id, password);
            return toBase64(await sign(unlocked.privateKey, utf8("challenge-value")));
        }""",
        [PASSWORD],
    )
    cert = x509.load_der_x509_certificate(issued.cert_der)
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(base64.b64decode(signature), b"challenge-value", padding.PKCS1v15(), hashes.SHA256())
