"""인증서 관리 in headless Chromium at phone size, against the real app: renewal opens only in the last 30 days
(the served app's clock is moved near expiry), the renewed certificate replaces the old one in the wallet keeping
R and logs in; revocation from the wallet is seen by OCSP; the password change uses the live checklist and the
new password unlocks; deletion asks first. Keys, R and passwords never leave the page."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from playwright.sync_api import Browser, Page, expect

from jointcert.app import Services
from jointcert.ca.authority import IssuanceRequest, SignatureProof
from jointcert.ca.hierarchy import ISSUING
from jointcert.clock import FakeClock
from jointcert.npki.keyfile import PrivateKeyBundle, encode_pkcs8, generate_bundle
from jointcert.types import CertType
from jointcert.web.app import create_app
from tests.e2e.harness.axe import assert_no_violations
from tests.e2e.harness.bank import PHONE, START, fresh_instance, issue, phone_page, save_in_wallet, shot, unlock_in_page
from tests.e2e.harness.support import RequestRecorder, b64, unb64

pytestmark = pytest.mark.browser

PASSWORD = "Wallet#2026-first"
NEW_PASSWORD = "Wallet#2026-second"
WRONG = "Wallet#2026-wrong"


@dataclass
class Instance:
    services: Services
    clock: FakeClock


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    clock = FakeClock(START)
    with fresh_instance(tmp_path / "data", clock) as services:
        yield Instance(services, clock)


def open_wallet(page: Page, base: str) -> None:
    page.goto(f"{base}/bank/wallet")
    page.wait_for_selector("body[data-ready=true]")


def ocsp_status(base: str, services: Services, cert_der: bytes) -> ocsp.OCSPCertStatus:
    cert = x509.load_der_x509_certificate(cert_der)
    issuer = services.signers[ISSUING].certificate
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    answer = httpx.post(
        f"{base}/ocsp",
        content=request.public_bytes(serialization.Encoding.DER),
        headers={"content-type": "application/ocsp-request"},
    )
    assert answer.status_code == 200
    return ocsp.load_der_ocsp_response(answer.content).certificate_status


def test_renew_near_expiry_then_revoke(
    instance: Instance,
    live_server: Callable[[object], str],
    browser: Browser,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
) -> None:
    services = instance.services
    issued = issue(services, CertType.LIMITED, name="이갱신")
    base = live_server(create_app(services))
    with phone_page(browser, recorder) as page:
        open_wallet(page, base)
        expect(page.locator("#wallet-status")).to_contain_text("저장된 인증서가 없습니다")
        shot(screenshot, page, "1-empty")
        save_in_wallet(page, issued, PASSWORD)
        open_wallet(page, base)
        expect(page.locator("#detail")).to_be_visible()  # the only certificate is chosen
        expect(page.locator("#detail-title")).to_have_text("이갱신")
        expect(page.locator("#detail-facts")).to_contain_text(format(issued.serial, "x"))
        expect(page.locator("#action-renew")).to_be_disabled()
        expect(page.locator("#renew-note")).to_contain_text("2027-10-26")  # 30 days before 2027-11-25
        expect(page.locator(".cert__soon")).to_have_count(0)  # a year left: not highlighted
        shot(screenshot, page, "2-detail-not-yet-renewable")

        instance.clock.advance(timedelta(days=340))  # the bank's clock: 25 days before expiry
        open_wallet(page, base)
        expect(page.locator(".cert")).to_contain_text("25일 남음")
        expect(page.locator(".cert--soon .cert__soon")).to_contain_text("만료 25일 전입니다")  # highlighted
        assert_no_violations(page, "wallet: expiring certificate")
        expect(page.locator("#action-renew")).to_be_enabled()
        shot(screenshot, page, "3-renewable")
        page.click("#action-renew")
        assert page.evaluate("document.activeElement?.id") == "renew-password"
        page.fill("#renew-password", PASSWORD)
        shot(screenshot, page, "4-renew-form")
        page.click("#renew-submit")
        expect(page.locator("#wallet-message")).to_contain_text("인증서를 갱신했습니다", timeout=20_000)
        shot(screenshot, page, "5-renewed")
        unlocked = unlock_in_page(page, PASSWORD)
        renewed_der = base64.b64decode(unlocked["certificate"])
        assert renewed_der != issued.cert_der
        assert base64.b64decode(unlocked["randomNum"]) == issued.r  # R kept
        renewed = x509.load_der_x509_certificate(renewed_der)
        assert renewed.not_valid_after_utc > x509.load_der_x509_certificate(issued.cert_der).not_valid_after_utc
        assert ocsp_status(base, services, issued.cert_der) is ocsp.OCSPCertStatus.REVOKED  # superseded

        page.goto(f"{base}/bank/login")  # the renewed certificate logs in
        page.wait_for_selector("body[data-ready=true]")
        page.fill("#cert-password", PASSWORD)
        page.click("#login-button")
        expect(page.locator("#home-panel")).to_be_visible()

        open_wallet(page, base)
        page.click("#action-revoke")
        page.check("#reason-keyCompromise")
        page.fill("#revoke-password", PASSWORD)
        page.click("#revoke-submit")
        expect(page.locator("#revoke-error")).to_contain_text("폐지 확인란")  # confirmation first
        page.check("#revoke-confirm")
        shot(screenshot, page, "6-revoke-form")
        page.click("#revoke-submit")
        expect(page.locator("#wallet-message")).to_contain_text("인증서를 폐지했습니다", timeout=20_000)
        expect(page.locator("#wallet-message")).to_contain_text("키 유출 의심")
        expect(page.locator(".cert")).to_have_count(0)
        shot(screenshot, page, "7-revoked")
        assert ocsp_status(base, services, renewed_der) is ocsp.OCSPCertStatus.REVOKED
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=issued.secrets())


def test_change_password_and_delete_with_the_keyboard(
    instance: Instance,
    live_server: Callable[[object], str],
    browser: Browser,
    recorder: RequestRecorder,
    screenshot: Callable[..., Path],
) -> None:
    issued = issue(instance.services, CertType.GENERAL, name="박비번")
    base = live_server(create_app(instance.services))
    with phone_page(browser, recorder) as page:
        open_wallet(page, base)
        save_in_wallet(page, issued, PASSWORD)
        open_wallet(page, base)
        expect(page.locator("#action-renew")).to_be_disabled()  # a year left
        page.focus("#cert-0")
        for _ in range(4):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement?.id") == "action-password":
                break
        assert page.evaluate("document.activeElement?.id") == "action-password"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement?.id") == "pw-old"
        page.keyboard.press("Escape")  # closes the form, focus back on its button
        expect(page.locator("#password-form-panel")).to_be_hidden()
        assert page.evaluate("document.activeElement?.id") == "action-password"
        page.keyboard.press("Enter")

        page.keyboard.type(WRONG)
        for stop in ("pw-old-keypad-toggle", "pw-old-reveal", "pw-new"):  # the field's 보안 키패드 and 표시 first
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement?.id") == stop
        page.keyboard.type("short1")
        expect(page.locator(".check-item--bad[data-code=too_short]")).to_be_visible()
        expect(page.locator(".check-item--bad[data-code=no_symbol]")).to_be_visible()
        expect(page.locator(".check-item--ok[data-code=no_digit]")).to_be_visible()
        shot(screenshot, page, "1-weak-password")
        page.keyboard.press("Enter")
        expect(page.locator("#password-error")).to_contain_text("규칙")
        page.fill("#pw-new", NEW_PASSWORD)
        page.fill("#pw-confirm", NEW_PASSWORD)
        expect(page.locator(".check-item--bad")).to_have_count(0)
        page.click("#password-submit")
        expect(page.locator("#password-error")).to_have_text(
            "인증서 비밀번호가 올바르지 않습니다.", use_inner_text=True
        )
        assert page.evaluate("document.activeElement?.id") == "pw-old"
        shot(screenshot, page, "2-wrong-old-password")
        page.fill("#pw-old", PASSWORD)
        page.fill("#pw-new", NEW_PASSWORD)
        page.fill("#pw-confirm", NEW_PASSWORD)
        page.click("#password-submit")
        expect(page.locator("#wallet-message")).to_contain_text("비밀번호를 변경했습니다")
        shot(screenshot, page, "3-password-changed")
        assert unlock_in_page(page, PASSWORD) == {"error": "wrong_certificate_password"}
        assert base64.b64decode(unlock_in_page(page, NEW_PASSWORD)["certificate"]) == issued.cert_der

        page.click("#action-delete")
        expect(page.locator("#delete-form-panel")).to_contain_text("이 기기에서만 삭제합니다")
        shot(screenshot, page, "4-delete-confirm")
        page.keyboard.press("Enter")  # focus is on the confirming button
        expect(page.locator("#wallet-message")).to_contain_text("삭제했습니다")
        expect(page.locator(".cert")).to_have_count(0)
        expect(page.locator("#detail")).to_be_hidden()
        shot(screenshot, page, "5-deleted")
        page.click("#lang-switch")
        expect(page.locator("#wallet-message")).to_contain_text("deleted from this device")

    recorder.assert_never_sent(passwords=(PASSWORD, NEW_PASSWORD, WRONG), secrets=issued.secrets())


def test_renewing_a_pair_renews_both(
    instance: Instance, live_server: Callable[[object], str], browser: Browser, recorder: RequestRecorder
) -> None:
    """An entry holding kmCert.der is renewed as a pair: a new km key made in the page, both old ones superseded."""
    services = instance.services
    sign, km = generate_bundle(), PrivateKeyBundle(generate_bundle().key, None)

    def spki(key: rsa.RSAPrivateKey) -> bytes:
        return key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def proof(key: rsa.RSAPrivateKey) -> SignatureProof:
        return SignatureProof(b"pop", key.sign(b"pop", padding.PKCS1v15(), hashes.SHA256()))

    request = IssuanceRequest(
        CertType.LIMITED, "이갱신", "8501021234567", sign.random_num, spki(sign.key), proof(sign.key), "api",
        km_public_key_der=spki(km.key), km_pop=proof(km.key),
    )  # fmt: skip
    issued = services.authority.issue(request)
    assert issued.km is not None
    base = live_server(create_app(services))
    with phone_page(browser, recorder) as page:
        open_wallet(page, base)
        page.evaluate(
            """async ([cert, pkcs8, kmCert, kmPkcs8, password]) => {
                const { openVault } = await import("/static/js/vault.js");
                const { fromBase64 } = await import("/static/js/bytes.js");
                const vault = await openVault();
                await vault.saveCredential({ pkcs8: fromBase64(pkcs8), certificateDer: fromBase64(cert),
                  km: { pkcs8: fromBase64(kmPkcs8), certificateDer: fromBase64(kmCert) } }, password);
                vault.close();
            }""",
            [b64(issued.der), b64(encode_pkcs8(sign)), b64(issued.km.der), b64(encode_pkcs8(km)), PASSWORD],
        )
        instance.clock.advance(timedelta(days=340))
        open_wallet(page, base)
        page.click("#action-renew")
        page.fill("#renew-password", PASSWORD)
        page.click("#renew-submit")
        expect(page.locator("#wallet-message")).to_contain_text("인증서를 갱신했습니다", timeout=20_000)
        new_km: str = page.evaluate(
            """async () => {
                const { openVault } = await import("/static/js/vault.js");
                const { toBase64 } = await import("/static/js/bytes.js");
                const vault = await openVault();
                const [credential] = await vault.listCredentials();
                vault.close();
                return toBase64(credential.kmCertificateDer);
            }"""
        )
    renewed_km = x509.load_der_x509_certificate(unb64(new_km))
    assert renewed_km.serial_number != issued.km.serial
    for serial, status in (
        (issued.serial, "revoked"),
        (issued.km.serial, "revoked"),
        (renewed_km.serial_number, "issued"),
    ):
        record = services.authority.certificate(serial)
        assert record is not None and record.status.value == status
    recorder.assert_never_sent(passwords=(PASSWORD,), secrets=(encode_pkcs8(km), encode_pkcs8(sign)))
